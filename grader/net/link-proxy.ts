// The link proxy: one listening socket per directed link between two peers (from -> to). Peer
// `from` is given this proxy's address instead of `to`'s; every connection it opens here is
// joined to `to`'s real port, and every line crossing it, in either direction, passes through
// `decide`, which may drop it (a cut) or hold it back (latency) — whole lines only, so framing
// survives. Nothing here knows about gossip: the policy and the bookkeeping live in the caller.
import net from 'node:net';

/** Which way a line travels on a connection of the link: from the connecting peer, or back to it. */
export type Direction = 'forward' | 'backward';

export interface LineInfo {
  /** The peer that wrote the line, and the one it is for. */
  sender: string;
  receiver: string;
  line: Buffer;
  /** performance.now() when the proxy had the whole line. */
  at: number;
}

export interface Verdict {
  drop: boolean;
  delayMs: number;
}

export interface LinkProxyOptions {
  from: string;
  to: string;
  /** Where `to` listens (it may be down: then connections are reset, like a refused connect). */
  upstreamPort: number;
  /** Called for each complete line; says whether to drop it and how long to hold it. */
  decide(info: LineInfo): Verdict;
  /** Called when a line was written on (not for dropped lines). */
  delivered?(info: LineInfo, at: number): void;
}

/** A line longer than this without a newline is forwarded as if it were one (a peer off-contract). */
const MAX_LINE = 1 << 20;
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

  private constructor(private readonly opts: LinkProxyOptions) {
    this.upstreamPort = opts.upstreamPort;
    this.server = net.createServer({ pauseOnConnect: true, noDelay: true }, (s) => this.accept(s));
  }

  static async open(opts: LinkProxyOptions): Promise<LinkProxy> {
    const p = new LinkProxy(opts);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen({ host: '127.0.0.1', port: 0, backlog: 128 }, () => resolve());
    });
    p.port = (p.server.address() as net.AddressInfo).port;
    return p;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
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
    for (const w of this.waiters.splice(0)) w();
    this.track(down);
    const up = net.connect({ host: '127.0.0.1', port: this.upstreamPort, noDelay: true });
    this.track(up);
    let joined = false;
    up.once('connect', () => {
      joined = true;
      pipeLines(down, up, this.opts.from, this.opts.to, this.opts);
      pipeLines(up, down, this.opts.to, this.opts.from, this.opts);
      down.resume();
    });
    up.once('error', () => {
      // The receiver is down or refused: the sender sees its connection reset, as it would.
      if (!joined) this.refused++;
      abort(down);
    });
    down.once('error', () => {
      abort(up);
    });
  }

  /** Reset every open connection of this link (a peer died, or the test is over). */
  resetAll(): void {
    for (const s of this.sockets) abort(s);
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Close with a reset (RST), as a dead peer's connection would be — unless the socket is already
 * half-closed or still connecting: Node 20 spins at full CPU forever when such a socket is reset,
 * and there is nothing left to reset anyway.
 */
function abort(s: net.Socket): void {
  if (s.destroyed) return;
  if (s.connecting || s.writableEnded || s.readableEnded) s.destroy();
  else s.resetAndDestroy();
}

/**
 * Forward `src` to `dst` line by line, through the policy. Order is kept: a line is written only
 * after every line before it (a later line never overtakes a held one). FIN is passed on after
 * the last line; a reset on one side resets the other.
 */
function pipeLines(src: net.Socket, dst: net.Socket, sender: string, receiver: string, opts: LinkProxyOptions): void {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const queue: Array<{ info: LineInfo; dueAt: number }> = [];
  let queuedBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  let lastDue = 0;

  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0].dueAt <= now + 1) {
      const { info } = queue.shift()!;
      queuedBytes -= info.line.length;
      if (dst.destroyed) continue;
      const ok = dst.write(info.line);
      opts.delivered?.(info, performance.now());
      if (!ok) src.pause();
    }
    if (queuedBytes < MAX_QUEUED && !dst.writableNeedDrain && src.isPaused() && !src.destroyed) src.resume();
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0].dueAt - performance.now()));
    else if (ended && !dst.destroyed) dst.end();
  };

  const onLine = (line: Buffer) => {
    const info: LineInfo = { sender, receiver, line, at: performance.now() };
    const v = opts.decide(info);
    if (v.drop) return;
    // Never earlier than the line before it: latency may change while lines are held.
    const dueAt = Math.max(info.at + v.delayMs, lastDue);
    lastDue = dueAt;
    queue.push({ info, dueAt });
    queuedBytes += line.length;
    if (queuedBytes >= MAX_QUEUED) src.pause();
    if (!timer) timer = setTimeout(flush, Math.max(0, dueAt - performance.now()));
  };

  src.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, i + 1);
      const line = pendingLen ? Buffer.concat([...pending, piece]) : Buffer.from(piece);
      pending = [];
      pendingLen = 0;
      onLine(line);
      start = i + 1;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLen += chunk.length - start;
      if (pendingLen > MAX_LINE) {
        const line = Buffer.concat(pending);
        pending = [];
        pendingLen = 0;
        onLine(line);
      }
    }
  });
  dst.on('drain', () => {
    if (queuedBytes < MAX_QUEUED && src.isPaused() && !src.destroyed) src.resume();
  });
  src.once('end', () => {
    // A last line without its newline is still passed on.
    if (pendingLen) onLine(Buffer.concat(pending));
    pending = [];
    pendingLen = 0;
    ended = true;
    if (!queue.length && !timer && !dst.destroyed) dst.end();
  });
  src.once('close', (hadError) => {
    // A clean end still delivers the held lines (flush ends dst after the last one); a reset
    // throws them away and resets the other side, as a dead peer's connection would.
    if (ended && !hadError) return;
    if (timer) clearTimeout(timer);
    queue.length = 0;
    if (!dst.destroyed) {
      if (hadError) abort(dst);
      else dst.destroy();
    }
  });
}
