// The student's program as a client: each test runs it with its own arguments and reads its
// exit code, output and timing. Every run is recorded for the report, and a run that does not
// exit in time is stopped (SIGTERM, then SIGKILL) and says so.
import type { ProgramStart, TestResult } from '../results/schema.js';
import type { Aftermath, ProgramUnderTest, Readiness } from './program.js';
import type { RunResult } from '../harness/context.js';

export type { RunResult };
import { HeadTail } from '../run/output.js';
import type { Confinement } from '../run/sandbox.js';
import { commandLine, RunningProcess } from '../run/process.js';

export interface ClientOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  runTimeoutMs: number;
  t0: number;
  /** The sandbox and limits every start runs under. */
  confinement?: Confinement;
}

// Every check runs a new process: there is no history to carry from one test to the next, so
// getting ready and finishing are no-ops.
export class ClientRunner implements ProgramUnderTest {
  readonly role = 'client' as const;
  /** Everything every run printed, for the report's program section. */
  readonly stdout = new HeadTail();
  readonly stderr = new HeadTail();
  readonly starts: ProgramStart[] = [];

  constructor(private readonly opts: ClientOptions) {}

  async run(args: string[], forTest: string, timeoutMs = this.opts.runTimeoutMs): Promise<RunResult> {
    const out = new HeadTail();
    const err = new HeadTail();
    const command = commandLine(this.opts.command, args);
    this.stderr.push(Buffer.from(`[sockgrade] --- ${forTest}: ${command}\n`));
    const proc = RunningProcess.start({ command: this.opts.command, args, cwd: this.opts.cwd, env: this.opts.env, confinement: this.opts.confinement, stdout: out, stderr: err });
    const record: ProgramStart = { pid: proc.pid, command, startedAtMs: Math.round(proc.startedAt - this.opts.t0), startedForTest: forTest, ready: true };
    this.starts.push(record);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.min(timeoutMs, this.opts.runTimeoutMs))));
    const winner = await Promise.race([proc.exited.then(() => 'exited' as const), deadline]);
    clearTimeout(timer);
    // Stop whatever is left (the program, or children it left behind) before reading the output.
    const stop = await proc.stop();
    const exit = proc.exit ?? { code: null, signal: null, atMs: performance.now() };
    record.exit = { code: exit.code, signal: exit.signal, stoppedByGrader: winner === 'timeout', atMs: Math.round(exit.atMs - this.opts.t0), duringTest: forTest };
    record.cleanup = stop.summary;
    const limit = proc.limitHit();
    if (limit) record.exit.limit = limit;
    const stdout = out.snapshot();
    const stderr = err.snapshot();
    this.stdout.push(Buffer.from(stdout.head + stdout.tail));
    this.stderr.push(Buffer.from(stderr.head + stderr.tail));
    return {
      command,
      exitCode: winner === 'timeout' ? null : exit.code,
      signal: winner === 'timeout' ? null : exit.signal,
      timedOut: winner === 'timeout',
      durationMs: Math.round(exit.atMs - proc.startedAt),
      ...(limit ? { limit } : {}),
      stdout: stdout.droppedBytes ? `${stdout.head}\n… ${stdout.droppedBytes} bytes dropped …\n${stdout.tail}` : stdout.head + stdout.tail,
      stderr: stderr.droppedBytes ? `${stderr.head}\n… ${stderr.droppedBytes} bytes dropped …\n${stderr.tail}` : stderr.head + stderr.tail,
    };
  }

  async prepare(): Promise<Readiness> {
    return { ok: true };
  }

  contextFor(testId: string): { runProgram: (args: string[], timeoutMs?: number) => Promise<RunResult> } {
    return { runProgram: (args, timeoutMs) => this.run(args, testId, timeoutMs) };
  }

  async finish(_result: TestResult): Promise<Aftermath> {
    return {};
  }

  async stop(): Promise<void> {
    /* each run was stopped when it ended */
  }
}
