// `sockgrade batch`: grade every submission of a class, several at a time, each in its own
// child (and network namespace), writing each submission's result as it finishes so that an
// interrupted batch resumes where it stopped; then the gradebook and the class summary.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AssignmentDefinition } from '../assignment/definition.js';
import { readDefinition } from '../assignment/load.js';
import { ConfigError } from '../errors.js';
import { newSeed } from '../harness/random.js';
import { readManifestAssignment } from '../grade/manifest.js';
import { Batch, BATCH_SCHEMA_VERSION, type BatchEntry, type BatchTest } from '../results/batch.js';
import { writeBatchOutputs } from './outputs.js';
import type { SimilarityOutcome } from '../report/class-summary.js';
import { classSimilarity, type SimilarityStepOptions } from './similarity-step.js';
import type { SandboxMode } from '../run/sandbox.js';
import { detectIsolation, type IsolationMode } from '../run/netns.js';
import { listSubmissions, readRoster, sliceShard, type Shard, type Submission } from './submissions.js';
import { GraderWorker, gradeSubmission, readEntry } from './worker.js';

export interface BatchOptions {
  folder: string;
  out: string;
  assignment?: string;
  jobs: number;
  roster?: string;
  shard?: Shard;
  seed?: string;
  official: boolean;
  force: boolean;
  isolation: IsolationMode;
  /** The sandbox for the programs (default auto: bubblewrap where it works). */
  sandbox?: SandboxMode;
  interrupt?: AbortSignal;
  events?: BatchEvents;
  /** Compare the class's code after grading (similarity.html); absent: no comparison. */
  similarity?: SimilarityStepOptions;
}

export interface BatchPlan {
  assignment: { id: string; title: string };
  seed: string;
  isolation: string;
  total: number;
  /** Graded in an earlier run of the same batch; not graded again. */
  alreadyDone: number;
  toGrade: number;
  /** Grades at once: --jobs, unless the assignment's weight caps it (then why). */
  jobs: number;
  cappedBy?: string;
}

export interface BatchEvents {
  onPlan?(plan: BatchPlan): void;
  onSubmissionStart?(sub: Submission): void;
  onSubmissionEnd?(entry: BatchEntry, progress: { done: number; total: number }): void;
  /** Grading is over and the class's code is being compared (it takes seconds for a large class). */
  onSimilarityStart?(): void;
}

export interface BatchOutcome {
  batch: Batch;
  interrupted: boolean;
  files: string[];
  /** The similarity analysis, when it was asked for and the batch was not interrupted. */
  similarity?: SimilarityOutcome & { durationMs: number };
}

export const BATCH_FILE = 'batch.json';

/** The assignment of the batch: --assignment, or the one most manifests name. */
function chooseAssignment(subs: Submission[], override: string | undefined): string {
  if (override) return override;
  const votes = new Map<string, number>();
  for (const s of subs) {
    const a = readManifestAssignment(s.dir);
    if (a) votes.set(a, (votes.get(a) ?? 0) + 1);
  }
  const best = [...votes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  if (!best) throw new ConfigError('no submission has a readable sockgrade.json naming its assignment', 'Say which assignment to grade them as: --assignment <id> (see `sockgrade list`).');
  return best[0];
}

/** An earlier run of this batch into the same folder, if any. */
export function readBatchFile(out: string): Batch | undefined {
  const file = path.join(out, BATCH_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    return Batch.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (e) {
    throw new ConfigError(`${file} is not a sockgrade batch file (${(e as Error).message.split('\n')[0]})`, 'Choose another --out folder, or delete it.');
  }
}

/** The gradebook's columns: every test of the assignment, hidden ones included. */
export function batchTests(def: AssignmentDefinition): { title: string; tests: BatchTest[] } {
  return {
    title: def.title,
    tests: def.groups.flatMap((g) => g.tests.map((t) => ({ id: t.id, title: t.title, group: g.id, points: t.points, visibility: t.visibility }))),
  };
}

export async function runBatch(opts: BatchOptions): Promise<BatchOutcome> {
  const out = path.resolve(opts.out);
  const all = listSubmissions(opts.folder, [out]);
  const roster = opts.roster ? readRoster(opts.roster) : undefined;
  const subs = sliceShard(all, opts.shard).map((s) => ({ ...s, ...roster?.get(s.id) }));
  const assignmentId = chooseAssignment(all, opts.assignment);
  const def = readDefinition(assignmentId);
  const { title, tests } = batchTests(def);

  const earlier = readBatchFile(out);
  if (earlier && !opts.force) {
    // Resuming: the same assignment, seed and kind of run, or the verdicts would not be comparable.
    const clash =
      earlier.assignment.id !== assignmentId
        ? `it graded ${earlier.assignment.id}, not ${assignmentId}`
        : opts.seed && opts.seed !== earlier.seed
          ? `it used seed ${earlier.seed}, not ${opts.seed}`
          : earlier.official !== opts.official
            ? `it was ${earlier.official ? '' : 'not '}an official run`
            : JSON.stringify(earlier.shard) !== JSON.stringify(opts.shard)
              ? `it graded ${earlier.shard ? `shard ${earlier.shard.index}/${earlier.shard.count}` : 'the whole class'}`
              : undefined;
    if (clash) throw new ConfigError(`${out} holds an earlier batch that differs: ${clash}`, 'Use the same options to resume it, --force to grade everything again, or another --out folder.');
  }
  if (opts.force) fs.rmSync(path.join(out, 'submissions'), { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });

  const seed = (!opts.force && earlier?.seed) || opts.seed || newSeed();
  const isolation = await detectIsolation(opts.isolation);
  const startedAt = (!opts.force && earlier?.startedAt) || new Date().toISOString();
  const t0 = performance.now();
  const previousMs = !opts.force && earlier ? earlier.durationMs : 0;

  const entries = new Map<string, BatchEntry>();
  if (!opts.force)
    for (const s of subs) {
      const e = readEntry(out, s.id);
      // The roster may have changed since: names and emails come from the current one.
      if (e) entries.set(s.id, { ...e, name: s.name, email: s.email });
    }
  const todo = subs.filter((s) => !entries.has(s.id));
  const batchOf = (): Batch =>
    Batch.parse({
      schemaVersion: BATCH_SCHEMA_VERSION,
      assignment: { id: assignmentId, title },
      seed,
      official: opts.official,
      ...(opts.shard ? { shard: opts.shard } : {}),
      isolation: isolation.description,
      tests,
      entries: subs.flatMap((s) => entries.get(s.id) ?? []),
      startedAt,
      durationMs: previousMs + Math.round(performance.now() - t0),
    });
  // Written before grading too: a resumed run finds the seed there.
  fs.writeFileSync(path.join(out, BATCH_FILE), JSON.stringify(batchOf(), null, 2) + '\n');
  const cap = Math.max(1, Math.floor(def.gradesPerCore * os.availableParallelism()));
  const jobs = Math.max(1, Math.min(opts.jobs, cap, todo.length));
  opts.events?.onPlan?.({
    assignment: { id: assignmentId, title },
    seed,
    isolation: isolation.description,
    total: subs.length,
    alreadyDone: subs.length - todo.length,
    toGrade: todo.length,
    jobs,
    ...(cap < opts.jobs ? { cappedBy: `${assignmentId} grades take ${def.gradesPerCore < 1 ? `${Math.round(1 / def.gradesPerCore)} cores` : `1/${def.gradesPerCore} of a core`} each, and this machine has ${os.availableParallelism()}` } : {}),
  });

  // The grader's own budget ends a grade; this only catches a grader that hangs.
  const timeoutMs = Number(process.env.SOCKGRADE_TEST_BATCH_TIMEOUT_MS) || def.budgetMs + 120_000 + 120_000;
  let next = 0;
  const workers: GraderWorker[] = [];
  const slot = async () => {
    // One worker per slot, replaced when it dies: grades in one slot never overlap.
    let w: GraderWorker | undefined;
    const getWorker = () => {
      if (!w?.alive) workers.push((w = new GraderWorker(isolation)));
      return w;
    };
    while (next < todo.length && !opts.interrupt?.aborted) {
      const sub = todo[next++];
      opts.events?.onSubmissionStart?.(sub);
      const outcome = await gradeSubmission(sub, getWorker, { seed, assignment: assignmentId, override: !!opts.assignment, official: opts.official, sandbox: opts.sandbox ?? 'auto', privateDirs: [path.resolve(opts.folder), out], out, timeoutMs, signal: opts.interrupt });
      if (outcome.kind === 'interrupted') continue;
      entries.set(sub.id, outcome.entry);
      opts.events?.onSubmissionEnd?.(outcome.entry, { done: entries.size, total: subs.length });
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, slot));
  } finally {
    for (const w of workers) w.close();
  }
  const interrupted = !!opts.interrupt?.aborted && entries.size < subs.length;
  // The batch's own time is the grading's: the comparison is reported apart.
  const batch = batchOf();
  let similarity: BatchOutcome['similarity'];
  if (opts.similarity && !opts.interrupt?.aborted) {
    opts.events?.onSimilarityStart?.();
    const s0 = performance.now();
    // The whole class, whatever the shard: copying crosses shards, and every shard's report is then the same.
    const outcome = await classSimilarity(all, { id: assignmentId, title }, opts.similarity);
    similarity = { ...outcome, durationMs: Math.round(performance.now() - s0) };
  }
  const files = writeBatchOutputs(out, batch, { similarity });
  return { batch, interrupted, files, similarity };
}
