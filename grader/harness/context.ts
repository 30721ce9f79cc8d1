// What a test of an assignment holds: the program's address, seeded randomness, connections
// that record a transcript, a log, and its deadline. Tests are written only against this.
import { TcpClient } from '../net/tcp-client.js';
import { Transcript } from '../net/transcript.js';
import { randomBuffer, randomWord, seededRandom, type Random } from './random.js';
import { fail, type FailureDetails } from './failure.js';

/** What a test may know about the student's server process. */
export interface ProgramView {
  /** Counts starts of the program in this grade; a change means it was restarted. */
  readonly startNumber: number;
  readonly running: boolean;
  readonly pid: number;
}

export interface TestContext {
  readonly testId: string;
  /** Where the student's server listens. */
  readonly target: { host: string; port: number };
  readonly seed: string;
  readonly random: Random;
  readonly transcript: Transcript;
  /** Aborted when the test's deadline passes or grading is interrupted. */
  readonly signal: AbortSignal;
  readonly program: ProgramView;
  /** Milliseconds left before the test's deadline. */
  remainingMs(): number;
  /** Open a connection to the server; named c1, c2, ... in the transcript; closed when the test ends. */
  connect(opts?: { name?: string; timeoutMs?: number }): Promise<TcpClient>;
  /** A line for the report (what the test is doing, a measurement). */
  log(line: string): void;
  /** A random key unique to this test (and replayable from the seed). */
  key(prefix?: string): string;
  randomBytes(n: number): Buffer;
  fail(message: string, details?: FailureDetails): never;
  /** Partial credit: the test passes with this fraction of its points unless it fails outright. */
  award(fraction: number, message: string): void;
}

export interface ContextInit {
  testId: string;
  seed: string;
  target: { host: string; port: number };
  deadlineAt: number;
  signal: AbortSignal;
  program: ProgramView;
}

export class TestContextImpl implements TestContext {
  readonly transcript = new Transcript();
  readonly random: Random;
  readonly logLines: string[] = [];
  readonly clients: TcpClient[] = [];
  awarded: { fraction: number; message: string } | undefined;
  private connectFailed = false;
  private connCount = 0;
  private keyCount = 0;

  constructor(private readonly init: ContextInit) {
    this.random = seededRandom(init.seed, init.testId);
  }

  get testId() {
    return this.init.testId;
  }
  get target() {
    return this.init.target;
  }
  get seed() {
    return this.init.seed;
  }
  get signal() {
    return this.init.signal;
  }
  get program() {
    return this.init.program;
  }

  remainingMs(): number {
    return Math.max(0, this.init.deadlineAt - performance.now());
  }

  async connect(opts: { name?: string; timeoutMs?: number } = {}): Promise<TcpClient> {
    const name = opts.name ?? `c${++this.connCount}`;
    try {
      const c = await TcpClient.connect({
        ...this.init.target,
        name,
        transcript: this.transcript,
        timeoutMs: Math.min(opts.timeoutMs ?? 2000, Math.max(1, this.remainingMs())),
        signal: this.init.signal,
      });
      this.clients.push(c);
      return c;
    } catch (e) {
      this.connectFailed = true;
      return fail(`could not open connection ${name}: ${(e as Error).message}`, {
        hint: 'Is your server still running and listening on the port given with --port? Does it keep accepting new connections?',
      });
    }
  }

  log(line: string): void {
    this.logLines.push(line);
  }

  key(prefix = 'key'): string {
    return `${prefix}:${randomWord(this.random, 6)}:${++this.keyCount}`;
  }

  randomBytes(n: number): Buffer {
    return randomBuffer(this.random, n);
  }

  fail(message: string, details?: FailureDetails): never {
    return fail(message, details);
  }

  award(fraction: number, message: string): void {
    this.awarded = { fraction: Math.max(0, Math.min(1, fraction)), message };
  }

  /** A connection was refused, closed or reset by the server: a hint that it may be dying. */
  get sawConnectionLoss(): boolean {
    return this.connectFailed || this.clients.some((c) => c.peerClosed !== undefined);
  }

  closeAll(): void {
    for (const c of this.clients) c.close();
  }
}
