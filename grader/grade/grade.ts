// Grades one submission against one assignment: build once, start the server, run the test
// groups in order (each test with its own deadline, all within the run's budget), restart the
// server if it dies, and always come back with complete Results — partial when the budget ran
// out or grading was interrupted, never thrown away.
import os from 'node:os';
import path from 'node:path';
import { loadAssignment } from '../assignment/load.js';
import { isHiddenTest, type ForbiddenProgram, type GroupDefinition, type TestDefinition } from '../assignment/definition.js';
import { ConfigError } from '../errors.js';
import { newSeed } from '../harness/random.js';
import { packageVersion, toolsBin, typescriptTools, wrappersBin } from '../paths.js';
import { Results, SCHEMA_VERSION, type BuildResult, type GroupResult, type TestResult } from '../results/schema.js';
import { shellQuote } from '../run/process.js';
import { confine, type Confinement, type SandboxMode } from '../run/sandbox.js';
import { runBuild } from './build.js';
import { copyAssignmentFiles, type FilesCopy } from './files.js';
import { checkSubmissionDir, readManifest } from './manifest.js';
import { checkCommand, checkLinksStayInside } from './command-check.js';
import { listSubmission, overLimitMessage, specialNotes } from '../run/submission-tree.js';
import { watchExecutables, type ProvenanceWatch } from '../run/provenance.js';
import { findForbidden, trippedIn, tripwires, type ForbiddenFinding } from './forbidden.js';
import { runTest } from './run-test.js';
import { ClientRunner } from './client.js';
import type { ProgramUnderTest, Readiness } from './program.js';
import { ServerUnderTest } from './server.js';
import { PeersUnderTest } from './peers.js';

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
  /** Where the hidden tests are when this installation has none (a course pack; also SOCKGRADE_PACK). */
  pack?: string;
  /** auto (default): bubblewrap where it works; on: required; off: run the program unconfined. */
  sandbox?: SandboxMode;
  /** Folders the program must never see (the report or batch output folder). */
  privateDirs?: string[];
  /** Folders the program may read besides its own (a course library it imports). */
  readOnly?: string[];
  /**
   * Isolated grading: every test on a fresh program, as if each were graded alone with --only
   * (`sockgrade validate` compares the two to prove no verdict depends on an earlier test).
   */
  isolate?: boolean;
  /** false: no liveness probe after each test (only to measure what the probes cost). */
  probe?: boolean;
  /** The program may run the assignment's forbidden programs (a real counterpart graded by `validate` is one). */
  allowForbidden?: boolean;
}

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
  if (opts.isolate) parts.push('--isolate');
  return parts.join(' ');
}

/** Outside official grading, hidden tests do not run: only how many there are and their points are told. */
function withoutHidden(groups: GroupDefinition[], official: boolean, only: string[] | undefined): { groups: GroupDefinition[]; hidden?: { tests: number; points: number } } {
  if (official) return { groups };
  const hiddenTests = groups.flatMap((g) => g.tests).filter(isHiddenTest);
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
  // Hidden tests are loaded for official grading only: a student's installation has none.
  const { definition, tests, dir: assignmentDir } = await loadAssignment(manifest.assignment, { hidden: !!opts.official, ...(opts.pack ? { pack: opts.pack } : {}) });
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
  const disposeLater: Array<() => void> = [];
  try {
    const readOnly = [...(opts.readOnly ?? []), ...(files ? [files.dir] : [])];
    // Listed once, within the assignment's limits: a submission over them is graded as "not run"
    // with the reason, never copied (a sparse file would become gigabytes in the copy).
    const MiB = 1024 * 1024;
    const treeLimits = { bytes: definition.limits.submissionMiB * MiB, entries: definition.limits.submissionFiles };
    const tree = listSubmission(dir, treeLimits);
    for (const n of specialNotes(tree)) note(n);
    const refusal = tree.over ? overLimitMessage(tree, treeLimits) : undefined;
    const copied = refusal ? { ...tree, dirs: [], files: [], links: [] } : tree;
    const forbidden = opts.allowForbidden ? [] : definition.forbidden;
    // The grader's own PATH: a name in the submission's node_modules/.bin must not choose what is covered.
    const stands = tripwires(forbidden, process.env.PATH ?? '');
    disposeLater.push(stands.dispose);
    const confinement = await confine({ dir, limits: definition.limits, mode: opts.sandbox, PATH: env.PATH, private: opts.privateDirs, readOnly, tree: copied, hide: stands.cover });
    const memory = watchMemory();
    const provenance = watchExecutables(confinement);
    try {
      ev.onSandbox?.({ kind: confinement.kind, description: confinement.description });
      return await gradeConfined(opts, { dir, manifest, definition, tests, visible, selected, seed, t0, startedAt, notes, note, env, confinement, files, refusal, memory, provenance, forbidden });
    } finally {
      provenance.stop();
      memory.stop();
      confinement.dispose();
    }
  } finally {
    for (const d of disposeLater) d();
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
  /** Why the submission is not run at all (it is over the assignment's size limits). */
  refusal: { message: string; hint: string } | undefined;
  memory: MemoryWatch;
  provenance: ProvenanceWatch;
  forbidden: ForbiddenProgram[];
}

async function gradeConfined(opts: GradeOptions, p: Prepared): Promise<Results> {
  const { dir, manifest, definition, tests, visible, selected, seed, t0, startedAt, notes, note, env, confinement, files, refusal, provenance, forbidden } = p;
  /** When each test ran (from before its program was made ready to its verdict), in the provenance watch's clock. */
  const windows = new Map<string, [number, number]>();
  const ev = opts.events ?? {};
  const buildCommand = refusal ? undefined : manifest.build;
  if (buildCommand) ev.onBuildStart?.(buildCommand);
  const { build, failure: buildFailure, limit: buildLimit } = await runBuild({
    command: buildCommand,
    dir,
    env,
    timeoutMs: opts.buildTimeoutMs ?? definition.limits.buildSeconds * 1000,
    signal: opts.interrupt,
    confinement,
  });
  if (buildCommand) ev.onBuildEnd?.(build);
  // After the build, which may be what makes the program (./server from make). In the sandbox
  // the build ran in the scratch copy: look there.
  if (!buildFailure && !refusal) checkCommand('run', manifest.run, confinement.workDir ?? dir, env.PATH, dir);

  const prog = definition.program;
  const common = { command: manifest.run, cwd: dir, env, t0, confinement };
  const program: ProgramUnderTest =
    prog.role === 'server'
      ? new ServerUnderTest({ ...common, args: prog.args, startupTimeoutMs: prog.startupTimeoutMs, liveness: opts.probe === false ? false : prog.liveness, files: files?.dir, transport: prog.transport })
      : prog.role === 'client'
        ? new ClientRunner({ ...common, runTimeoutMs: prog.runTimeoutMs })
        : new PeersUnderTest({ ...common, args: prog.args, startupTimeoutMs: prog.startupTimeoutMs, files: files?.dir, otherSockets: prog.otherSockets, ...(prog.liveness && opts.probe !== false ? { liveness: prog.liveness } : {}) });
  const groups: GroupResult[] = [];
  let completeness: Results['completeness'] = 'complete';
  /** Once set, every remaining test is recorded with this instead of running. */
  let stopReason: { status: 'skipped' | 'error'; message: string; hint?: string; repeat?: string } | undefined;
  const interrupted = { status: 'skipped', message: 'not run: grading was interrupted' } as const;
  if (opts.interrupt?.aborted) {
    completeness = 'interrupted';
    stopReason = interrupted;
  } else if (refusal) {
    stopReason = { status: 'error', ...refusal };
  } else if (buildFailure) {
    stopReason = { status: 'skipped', ...buildFailure };
  }
  // The budget is for the tests (startup included); the build has its own deadline.
  const budgetMs = opts.budgetMs ?? definition.budgetMs;
  // Time the grader spends keeping verdicts about their own tests (a health check that found the
  // program broken, a restart, a fresh program per test when isolated, a test run again on a
  // fresh program) is added to the budget: a hang in one test must not leave later tests "not
  // run". Bounded all the same: one restart and at most two runs per test.
  let budgetEnd = performance.now() + budgetMs;

  // A test may leave a promise behind that fails after the test ended (a request still in
  // flight at its deadline). It belongs to a finished test: it must not end the grade.
  const stray = (reason: unknown) => {
    if (reason instanceof Error && (reason.name === 'TestFailure' || reason.name === 'AbortError')) return;
    note(`internal: a test left an error behind after it ended (please report it): ${reason instanceof Error ? reason.message : String(reason)}`);
  };
  /** The program could not be (re)started: every test from here on says so. */
  const cannotStart = (ready: Extract<Readiness, { ok: false }>, testId: string) => {
    stopReason = {
      status: 'error',
      message: ready.first ? `not run: ${ready.message}` : `not run: your server could not be restarted: ${ready.message}`,
      hint: ready.hint,
      // The full story once; the tests after it point back to it.
      repeat: `not run: your server ${ready.first ? 'did not start' : 'could not be restarted'} (see test "${testId}")`,
    };
    if (opts.interrupt?.aborted) {
      completeness = 'interrupted';
      stopReason = interrupted;
    }
  };
  const runOnce = async (def: TestDefinition, groupId: string): Promise<{ result: TestResult; suspect?: string }> => {
    const ran = await runTest({
      def,
      groupId,
      fn: tests[def.id],
      seed,
      ...program.contextFor(def.id),
      ...(files ? { files: files.dir } : {}),
      timeoutMs: def.timeoutMs,
      interrupt: opts.interrupt,
    });
    const t = performance.now();
    const after = await program.finish(ran.result, ran);
    if (after.unhealthy) budgetEnd += performance.now() - t;
    return { result: ran.result, ...(after.suspect ? { suspect: after.suspect } : {}) };
  };
  process.on('unhandledRejection', stray);
  try {
    for (const g of selected) {
      ev.onGroupStart?.({ id: g.id, title: g.title });
      const group: GroupResult = { id: g.id, title: g.title, ...(g.description ? { description: g.description } : {}), tests: [] };
      groups.push(group);
      for (const def of g.tests) {
        const testStart = provenance.nowMs();
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
        // Healthy before every test: dead, hung or stopped programs are started afresh (and
        // every test gets a fresh one in isolated grading).
        if (!stopReason) {
          const t = performance.now();
          const ready = await program.prepare(def.id, { fresh: !!opts.isolate, signal: opts.interrupt });
          if (opts.isolate || (ready.ok && ready.restarted)) budgetEnd += performance.now() - t;
          if (!ready.ok) cannotStart(ready, def.id);
          else if (ready.restarted) note(ready.restarted);
        }
        let result: TestResult;
        if (stopReason) {
          result = skipped(def, g.id, stopReason.status, stopReason.message, stopReason.hint);
          if (stopReason.repeat) stopReason = { status: stopReason.status, message: stopReason.repeat };
        } else {
          const first = await runOnce(def, g.id);
          result = first.result;
          // The program died or hung under this failed test after serving earlier ones: the
          // failure may be the history's (a crash set up by an earlier test). Its verdict is the
          // one a fresh program gives, as with --only — never a charge for what came before.
          if (first.suspect && !opts.interrupt?.aborted) {
            if (budgetEnd - performance.now() < def.timeoutMs) {
              note(`Under test "${def.id}" your server ${first.suspect.replace(/^it /, '')}, after it had served earlier tests; no time was left in the budget to run it again on a fresh server, so its failure stands.`);
            } else {
              const t = performance.now();
              const why = `test "${def.id}" failed and ${first.suspect.replace(/^it /, 'the server ')}, on a server that had run earlier tests`;
              const again = await program.prepare(def.id, { fresh: true, why, signal: opts.interrupt });
              if (!again.ok) cannotStart(again, def.id);
              else {
                const second = await runOnce(def, g.id);
                budgetEnd += performance.now() - t;
                result = second.result;
                result.firstRun = { status: first.result.status, ...(first.result.message ? { message: first.result.message } : {}), why };
                result.log.unshift(`first run, on a server that had run earlier tests: ${first.result.status}${first.result.message ? ` (${first.result.message.split('\n')[0].slice(0, 200)})` : ''}; ${first.suspect}; run again on a fresh server`);
                const outcome = { failed: 'failed again', timeout: 'timed out again', error: 'could not run', skipped: 'was not run' } as const;
                note(
                  `Under test "${def.id}" your server ${first.suspect.replace(/^it /, '')}, after it had served earlier tests, so "${def.id}" was run again on a fresh server: ` +
                    (result.status === 'passed' ? 'it passed. What broke your server was left behind by an earlier test, and is not charged to this one.' : `it ${outcome[result.status]} there, so the failure is its own.`),
                );
              }
            }
          }
          if (result.status === 'skipped' && opts.interrupt?.aborted) completeness = 'interrupted';
        }
        // A look at what the program runs after every test: a forbidden program is charged to the tests it was seen in.
        provenance.sample();
        windows.set(def.id, [testStart, provenance.nowMs()]);
        group.tests.push(result);
        ev.onTestEnd?.(result);
      }
    }
  } finally {
    provenance.sample();
    await program.stop();
    process.off('unhandledRejection', stray);
  }
  const executables = provenance.stop();
  const findings = findForbidden(forbidden, executables, [dir, ...(confinement.workDir ? [confinement.workDir] : [])]);
  const flagged = chargeForbidden(findings, groups, windows);
  for (const f of findings) note(`Your program ran ${f.rule.name} (${f.rule.why}), which this assignment forbids: ${f.seen.command || f.seen.exe}. ${flaggedSentence(flagged.get(f) ?? [])}`);
  // Where a stand-in took the forbidden program's place, the attempt failed by itself: it is reported, not charged again.
  const output = [program.stdout.snapshot(), program.stderr.snapshot()].map((o) => `${o.head}\n${o.tail}`).join('\n');
  const tried = trippedIn(forbidden, output).filter((r) => !findings.some((f) => f.rule === r));
  for (const r of tried) note(`Your program tried to run ${r.name} (${r.why}), which this assignment forbids; it is not available to submissions, so the attempt failed.`);
  const runs = program;
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
    program: { role: prog.role, starts: runs.starts, stdout: runs.stdout.snapshot(), stderr: runs.stderr.snapshot(), executables },
    ...(findings.length || tried.length
      ? {
          forbidden: [
            ...findings.map((f) => ({ name: f.rule.name, why: f.rule.why, exe: f.seen.exe, command: f.seen.command, tests: flagged.get(f) ?? [] })),
            ...tried.map((r) => ({ name: r.name, why: r.why, exe: '', command: '(tried; not available in the sandbox)', tests: [] })),
          ],
        }
      : {}),
    notes,
    official: !!opts.official,
    ...(visible.hidden ? { hidden: visible.hidden } : {}),
    leaderboard: definition.leaderboard.flatMap((l) => {
      const value = all.find((t) => t.id === l.test)?.metrics?.[l.metric];
      return value === undefined ? [] : [{ name: l.name, value, order: l.order }];
    }),
    environment: { node: process.version, platform: `${os.platform()} ${os.release()} ${os.arch()}`, sandbox: confinement.description, graderRssMiB: p.memory.peakMiB() },
  });
}

/**
 * A test during which a forbidden program ran (its first and last sighting overlap the test's
 * time) scores nothing, whatever it saw: the answers may have been the real program's. Returns
 * the tests charged per finding.
 */
function chargeForbidden(findings: ForbiddenFinding[], groups: GroupResult[], windows: Map<string, [number, number]>): Map<ForbiddenFinding, string[]> {
  const charged = new Map<ForbiddenFinding, string[]>();
  for (const f of findings) {
    const ids: string[] = [];
    for (const t of groups.flatMap((g) => g.tests)) {
      const w = windows.get(t.id);
      if (!w || f.seen.lastMs < w[0] || f.seen.firstMs > w[1]) continue;
      ids.push(t.id);
      if (t.status === 'skipped') continue;
      const before = `${t.status}${t.message ? `: ${t.message.split('\n')[0].slice(0, 200)}` : ''}`;
      t.log.push(`verdict before the forbidden program was found: ${before}`);
      t.status = 'failed';
      t.pointsEarned = 0;
      t.message = `not counted: while this test ran, your program ran ${f.rule.name} (${f.rule.why}), which this assignment forbids: ${f.seen.command || f.seen.exe}`;
      t.hint = 'Implement the protocol in your own code: the tests grade your program, not a real server or tool it starts.';
    }
    charged.set(f, ids);
  }
  return charged;
}

function flaggedSentence(ids: string[]): string {
  return ids.length ? `The tests it ran during score nothing: ${ids.map((i) => `"${i}"`).join(', ')}.` : 'It ran outside every test (during the build), so no test was charged; it is reported all the same.';
}

interface MemoryWatch {
  peakMiB(): number;
  stop(): void;
}

/** Samples the grader's resident memory while a grade runs (a process's own peak cannot be reset between the grades of a batch worker). */
function watchMemory(): MemoryWatch {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
  timer.unref();
  return {
    peakMiB: () => Math.round(Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024),
    stop: () => clearInterval(timer),
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
