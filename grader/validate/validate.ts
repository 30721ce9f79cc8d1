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
}

/** Grade one shipped program and judge it. A program that cannot be graded at all is a problem, not a crash. */
export async function validateItem(item: CatalogItem, opts: Pick<ValidateOptions, 'interrupt' | 'extraJudge'> & { budgetMs?: number } = {}): Promise<ItemReport> {
  const t0 = performance.now();
  try {
    const r = await grade({
      dir: item.dir,
      official: true,
      readOnly: item.shared,
      ...(opts.interrupt ? { interrupt: opts.interrupt } : {}),
      ...(opts.budgetMs ? { budgetMs: opts.budgetMs } : {}),
    });
    const problems = [...judge(item, r), ...(opts.extraJudge?.(item, r) ?? [])];
    return { item, problems, score: r.score, failed: failedIds(r), seed: r.seed, durationMs: Math.round(performance.now() - t0) };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { item, problems: [`could not be graded: ${e.message}${e.fix ? ` (${e.fix})` : ''}`], durationMs: Math.round(performance.now() - t0) };
  }
}

async function pool<T, R>(items: T[], jobs: number, fn: (item: T) => Promise<R>): Promise<R[]> {
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
