// The student's server during a grade: started on a free port, waited for until it listens,
// restarted (on a fresh port) if it died, stopped for good at the end. Every start and exit is
// recorded for the report; startup failures come back as sentences a student can act on.
import type { ProgramStart } from '../results/schema.js';
import { HeadTail, stderrExcerpt } from '../run/output.js';
import type { Confinement } from '../run/sandbox.js';
import { commandLine, RunningProcess } from '../run/process.js';
import { freePort } from '../run/ports.js';
import { waitForPort } from '../run/readiness.js';

export interface ServerOptions {
  command: string;
  /** The assignment's argument template; "{port}" and "{files}" are replaced. */
  args: string[];
  /** The grade's copy of the assignment's files folder, for "{files}". */
  files?: string;
  cwd: string;
  env: Record<string, string>;
  startupTimeoutMs: number;
  /** performance.now() of the grade's start; times in the report are relative to it. */
  t0: number;
  /** The sandbox and limits every start runs under. */
  confinement?: Confinement;
}

export type StartOutcome = { ok: true } | { ok: false; message: string; hint: string };

export class ServerUnderTest {
  readonly stdout = new HeadTail();
  readonly stderr = new HeadTail();
  readonly starts: ProgramStart[] = [];
  private proc: RunningProcess | undefined;
  private lastProc: RunningProcess | undefined;
  port = 0;

  constructor(private readonly opts: ServerOptions) {}

  get running(): boolean {
    return !!this.proc?.running;
  }
  get pid(): number {
    return this.proc?.pid ?? -1;
  }
  get startNumber(): number {
    return this.starts.length;
  }

  private rel(t: number): number {
    return Math.round(t - this.opts.t0);
  }

  async start(forTest: string | undefined, signal?: AbortSignal): Promise<StartOutcome> {
    this.port = await freePort();
    const args = this.opts.args.map((a) => a.replaceAll('{port}', String(this.port)).replaceAll('{files}', this.opts.files ?? '{files}'));
    // A separator line, so the report's captured output shows which start printed what.
    if (this.starts.length) this.stderr.push(Buffer.from(`\n[sockgrade] --- restart #${this.starts.length} ---\n`));
    const proc = RunningProcess.start({ command: this.opts.command, args, cwd: this.opts.cwd, env: this.opts.env, confinement: this.opts.confinement, stdout: this.stdout, stderr: this.stderr });
    this.proc = proc;
    const record: ProgramStart = {
      pid: proc.pid,
      port: this.port,
      command: commandLine(this.opts.command, args),
      startedAtMs: this.rel(proc.startedAt),
      ...(forTest ? { startedForTest: forTest } : {}),
      ready: false,
    };
    this.starts.push(record);
    void proc.exited.then((e) => {
      record.exit ??= { code: e.code, signal: e.signal, stoppedByGrader: proc.isStopping, atMs: this.rel(e.atMs) };
    });
    this.lastProc = proc;
    const ready = await waitForPort(proc, this.port, this.opts.startupTimeoutMs, signal);
    if (ready.status === 'ready') {
      record.ready = true;
      return { ok: true };
    }
    const stop = await proc.stop();
    record.cleanup = stop.summary;
    const limit = proc.limitHit();
    if (limit && record.exit) record.exit.limit = limit;
    // A program stuck at a limit (a fork bomb) never listens: say which limit, not only the timeout.
    const stderrNote = (limit && ready.status !== 'exited' ? ` It ran into a limit: ${limit}.` : '') + stderrExcerpt(this.stderr.lastLines(8));
    const secs = this.opts.startupTimeoutMs / 1000;
    switch (ready.status) {
      case 'exited': {
        return {
          ok: false,
          message: `your program ${proc.describeEnd()} before listening on port ${this.port} (started as: ${record.command}).${stderrNote}`,
          hint: 'A server must keep running. Run the command above yourself in your submission folder and read the error.',
        };
      }
      case 'timeout':
        if (ready.otherPorts?.length) {
          const where = ready.otherPorts.map((p) => `${p.address}:${p.port}`).join(', ');
          return {
            ok: false,
            message: `nothing listened on 127.0.0.1:${this.port} after ${secs} s; your program is listening on ${where} instead.${stderrNote}`,
            hint: `Use the port given by the --port argument (here ${this.port}) instead of a fixed one.`,
          };
        }
        return {
          ok: false,
          message: `nothing listened on 127.0.0.1:${this.port} after ${secs} s (started as: ${record.command}).${stderrNote}`,
          hint: 'Did you use the --port argument, bind to 127.0.0.1 (or 0.0.0.0) and call listen()? Is the program stuck before it gets there?',
        };
      case 'aborted':
        return { ok: false, message: 'grading was interrupted while the program was starting', hint: '' };
    }
  }

  /** Note an exit during a test (the report says which test the program died in). */
  exitDuring(testId: string): ProgramStart['exit'] | undefined {
    const last = this.starts[this.starts.length - 1];
    if (last?.exit && !last.exit.stoppedByGrader) {
      last.exit.duringTest ??= testId;
      const limit = this.lastProc?.limitHit();
      if (limit) last.exit.limit = limit;
      return last.exit;
    }
    return undefined;
  }

  /** After a test that lost connections: let a dying server finish dying (see RunningProcess.settle). */
  async settle(maxMs: number): Promise<void> {
    await this.proc?.settle(maxMs);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    const last = this.starts[this.starts.length - 1];
    const report = await p.stop();
    if (last) last.cleanup = report.summary;
    const limit = p.limitHit();
    if (last?.exit && limit) last.exit.limit = limit;
  }
}
