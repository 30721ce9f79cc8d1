// The dns-client differential oracle: the seeded cases of dns-features.ts are served by the
// grader's scripted DNS server (grader/net/dns-server.ts) to dig (test/counterparts/dig, its
// adapter) and to every dns-client program (found on disk at run time), each run once per case
// with the contract's command line. What it printed and its exit code (and, for
// query-well-formed, the query it sent) are compared with dig's. The reference solutions are the
// control (they must never differ from dig: the oracle's own fairness); for each scenario and
// each judged test, "differs from dig on the test's feature" must agree with the grader's verdict
// and with what the scenario declares.
import { spawn } from 'node:child_process';
import { grade } from '../../grader/grade/grade.js';
import { failedIds } from '../../grader/validate/judge.js';
import { catalog, type CatalogItem } from '../../grader/validate/catalog.js';
import { packageRoot } from '../../grader/paths.js';
import { ScriptedDnsServer, type DnsQuery, type DnsReply } from '../../grader/net/dns-server.js';
import { Transcript } from '../../grader/net/transcript.js';
import { FEATURES, TYPE_CODES, type Answer, type DnsCase, type Rec } from './dns-features.js';
import { prng } from './kv-features.js';
import { buildFirst, runCommand } from './programs.js';
import { pool, type Disagreement } from './verdicts.js';
export type { Disagreement } from './verdicts.js';

// ---------------------------------------------------------------------------------------------
// Responses, byte by byte (the oracle writes its own bytes: compression, any TTL, any type, case).

class Writer {
  private parts: Buffer[] = [];
  len = 0;
  /** Where each name suffix (exact case) is written: its labels, or a pointer to them. */
  private at = new Map<string, number[]>();
  constructor(private readonly rnd?: () => number) {}

  push(b: Buffer): void {
    this.parts.push(b);
    this.len += b.length;
  }

  u16(n: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    this.push(b);
  }

  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.push(b);
  }

  /** A name; compressed at random (a whole name or a suffix, maybe a pointer to a pointer) when the writer has a generator. */
  name(name: string): void {
    const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
    for (let i = 0; i <= labels.length; i++) {
      if (i === labels.length) return this.push(Buffer.from([0]));
      const key = labels.slice(i).join('.');
      const seen = this.at.get(key);
      if (this.rnd && seen && this.rnd() < 0.8) {
        const target = seen[Math.floor(this.rnd() * seen.length)];
        seen.push(this.len);
        return this.push(Buffer.from([0xc0 | (target >> 8), target & 0xff]));
      }
      if (this.len < 0x3fff) this.at.set(key, [...(seen ?? []), this.len]);
      const l = Buffer.from(labels[i]);
      this.push(Buffer.concat([Buffer.from([l.length]), l]));
    }
  }

  /** The question exactly as the client sent it (its case), registered for compression. */
  rawName(bytes: Buffer): void {
    const labels: string[] = [];
    for (let p = 0; p < bytes.length && bytes[p]; p += 1 + bytes[p]) labels.push(bytes.subarray(p + 1, p + 1 + bytes[p]).toString('latin1'));
    let off = this.len;
    labels.forEach((_, i) => {
      this.at.set(labels.slice(i).join('.'), [off]);
      off += 1 + Buffer.byteLength(labels[i], 'latin1');
    });
    this.push(bytes);
  }

  record(r: Rec): void {
    this.name(r.owner);
    const d = r.rdata;
    const type = 'raw' in d ? d.raw[0] : TYPE_CODES[Object.keys(d)[0]];
    this.u16(type);
    this.u16(1);
    this.u32(r.ttl);
    const lenAt = this.len;
    this.u16(0);
    if ('A' in d) this.push(Buffer.from(d.A));
    else if ('AAAA' in d) d.AAAA.forEach((g) => this.u16(g));
    else if ('CNAME' in d) this.name(d.CNAME);
    else if ('NS' in d) this.name(d.NS);
    else if ('MX' in d) (this.u16(d.MX[0]), this.name(d.MX[1]));
    else if ('TXT' in d) d.TXT.forEach((s) => this.push(Buffer.concat([Buffer.from([s.length]), s])));
    else this.push(d.raw[1]);
    this.patch(lenAt, this.len - lenAt - 2);
  }

  private patches: Array<[number, number]> = [];
  private patch(at: number, v: number): void {
    this.patches.push([at, v]);
  }

  bytes(): Buffer {
    const b = Buffer.concat(this.parts);
    for (const [at, v] of this.patches) b.writeUInt16BE(v, at);
    return b;
  }
}

/** The query's ID and question (name bytes, type, class), or undefined when it cannot be read. */
function question(raw: Buffer): { id: number; name: Buffer; type: number; cls: number } | undefined {
  if (raw.length < 12) return undefined;
  let at = 12;
  while (at < raw.length && raw[at] !== 0 && raw[at] < 0x40) at += 1 + raw[at];
  if (at >= raw.length || raw[at] !== 0 || at + 5 > raw.length) return undefined;
  return { id: raw.readUInt16BE(0), name: raw.subarray(12, at + 1), type: raw.readUInt16BE(at + 1), cls: raw.readUInt16BE(at + 3) };
}

function response(q: NonNullable<ReturnType<typeof question>>, a: Answer, opts: { id?: number; tc?: number; qname?: string; qtype?: number; qclass?: number } = {}): Buffer {
  const w = new Writer(a.compress !== undefined ? prng(a.compress) : undefined);
  const cut = opts.tc !== undefined && opts.tc >= 0;
  const answers = cut ? a.answers.slice(0, opts.tc! + 1) : a.answers;
  const [ns, ar] = opts.tc !== undefined ? [[], []] : [a.authority ?? [], a.additional ?? []];
  w.u16(opts.id ?? q.id);
  w.u16(0x8000 | 0x0100 | 0x0080 | (opts.tc !== undefined ? 0x0200 : 0) | a.rcode);
  w.u16(1);
  w.u16(a.answers.length);
  w.u16(ns.length);
  w.u16(ar.length);
  if (opts.qname !== undefined) w.name(opts.qname);
  else if (a.questionAs !== undefined) w.name(a.questionAs);
  else w.rawName(q.name);
  w.u16(opts.qtype ?? q.type);
  w.u16(opts.qclass ?? q.cls);
  const before = w.len;
  for (const r of [...answers, ...ns, ...ar]) w.record(r);
  const b = w.bytes();
  // TC=1: ANCOUNT says all, the section holds `tc` records and part of the next (or nothing, or all: -1).
  if (!cut) return b;
  if (opts.tc === 0) return b.subarray(0, before);
  return b.subarray(0, b.length - 3);
}

const DECOY: Rec = { owner: 'decoy.example.test', ttl: 300, rdata: { A: [198, 51, 100, 66] } };

/** What the server does with each query of a case. */
function handlers(c: DnsCase): { udp: (q: DnsQuery) => DnsReply[] | undefined; tcp?: (q: DnsQuery) => DnsReply | undefined } {
  const udp = (q: DnsQuery): DnsReply[] | undefined => {
    const qq = question(q.raw);
    if (!qq) return undefined;
    if (c.tc) return [{ bytes: response(qq, c.answer, { tc: c.tc.keep }) }];
    const real = { bytes: response(qq, c.answer) };
    if (!c.decoy || q.n > 1) return [real];
    const decoyAnswer: Answer = { rcode: 0, answers: [{ ...DECOY, owner: c.name }] };
    const d = c.decoy;
    const decoy: DnsReply =
      d.kind === 'id'
        ? { bytes: response(qq, decoyAnswer, { id: (qq.id + 1 + (qq.id % 997)) & 0xffff }) }
        : d.kind === 'port'
          ? { bytes: response(qq, decoyAnswer), fromOtherPort: true }
          : d.kind === 'name'
            ? { bytes: response(qq, { rcode: 0, answers: [{ ...DECOY, owner: d.other }] }, { qname: d.other }) }
            : d.kind === 'type'
              ? { bytes: response(qq, decoyAnswer, { qtype: qq.type === 28 ? 1 : 28 }) }
              : { bytes: response(qq, decoyAnswer, { qclass: 3 }) };
    return [decoy, { ...real, delayMs: 60 }];
  };
  const tcp = (q: DnsQuery): DnsReply | undefined => {
    const qq = question(q.raw);
    return qq && c.tc?.tcp !== 'mute' ? { bytes: response(qq, c.answer), pieces: [1, 20], pieceGapMs: 30 } : undefined;
  };
  return c.tc?.tcp === 'refused' ? { udp } : { udp, tcp };
}

// ---------------------------------------------------------------------------------------------
// Running a client once

/** The query as the contract judges it: every field but the ID. */
function showQuery(q: DnsQuery): string {
  const r = q.raw;
  if (r.length < 12) return `${r.length} bytes`;
  const qq = question(r);
  return `flags=${r.readUInt16BE(2).toString(16)} counts=${[4, 6, 8, 10].map((o) => r.readUInt16BE(o)).join(',')} ${qq ? `question=${qq.name.toString('hex')} type=${qq.type} class=${qq.cls} extra=${r.length - 12 - qq.name.length - 4}` : 'question unreadable'}`;
}

export interface RunOutcome {
  got: string;
  ms: number;
}

/** Run `command` (a sockgrade.json "run") once in `cwd` against a server scripted for `c`; what it printed and how it exited. */
export async function runCase(cwd: string, command: string, c: DnsCase, capMs = 5000): Promise<RunOutcome> {
  const h = handlers(c);
  const server = await ScriptedDnsServer.start({ transcript: new Transcript({ maxEntries: 4, maxBytesPerEntry: 16 }), udp: h.udp, ...(h.tcp ? { tcp: h.tcp } : {}) });
  const t0 = performance.now();
  try {
    const args = ['--server', server.address, '--timeout-ms', String(c.timeoutMs), '--retries', String(c.retries), '--type', c.type, c.name];
    const line = [command, ...args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`)].join(' ');
    const child = spawn('/bin/sh', ['-c', `exec ${line}`], { cwd, detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' } });
    const out: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, capMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (code, sig) => resolve([code, sig])));
    clearTimeout(timer);
    const stdout = Buffer.concat(out).toString('latin1');
    const how = timedOut ? 'still running, stopped' : signal ? `killed by ${signal}` : `exit ${code}`;
    const queries = c.query ? ` | queries: ${server.queries.map(showQuery).join('; ') || 'none'}` : '';
    return { got: `${how} | ${JSON.stringify(stdout)}${queries}`, ms: performance.now() - t0 };
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------

export interface Difference {
  case: number;
  dig: string;
  program: string;
}

export interface ItemVerdicts {
  item: CatalogItem;
  differs: Record<string, Difference | undefined>;
  failed?: string[];
}

export const JUDGED = FEATURES.map((f) => f.test);

export function dnsCases(seed: number): Map<string, DnsCase[]> {
  return new Map(FEATURES.map((f, i) => [f.test, f.cases(seed * 1000 + i)]));
}

export interface OracleReport {
  seed: number;
  items: ItemVerdicts[];
  disagreements: Disagreement[];
  /** Differences of the reference solutions from dig (the oracle's own fairness: must be none). */
  control: Record<string, Record<string, Difference | undefined>>;
  ms: { dig: number; programs: number; grading: number };
}

async function judge(item: CatalogItem, cases: Map<string, DnsCase[]>, dig: Map<string, string[]>): Promise<Record<string, Difference | undefined>> {
  const command = runCommand(item.dir);
  const differs: Record<string, Difference | undefined> = {};
  for (const [test, list] of cases)
    for (const [i, c] of list.entries()) {
      const r = await runCase(item.dir, command, c);
      if (r.got !== dig.get(test)![i]) {
        differs[test] = { case: i, dig: dig.get(test)![i], program: r.got };
        break;
      }
    }
  return differs;
}

export async function dnsOracle(opts: { seed: number; root?: string; jobs?: number; grade?: boolean; log?: (s: string) => void; only?: (item: CatalogItem) => boolean }): Promise<OracleReport> {
  const log = opts.log ?? (() => {});
  const root = opts.root ?? packageRoot;
  const cases = dnsCases(opts.seed);
  const all = catalog('dns-client', root);
  const digItem = all.find((i) => i.kind === 'counterpart' && i.name === 'dig');
  if (!digItem) throw new Error('test/counterparts/dig is missing');
  const t0 = performance.now();
  const dig = new Map<string, string[]>();
  // Each case has a server of its own: features may run at once.
  await pool([...cases], 3, async ([test, list]) => {
    const got: string[] = [];
    for (const c of list) got.push((await runCase(digItem.dir, runCommand(digItem.dir), c)).got);
    dig.set(test, got);
  });
  const t1 = performance.now();
  log(`dig answered ${[...cases.values()].flat().length} cases in ${Math.round(t1 - t0)} ms`);
  for (const [test, got] of dig) for (const g of got) if (/still running|killed/.test(g)) throw new Error(`dig itself ${g} in ${test}: the case is wrong`);

  const controls = all.filter((i) => i.kind === 'solution');
  for (const c of controls) await buildFirst(c.dir);
  const scenarios = all.filter((i) => i.kind === 'scenario' && (opts.only?.(i) ?? true));
  const judged = await pool([...controls, ...scenarios], 3, async (item) => ({ item, differs: await judge(item, cases, dig) }) as ItemVerdicts);
  const t2 = performance.now();
  log(`${judged.length} programs judged by the oracle in ${Math.round(t2 - t1)} ms`);
  const control = Object.fromEntries(judged.slice(0, controls.length).map((v) => [v.item.name, v.differs]));
  const items = judged.slice(controls.length);
  if (opts.grade === false) return { seed: opts.seed, items, disagreements: [], control, ms: { dig: Math.round(t1 - t0), programs: Math.round(t2 - t1), grading: 0 } };
  await pool(items, opts.jobs ?? 2, async (v) => {
    const r = await grade({ dir: v.item.dir, official: true, only: JUDGED, readOnly: v.item.shared, allowForbidden: v.item.kind === 'counterpart', seed: `oracle${opts.seed}` });
    v.failed = failedIds(r);
  });
  const t3 = performance.now();
  log(`${items.length} scenarios graded on ${JUDGED.length} tests in ${Math.round(t3 - t2)} ms`);
  const disagreements: Disagreement[] = [];
  for (const v of items)
    for (const test of JUDGED) {
      const d = v.differs[test];
      const differs = d !== undefined;
      const graded = v.failed!.includes(test);
      const declared = v.item.expectFailures!.includes(test);
      if (differs !== graded || differs !== declared)
        disagreements.push({
          program: v.item.name,
          test,
          oracle: d ? `differs from dig: case ${d.case}: dig ${d.dig}, program ${d.program}` : 'never differs from dig',
          ...(differs !== graded ? { graded: graded ? 'fails' : 'passes' } : {}),
          ...(differs !== declared ? { declared: declared ? 'fails' : 'passes' } : {}),
        });
    }
  return { seed: opts.seed, items, disagreements, control, ms: { dig: Math.round(t1 - t0), programs: Math.round(t2 - t1), grading: Math.round(t3 - t2) } };
}
