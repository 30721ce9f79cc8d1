// What a test of an assignment holds: the program's address, seeded randomness, connections
// that record a transcript, a log, and its deadline. Tests are written only against this.
import type { Figure } from '../results/schema.js';
import type { Cluster, ClusterSpec } from '../peers/cluster.js';
import type { ClusterPool } from '../peers/pool.js';
import { TcpClient } from '../net/tcp-client.js';
import { Transcript } from '../net/transcript.js';
import { randomBuffer, randomWord, seededRandom, type Random } from './random.js';
import { fail, failTiming, type FailureDetails, type TimingFailure } from './failure.js';

/** What a test may know about the student's server process. */
export interface ProgramView {
  /** Counts starts of the program in this grade; a change means it was restarted. */
  readonly startNumber: number;
  readonly running: boolean;
  readonly pid: number;
}

export type { PeerSpec, PeerProcess, StartPeer } from '../peers/scope.js';

/** How a run of the student's program ended (client assignments). */
export interface RunResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  /** Stopped by the grader at the deadline. */
  timedOut: boolean;
  durationMs: number;
  /** The limit this run ran into, as a sentence. */
  limit?: string;
  stdout: string;
  stderr: string;
}


export interface TestContext {
  readonly testId: string;
  /** Where the student's server listens (server assignments). */
  readonly target: { host: string; port: number };
  readonly seed: string;
  readonly random: Random;
  readonly transcript: Transcript;
  /** Aborted when the test's deadline passes or grading is interrupted. */
  readonly signal: AbortSignal;
  readonly program: ProgramView;
  /**
   * The grade's copy of the assignment's `files` folder (what the program was given through
   * "{files}"): read the expected contents from here. Undefined when the assignment has none.
   */
  readonly files: string | undefined;
  /**
   * The server's own folder ("{dir}" in its arguments: a file server's root), made new for each
   * start and writable by it alone: put the files a test needs there, read what it wrote.
   */
  readonly folder: string;
  /**
   * Run the student's program with these arguments appended and wait for it to exit (client
   * assignments). The run is stopped at `timeoutMs` (default: the assignment's run timeout) and
   * the result says so; it is also cut short by the test's own deadline.
   */
  run(args: string[], opts?: { timeoutMs?: number }): Promise<RunResult>;
  /** Milliseconds left before the test's deadline. */
  remainingMs(): number;
  /**
   * Give the test `ms` more before its deadline: for setup the student's program is not judged
   * on (starting 25 peers on a busy machine), never for waiting on the program.
   */
  extendDeadline(ms: number): void;
  /** Open a connection to the server; named c1, c2, ... in the transcript; closed when the test ends. */
  connect(opts?: { name?: string; timeoutMs?: number }): Promise<TcpClient>;
  /**
   * Start the student's peers wired as `spec.topology`, every link through the grader's proxy
   * (peers assignments). Stopped when the test ends, unless the next test shares them.
   */
  cluster(spec: ClusterSpec): Promise<Cluster>;
  /** A picture for the report (drawn by the HTML report). */
  figure(f: Figure): void;
  /** A line for the report (what the test is doing, a measurement). */
  log(line: string): void;
  /** Record a measurement (e.g. commands per second) for the assignment's leaderboard. */
  metric(name: string, value: number): void;
  /** Run `fn` when the test ends, however it ends (close an instrument the test started). */
  defer(fn: () => unknown): void;
  /** A random key unique to this test (and replayable from the seed). */
  key(prefix?: string): string;
  randomBytes(n: number): Buffer;
  fail(message: string, details?: FailureDetails): never;
  /**
   * Fail because a measured time or rate missed its bound. Say whether every answer was right
   * (or pass the check that says so): the report then tells "too slow" from "wrong".
   */
  failTiming(f: TimingFailure): never;
  /** Partial credit: the test passes with this fraction of its points unless it fails outright. */
  award(fraction: number, message: string): void;
}

export interface ContextInit {
  testId: string;
  seed: string;
  deadlineAt: number;
  /** Moves the deadline later (the grader's own setup time is not the student's). */
  extendDeadline?: (ms: number) => void;
  signal: AbortSignal;
  /** A server assignment: where it listens, and its process. */
  server?: { target: { host: string; port: number }; program: ProgramView; folder?: string };
  /** A client assignment: how to run it. */
  runProgram?: (args: string[], timeoutMs?: number) => Promise<RunResult>;
  /** A peers assignment: where its clusters come from. */
  clusters?: ClusterPool;
  /** The grade's copy of the assignment's `files` folder. */
  files?: string;
}

export class TestContextImpl implements TestContext {
  readonly transcript = new Transcript();
  readonly random: Random;
  readonly logLines: string[] = [];
  readonly metrics: Record<string, number> = {};
  readonly figures: Figure[] = [];
  readonly clients: TcpClient[] = [];
  private readonly deferred: Array<() => unknown> = [];
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
    if (!this.init.server) throw new Error('this assignment\'s program is not a server: there is no target to connect to (use t.run)');
    return this.init.server.target;
  }
  get seed() {
    return this.init.seed;
  }
  get signal() {
    return this.init.signal;
  }
  get files() {
    return this.init.files;
  }
  get folder() {
    if (!this.init.server?.folder) throw new Error('this assignment\'s server has no folder of its own: put "{dir}" in program.args');
    return this.init.server.folder;
  }
  get program() {
    if (!this.init.server) throw new Error('this assignment\'s program is not a server (use t.run)');
    return this.init.server.program;
  }

  async run(args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
    if (!this.init.runProgram) throw new Error('this assignment\'s program is a server: it is started by the grader, not by tests');
    // Never past the test's own deadline (with room left to report on the run).
    const timeoutMs = Math.max(1, Math.min(opts.timeoutMs ?? Infinity, this.remainingMs() - 200));
    this.transcript.event('program', 'note', `run: ${args.join(' ')}`);
    const r = await this.init.runProgram(args, Number.isFinite(timeoutMs) ? timeoutMs : undefined);
    this.transcript.event(
      'program',
      'note',
      r.timedOut ? `still running after ${timeoutMs} ms: stopped` : `exited with ${r.signal ? `signal ${r.signal}` : `code ${r.exitCode}`} after ${r.durationMs} ms`,
    );
    return r;
  }

  remainingMs(): number {
    return Math.max(0, this.init.deadlineAt - performance.now());
  }

  extendDeadline(ms: number): void {
    if (!(ms > 0)) return;
    this.init.deadlineAt += ms;
    this.init.extendDeadline?.(ms);
  }

  async connect(opts: { name?: string; timeoutMs?: number } = {}): Promise<TcpClient> {
    const name = opts.name ?? `c${++this.connCount}`;
    try {
      const c = await TcpClient.connect({
        ...this.target,
        name,
        transcript: this.transcript,
        timeoutMs: Math.min(opts.timeoutMs ?? 2000, Math.max(1, this.remainingMs())),
        signal: this.init.signal,
      });
      this.clients.push(c);
      return c;
    } catch (e) {
      this.connectFailed = true;
      const open = this.clients.filter((c) => c.peerClosed === undefined).length;
      // Diagnose from what is known: a server that is still running but lets connections wait
      // is not "down" (a small listen backlog filled by a server that serves one client at a time).
      const alive = this.init.server?.program.running;
      return fail(`could not open connection ${name}: ${(e as Error).message}${alive ? ` (your server is still running${open ? `, with ${open} ${open === 1 ? 'connection' : 'connections'} of this test open` : ''})` : ''}`, {
        hint: alive
          ? 'Your server is running but did not accept this connection in time: does it accept new connections while it serves others (not one client at a time), and is its listen() backlog large enough (at least 64)?'
          : 'Is your server still running and listening on the port given with --port? Does it keep accepting new connections?',
      });
    }
  }

  async cluster(spec: ClusterSpec): Promise<Cluster> {
    if (!this.init.clusters) throw new Error('this assignment\'s program is not peers: there is no cluster to start');
    return this.init.clusters.acquire(spec, this);
  }

  figure(f: Figure): void {
    this.figures.push(f);
  }

  log(line: string): void {
    this.logLines.push(line);
  }

  metric(name: string, value: number): void {
    if (Number.isFinite(value)) this.metrics[name] = value;
  }

  defer(fn: () => unknown): void {
    this.deferred.push(fn);
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

  failTiming(f: TimingFailure): never {
    return failTiming(f);
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
    for (const f of this.deferred.splice(0)) {
      try {
        void Promise.resolve(f()).catch(() => undefined);
      } catch {
        /* cleanup must not turn a result into an error */
      }
    }
  }
}
