// A TCP client for tests: every byte sent and received goes into the transcript with its time;
// reads take a parser and a deadline and say exactly how they ended (complete, timed out with
// partial bytes, closed, reset, invalid); writes can be cut into chunks with pacing between them.
import { resetSocket } from './reset.js';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { chunk, type Chunking } from './chunking.js';
import type { Transcript } from './transcript.js';

/** What a frame parser says about the bytes at the front of the buffer. */
export type ParseStep<T> =
  | { status: 'complete'; value: T; length: number }
  | { status: 'incomplete' }
  | { status: 'invalid'; reason: string; offset: number };

export type Parser<T> = (buf: Buffer) => ParseStep<T>;

/** How a read ended. `raw` is the bytes of the frame (complete) or what had arrived (otherwise). */
export type ReadOutcome<T> =
  | { status: 'complete'; value: T; raw: Buffer }
  | { status: 'timeout'; raw: Buffer }
  | { status: 'closed'; raw: Buffer; reset: boolean }
  | { status: 'invalid'; raw: Buffer; reason: string; offset: number };

export interface ConnectOptions {
  host: string;
  port: number;
  /** Name in the transcript: c1, c2, ... */
  name: string;
  transcript: Transcript;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  chunking?: Chunking;
  /** Pause between chunks, so the pieces really arrive in separate segments. */
  pauseMs?: number;
}

export class ConnectError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * The most a connection holds unread: past it the grader stops reading (TCP flow control then
 * holds the server back), and a read still waiting for a complete frame ends as invalid. A
 * server that streams without end costs the grader this much memory, never more.
 */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export class TcpClient {
  /** Unread bytes: a view of `store`, which grows by doubling (a stream that never completes a frame is not copied once per chunk). */
  private buf: Buffer = Buffer.alloc(0);
  private store: Buffer = Buffer.alloc(0);
  /** The socket was paused because MAX_BUFFERED_BYTES arrived unread. */
  private full = false;
  private waiters: Array<() => void> = [];
  /** Set once the peer closed (FIN) or reset the connection. */
  peerClosed: { reset: boolean; error?: string } | undefined;
  private localClosed = false;

  private constructor(
    readonly socket: net.Socket,
    readonly name: string,
    private readonly transcript: Transcript,
  ) {
    socket.on('data', (d: Buffer) => {
      transcript.bytes(name, 'recv', d);
      this.append(d);
      if (this.buf.length >= MAX_BUFFERED_BYTES) {
        this.full = true;
        socket.pause();
      }
      this.wake();
    });
    socket.on('end', () => {
      if (!this.peerClosed) {
        this.peerClosed = { reset: false };
        transcript.event(name, 'close', 'the server closed the connection');
      }
      this.wake();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (this.localClosed) return;
      const reset = e.code === 'ECONNRESET' || e.code === 'EPIPE';
      if (!this.peerClosed) {
        this.peerClosed = { reset, error: e.code ?? e.message };
        transcript.event(name, reset ? 'reset' : 'error', reset ? 'the server reset the connection' : `socket error: ${e.code ?? e.message}`);
      }
      this.wake();
    });
    socket.on('close', () => {
      if (!this.peerClosed && !this.localClosed) this.peerClosed = { reset: false };
      this.wake();
    });
  }

  static connect(opts: ConnectOptions): Promise<TcpClient> {
    const timeoutMs = opts.timeoutMs ?? 2000;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port });
      socket.setNoDelay(true);
      const fail = (msg: string, code?: string) => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        opts.transcript.event(opts.name, 'error', msg);
        reject(new ConnectError(msg, code));
      };
      const onAbort = () => fail('connect aborted: the test ended');
      const timer = setTimeout(() => fail(`could not connect to ${opts.host}:${opts.port} within ${timeoutMs} ms`, 'ETIMEDOUT'), timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', (e: NodeJS.ErrnoException) =>
        fail(
          e.code === 'ECONNREFUSED'
            ? `connection to ${opts.host}:${opts.port} refused: nothing is listening there (did the server exit?)`
            : `could not connect to ${opts.host}:${opts.port}: ${e.code ?? e.message}`,
          e.code,
        ),
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        socket.removeAllListeners('error');
        opts.transcript.event(opts.name, 'connect', `connected to ${opts.host}:${opts.port}`);
        resolve(new TcpClient(socket, opts.name, opts.transcript));
      });
    });
  }

  /** Bytes received and not yet consumed by a read. */
  get buffered(): Buffer {
    return this.buf;
  }

  private append(d: Buffer): void {
    if (!this.buf.length) {
      this.buf = d;
      return;
    }
    const start = this.buf.byteOffset - this.store.byteOffset;
    const inStore = this.buf.buffer === this.store.buffer && start >= 0 && start + this.buf.length === this.store.length - this.free;
    if (inStore && this.free >= d.length) {
      d.copy(this.store, start + this.buf.length);
      this.free -= d.length;
      this.buf = this.store.subarray(start, start + this.buf.length + d.length);
      return;
    }
    const size = this.buf.length + d.length;
    const store = Buffer.allocUnsafe(Math.max(size * 2, 64 * 1024));
    this.buf.copy(store, 0);
    d.copy(store, this.buf.length);
    this.store = store;
    this.free = store.length - size;
    this.buf = store.subarray(0, size);
  }

  /** Room left at the end of `store`. */
  private free = 0;

  /** Write, optionally in chunks; resolves once every chunk was handed to the kernel. */
  async write(data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const pieces = chunk(bytes, opts.chunking);
    for (let i = 0; i < pieces.length; i++) {
      if (this.peerClosed || this.socket.destroyed) return;
      if (i > 0 && opts.pauseMs) await delay(opts.pauseMs);
      this.transcript.bytes(this.name, 'send', pieces[i]);
      await new Promise<void>((resolve) => {
        // Resolve on error too: the failure shows up as peerClosed and in the transcript.
        this.socket.write(pieces[i], () => resolve());
      });
    }
  }

  /** Read one frame with `parse`, waiting at most `timeoutMs` for it to be complete. */
  async read<T>(parse: Parser<T>, timeoutMs: number): Promise<ReadOutcome<T>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.buf.length) {
        const step = parse(this.buf);
        if (step.status === 'complete') {
          const raw = this.buf.subarray(0, step.length);
          this.buf = this.buf.subarray(step.length);
          if (this.full && this.buf.length < MAX_BUFFERED_BYTES) {
            this.full = false;
            this.socket.resume();
          }
          return { status: 'complete', value: step.value, raw };
        }
        if (step.status === 'invalid') return { status: 'invalid', raw: this.buf, reason: step.reason, offset: step.offset };
        if (this.full)
          return { status: 'invalid', raw: this.buf, reason: `more than ${MAX_BUFFERED_BYTES / 1024 / 1024} MiB arrived without a complete answer (the grader reads no more than that)`, offset: this.buf.length };
      }
      if (this.peerClosed) return { status: 'closed', raw: this.buf, reset: this.peerClosed.reset };
      const left = deadline - performance.now();
      if (left <= 0 || !(await this.change(left))) return { status: 'timeout', raw: this.buf };
    }
  }

  /** Wait until the server closes or resets the connection. */
  async waitClosed(timeoutMs: number): Promise<'closed' | 'reset' | 'timeout'> {
    const deadline = performance.now() + timeoutMs;
    while (!this.peerClosed) {
      const left = deadline - performance.now();
      if (left <= 0 || !(await this.change(left))) return 'timeout';
    }
    return this.peerClosed.reset ? 'reset' : 'closed';
  }

  /**
   * Half-close: send FIN, keep reading. With `data`, the last bytes and the FIN leave together
   * (one segment, as a client that writes and shuts down at once sends them), so whether the
   * server sees them in one read does not depend on the machine's load.
   */
  end(data?: Buffer | string): void {
    if (data !== undefined) this.transcript.bytes(this.name, 'send', Buffer.from(data));
    this.transcript.event(this.name, 'end', 'client shut down its sending side (FIN)');
    if (data === undefined) this.socket.end();
    else this.socket.end(data);
  }

  /** Abort with a TCP RST, as a crashed or killed client would. */
  reset(): void {
    this.localClosed = true;
    if (this.peerClosed) this.socket.destroy();
    // A socket already shutting down is only closed (resetSocket says why).
    else if (resetSocket(this.socket) === 'reset') return this.transcript.event(this.name, 'reset', 'client reset the connection (RST)');
    this.transcript.event(this.name, 'close', 'client closed (the connection was already closed; no reset possible)');
  }

  /** Close quietly (the end of a test); not recorded unless the connection was still open. */
  close(): void {
    if (this.localClosed) return;
    this.localClosed = true;
    this.socket.destroy();
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves true when something happens on the socket, false after `ms` of nothing. */
  private change(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== onWake);
        resolve(false);
      }, ms);
      const onWake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(onWake);
    });
  }
}
