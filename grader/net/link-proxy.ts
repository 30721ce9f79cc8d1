// The link proxy: one listening socket per directed link between two peers (from -> to). Peer
// `from` is given this proxy's address instead of `to`'s; every connection it opens here is
// joined to `to`'s real port, and everything crossing it, in either direction, passes through
// `decide`, which may drop it, hold it back or deliver it twice (the caller's seeded fault policy:
// a cut, latency, jitter, a bandwidth cap, loss). Two framings:
// newline-delimited lines (whole lines only, so framing survives a drop) or a byte stream
// (chunks as they arrive, split to at most 16 KiB; a stream is never dropped from, only stalled
// while `stalled` says so). Nothing here knows about any workload: the policy and the
// bookkeeping live in the caller.
import { resetSocket } from './reset.js';
import net from 'node:net';

/** Which way a line travels on a connection of the link: from the connecting peer, or back to it. */
export type Direction = 'forward' | 'backward';

export type Framing = 'lines' | 'bytes';

export interface LineInfo {
  /** The peer that wrote it, and the one it is for. */
  sender: string;
  receiver: string;
  /** A whole line (lines framing) or a chunk of the stream (bytes framing). */
  line: Buffer;
  /** performance.now() when the proxy had it. */
  at: number;
}

export interface Verdict {
  /** Lines framing only: never delivered (a byte stream is stalled instead, see `stalled`). */
  drop: boolean;
  /** How long after it arrived the unit is delivered (never before the unit ahead of it: order is kept). */
  delayMs: number;
  /** Lines framing only: deliver it a second time, this long after it arrived (a duplicate). */
  duplicateDelayMs?: number;
}

export interface LinkProxyOptions {
  from: string;
  to: string;
  /** Where `to` listens (it may be down: then connections are reset, like a refused connect). */
  upstreamPort: number;
  /** The loopback address this proxy listens on (default 127.0.0.1): `to`'s address as `from` sees it. */
  host?: string;
  /** The loopback address its connections to `to` come from (default: the system's choice): `from`'s address as `to` sees it. */
  localAddress?: string;
  /** Newline-delimited lines (the default) or a byte stream. */
  framing?: Framing;
  /** Called for each complete line (or chunk); says whether to drop it and how long to hold it. */
  decide(info: LineInfo): Verdict;
  /** Called when a line was written on (not for dropped lines). */
  delivered?(info: LineInfo, at: number): void;
  /** Bytes framing: while true for a direction, nothing is delivered that way (a cut stalls a stream; `kick` resumes it). */
  stalled?(sender: string, receiver: string): boolean;
  /** A connection was accepted (before it is joined to the receiver). */
  connected?(): void;
}

/** A line longer than this without a newline is forwarded as if it were one (a peer off-contract). */
const MAX_LINE = 1 << 20;
/** Bytes framing: chunks are cut to this size, so latency and a bandwidth cap pace them smoothly. */
const MAX_CHUNK = 16 * 1024;
/** Held-back bytes (latency) above which the sender is paused, so a flooding peer cannot eat memory. */
const MAX_QUEUED = 8 << 20;

export class LinkProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  /** Where `to` listens now (it may move if its first start found the port taken). */
  upstreamPort: number;
  /** Connections accepted, and how many of them found the receiver down. */
  connections = 0;
  refused = 0;
  /** The flushes of every pipe, to run again when a stall ends. */
  private readonly flushers = new Set<() => void>();

  private constructor(private readonly opts: LinkProxyOptions) {
    this.upstreamPort = opts.upstreamPort;
    this.server = net.createServer({ pauseOnConnect: true, noDelay: true }, (s) => this.accept(s));
  }

  static async open(opts: LinkProxyOptions): Promise<LinkProxy> {
    const p = new LinkProxy(opts);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen({ host: opts.host ?? '127.0.0.1', port: 0, backlog: 128 }, () => resolve());
    });
    p.port = (p.server.address() as net.AddressInfo).port;
    return p;
  }

  get address(): string {
    return `${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
  }

  private waiters: Array<() => void> = [];

  /** Resolves once `n` connections were accepted in all, or after `ms`; says how many there were. */
  async waitConnections(n: number, ms: number): Promise<number> {
    const until = performance.now() + ms;
    while (this.connections < n && performance.now() < until)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, until - performance.now()));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(done);
      });
    return this.connections;
  }

  private accept(down: net.Socket): void {
    this.connections++;
    this.opts.connected?.();
    for (const w of this.waiters.splice(0)) w();
    this.track(down);
    const up = net.connect({ host: '127.0.0.1', port: this.upstreamPort, noDelay: true, ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}) });
    this.track(up);
    let joined = false;
    up.once('connect', () => {
      joined = true;
      this.pipe(down, up, 'forward');
      this.pipe(up, down, 'backward');
      down.resume();
    });
    up.once('error', () => {
      // The receiver is down or refused: the sender sees its connection reset, as it would.
      if (!joined) this.refused++;
      resetSocket(down);
    });
    down.once('error', () => {
      resetSocket(up);
    });
  }

  private pipe(src: net.Socket, dst: net.Socket, way: Direction): void {
    const [sender, receiver] = way === 'forward' ? [this.opts.from, this.opts.to] : [this.opts.to, this.opts.from];
    const flush = pipeUnits(src, dst, {
      sender,
      receiver,
      framing: this.opts.framing ?? 'lines',
      decide: this.opts.decide,
      delivered: this.opts.delivered,
      stalled: this.opts.stalled,
    });
    this.flushers.add(flush);
    // Until the receiving side closes: a clean end may still leave units held by a stall.
    dst.once('close', () => this.flushers.delete(flush));
  }

  /** Deliver what a stall held back, now that it may have ended. */
  kick(): void {
    for (const f of this.flushers) f();
  }

  /** Reset every open connection of this link (a peer died, or the test is over). */
  resetAll(): void {
    for (const s of this.sockets) resetSocket(s);
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface PipeOptions {
  sender: string;
  receiver: string;
  framing: Framing;
  decide: LinkProxyOptions['decide'];
  delivered: LinkProxyOptions['delivered'];
  stalled: LinkProxyOptions['stalled'];
}

/**
 * Forward `src` to `dst` unit by unit (lines, or chunks of the stream), through the policy.
 * Order is kept: a unit is written only after every unit before it (a later one never overtakes
 * a held one). FIN is passed on after the last unit; a reset on one side resets the other.
 * Returns the flush, to run again when a stall ends.
 */
function pipeUnits(src: net.Socket, dst: net.Socket, opts: PipeOptions): () => void {
  const { sender, receiver } = opts;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const queue: Array<{ info: LineInfo; dueAt: number }> = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let lastDue = 0;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const now = performance.now();
    const stalled = opts.framing === 'bytes' && !!opts.stalled?.(sender, receiver);
    while (!stalled && queue.length && queue[0].dueAt <= now + 1) {
      const { info } = queue.shift()!;
      queuedBytes -= info.line.length;
      if (dst.destroyed) continue;
      const ok = dst.write(info.line);
      opts.delivered?.(info, performance.now());
      if (!ok) src.pause();
    }
    if (queuedBytes < MAX_QUEUED && !dst.writableNeedDrain && src.isPaused() && !src.destroyed) src.resume();
    // A stall is ended by the caller's kick, not by time.
    if (queue.length && !stalled) timer = setTimeout(flush, Math.max(0, queue[0].dueAt - performance.now()));
    else if (!queue.length && ended && !dst.destroyed) dst.end();
  };

  const onUnit = (line: Buffer) => {
    const info: LineInfo = { sender, receiver, line, at: performance.now() };
    const v = opts.decide(info);
    if (v.drop && opts.framing === 'lines') return;
    // Never earlier than the unit before it: latency and jitter vary, a stream keeps its order.
    const copies = [v.delayMs, ...(v.duplicateDelayMs !== undefined && opts.framing === 'lines' ? [v.duplicateDelayMs] : [])];
    for (const ms of copies) {
      const dueAt = Math.max(info.at + ms, lastDue);
      lastDue = dueAt;
      queue.push({ info, dueAt });
      queuedBytes += line.length;
    }
    if (queuedBytes >= MAX_QUEUED) src.pause();
    if (!timer) timer = setTimeout(flush, Math.max(0, queue[0].dueAt - performance.now()));
  };

  src.on('data', (chunk: Buffer) => {
    if (opts.framing === 'bytes') {
      // Copied: a held chunk must not share memory Node may reuse.
      for (let i = 0; i < chunk.length; i += MAX_CHUNK) onUnit(Buffer.from(chunk.subarray(i, i + MAX_CHUNK)));
      return;
    }
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, i + 1);
      const line = pendingLen ? Buffer.concat([...pending, piece]) : Buffer.from(piece);
      pending = [];
      pendingLen = 0;
      onUnit(line);
      start = i + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLen += chunk.length - start;
      if (pendingLen > MAX_LINE) {
        const line = Buffer.concat(pending);
        pending = [];
        pendingLen = 0;
        onUnit(line);
      }
    }
  });
  dst.on('drain', () => {
    if (queuedBytes < MAX_QUEUED && src.isPaused() && !src.destroyed) src.resume();
  });
  src.once('end', () => {
    // A last line without its newline is still passed on.
    if (pendingLen) onUnit(Buffer.concat(pending));
    pending = [];
    pendingLen = 0;
    ended = true;
    if (!queue.length && !timer && !dst.destroyed) dst.end();
  });
  src.once('close', (hadError) => {
    // A clean end still delivers the held units (flush ends dst after the last one); a reset
    // throws them away and resets the other side, as a dead peer's connection would.
    if (ended && !hadError) return;
    if (timer) clearTimeout(timer);
    queue.length = 0;
    if (!dst.destroyed) {
      if (hadError) resetSocket(dst);
      else dst.destroy();
    }
  });
  return flush;
}
