// Scripts of HTTP/1.1 conversations for the http-server oracle, and their runner (the shape of
// resp-script.ts): a fixed schedule of steps over numbered connections, every step awaited in
// order, so what a script observes depends only on the server. Each read turns the response into
// a string through the step's own view (what the feature judges: the status, the headers the
// contract names, the body as "which file"), so a program is compared with the reference
// solution by plain string equality, and the script stops at the first difference.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TcpClient, type Parser } from '../../grader/net/tcp-client.js';
import { Transcript } from '../../grader/net/transcript.js';

export interface Resp {
  status: number;
  headers: Array<[string, string]>;
  /** Announced Content-Length; undefined when there was none. */
  length: number | undefined;
  body: Buffer;
}

/** Facts a view may use: which file a body is, and what earlier steps of the script noted. */
export interface ViewContext {
  /** "file hello.txt", "SECRET" (secret.txt, outside the root) or "N bytes <hash>". */
  bodyName(b: Buffer): string;
  /** Notes shared by the steps of one script (HEAD's Content-Type, compared with GET's later). */
  memo: Map<string, string>;
}

export type View = (r: Resp, ctx: ViewContext) => string;

export type Step =
  | { op: 'open'; c: number }
  /** Bytes written in pieces cut at `cuts`, `pauseMs` apart (they arrive in separate reads), or one byte per write. */
  | { op: 'write'; c: number; bytes: Buffer; cuts?: number[] | 'bytes'; pauseMs?: number; what: string }
  /**
   * One response. `head`: it answers a HEAD (no body). `closedIs`: a close before any byte is
   * allowed here and shown as this (the GET after a HEAD: the connection is keep-alive's subject).
   */
  | { op: 'read'; c: number; what: string; view: View; head?: boolean; timeoutMs?: number; closedIs?: string }
  /** Does the server close the connection now (within the contract's 2 s)? */
  | { op: 'closes'; c: number; what: string }
  /** Close the connection, nothing more judged on it. */
  | { op: 'close'; c: number }
  /** FIN, then nothing more may come (a body longer than its Content-Length, a body after HEAD); closed. */
  | { op: 'done'; c: number }
  /** A new client's HEAD /: does the same server still answer (any bytes count)? */
  | { op: 'alive'; what: string }
  /** Send nothing for `ms` (a quiet moment on a kept connection). */
  | { op: 'pause'; ms: number };

export interface Script {
  feature: string;
  /** Connections not checked for stray bytes at the end (the server closed them, or may). */
  noEndCheck?: number[];
  steps: Step[];
}

export interface Observation {
  step: number;
  what: string;
  got: string;
}

/** Header value by name, any case; undefined when absent. */
export function header(r: Resp, name: string): string | undefined {
  const n = name.toLowerCase();
  return r.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** Content-Type's media type as the contract classes it (parameters dropped; both JavaScript types one). */
export function media(r: Resp): string {
  const v = header(r, 'content-type');
  if (v === undefined) return 'no Content-Type';
  const m = v.split(';')[0].trim().toLowerCase();
  return m === 'application/javascript' ? 'text/javascript' : m;
}

/** Does a Connection header carry the token "close"? */
export const saysClose = (r: Resp) => (header(r, 'connection') ?? '').split(',').some((t) => t.trim().toLowerCase() === 'close');

const QUIET_MS = 150;
const MAX_HEAD = 64 * 1024;

/** The head of a response, strict where the handout is (CRLF, "HTTP/1.x NNN", one Content-Length, no chunking). */
const headParser =
  (isHead: boolean): Parser<{ r: Resp; needs: number | 'unframed' }> =>
  (buf) => {
    if (!'HTTP/'.startsWith(buf.subarray(0, 5).toString('latin1'))) return { status: 'invalid', reason: 'not a status line', offset: 0 };
    let end = -1;
    for (let i = 0, start = 0; i < buf.length && i < MAX_HEAD; i++) {
      if (buf[i] !== 0x0a) continue;
      if (i === 0 || buf[i - 1] !== 0x0d) return { status: 'invalid', reason: 'a line ends with LF alone', offset: i };
      if (i - start === 1) {
        end = i + 1;
        break;
      }
      start = i + 1;
    }
    if (end < 0) return buf.length >= MAX_HEAD ? { status: 'invalid', reason: 'no end of headers', offset: 0 } : { status: 'incomplete' };
    const lines = buf.subarray(0, end - 4).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]);
    if (!m) return { status: 'invalid', reason: `status line ${JSON.stringify(lines[0].slice(0, 40))}`, offset: 0 };
    const headers: Array<[string, string]> = [];
    for (const l of lines.slice(1)) {
      const colon = l.indexOf(':');
      if (colon <= 0 || /\s/.test(l.slice(0, colon))) return { status: 'invalid', reason: `header line ${JSON.stringify(l.slice(0, 40))}`, offset: 0 };
      headers.push([l.slice(0, colon), l.slice(colon + 1).trim()]);
    }
    if (headers.some(([k]) => k.toLowerCase() === 'transfer-encoding')) return { status: 'invalid', reason: 'Transfer-Encoding', offset: 0 };
    const lengths = headers.filter(([k]) => k.toLowerCase() === 'content-length').map(([, v]) => v);
    if (lengths.length && (!lengths.every((v) => /^\d{1,15}$/.test(v)) || new Set(lengths).size > 1)) return { status: 'invalid', reason: `Content-Length ${lengths.join(', ')}`, offset: 0 };
    const status = Number(m[1]);
    const length = lengths.length ? Number(lengths[0]) : undefined;
    const noBody = isHead || status < 200 || status === 204 || status === 304;
    return { status: 'complete', value: { r: { status, headers, length, body: Buffer.alloc(0) }, needs: noBody ? 0 : length ?? 'unframed' }, length: end };
  };

const take = (n: number): Parser<Buffer> => (buf) => (buf.length >= n ? { status: 'complete', value: Buffer.from(buf.subarray(0, n)), length: n } : { status: 'incomplete' });

/**
 * One response, or what happened instead. A response without Content-Length is still read (its
 * status comes first, as in the tests): its body is what follows until a quiet moment, the close,
 * or the next status line.
 */
async function readResp(c: TcpClient, isHead: boolean, timeoutMs: number): Promise<Resp | string> {
  const h = await c.read(headParser(isHead), timeoutMs);
  if (h.status === 'invalid') return `not HTTP (${h.reason}): ${JSON.stringify(h.raw.subarray(0, 24).toString('latin1'))}`;
  if (h.status === 'timeout') return h.raw.length ? `incomplete head ${JSON.stringify(h.raw.subarray(0, 24).toString('latin1'))}` : 'no response';
  if (h.status === 'closed') return h.raw.length ? `closed after ${JSON.stringify(h.raw.subarray(0, 24).toString('latin1'))}` : 'closed';
  const { r, needs } = h.value;
  if (needs === 'unframed') {
    await delay(QUIET_MS);
    const rest = await c.read((buf) => {
      const next = buf.indexOf('HTTP/1.');
      return { status: 'complete', value: Buffer.from(buf.subarray(0, next < 0 ? buf.length : next)), length: next < 0 ? buf.length : next };
    }, 1);
    r.body = rest.status === 'complete' ? rest.value : Buffer.alloc(0);
    return r;
  }
  if (needs > 0) {
    const b = await c.read(take(needs), timeoutMs);
    if (b.status !== 'complete') return `${r.status} with ${b.raw.length} of ${needs} body bytes (${b.status})`;
    r.body = b.value;
  }
  return r;
}

/** What the files of a document root look like, to name a body by the file it is. */
export function fileNamer(files: string): (b: Buffer) => string {
  const sha = (b: Buffer) => crypto.createHash('sha1').update(b).digest('hex').slice(0, 10);
  const known = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else if (!known.has(sha(fs.readFileSync(p)))) known.set(sha(fs.readFileSync(p)), `file ${rel}${e.name}`);
    }
  };
  walk(path.join(files, 'www'), '');
  known.set(sha(fs.readFileSync(path.join(files, 'secret.txt'))), 'SECRET');
  const secret = fs.readFileSync(path.join(files, 'secret.txt')).subarray(0, 28);
  return (b) => known.get(sha(b)) ?? (b.includes(secret) ? 'SECRET' : `${b.length} bytes ${sha(b)}`);
}

export interface RunOptions {
  port: number;
  bodyName: (b: Buffer) => string;
  reference?: Observation[];
  replyMs?: number;
}

/** Run one script; what was observed (up to and including the first difference from the reference). */
export async function runScript(script: Script, opts: RunOptions): Promise<{ observations: Observation[]; differs?: { expected: string; got: Observation } }> {
  const replyMs = opts.replyMs ?? 1500;
  const transcript = new Transcript({ maxEntries: 10, maxBytesPerEntry: 16 });
  const conns = new Map<number, TcpClient | 'refused'>();
  const ctx: ViewContext = { bodyName: opts.bodyName, memo: new Map() };
  const observations: Observation[] = [];
  let differs: { expected: string; got: Observation } | undefined;
  const note = (step: number, what: string, got: string): boolean => {
    const o = { step, what, got };
    observations.push(o);
    const ref = opts.reference?.[observations.length - 1];
    if (!opts.reference || (ref && ref.got === got && ref.what === what)) return true;
    differs = { expected: ref ? (ref.what === what ? ref.got : `${ref.what}: ${ref.got}`) : '(nothing)', got: o };
    return false;
  };
  const result = () => (differs ? { observations, differs } : { observations });
  /** FIN on a connection, then: did anything more than the responses come? */
  const finCheck = async (n: number, c: TcpClient): Promise<boolean> => {
    if (!c.peerClosed && !c.socket.destroyed) c.end();
    await c.waitClosed(300);
    const extra = c.buffered;
    return note(script.steps.length, `c${n}: after the last response, FIN`, extra.length ? `stray bytes ${JSON.stringify(extra.subarray(0, 24).toString('latin1'))}` : 'nothing more');
  };
  const connect = async (name: string) => {
    try {
      return await TcpClient.connect({ host: '127.0.0.1', port: opts.port, name, transcript, timeoutMs: replyMs });
    } catch {
      return 'refused' as const;
    }
  };
  try {
    for (const [i, s] of script.steps.entries()) {
      if (s.op === 'pause') {
        await delay(s.ms);
        continue;
      }
      if (s.op === 'open') {
        conns.set(s.c, await connect(`c${s.c}`));
        if (conns.get(s.c) === 'refused' && !note(i, `connect c${s.c}`, 'refused')) return result();
        continue;
      }
      if (s.op === 'alive') {
        const c = await connect('alive');
        let got = 'refused';
        if (c !== 'refused') {
          await c.write('HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
          const out = await c.read((buf) => ({ status: 'complete', value: buf, length: buf.length }), 2000);
          got = out.status === 'complete' ? 'answers' : out.status === 'timeout' ? 'no answer' : 'closed without an answer';
          c.close();
        }
        if (!note(i, `a new client's HEAD / ${s.what}`, got)) return result();
        continue;
      }
      const c = conns.get(s.c);
      if (s.op === 'close' || s.op === 'done') {
        conns.delete(s.c);
        if (c && c !== 'refused' && s.op === 'done' && !(await finCheck(s.c, c))) return result();
        if (c && c !== 'refused') c.close();
        continue;
      }
      if (!c || c === 'refused') {
        if (s.op !== 'write' && !note(i, `c${s.c}: ${s.what}`, 'refused')) return result();
        continue;
      }
      if (s.op === 'write') {
        const chunking = s.cuts === 'bytes' ? { mode: 'bytes' as const } : s.cuts ? { mode: 'at' as const, offsets: s.cuts } : undefined;
        await c.write(s.bytes, chunking ? { chunking, pauseMs: s.pauseMs ?? 2 } : {});
      } else if (s.op === 'read') {
        const r = await readResp(c, !!s.head, s.timeoutMs ?? replyMs);
        const got = typeof r === 'string' ? (r === 'closed' && s.closedIs ? s.closedIs : r) : s.view(r, ctx);
        if (!note(i, `c${s.c}: ${s.what}`, got)) return result();
      } else {
        const how = await c.waitClosed(2000);
        const got = c.buffered.length ? `stray bytes ${JSON.stringify(c.buffered.subarray(0, 24).toString('latin1'))}` : how === 'timeout' ? 'still open' : 'closed';
        if (!note(i, `c${s.c}: ${s.what}`, got)) return result();
      }
    }
    // The end: FIN on every connection still open; anything after the last response answers no
    // request (a body longer than its Content-Length, a body after HEAD, a stray copy).
    const open = [...conns].filter((e): e is [number, TcpClient] => e[1] !== 'refused' && !script.noEndCheck?.includes(e[0]));
    for (const [n, c] of open) if (!(await finCheck(n, c))) return result();
    return result();
  } finally {
    for (const c of conns.values()) if (c !== 'refused') c.close();
  }
}
