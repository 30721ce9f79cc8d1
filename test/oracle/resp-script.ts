// Scripts of RESP conversations for the kv-server oracle, and their runner. A script is a fixed
// schedule of steps over numbered connections (open, write, read one reply, FIN, wait until a
// time): what it observes depends only on the server, never on how the scheduler interleaves,
// because every step is awaited in order. The runner turns each observation into a string
// (error replies as just "error": the contract never judges their text), so a program is
// compared with the reference by plain string equality, and stops at the first difference.
import { setTimeout as delay } from 'node:timers/promises';
import { encodeCommand, encodeResp, parseReply } from '../../grader/net/resp.js';
import { TcpClient, type Parser, type ReadOutcome } from '../../grader/net/tcp-client.js';
import { Transcript } from '../../grader/net/transcript.js';
import type { RespValue } from '../../grader/net/resp.js';

export type Arg = string | Buffer;

export type Step =
  | { op: 'open'; c: number }
  /** Bytes written in pieces cut at `cuts` (offsets), `pauseMs` apart so they arrive in separate reads. */
  | { op: 'write'; c: number; bytes: Buffer; cuts?: number[]; pauseMs?: number; what: string }
  /** One reply (RESP unless the step brings its own parser and how to show what it parsed). */
  | { op: 'read'; c: number; timeoutMs?: number; what: string; parse?: Parser<unknown>; show?: (v: unknown) => string; content?: boolean; judgedBeforeMs?: number }
  /** Does the server close the connection now (after a response that must be the last)? */
  | { op: 'closes'; c: number; what: string }
  /**
   * After malformed input the contract says close the connection, an error reply first allowed (a
   * non-error reply, or the connection left open for 1000 ms, differs), as malformed-protocol judges.
   */
  | { op: 'read-error-or-nothing'; c: number; what: string }
  /**
   * A follow-up as the tests make one: send the `probe` commands (replies read), and judge the reply
   * to `args` only if `judged(the probe's last reply)`; otherwise another test's bug decides it (a
   * server that never expires keys, a SET that never overwrites), so nothing is compared.
   */
  | { op: 'read-if'; c: number; probe: Arg[][]; judged: (last: RespValue | undefined) => boolean; args: Arg[]; what: string }
  /** Shut down the sending side (FIN); the connection stays readable. */
  | { op: 'fin'; c: number }
  /** Wait until `ms` after the script started (expiry). */
  | { op: 'until'; ms: number };

export interface Script {
  feature: string;
  /** Connections not checked for stray bytes at the end (malformed input: the server may close them; half-close). */
  noEndCheck?: number[];
  steps: Step[];
}

export const cmd = (args: Arg[]) => encodeCommand(args);
export const show = (args: Arg[]): string =>
  args
    .map((a) => {
      const b = typeof a === 'string' ? Buffer.from(a) : a;
      const s = JSON.stringify(b.toString('latin1'));
      return b.length > 40 ? `${s.slice(0, 30)}…(${b.length} bytes)` : s;
    })
    .join(' ');

/** A command sent whole and its reply read: the usual request-response step pair. */
export function roundTrip(c: number, args: Arg[], opts: { cuts?: number[]; pauseMs?: number; timeoutMs?: number } = {}): Step[] {
  const what = show(args);
  return [
    { op: 'write', c, bytes: cmd(args), what, ...(opts.cuts ? { cuts: opts.cuts, pauseMs: opts.pauseMs ?? 1 } : {}) },
    { op: 'read', c, what, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) },
  ];
}

/**
 * A value read along the way in another test's feature is judged by its content, not its RESP form
 * (the kit's formatJudgedBy): a simple string and a bulk string with the same bytes look the same.
 */
function showContent(v: RespValue): string {
  if (v.type === 'simple' || (v.type === 'bulk' && v.value !== null)) {
    const b = Buffer.isBuffer(v.value) ? v.value : Buffer.from(String(v.value), 'utf8');
    return b.length > 80 ? `value of ${b.length} bytes, sha ${hash(b)}` : `value ${JSON.stringify(b.toString('latin1'))}`;
  }
  return showReply(v);
}

function showReply(v: RespValue): string {
  if (v.type === 'error') return 'error';
  const raw = encodeResp(v);
  return raw.length > 80 ? `${JSON.stringify(raw.subarray(0, 60).toString('latin1'))}…(${raw.length} bytes, sha ${hash(raw)})` : JSON.stringify(raw.toString('latin1'));
}

function hash(b: Buffer): string {
  let h = 2166136261;
  for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
  return h.toString(16);
}

function observe<T>(out: ReadOutcome<T>, show: (v: T) => string): string {
  switch (out.status) {
    case 'complete':
      return show(out.value);
    case 'timeout':
      return out.raw.length ? `incomplete ${JSON.stringify(out.raw.subarray(0, 40).toString('latin1'))}` : 'no reply';
    case 'closed':
      return out.raw.length ? `closed after ${JSON.stringify(out.raw.subarray(0, 40).toString('latin1'))}` : 'closed';
    case 'invalid':
      return `invalid RESP (${out.reason})`;
  }
}

export interface Observation {
  step: number;
  what: string;
  got: string;
}

export interface RunOptions {
  port: number;
  /** The reference's observations: stop at the first that differs. */
  reference?: Observation[];
  /** How long a reply may take unless the step says otherwise. */
  replyMs?: number;
  /** How long to wait for the server's close after the final FIN, when it sends nothing more. */
  endMs?: number;
}

/** Run one script; returns what was observed (up to and including the first difference from the reference). */
export async function runScript(script: Script, opts: RunOptions): Promise<{ observations: Observation[]; differs?: { expected: string; got: Observation } }> {
  const replyMs = opts.replyMs ?? 1000;
  const transcript = new Transcript({ maxEntries: 10, maxBytesPerEntry: 16 });
  const conns = new Map<number, TcpClient | 'refused'>();
  const observations: Observation[] = [];
  const start = performance.now();
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
  try {
    for (const [i, s] of script.steps.entries()) {
      if (s.op === 'until') {
        const left = start + s.ms - performance.now();
        if (left > 0) await delay(left);
        continue;
      }
      if (s.op === 'open') {
        try {
          conns.set(s.c, await TcpClient.connect({ host: '127.0.0.1', port: opts.port, name: `c${s.c}`, transcript, timeoutMs: replyMs }));
        } catch {
          conns.set(s.c, 'refused');
          if (!note(i, `connect c${s.c}`, 'refused')) return result();
        }
        continue;
      }
      const c = conns.get(s.c);
      if (!c || c === 'refused') {
        if (s.op === 'read' || s.op === 'read-error-or-nothing' || s.op === 'closes') if (!note(i, `c${s.c}: ${s.what}`, 'refused')) return result();
        continue;
      }
      if (s.op === 'write') await c.write(s.bytes, s.cuts ? { chunking: { mode: 'at', offsets: s.cuts }, pauseMs: s.pauseMs ?? 1 } : {});
      else if (s.op === 'fin') {
        if (!c.peerClosed && !c.socket.destroyed) c.end();
      } else if (s.op === 'read') {
        const got = s.parse ? observe(await c.read(s.parse, s.timeoutMs ?? replyMs), s.show!) : observe(await c.read(parseReply, s.timeoutMs ?? replyMs), s.content ? showContent : showReply);
        // A reply later than `judgedBeforeMs` after the start (a busy machine) is not judged.
        const ref = opts.reference?.[observations.length];
        const late = s.judgedBeforeMs !== undefined && performance.now() - start > s.judgedBeforeMs;
        if (!note(i, `c${s.c}: ${s.what}`, late && ref ? ref.got : got)) return result();
      } else if (s.op === 'closes') {
        const how = await c.waitClosed(replyMs);
        const got = c.buffered.length ? `stray bytes ${JSON.stringify(c.buffered.subarray(0, 40).toString('latin1'))}` : how === 'timeout' ? 'still open' : 'closed';
        if (!note(i, `c${s.c}: ${s.what}`, got)) return result();
      } else if (s.op === 'read-if') {
        const send = async (args: Arg[]) => {
          await c.write(cmd(args));
          return c.read(parseReply, replyMs);
        };
        let last: RespValue | undefined;
        for (const p of s.probe) {
          const out = await send(p);
          last = out.status === 'complete' ? out.value : undefined;
        }
        const judged = s.judged(last);
        const got = observe(await send(s.args), showContent);
        // Not judged: the reference's observation stands in for it.
        const ref = opts.reference?.[observations.length];
        if (!note(i, `c${s.c}: ${s.what}`, judged || !ref ? got : ref.got)) return result();
      } else {
        const out = await c.read(parseReply, 1000);
        const closedAfter = async () => ((await c.waitClosed(1000)) === 'timeout' ? 'left open' : 'error or nothing, then closed');
        const got =
          out.status === 'complete' ? (out.value.type === 'error' ? await closedAfter() : observe(out, showReply)) : out.status === 'invalid' ? observe(out, showReply) : out.status === 'closed' ? 'error or nothing, then closed' : 'left open';
        if (!note(i, `c${s.c}: ${s.what}`, got)) return result();
      }
    }
    // The end: FIN on every connection the script left open; whatever arrives after the last
    // reply is a reply to no command (a stray copy, a banner), however long it took to come.
    const open = [...conns].filter((e): e is [number, TcpClient] => e[1] !== 'refused' && !script.noEndCheck?.includes(e[0]));
    await Promise.all(
      open.map(async ([, c]) => {
        if (!c.peerClosed && !c.socket.destroyed) c.end();
        await c.waitClosed(opts.endMs ?? 300);
      }),
    );
    for (const [n, c] of open) {
      const extra = c.buffered;
      if (!note(script.steps.length, `c${n}: after the last reply, FIN`, extra.length ? `stray bytes ${JSON.stringify(extra.subarray(0, 40).toString('latin1'))}` : 'nothing more')) return result();
    }
    return result();
  } finally {
    for (const c of conns.values()) if (c !== 'refused') c.close();
  }
}
