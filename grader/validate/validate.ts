// `sockgrade validate`: everything an instructor checks before releasing an assignment. Every
// shipped program is graded officially (hidden tests included) and judged by its kind; the
// static checks (points, handout, coverage) need no run. Programs are graded a few at a time;
// assignments whose grades start clusters of peers one at a time (their timing needs the cores).
import os from 'node:os';
import path from 'node:path';
import { loadAssignment } from '../assignment/load.js';
import { ConfigError } from '../errors.js';
import { grade } from '../grade/grade.js';
import type { Results } from '../results/schema.js';
import { catalog, type CatalogItem } from './catalog.js';
import { failedIds, judge } from './judge.js';
import { staticChecks, type StaticReport } from './static-checks.js';

export interface ItemReport {
  item: CatalogItem;
  problems: string[];
  /** The grade's score, when it ran. */
  score?: Results['score'];
  failed?: string[];
  seed?: string;
  durationMs: number;
  /** Tests whose verdict differs between the full run and isolated grading (checked unless turned off). */
  disagreements?: Disagreement[];
}

export interface ValidationReport {
  assignment: string;
  static: StaticReport;
  items: ItemReport[];
  ok: boolean;
}

export interface ValidateOptions {
  /** How many programs to grade at once (default: the cores; 1 for peers assignments). */
  jobs?: number;
  /** Which kinds of programs to grade (default: all). */
  kinds?: CatalogItem['kind'][];
  interrupt?: AbortSignal;
  onItem?: (r: ItemReport) => void;
  /** Extra judgement of a grade (the project's own tests add the lint of failure messages here). */
  extraJudge?: (item: CatalogItem, r: Results) => string[];
  /**
   * Also grade every program with each test on a fresh program (as `--only <test>` would, same
   * seed) and report every test whose verdict differs from the full run (default: on).
   */
  aloneVsFull?: boolean;
}

/** A test whose verdict depends on what ran before it: the full run's and the isolated run's results. */
export interface Disagreement {
  test: string;
  full: { status: string; message?: string };
  alone: { status: string; message?: string };
}

const verdict = (s: string) => (s === 'passed' ? 'passed' : 'did not pass');
const headline = (m: string | undefined) => (m ?? '').split('\n')[0].slice(0, 160);

/**
 * Tests whose verdicts differ (pass vs not) between the two runs. A test the full run never ran
 * because earlier tests used up the time budget counts too: "not run" costs its points, and it
 * is the earlier tests' doing. Only an interrupted run is left out.
 */
export function disagreements(full: Results, alone: Results): Disagreement[] {
  if (full.completeness === 'interrupted' || alone.completeness === 'interrupted') return [];
  const isolated = new Map(alone.groups.flatMap((g) => g.tests).map((t) => [t.id, t]));
  const out: Disagreement[] = [];
  for (const t of full.groups.flatMap((g) => g.tests)) {
    const a = isolated.get(t.id);
    if (!a || verdict(t.status) === verdict(a.status)) continue;
    out.push({ test: t.id, full: { status: t.status, ...(t.message ? { message: t.message } : {}) }, alone: { status: a.status, ...(a.message ? { message: a.message } : {}) } });
  }
  return out;
}

export function describeDisagreement(d: Disagreement): string {
  return `verdict depends on earlier tests: ${d.test} ${d.full.status} in the full run (${headline(d.full.message) || 'no message'}) but ${d.alone.status} alone on a fresh program (${headline(d.alone.message) || 'no message'})`;
}

/** Grade one shipped program and judge it. A program that cannot be graded at all is a problem, not a crash. */
export async function validateItem(item: CatalogItem, opts: Pick<ValidateOptions, 'interrupt' | 'extraJudge' | 'aloneVsFull'> & { budgetMs?: number } = {}): Promise<ItemReport> {
  const t0 = performance.now();
  try {
    const base = {
      dir: item.dir,
      official: true,
      readOnly: item.shared,
      // A real counterpart is the forbidden program itself, run on purpose to prove the tests fair.
      allowForbidden: item.kind === 'counterpart',
      // A real counterpart that cannot run sandboxed at all (its expected.json says why) runs as the grader's user.
      ...(item.kind === 'counterpart' && item.unsandboxed ? { sandbox: 'off' as const } : {}),
      ...(opts.interrupt ? { interrupt: opts.interrupt } : {}),
      ...(opts.budgetMs ? { budgetMs: opts.budgetMs } : {}),
    };
    const r = await grade(base);
    const problems = [...judge(item, r), ...(opts.extraJudge?.(item, r) ?? [])];
    // A client is a new process for every check already: there is no history to isolate from.
    let disagree: Disagreement[] | undefined;
    if (opts.aloneVsFull !== false && r.program.role !== 'client' && r.build.status !== 'failed' && r.build.status !== 'timeout' && !opts.interrupt?.aborted) {
      const alone = await grade({ ...base, seed: r.seed, isolate: true });
      disagree = disagreements(r, alone);
      problems.push(...disagree.map(describeDisagreement));
    }
    return { item, problems, score: r.score, failed: failedIds(r), seed: r.seed, durationMs: Math.round(performance.now() - t0), ...(disagree ? { disagreements: disagree } : {}) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { item, problems: [`could not be graded: ${e.message}${e.fix ? ` (${e.fix})` : ''}`], durationMs: Math.round(performance.now() - t0) };
  }
}

/** Run `fn` over `items`, at most `jobs` at a time, results in order. */
export async function pool<T, R>(items: T[], jobs: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
  return out;
}

export async function validateAssignment(id: string, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const { definition, dir } = await loadAssignment(id);
  const items = catalog(id);
  const st = staticChecks(definition, dir, items);
  const chosen = items.filter((i) => !opts.kinds || opts.kinds.includes(i.kind));
  const heavy = definition.program.role === 'peers';
  const jobs = opts.jobs ?? (heavy ? 1 : Math.max(1, os.availableParallelism()));
  const reports = await pool(chosen, jobs, async (item) => {
    if (opts.interrupt?.aborted) return { item, problems: ['not graded: interrupted'], durationMs: 0 };
    const r = await validateItem(item, opts);
    opts.onItem?.(r);
    return r;
  });
  return { assignment: id, static: st, items: reports, ok: !st.problems.length && reports.every((r) => !r.problems.length) };
}

/** Where an item lives, for messages: relative to the current folder when inside it. */
export function shortDir(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel && !rel.startsWith('..') ? rel : dir;
}
