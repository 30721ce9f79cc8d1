// The student's server during a grade: started on a free port, waited for until it listens,
// probed after every test (the assignment's liveness request), started again (on a fresh port)
// when it died, hung or was stopped, stopped for good at the end. Every start, exit and restart
// is recorded for the report; startup failures come back as sentences a student can act on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Liveness } from '../assignment/definition.js';
import type { ProgramStart, TestResult } from '../results/schema.js';
import { answersOnce, probeHealth, type Health } from '../run/liveness.js';
import { HeadTail, stderrExcerpt } from '../run/output.js';
import type { Confinement } from '../run/sandbox.js';
import { commandLine, describeExit, RunningProcess } from '../run/process.js';
import { freePort, freeUdpPort } from '../run/ports.js';
import { waitForPort, type Transport } from '../run/readiness.js';
import { isBoundUdp, isListening } from '../run/procfs.js';
import type { Aftermath, ProgramUnderTest, Readiness } from './program.js';

export interface ServerOptions {
  command: string;
  /** The assignment's argument template; "{port}" and "{files}" are replaced. */
  args: string[];
  /** The grade's copy of the assignment's files folder, for "{files}". */
  files?: string;
  cwd: string;
  env: Record<string, string>;
  startupTimeoutMs: number;
  /** The probe after each test (default: an accepted connection); false: none (to measure what it costs). */
  liveness?: Liveness | false;
  /** performance.now() of the grade's start; times in the report are relative to it. */
  t0: number;
  /** The sandbox and limits every start runs under. */
  confinement?: Confinement;
  transport?: Transport;
}

export type StartOutcome = { ok: true } | { ok: false; message: string; hint: string };

const STDERR_LINES_IN_MESSAGE = 8;

export class ServerUnderTest implements ProgramUnderTest {
  readonly role = 'server' as const;
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

  /** What the probe after the last test found; undefined before the first test. */
  private health: Health | undefined;
  /**
   * Whether the program answered the liveness request when it first started: one that did not
   * may not implement it (a starter, a broken parser), and its silence says nothing about a
   * hang, so an accepted connection is all that is asked of it (never a restart per test).
   */
  private probeAnswered: boolean | undefined;
  /** The test that ran last (where a death or a hang found after it happened). */
  private lastTest: string | undefined;
  /** The current start's own folder ("{dir}"). */
  private folder: string | undefined;

  private removeFolder(): void {
    if (this.folder) fs.rmSync(path.dirname(this.folder), { recursive: true, force: true });
    this.folder = undefined;
  }

  private get transport(): Transport {
    return this.opts.transport ?? 'tcp';
  }

  async start(forTest: string | undefined, signal?: AbortSignal, restart?: ProgramStart['restart']): Promise<StartOutcome> {
    this.port = this.transport === 'udp' ? await freeUdpPort() : await freePort();
    // "{dir}": a folder of its own for each start, writable by it alone (a file server's root);
    // the tests put files there and read what it wrote (t.folder). It sits in a folder of its own
    // that the program sees too (writable: a server that escapes its root can be caught doing it),
    // so a test can put a file beside the root, where `../` leads, and see whether it leaks.
    this.removeFolder();
    if (this.opts.args.some((a) => a.includes('{dir}'))) {
      this.folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-server-')), 'root');
      fs.mkdirSync(this.folder);
    }
    const args = this.opts.args.map((a) => a.replaceAll('{port}', String(this.port)).replaceAll('{files}', this.opts.files ?? '{files}').replaceAll('{dir}', this.folder ?? '{dir}'));
    // A separator line, so the report's captured output shows which start printed what.
    if (this.starts.length) this.stderr.push(Buffer.from(`\n[sockgrade] --- restart #${this.starts.length} ---\n`));
    const confinement = this.folder ? this.opts.confinement?.withFolder(path.dirname(this.folder)) : this.opts.confinement;
    const proc = RunningProcess.start({ command: this.opts.command, args, cwd: this.opts.cwd, env: this.opts.env, confinement, stdout: this.stdout, stderr: this.stderr });
    this.proc = proc;
    const record: ProgramStart = {
      pid: proc.pid,
      port: this.port,
      command: commandLine(this.opts.command, args),
      startedAtMs: this.rel(proc.startedAt),
      ...(forTest ? { startedForTest: forTest } : {}),
      ...(restart ? { restart } : {}),
      ready: false,
    };
    this.starts.push(record);
    this.health = undefined;
    void proc.exited.then((e) => {
      record.exit ??= { code: e.code, signal: e.signal, stoppedByGrader: proc.stoppedByGrader, atMs: this.rel(e.atMs) };
    });
    this.lastProc = proc;
    const ready = await waitForPort(proc, this.port, this.opts.startupTimeoutMs, signal, this.transport);
    if (ready.status === 'ready') {
      record.ready = true;
      const l = this.opts.liveness;
      if (l && l.send && this.probeAnswered === undefined) {
        this.probeAnswered = await answersOnce(this.port, l, this.transport);
        // The probe itself took it down: never send it again, and start it afresh for the test.
        if (!this.probeAnswered && (await proc.settle(200), !proc.running)) {
          await proc.stop();
          return this.start(forTest, signal, { reason: 'exited', detail: `it ${proc.describeEnd()} when sent ${l.name}, the grader's liveness check (no test is charged for it; it is not sent again)` });
        }
      }
      return { ok: true };
    }
    const stop = await proc.stop();
    record.cleanup = stop.summary;
    // The port was free when chosen, and another program (another grade beside this one) bound it
    // before this one could: the grader's race, not the program's fault. Once more on another port.
    if (ready.status === 'exited' && restart?.reason !== 'port-taken' && /address already in use|EADDRINUSE/i.test(this.stderr.lastLines(8).join('\n')) && (this.transport === 'udp' ? isBoundUdp(this.port) : isListening(this.port))) {
      return this.start(forTest, signal, { reason: 'port-taken', ...(restart?.afterTest ? { afterTest: restart.afterTest } : {}), detail: `port ${this.port} was taken by another program before yours could listen on it` });
    }
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

  async stop(how: 'term' | 'kill' = 'term'): Promise<void> {
    const p = this.proc;
    if (!p) return;
    const last = this.starts[this.starts.length - 1];
    // A hung or stopped program gets no grace: SIGTERM would wait on a process that cannot act.
    const report = how === 'kill' ? await p.stop(0, 'SIGKILL') : await p.stop();
    if (last) last.cleanup = report.summary;
    // Its folder goes with it (a next start gets a new one).
    this.removeFolder();
    const limit = p.limitHit();
    if (last?.exit && limit) last.exit.limit = limit;
  }

  async prepare(testId: string, opts: { fresh: boolean; why?: string; signal?: AbortSignal }): Promise<Readiness> {
    const first = this.starts.length === 0;
    let restart: ProgramStart['restart'];
    const last = this.starts[this.starts.length - 1];
    const after = this.lastTest ? ` after test "${this.lastTest}"` : '';
    let sentence = '';
    if (first) restart = undefined;
    else if (opts.fresh) {
      restart = opts.why ? { reason: 'rerun', ...(this.lastTest ? { afterTest: this.lastTest } : {}), detail: opts.why } : { reason: 'isolated', detail: 'every test runs on a fresh server (isolated grading)' };
    } else if (!this.running) {
      const how = last?.exit ? describeExit(last.exit) : 'stopped';
      const where = last?.exit?.duringTest ? ` during test "${last.exit.duringTest}"` : after;
      restart = { reason: 'exited', ...(this.lastTest ? { afterTest: last?.exit?.duringTest ?? this.lastTest } : {}), detail: `it ${how}` };
      sentence = `Your server ${how}${where}; it was restarted for test "${testId}".`;
    } else if (this.health && !this.health.healthy) {
      restart = { reason: this.health.reason, ...(this.lastTest ? { afterTest: this.lastTest } : {}), detail: this.health.detail };
      sentence =
        this.health.reason === 'stopped'
          ? `Your server was stopped by a signal${after} and answered nothing; it was killed and restarted for test "${testId}".`
          : `Your server stopped answering${after} (${this.health.detail}); it was killed and restarted for test "${testId}".`;
    } else return { ok: true };
    if (!first) await this.stop(restart?.reason === 'unresponsive' || restart?.reason === 'stopped' ? 'kill' : 'term');
    const started = await this.start(testId, opts.signal, restart);
    if (!started.ok) return { ok: false, first, message: started.message, hint: started.hint };
    return sentence ? { ok: true, restarted: sentence } : { ok: true };
  }

  contextFor(): { server: { target: { host: string; port: number }; program: ServerUnderTest } } {
    return { server: { target: { host: '127.0.0.1', port: this.port }, program: this, ...(this.folder ? { folder: this.folder } : {}) } };
  }

  async finish(result: TestResult, ran: { connectionLost: boolean }): Promise<Aftermath> {
    this.lastTest = result.id;
    const proc = this.proc;
    if (!proc) return {};
    const current = this.starts[this.starts.length - 1];
    // A server that is dying (printing its traceback) still holds its port for a moment: when a
    // failed test lost connections, let it finish, so the crash is blamed on this test.
    if (result.status !== 'passed' && ran.connectionLost) await this.settle(2000);
    // Probed after every test, not only after trouble the grader's own client saw: a crash at
    // the very end of a test (or under raw sockets or fetch) is this test's, and the next test
    // must not run against a dead or hung server.
    // A UDP server without a liveness datagram (or one that never answered it): that it runs is all
    // that can be checked without sending it protocol input.
    const udpSilent = this.transport === 'udp' && (!this.opts.liveness || !this.opts.liveness.send || this.probeAnswered === false);
    if (this.opts.liveness === false || udpSilent) {
      this.health = proc.running ? { healthy: true, ms: 0 } : { healthy: false, reason: 'exited', detail: `it ${proc.describeEnd()}` };
    } else {
      const liveness = this.opts.liveness ?? { name: 'a connection', timeoutMs: 500 };
      this.health = await probeHealth(proc, this.port, this.probeAnswered === false ? { ...liveness, send: undefined } : liveness, undefined, this.transport);
    }
    if (!this.health.healthy && this.health.reason === 'exited') blameExit(result, this);
    else if (!this.health.healthy) blameHang(result, this.health.detail, this.health.reason === 'stopped');
    // The program had served earlier tests: a death or a hang under this failed test may be the
    // history's doing (a crash set up earlier, a leak), so its verdict is not yet its own.
    const hadHistory = current?.startedForTest !== result.id;
    if (result.status !== 'passed' && !this.health.healthy && hadHistory) return { suspect: this.health.detail, unhealthy: true };
    return this.health.healthy ? {} : { unhealthy: true };
  }
}

/** The last lines the program printed: stderr, or stdout when it printed its error there (C's printf). */
function lastWords(server: ServerUnderTest): string {
  const err = server.stderr.lastLines(STDERR_LINES_IN_MESSAGE).filter((l) => !l.startsWith('[sockgrade]'));
  if (err.length) return stderrExcerpt(err);
  const out = server.stdout.lastLines(STDERR_LINES_IN_MESSAGE);
  return out.length ? `\nLast lines of its stdout (nothing on stderr):\n${out.map((l) => '  ' + l).join('\n')}` : stderrExcerpt([]);
}

/** The server died during this test (or right after it): say so in the test's result (and fail it if it had passed). */
function blameExit(result: TestResult, server: ServerUnderTest): void {
  const exit = server.exitDuring(result.id);
  if (!exit) return;
  const how = describeExit(exit);
  const words = lastWords(server);
  if (result.status === 'passed') {
    result.status = 'failed';
    result.pointsEarned = 0;
    result.message = `the replies were right, but your server ${how} during this test.${words}`;
    result.hint = 'A server must survive every client. Look at the output above for the error that ended it.';
  } else {
    result.message = `${result.message ?? ''}\nYour server ${how} during this test.${words}`.trim();
    // The crash is the diagnosis: what the test saw (a closed connection, no reply) was its symptom.
    result.hint = 'Your server died during this test: look at the output above for the error that ended it, and at what the test sent just before.';
  }
}

/** The server stopped answering during this test: a failed test says so (a passed one keeps its pass: the probe is not its subject). */
function blameHang(result: TestResult, detail: string, stopped: boolean): void {
  if (result.status === 'passed') return;
  result.message = `${result.message ?? ''}\nAfter this test your server ${stopped ? 'was stopped by a signal' : `stopped answering (${detail})`}: it was killed and restarted.`.trim();
  // The test's own hint stays when it has one: it may know more (a test that left connections of
  // its own open — fetch's pool — keeps a one-connection-at-a-time server busy, which the probe
  // cannot tell from a hang). The message says what the probe saw either way.
  result.hint ??= stopped
    ? 'Something stopped your server with a signal (SIGSTOP or SIGTSTP): a stopped process answers nothing. Never stop your own process.'
    : 'Your server got stuck: not even a new connection was answered. Look for an endless loop on some input, or a blocking call (recv, accept, a lock, sleep) in the one thread that serves everyone.';
}
