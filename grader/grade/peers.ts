// The student's program as peers: many copies at once, each started by a test with an id, a
// port and its neighbours' (proxy) addresses, waited for until it listens, SIGKILLed and
// restarted on the same port when a test says so, and stopped when the test is done. Every
// start is recorded for the report, and an exit nobody asked for is blamed on its test.
import type { PeerProcess, PeerSpec, StartPeer } from '../peers/scope.js';
import type { ProgramStart, TestResult } from '../results/schema.js';
import type { Liveness } from '../assignment/definition.js';
import { ClusterPool } from '../peers/pool.js';
import { answersOnce } from '../run/liveness.js';
import type { Aftermath, ProgramUnderTest, Readiness } from './program.js';
import { HeadTail, stderrExcerpt } from '../run/output.js';
import type { Confinement } from '../run/sandbox.js';
import { commandLine, describeExit, RunningProcess } from '../run/process.js';
import { waitForPort } from '../run/readiness.js';
import { DirectConnectionWatch } from './direct-connections.js';

export interface PeersOptions {
  command: string;
  /** The assignment's argument template: "{id}", "{port}", "{peers}", "{files}", "{dir}" and the test's own names are replaced. */
  args: string[];
  /** The grade's copy of the assignment's files folder, for "{files}". */
  files?: string;
  cwd: string;
  env: Record<string, string>;
  startupTimeoutMs: number;
  t0: number;
  /** The sandbox and limits every start runs under. */
  confinement?: Confinement;
}

/** A peer that died by itself during a test. */
export interface UnexpectedExit {
  peer: string;
  how: string;
  stderr: string;
}

class PeerHandle implements PeerProcess {
  constructor(
    readonly id: string,
    readonly port: number,
    private readonly proc: RunningProcess,
    private readonly record: ProgramStart,
    private readonly err: HeadTail,
  ) {}
  get pid() {
    return this.proc.pid;
  }
  get running() {
    return this.proc.running;
  }
  get exited(): Promise<unknown> {
    return this.proc.exited;
  }
  async kill(): Promise<void> {
    this.record.cleanup = (await this.proc.stop(0, 'SIGKILL')).summary;
  }
  async stop(): Promise<void> {
    if (this.record.cleanup) return;
    this.record.cleanup = (await this.proc.stop()).summary;
    const limit = this.proc.limitHit();
    if (limit && this.record.exit) this.record.exit.limit = limit;
  }
  describeEnd(): string {
    return this.proc.describeEnd();
  }
  /** Its process group: the pid the grader started. */
  get group(): number {
    return this.proc.pid;
  }
  /** Its sandbox's PID namespace, while it exists (a number the kernel reuses once it ends). */
  namespace(): string | undefined {
    return this.proc.liveNamespace()?.ns;
  }
  stderrLines(n: number): string[] {
    return this.err.lastLines(n);
  }
  /** Its test said how it ended: not blamed again after the test. */
  reported = false;
  exitReported(): void {
    this.reported = true;
  }
}

export class PeerRunner {
  readonly stdout = new HeadTail();
  readonly stderr = new HeadTail();
  readonly starts: ProgramStart[] = [];
  private readonly live = new Map<ProgramStart, { handle: PeerHandle; out: HeadTail; err: HeadTail }>();

  constructor(private readonly opts: PeersOptions) {}

  /** The test that starts peers now (for the report and for blame). */
  currentTest = '';

  readonly start: StartPeer = async (spec: PeerSpec, signal?: AbortSignal) => {
    const vars: Record<string, string> = { ...(spec.folder ? { dir: spec.folder } : {}), ...spec.vars, id: spec.id, port: String(spec.port), peers: spec.peers.join(','), ...(this.opts.files ? { files: this.opts.files } : {}) };
    // One pass: a value is never searched for placeholders itself.
    const args = this.opts.args.map((a) => a.replace(/\{([a-z]+)\}/g, (whole, name: string) => vars[name] ?? whole));
    // Each start gets its own small capture; they are joined into the program's output, one
    // section per start, when it ends (so lines of 25 peers do not interleave).
    const out = new HeadTail(8 * 1024, 8 * 1024);
    const err = new HeadTail(8 * 1024, 8 * 1024);
    // Peers run with their folder read-only: copies of one program must not talk through files.
    // A folder of its own (what the test gave it, what it writes) is shown to that peer alone.
    const confinement = spec.folder ? this.opts.confinement?.withFolder(spec.folder) : this.opts.confinement?.readOnlyFolder();
    const proc = RunningProcess.start({ command: this.opts.command, args, cwd: this.opts.cwd, env: this.opts.env, confinement, stdout: out, stderr: err });
    const record: ProgramStart = {
      pid: proc.pid,
      peer: spec.id,
      port: spec.port,
      command: commandLine(this.opts.command, args),
      startedAtMs: Math.round(proc.startedAt - this.opts.t0),
      startedForTest: this.currentTest,
      ready: false,
    };
    this.starts.push(record);
    const handle = new PeerHandle(spec.id, spec.port, proc, record, err);
    this.live.set(record, { handle, out, err });
    // Asked as soon as it ends, while what it left (its folder) is still there to look at.
    const allowed = () => (proc.stoppedByGrader ? undefined : spec.exitAllowed?.());
    void proc.exited.then((e) => {
      record.exit ??= { code: e.code, signal: e.signal, stoppedByGrader: proc.stoppedByGrader, atMs: Math.round(e.atMs - this.opts.t0) };
      if (!proc.stoppedByGrader) {
        record.exit.duringTest = this.currentTest;
        const why = allowed();
        if (why) record.exit.allowed = why;
      }
    });
    const ready = await waitForPort(proc, spec.port, this.opts.startupTimeoutMs, signal);
    if (ready.status === 'ready') {
      record.ready = true;
      return { ok: true as const, peer: handle };
    }
    // A fast peer may listen, do all it had to and end between two looks at its port: when its
    // test allows that end, it started well (its test judges the rest).
    if (ready.status === 'exited' && allowed()) return { ok: true as const, peer: handle };
    await handle.stop();
    const stderr = stderrExcerpt(err.lastLines(8));
    const secs = this.opts.startupTimeoutMs / 1000;
    switch (ready.status) {
      case 'exited':
        return {
          ok: false as const,
          // Seen ended before seen listening: it may have listened for a moment between two looks.
          message: `peer ${spec.id} ${proc.describeEnd()} before the grader saw it listening on port ${spec.port}.\nIt was started as: ${record.command}${stderr}`,
          hint: /address already in use|EADDRINUSE/i.test(stderr)
            ? 'A restarted peer binds the same port again: set SO_REUSEADDR on the listening socket before bind().'
            : 'A peer must keep running. Run the command above yourself in your submission folder and read the error.',
        };
      case 'timeout':
        return ready.otherPorts?.length
          ? {
              ok: false as const,
              message: `nothing listened on 127.0.0.1:${spec.port} after ${secs} s; peer ${spec.id} is listening on ${ready.otherPorts.map((p) => `${p.address}:${p.port}`).join(', ')} instead.${stderr}`,
              hint: `Use the port given by --port (here ${spec.port}) instead of a fixed one.`,
            }
          : {
              ok: false as const,
              message: `peer ${spec.id} did not listen on 127.0.0.1:${spec.port} within ${secs} s (started as: ${record.command}).${stderr}`,
              hint: 'Listen on the --port argument before anything else (connecting to neighbours can wait, and must not block listening).',
            };
      default:
        return { ok: false as const, message: 'grading was interrupted while peers were starting', hint: '' };
    }
  };

  /** The peers running now. */
  running(): PeerHandle[] {
    return [...this.live.values()].map((l) => l.handle).filter((h) => h.running);
  }

  /** Peers that exited by themselves during `testId` (not killed by the test or stopped by the grader). */
  unexpectedExits(testId: string): UnexpectedExit[] {
    const out: UnexpectedExit[] = [];
    for (const s of this.starts)
      if (s.exit && !s.exit.stoppedByGrader && !s.exit.allowed && s.exit.duringTest === testId && s.ready && !this.live.get(s)?.handle.reported)
        out.push({ peer: s.peer ?? '?', how: this.live.get(s)?.handle.describeEnd() ?? describeExit(s.exit), stderr: stderrExcerpt(this.live.get(s)?.err.lastLines(8) ?? [], '') });
    return out;
  }

  /** Fold the output of finished starts into the program's output, one section per start. */
  collect(): void {
    for (const [record, { handle, out, err }] of this.live) {
      if (handle.running) continue;
      this.live.delete(record);
      const label = `[sockgrade] --- ${record.peer} (pid ${record.pid}, ${record.startedForTest || 'before the tests'}) ---\n`;
      for (const [from, to] of [
        [out, this.stdout],
        [err, this.stderr],
      ] as const) {
        if (!from.totalBytes) continue;
        const s = from.snapshot();
        to.push(Buffer.from(label + s.head + (s.droppedBytes ? `\n… ${s.droppedBytes} bytes dropped …\n` : '') + s.tail + (s.tail.endsWith('\n') || (!s.tail && s.head.endsWith('\n')) ? '' : '\n')));
      }
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live.values()].map(({ handle }) => handle.stop()));
    this.collect();
  }
}

/**
 * Peers as the program under test: the tests start them (in clusters), so getting ready is
 * naming the test; a cluster is stopped after its test unless the next test shares it (never in
 * isolated grading), and a peer that died by itself is charged to the test it died in.
 */
export class PeersUnderTest implements ProgramUnderTest {
  readonly role = 'peers' as const;
  private readonly runner: PeerRunner;
  private readonly clusters: ClusterPool;
  private readonly direct: DirectConnectionWatch;

  constructor(opts: PeersOptions & { liveness?: Liveness; otherSockets?: Array<'udp' | 'unix'> }) {
    this.runner = new PeerRunner(opts);
    this.direct = new DirectConnectionWatch(() => this.runner.running(), new Set(opts.otherSockets ?? []));
    const l = opts.liveness;
    // Twice, as for servers: one slow moment on a loaded machine is not a hang.
    this.clusters = new ClusterPool(this.runner.start, l ? async (port) => (await answersOnce(port, l)) || answersOnce(port, l) : undefined);
  }
  get starts() {
    return this.runner.starts;
  }
  get stdout() {
    return this.runner.stdout;
  }
  get stderr() {
    return this.runner.stderr;
  }

  async prepare(testId: string, opts: { fresh: boolean }): Promise<Readiness> {
    this.runner.currentTest = testId;
    if (opts.fresh) await this.clusters.release(true);
    this.direct.start();
    return { ok: true };
  }

  contextFor(): { clusters: ClusterPool } {
    return { clusters: this.clusters };
  }

  async finish(result: TestResult): Promise<Aftermath> {
    chargeDirectConnections(result, this.direct.stop());
    await this.clusters.release(result.status === 'timeout' || result.status === 'error' || result.status === 'skipped');
    blamePeerExits(result, this.runner);
    this.runner.collect();
    return {};
  }

  async stop(): Promise<void> {
    await this.clusters.release(true);
    await this.runner.stopAll();
  }
}

/** Peers that bypassed the links during this test: it fails, whatever it saw, since the links it tests were not the ones used. */
function chargeDirectConnections(result: TestResult, found: string[]): void {
  if (!found.length) return;
  const sentence = `${found.join('; ')}.`; // each starts "peer n1 …" or "a process …"
  if (result.status !== 'skipped') {
    if (result.message) result.log.push(`verdict before the direct connection was found: ${result.status}: ${result.message.split('\n')[0].slice(0, 200)}`);
    result.status = 'failed';
    result.pointsEarned = 0;
    result.message = `not counted: ${sentence}`;
    result.hint = 'A peer may reach another only through the addresses the grader gave it (its arguments, or a tracker the grader runs): the grader relays, delays and cuts those links, and the tests are about what happens then.';
  }
}

/** Peers that died by themselves during this test: say so (and fail it if it had passed). */
function blamePeerExits(result: TestResult, peers: PeerRunner): void {
  const exits = peers.unexpectedExits(result.id);
  if (!exits.length) return;
  const first = exits[0];
  const sentence = `Peer ${exits.map((e) => `${e.peer} ${e.how}`).join(', ')} during this test.${first.stderr ? ` ${first.peer}'s stderr:${first.stderr.replace(/^\nLast lines of its stderr:/, '')}` : ''}`;
  if (result.status === 'passed') {
    result.status = 'failed';
    result.pointsEarned = 0;
    result.message = `the answers were right, but ${sentence[0].toLowerCase()}${sentence.slice(1)}`;
    result.hint = 'A peer must survive whatever its neighbours and clients do. Look at the stderr above for the exception.';
  } else {
    result.message = `${result.message ?? ''}\n${sentence}`.trim();
    result.hint ??= 'Look at the stderr above for the exception that ended your peer.';
  }
}
