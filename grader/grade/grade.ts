// Grades one submission against one assignment: build once, start the server, run the test
// groups in order (each test with its own deadline, all within the run's budget), restart the
// server if it dies, and always come back with complete Results — partial when the budget ran
// out or grading was interrupted, never thrown away.
import os from 'node:os';
import path from 'node:path';
import { loadAssignment } from '../assignment/load.js';
import type { GroupDefinition, TestDefinition } from '../assignment/definition.js';
import { ConfigError } from '../errors.js';
import { newSeed } from '../harness/random.js';
import { packageVersion, toolsBin, typescriptTools, wrappersBin } from '../paths.js';
import { Results, SCHEMA_VERSION, type BuildResult, type GroupResult, type TestResult } from '../results/schema.js';
import { stderrExcerpt } from '../run/output.js';
import { describeExit, shellQuote } from '../run/process.js';
import { confine, type Confinement, type SandboxMode } from '../run/sandbox.js';
import { runBuild } from './build.js';
import { copyAssignmentFiles, type FilesCopy } from './files.js';
import { checkSubmissionDir, readManifest } from './manifest.js';
import { checkCommand, checkLinksStayInside } from './command-check.js';
import { runTest } from './run-test.js';
import { ClientRunner } from './client.js';
import { ServerUnderTest } from './server.js';
import { PeerRunner } from './peers.js';
import { ClusterPool } from '../harness/cluster.js';

export interface GradeEvents {
  /** Before anything runs: what will be graded. */
  onStart?(info: { assignment: { id: string; title: string }; dir: string; seed: string; tests: Array<{ id: string; title: string }> }): void;
  onBuildStart?(command: string): void;
  onBuildEnd?(build: BuildResult): void;
  onGroupStart?(group: { id: string; title: string }): void;
  onTestEnd?(test: TestResult): void;
  onNote?(note: string): void;
  /** How the program will be confined (one line), once the sandbox is set up. */
  onSandbox?(info: { kind: Confinement['kind']; description: string }): void;
}

export interface GradeOptions {
  dir: string;
  /** Overrides the manifest's "assignment". */
  assignment?: string;
  seed?: string;
  /** Test ids or group ids to run; all when empty. */
  only?: string[];
  /** Aborting it stops grading; the results so far are returned. */
  interrupt?: AbortSignal;
  events?: GradeEvents;
  buildTimeoutMs?: number;
  /** Overrides the assignment's time budget for the whole run. */
  budgetMs?: number;
  /** Official grading: hidden and after-due-date tests run too. */
  official?: boolean;
  /** auto (default): bubblewrap where it works; on: required; off: run the program unconfined. */
  sandbox?: SandboxMode;
  /** Folders the program must never see (the report or batch output folder). */
  privateDirs?: string[];
  /** Folders the program may read besides its own (a course library it imports). */
  readOnly?: string[];
}

const STDERR_LINES_IN_MESSAGE = 8;

function programEnv(dir: string): Record<string, string> {
  // The submission's own tools first, then the grader's (tsc, with its @types, for TypeScript
  // submissions that were not `npm install`ed).
  const PATH = [path.join(dir, 'node_modules', '.bin'), wrappersBin, toolsBin, process.env.PATH ?? ''].join(path.delimiter);
  const ts = typescriptTools();
  return { PATH, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...(ts ? { SOCKGRADE_TSC: ts.tsc, SOCKGRADE_TYPE_ROOTS: ts.typeRoots } : {}) };
}

function replayCommand(opts: GradeOptions, dir: string, seed: string): string {
  const parts = ['sockgrade', 'grade', shellQuote(dir), '--seed', seed];
  if (opts.assignment) parts.push('--assignment', opts.assignment);
  if (opts.only?.length) parts.push('--only', opts.only.join(','));
  if (opts.official) parts.push('--official');
  return parts.join(' ');
}

/** Outside official grading, hidden tests do not run: only how many there are and their points are told. */
function withoutHidden(groups: GroupDefinition[], official: boolean, only: string[] | undefined): { groups: GroupDefinition[]; hidden?: { tests: number; points: number } } {
  if (official) return { groups };
  const hiddenTests = groups.flatMap((g) => g.tests).filter((t) => t.visibility !== 'visible');
  if (!hiddenTests.length) return { groups };
  const named = hiddenTests.filter((t) => only?.includes(t.id));
  if (named.length)
    throw new ConfigError(`--only: ${named.map((t) => `"${t.id}"`).join(', ')} ${named.length === 1 ? 'is a hidden test' : 'are hidden tests'}, run in official grading only`, 'Add --official to run hidden tests (course staff).');
  return {
    groups: groups.map((g) => ({ ...g, tests: g.tests.filter((t) => t.visibility === 'visible') })).filter((g) => g.tests.length),
    hidden: { tests: hiddenTests.length, points: hiddenTests.reduce((a, t) => a + t.points, 0) },
  };
}

function selectTests(groups: GroupDefinition[], only: string[] | undefined): GroupDefinition[] {
  if (!only?.length) return groups;
  const known = new Set(groups.flatMap((g) => [g.id, ...g.tests.map((t) => t.id)]));
  const unknown = only.filter((o) => !known.has(o));
  if (unknown.length)
    throw new ConfigError(`--only: no test or stage named ${unknown.map((u) => `"${u}"`).join(', ')}`, `Tests: ${groups.flatMap((g) => g.tests.map((t) => t.id)).join(', ')}`);
  return groups
    .map((g) => ({ ...g, tests: only.includes(g.id) ? g.tests : g.tests.filter((t) => only.includes(t.id)) }))
    .filter((g) => g.tests.length);
}

function skipped(def: TestDefinition, groupId: string, status: 'skipped' | 'error', message: string, hint?: string): TestResult {
  return {
    id: def.id,
    title: def.title,
    group: groupId,
    status,
    pointsEarned: 0,
    pointsPossible: def.points,
    durationMs: 0,
    message,
    ...(hint ? { hint } : {}),
    transcript: [],
    transcriptDropped: 0,
    log: [],
    figures: [],
    visibility: def.visibility,
  };
}

export async function grade(opts: GradeOptions): Promise<Results> {
  const dir = checkSubmissionDir(opts.dir);
  const manifest = readManifest(dir, opts.assignment);
  const { definition, tests, dir: assignmentDir } = await loadAssignment(manifest.assignment);
  const visible = withoutHidden(definition.groups, !!opts.official, opts.only);
  const selected = selectTests(visible.groups, opts.only);
  const seed = opts.seed ?? newSeed();
  const ev = opts.events ?? {};
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const note = (n: string) => {
    notes.push(n);
    ev.onNote?.(n);
  };
  const env = programEnv(dir);
  ev.onStart?.({ assignment: { id: definition.id, title: definition.title }, dir, seed, tests: selected.flatMap((g) => g.tests) });

  checkLinksStayInside(dir);
  if (manifest.build) checkCommand('build', manifest.build, dir, env.PATH);
  // Everything the program runs from here on runs confined, in a scratch copy when sandboxed.
  const files = definition.files ? copyAssignmentFiles(assignmentDir, definition.files) : undefined;
  try {
    const readOnly = [...(opts.readOnly ?? []), ...(files ? [files.dir] : [])];
    const confinement = await confine({ dir, limits: definition.limits, mode: opts.sandbox, PATH: env.PATH, private: opts.privateDirs, readOnly });
    try {
      ev.onSandbox?.({ kind: confinement.kind, description: confinement.description });
      return await gradeConfined(opts, { dir, manifest, definition, tests, visible, selected, seed, t0, startedAt, notes, note, env, confinement, files });
    } finally {
      confinement.dispose();
    }
  } finally {
    files?.dispose();
  }
}

interface Prepared {
  dir: string;
  manifest: ReturnType<typeof readManifest>;
  definition: Awaited<ReturnType<typeof loadAssignment>>['definition'];
  tests: Awaited<ReturnType<typeof loadAssignment>>['tests'];
  visible: ReturnType<typeof withoutHidden>;
  selected: GroupDefinition[];
  seed: string;
  t0: number;
  startedAt: string;
  notes: string[];
  note: (n: string) => void;
  env: Record<string, string>;
  confinement: Confinement;
  files: FilesCopy | undefined;
}

async function gradeConfined(opts: GradeOptions, p: Prepared): Promise<Results> {
  const { dir, manifest, definition, tests, visible, selected, seed, t0, startedAt, notes, note, env, confinement, files } = p;
  const ev = opts.events ?? {};
  if (manifest.build) ev.onBuildStart?.(manifest.build);
  const { build, failure: buildFailure, limit: buildLimit } = await runBuild({
    command: manifest.build,
    dir,
    env,
    timeoutMs: opts.buildTimeoutMs ?? definition.limits.buildSeconds * 1000,
    signal: opts.interrupt,
    confinement,
  });
  if (manifest.build) ev.onBuildEnd?.(build);
  // After the build, which may be what makes the program (./server from make). In the sandbox
  // the build ran in the scratch copy: look there.
  if (!buildFailure) checkCommand('run', manifest.run, confinement.workDir ?? dir, env.PATH, dir);

  const prog = definition.program;
  const server =
    prog.role === 'server'
      ? new ServerUnderTest({ command: manifest.run, args: prog.args, cwd: dir, env, startupTimeoutMs: prog.startupTimeoutMs, t0, confinement, files: files?.dir })
      : undefined;
  const client = prog.role === 'client' ? new ClientRunner({ command: manifest.run, cwd: dir, env, runTimeoutMs: prog.runTimeoutMs, t0, confinement }) : undefined;
  const peers =
    prog.role === 'peers'
      ? new PeerRunner({ command: manifest.run, args: prog.args, cwd: dir, env, startupTimeoutMs: prog.startupTimeoutMs, t0, confinement, files: files?.dir })
      : undefined;
  const clusters = peers ? new ClusterPool(peers.start) : undefined;
  const groups: GroupResult[] = [];
  let completeness: Results['completeness'] = 'complete';
  /** Once set, every remaining test is recorded with this instead of running. */
  let stopReason: { status: 'skipped' | 'error'; message: string; hint?: string; repeat?: string } | undefined;
  const interrupted = { status: 'skipped', message: 'not run: grading was interrupted' } as const;
  if (opts.interrupt?.aborted) {
    completeness = 'interrupted';
    stopReason = interrupted;
  } else if (buildFailure) {
    stopReason = { status: 'skipped', ...buildFailure };
  }
  // The budget is for the tests (startup included); the build has its own deadline.
  const budgetMs = opts.budgetMs ?? definition.budgetMs;
  const budgetEnd = performance.now() + budgetMs;

  // A test may leave a promise behind that fails after the test ended (a request still in
  // flight at its deadline). It belongs to a finished test: it must not end the grade.
  const stray = (reason: unknown) => {
    if (reason instanceof Error && (reason.name === 'TestFailure' || reason.name === 'AbortError')) return;
    note(`internal: a test left an error behind after it ended (please report it): ${reason instanceof Error ? reason.message : String(reason)}`);
  };
  process.on('unhandledRejection', stray);
  try {
    for (const g of selected) {
      ev.onGroupStart?.({ id: g.id, title: g.title });
      const group: GroupResult = { id: g.id, title: g.title, ...(g.description ? { description: g.description } : {}), tests: [] };
      groups.push(group);
      for (const def of g.tests) {
        if (!stopReason && opts.interrupt?.aborted) {
          completeness = 'interrupted';
          stopReason = interrupted;
        }
        // A test starts only if its whole deadline fits in what is left of the budget: a deadline
        // cut short would blame the student for the grader's budget.
        if (!stopReason && budgetEnd - performance.now() < def.timeoutMs) {
          completeness = 'budget-exceeded';
          stopReason = { status: 'skipped', message: `not run: the time budget for the whole run (${budgetMs / 1000} s) was used up` };
        }
        if (!stopReason && server && !server.running) {
          const first = server.startNumber === 0;
          if (!first) {
            const last = server.starts[server.starts.length - 1];
            const how = last.exit ? describeExit(last.exit) : 'stopped';
            note(`Your server ${how}${last.exit?.duringTest ? ` during test "${last.exit.duringTest}"` : ''}; it was restarted for test "${def.id}".`);
          }
          const started = await server.start(def.id, opts.interrupt);
          if (!started.ok) {
            stopReason = {
              status: 'error',
              message: first ? `not run: ${started.message}` : `not run: your server could not be restarted: ${started.message}`,
              hint: started.hint,
              // The full story once; the tests after it point back to it.
              repeat: `not run: your server ${first ? 'did not start' : 'could not be restarted'} (see test "${def.id}")`,
            };
            if (opts.interrupt?.aborted) {
              completeness = 'interrupted';
              stopReason = interrupted;
            }
          }
        }
        let result: TestResult;
        if (stopReason) {
          result = skipped(def, g.id, stopReason.status, stopReason.message, stopReason.hint);
          if (stopReason.repeat) stopReason = { status: stopReason.status, message: stopReason.repeat };
        } else {
          const startNumber = server?.startNumber;
          if (peers) peers.currentTest = def.id;
          const ran = await runTest({
            def,
            groupId: g.id,
            fn: tests[def.id],
            seed,
            ...(server ? { server: { target: { host: '127.0.0.1', port: server.port }, program: server } } : {}),
            ...(client ? { runProgram: (args: string[], timeoutMs?: number) => client.run(args, def.id, timeoutMs) } : {}),
            ...(clusters ? { clusters } : {}),
            ...(files ? { files: files.dir } : {}),
            timeoutMs: def.timeoutMs,
            interrupt: opts.interrupt,
          });
          result = ran.result;
          if (server) {
            // A server that is dying (printing its traceback) still holds its port for a moment:
            // when a failed test lost connections, let it finish, so the crash is blamed on this
            // test and the next one starts with a fresh server.
            if (result.status !== 'passed' && ran.connectionLost) await server.settle(2000);
            if (server.startNumber === startNumber && !server.running) blameExit(result, server);
          }
          if (peers && clusters) {
            // Peers are stopped after their test (unless the next test shares them); one that
            // died by itself is blamed on this test.
            await clusters.release(result.status === 'timeout' || result.status === 'error' || result.status === 'skipped');
            blamePeerExits(result, peers);
            peers.collect();
          }
          if (result.status === 'skipped' && opts.interrupt?.aborted) completeness = 'interrupted';
        }
        group.tests.push(result);
        ev.onTestEnd?.(result);
      }
    }
  } finally {
    await server?.stop();
    await clusters?.release(true);
    await peers?.stopAll();
    process.off('unhandledRejection', stray);
  }
  const runs = server ?? client ?? peers!;
  for (const s of runs.starts) if (s.cleanup && /left|WARNING/.test(s.cleanup)) note(`When your server (pid ${s.pid}) was stopped, ${s.cleanup}.`);
  // A limit is said once, plainly, even when the tests it broke said something else.
  const limits = [...new Set(runs.starts.flatMap((s) => (s.exit?.limit ? [s.exit.limit] : [])))];
  for (const l of limits) note(`Your program ran into a limit: ${l}.`);
  if (buildLimit) note(`Your build ran into a limit: ${buildLimit}.`);

  const all = groups.flatMap((g) => g.tests);
  const earned = all.reduce((a, t) => a + t.pointsEarned, 0);
  const possible = all.reduce((a, t) => a + t.pointsPossible, 0);
  const count = (s: TestResult['status']) => all.filter((t) => t.status === s).length;
  return Results.parse({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'sockgrade', version: packageVersion() },
    assignment: { id: definition.id, title: definition.title },
    submission: { dir, ...(manifest.language ? { language: manifest.language } : {}), ...(manifest.build ? { build: manifest.build } : {}), run: manifest.run },
    seed,
    replay: replayCommand(opts, opts.dir, seed),
    startedAt,
    durationMs: Math.round(performance.now() - t0),
    completeness,
    score: { earned: round2(earned), possible, percent: possible ? round2((100 * earned) / possible) : 0 },
    counts: { passed: count('passed'), failed: count('failed'), timeout: count('timeout'), error: count('error'), skipped: count('skipped') },
    build,
    groups,
    program: { role: prog.role, starts: runs.starts, stdout: runs.stdout.snapshot(), stderr: runs.stderr.snapshot() },
    notes,
    official: !!opts.official,
    ...(visible.hidden ? { hidden: visible.hidden } : {}),
    leaderboard: definition.leaderboard.flatMap((l) => {
      const value = all.find((t) => t.id === l.test)?.metrics?.[l.metric];
      return value === undefined ? [] : [{ name: l.name, value, order: l.order }];
    }),
    environment: { node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`, sandbox: confinement.description },
  });
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Peers that died by themselves during this test: say so (and fail it if it had passed). */
function blamePeerExits(result: TestResult, peers: PeerRunner): void {
  const exits = peers.unexpectedExits(result.id);
  if (!exits.length) return;
  const first = exits[0];
  const sentence = `Peer ${exits.map((e) => `${e.peer} ${e.how}`).join(', ')} during this test.${first.stderr ? ` ${first.peer}'s stderr:${first.stderr.replace(/^\nLast lines of its stderr:/, '')}` : ''}`;
  if (result.message?.includes(`peer ${first.peer} exited`) || result.message?.includes(`peer ${first.peer} was killed`)) return;
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

/** The server died during this test: say so in the test's result (and fail it if it had passed). */
function blameExit(result: TestResult, server: ServerUnderTest): void {
  const exit = server.exitDuring(result.id);
  if (!exit) return;
  const how = describeExit(exit);
  const stderr = stderrExcerpt(server.stderr.lastLines(STDERR_LINES_IN_MESSAGE));
  const sentence = `Your server ${how} during this test.${stderr}`;
  if (result.status === 'passed') {
    result.status = 'failed';
    result.pointsEarned = 0;
    result.message = `the replies were right, but your server ${how} during this test.${stderr}`;
    result.hint = 'A server must survive every client. Look at the stderr above for the exception.';
  } else {
    result.message = `${result.message ?? ''}\n${sentence}`.trim();
    result.hint ??= 'Look at the stderr above for the exception that ended your server.';
  }
}
