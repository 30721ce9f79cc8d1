// The student's process: started through /bin/sh in its own process group, output captured
// head+tail, stopped with SIGTERM to the whole group then SIGKILL, and afterwards a check
// (Linux: /proc, by an environment marker that survives setsid and double forks) that nothing
// of it is left running.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { limitFromExit, outputLimitSentence, processLimitSentence } from './limits.js';
import { HeadTail } from './output.js';
import { childPidNamespace, namespaceAlive, processesOfRun, processState, type PidNamespace } from './procfs.js';
import type { Confinement } from './sandbox.js';

export const MARKER_VAR = 'SOCKGRADE_RUN';

export interface StartOptions {
  /** A shell command line, as written in sockgrade.json. */
  command: string;
  /** Appended to the command, each shell-quoted. */
  args?: string[];
  cwd: string;
  env?: Record<string, string>;
  /** Where to put stdout and stderr; fresh captures are made when omitted. */
  stdout?: HeadTail;
  stderr?: HeadTail;
  /** The sandbox and limits to run it under; a plain /bin/sh in `cwd` when omitted. */
  confinement?: Confinement;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  atMs: number;
}

export interface StopReport {
  /** True when the program had already exited before it was asked to stop. */
  alreadyExited: boolean;
  forced: boolean;
  leftovers: string[];
  /** One sentence for the report. */
  summary: string;
}

/** How a process ended, as the end of a sentence: "exited with code 1", "was killed by SIGXCPU (it used more than …)". */
export function describeExit(exit: { code: number | null; signal: string | null; limit?: string }): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return exit.limit ? `${how} (${exit.limit})` : how;
}

const FATAL = new Set(['SIGSEGV', 'SIGABRT', 'SIGKILL', 'SIGXCPU', 'SIGXFSZ', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTERM', 'SIGINT', 'SIGPIPE', 'SIGSYS', 'SIGTRAP', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGALRM']);

/**
 * A shell that did not exec its command (a redirect, a pipeline), and bubblewrap's monitor,
 * exit with 128+n when the program was killed by signal n: turn that back into the signal, so
 * "was killed by SIGSEGV" stays true whatever ran the program.
 */
function exitOf(code: number | null, signal: string | null): { code: number | null; signal: string | null } {
  if (code === null || code <= 128) return { code, signal };
  const name = Object.entries(os.constants.signals).find(([, v]) => v === code - 128)?.[0];
  return name && FATAL.has(name) ? { code: null, signal: name } : { code, signal };
}

/** Shell-quote one argument for /bin/sh. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(command: string, args: string[] = []): string {
  return [command, ...args.map(shellQuote)].join(' ');
}

export class RunningProcess {
  readonly pid: number;
  readonly marker: string;
  readonly stdout: HeadTail;
  readonly stderr: HeadTail;
  readonly startedAt = performance.now();
  exit: ExitInfo | undefined;
  /** Resolves when the process started by the shell exits (not its children). */
  readonly exited: Promise<ExitInfo>;
  /** Resolves when its stdout and stderr have ended (all writers gone): what it printed last has been read. */
  private readonly outputEnded: Promise<unknown>;
  private stopping = false;
  /** It had died (a zombie not yet reaped) when the grader came to stop it: its exit is its own. */
  private deadBeforeStop = false;
  private printed = 0;
  private outputLimited = false;
  /** Processes of the run found when it was stopped (a fork bomb is told by their number). */
  private processesAtStop = 0;
  /** The sandbox it runs in (which grade it belongs to). */
  readonly confinedBy: Confinement | undefined;

  private constructor(
    child: ResultPromise,
    marker: string,
    stdout: HeadTail,
    stderr: HeadTail,
    private readonly confinement: Confinement | undefined,
  ) {
    this.confinedBy = confinement;
    this.pid = child.pid ?? -1;
    this.marker = marker;
    this.stdout = stdout;
    this.stderr = stderr;
    const outputCap = confinement ? confinement.limits.outputMiB * 1024 * 1024 : Infinity;
    const take = (capture: HeadTail) => (d: Buffer) => {
      capture.push(d);
      this.printed += d.length;
      // A flood costs the grader CPU for every byte it reads: past the limit the program is stopped.
      if (this.printed > outputCap && !this.outputLimited) {
        this.outputLimited = true;
        void this.stop(0, 'SIGKILL');
      }
    };
    child.stdout?.on('data', take(stdout));
    child.stderr?.on('data', take(stderr));
    this.outputEnded = Promise.all([child.stdout, child.stderr].map((s) => s && new Promise((resolve) => s.once('close', resolve))));
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { ...exitOf(code, signal), atMs: performance.now() };
        resolve(this.exit);
      });
      child.on('error', () => {
        // spawn failure (e.g. /bin/sh missing); 'exit' may not follow
        this.exit ??= { code: 127, signal: null, atMs: performance.now() };
        resolve(this.exit);
      });
    });
    // execa rejects on failure only if awaited; keep its promise from becoming an unhandled rejection.
    child.catch(() => undefined);
  }

  static start(opts: StartOptions): RunningProcess {
    const marker = `${MARKER_VAR}=${randomBytes(8).toString('hex')}`;
    const [name, value] = marker.split('=');
    const stdout = opts.stdout ?? new HeadTail();
    const stderr = opts.stderr ?? new HeadTail();
    const env = { ...opts.env, [name]: value };
    // `"$@"` hands the appended arguments over unmangled, whatever the command line is.
    const plan = opts.confinement?.plan(opts.command, opts.args ?? [], env) ?? { file: '/bin/sh', args: ['-c', `${opts.command} "$@"`, 'sh', ...(opts.args ?? [])], env, extendEnv: true };
    const child = execa(plan.file, plan.args, {
      cwd: opts.cwd,
      env: plan.env,
      extendEnv: plan.extendEnv,
      detached: true, // own process group, so one signal reaches every process it starts
      stdin: 'ignore',
      buffer: false,
      reject: false,
      cleanup: true,
      windowsHide: true,
    });
    const proc = new RunningProcess(child, marker, stdout, stderr, opts.confinement);
    live.add(proc);
    void proc.exited.then(() => live.delete(proc));
    return proc;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The limit this run ran into, as a sentence ("it used more than …"), if any. */
  limitHit(): string | undefined {
    if (!this.confinement) return undefined;
    if (this.outputLimited) return outputLimitSentence(this.confinement.limits);
    // Threads count against the limit too, and a fork bomb's dead children are reaped as it
    // runs: three quarters of the limit in processes alone is a program at its limit (there is
    // a process limit only in the sandbox).
    if (this.confinement.kind === 'bubblewrap' && this.processesAtStop >= 0.75 * this.confinement.limits.processes) return processLimitSentence(this.confinement.limits);
    return this.exit ? limitFromExit(this.exit, this.stderr.lastLines(30), this.confinement.limits) : undefined;
  }

  /** How it ended, with the limit it ran into: "was killed by SIGXCPU (it used more than …)". */
  describeEnd(): string {
    if (!this.exit) return 'is still running';
    return describeExit({ ...this.exit, limit: this.limitHit() });
  }

  /** Processes of this run still alive (Linux), including ones that left the process group. */
  survivors(): Array<{ pid: number; pgrp: number; command: string; state?: string }> {
    const ns = this.liveNamespace();
    const procs = processesOfRun(this.marker, this.pid, false, ns?.ns);
    // Ended while we looked: its number may be another sandbox's now; keep only what the marker or the group found.
    if (procs && ns && !namespaceAlive(ns)) return processesOfRun(this.marker, this.pid, false) ?? [];
    if (procs) return procs;
    return groupAlive(this.pid) ? [{ pid: this.pid, pgrp: this.pid, command: '(process group)' }] : [];
  }

  private namespace: PidNamespace | undefined;

  /**
   * The PID namespace the sandbox made for this run, and its first process (bubblewrap's own
   * init): every process of the program is in it and cannot leave it, and when that first
   * process ends the kernel ends them all. Found once, while the run is alive.
   */
  sandboxNamespace(): PidNamespace | undefined {
    if (this.namespace || this.confinement?.kind !== 'bubblewrap' || !this.running) return this.namespace;
    const found = childPidNamespace(this.pid);
    if (found) this.namespace = found;
    return this.namespace;
  }

  /**
   * The sandbox's PID namespace while it exists. Once its first process is gone, so is every
   * process of the run in it, and its number may already belong to another run's sandbox: a
   * process found by that number must never be signalled as this run's.
   */
  liveNamespace(): PidNamespace | undefined {
    const ns = this.sandboxNamespace();
    return ns && namespaceAlive(ns) ? ns : undefined;
  }

  /**
   * Sends `signal` to the program's processes. In a sandbox with a PID namespace, to each of
   * them but not to bubblewrap's monitor and init: those die of SIGTERM and take the namespace
   * with them, which would turn the program's grace period into an instant SIGKILL.
   */
  private signalRun(signal: NodeJS.Signals, procs: Array<{ pid: number }>): void {
    const ns = this.liveNamespace();
    if (!ns || signal === 'SIGKILL') {
      signalGroup(this.pid, signal);
      for (const p of procs) signalPid(p.pid, signal);
      return;
    }
    for (const p of procs) if (p.pid !== this.pid && p.pid !== ns.init) signalPid(p.pid, signal);
  }

  /**
   * After trouble (a test saw connections refused or dropped), wait until the program either
   * exits or is plainly idle: every process of it asleep in a few checks in a row. A crashing
   * program is busy (printing a traceback) while it still holds its port; an idle one sleeps.
   * Without /proc it waits `maxMs`, unless the program exits first.
   */
  async settle(maxMs: number): Promise<void> {
    const deadline = performance.now() + maxMs;
    let idleChecks = 0;
    while (this.running && performance.now() < deadline) {
      const procs = processesOfRun(this.marker, this.pid);
      if (procs) idleChecks = procs.every((p) => p.state === 'S' || p.state === 'I') ? idleChecks + 1 : 0;
      if (idleChecks >= 3) return;
      await Promise.race([this.exited, delay(10, undefined, { ref: false })]);
    }
  }

  /**
   * SIGTERM to the group and to anything of the run that left it; SIGKILL to whatever is still
   * alive after `graceMs`; then check that nothing is left.
   */
  async stop(graceMs = 2000, first: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<StopReport> {
    // Dead but not yet reaped (its exit event not seen yet): the exit is the program's own, and
    // must not be recorded as the grader's SIGTERM.
    if (this.running && !this.stopping && processState(this.pid) === 'Z') this.deadBeforeStop = true;
    const alreadyExited = !this.running || this.deadBeforeStop;
    this.stopping = true;
    // Counted only where there is a process limit (limitHit): a /proc scan per stop otherwise.
    if (this.confinement?.kind === 'bubblewrap') this.processesAtStop = Math.max(this.processesAtStop, processesOfRun(this.marker, this.pid, true)?.length ?? 0);
    const deadline = performance.now() + graceMs;
    // Processes that left the group (setsid, double fork) are found by their PID namespace or
    // their environment marker; counted now, before the namespace's end takes them along.
    const before = this.survivors();
    const escaped = before.filter((p) => p.pgrp !== this.pid);
    const leftovers = escaped.map((p) => `pid ${p.pid} (${p.command})`);
    this.signalRun(first, before);
    // Wait for the leader (an event); the rest is polled: no event says "this group is empty".
    // Unref the fallback timer: a leftover timer must not keep the grader alive after it is done.
    if (this.running) await Promise.race([this.exited, delay(graceMs, undefined, { ref: false })]);
    let alive = this.survivors();
    let step = 5;
    while (alive.length && performance.now() < deadline) {
      await delay(step);
      step = Math.min(step * 2, 50);
      alive = this.survivors();
    }
    const forced = alive.length > 0;
    if (forced) {
      signalGroup(this.pid, 'SIGKILL');
      for (const p of alive) signalPid(p.pid, 'SIGKILL');
      // SIGKILL is not instant: give the kernel a moment to tear them down. Kill again each
      // round: a fork bomb's children were born after the first scan.
      for (let i = 0; i < 40 && alive.length; i++) {
        await delay(25);
        alive = this.survivors();
        signalGroup(this.pid, 'SIGKILL');
        for (const p of alive) signalPid(p.pid, 'SIGKILL');
      }
    }
    let summary = alreadyExited
      ? 'it had already exited'
      : first === 'SIGKILL'
        ? 'it was killed with SIGKILL'
        : forced
        ? `it did not exit within ${graceMs / 1000} s of SIGTERM and was killed with SIGKILL`
        : 'it exited on SIGTERM';
    if (leftovers.length) summary += `; it left ${leftovers.length} process(es) running outside its process group (${leftovers.join(', ')}), stopped too`;
    if (alive.length) summary += `; WARNING: could not kill ${alive.map((p) => p.pid).join(', ')}`;
    // The exit event can come before the last of its output: read it, so the report (and the
    // limit it points to) has its final words. Bounded: nothing of it is alive to write now.
    await Promise.race([this.outputEnded, delay(500, undefined, { ref: false })]);
    return { alreadyExited, forced, leftovers, summary };
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** The grader ended it (it was alive when asked to stop); false for an exit of its own. */
  get stoppedByGrader(): boolean {
    return this.stopping && !this.deadBeforeStop;
  }
}

// Detached children are not killed by execa when the grader exits, so do it here: whatever
// ends the grader (an exception, process.exit, a signal handler) must not leave a server running.
const live = new Set<RunningProcess>();

/** The runs still alive that were started under `confinement` (one grade's: grades in one process each have their own). */
export function liveRunsOf(confinement: Confinement): RunningProcess[] {
  // A read-only view of the same sandbox (peers) shares its scratch copy: the same grade.
  const same = (c: Confinement | undefined) => c === confinement || (c?.workDir !== undefined && c.workDir === confinement.workDir);
  return [...live].filter((p) => same(p.confinedBy));
}
process.once('exit', () => {
  for (const p of live) signalGroup(p.pid, 'SIGKILL');
});

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* group already empty */
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

