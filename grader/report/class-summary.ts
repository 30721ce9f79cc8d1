// The class summary: one self-contained HTML page (inline CSS, no scripts, no requests) that
// shows a TA where a class struggles — score distribution, pass rate of every test, the most
// common first failure, the slowest and the erroring submissions, and a link to every
// student's own report. A pure function of a Batch: everything is computed here, the template
// (templates/class-summary.html.hbs) only lays it out, and every string goes through
// Handlebars' HTML escaping on top of the sanitizing done here.
import type { Batch, BatchEntry, BatchTest, EntryTest } from '../results/batch.js';
import type { TestStatus } from '../results/schema.js';
import type { SimilarityReport } from '../results/similarity.js';
import { formatDate, formatDuration, formatNumber, formatPercent, pluralize, sanitizeLine, sanitizeText } from './format.js';
import { similarityPercent } from './similarity-page.js';
import { render } from './templates.js';
import { statusInfo } from './view.js';

/** How many of the lowest pass rates are highlighted as the hardest tests. */
export const HARDEST_COUNT = 3;
/** How many submissions the "slowest" table lists. */
export const SLOWEST_COUNT = 10;
/** How many distinct messages are shown for each first failure. */
export const MESSAGES_PER_FAILURE = 3;

const STATUS_ORDER: TestStatus[] = ['passed', 'failed', 'timeout', 'error', 'skipped'];

// ---------------------------------------------------------------------------------------------
// Small pure helpers

/** Code-unit order, the same on every machine and locale. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The link to a student's report, relative to the summary (which sits at the top of the output
 * folder). Each path segment is percent-encoded and the path starts with `./`, so a folder
 * named `javascript:x` or `a#b` is still just a relative file path.
 */
export function reportHref(reportDir: string): string {
  const segments = reportDir.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  return ['.', ...segments.map(encodeURIComponent), 'report.html'].join('/');
}

/** A percent with at most one decimal (`62.5%`, `70%`), for class statistics. */
function pct1(p: number): string {
  return `${Number(p.toFixed(1))}%`;
}

/** The median of numbers sorted ascending (the mean of the middle two for an even count). */
export function median(sorted: number[]): number {
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Messages that differ only in numbers (ports, byte counts, pids) count as one. */
function messageKey(m: string): string {
  return m.trim().replace(/\d+/g, '#');
}

function isGraded(e: BatchEntry): e is BatchEntry & { score: NonNullable<BatchEntry['score']> } {
  return e.status === 'graded' && e.score !== undefined;
}

// ---------------------------------------------------------------------------------------------
// The view

export interface EntryRef {
  id: string;
  name?: string;
  /** The student's report; absent for a submission that errored (the grader wrote none). */
  href?: string;
}

export interface ClassSummaryView {
  assignmentId: string;
  assignmentTitle: string;
  seed: string;
  official: boolean;
  isolation: string;
  scope: string;
  started: string;
  /** Wall time of the whole batch. (Field names avoid the template helpers' names: count, points, duration, percent.) */
  time: string;
  counts: { total: number; graded: number; errored: number; fullMarks: number; zero: number; incomplete: number };
  totalText: string;
  stats?: { mean: string; median: string; min: string; max: string; meanPoints: string; possible: string };
  histogram: { label: string; title: string; num: number; height: number; full: boolean }[];
  tests: TestRow[];
  hardest: string[];
  firstFailures: FirstFailureRow[];
  noFailureCount: number;
  slowest: EntryRow[];
  errors: (EntryRef & { error: string })[];
  submissions: EntryRow[];
  /** The link to the similarity page (course staff only), or why there is none; absent when it was not asked for. */
  similarity?: SimilaritySummary;
  schemaVersion: number;
}

export type SimilaritySummary =
  | { href: string; pairsAbove: number; pairsText: string; thresholdText: string; clusters: number }
  | { skipped: string };

/** What the batch knows of the similarity analysis: its report, or why it did not run. */
export type SimilarityOutcome = { report: SimilarityReport; href: string } | { skipped: string };

function similaritySummary(s: SimilarityOutcome): SimilaritySummary {
  if ('skipped' in s) return { skipped: sanitizeLine(s.skipped) };
  return {
    href: s.href,
    pairsAbove: s.report.pairsAbove,
    pairsText: pluralize(s.report.pairsAbove, 'pair'),
    thresholdText: similarityPercent(s.report.threshold),
    clusters: s.report.clusters.length,
  };
}

export interface TestRow {
  id: string;
  title: string;
  group: string;
  pointsText: string;
  hidden: boolean;
  hard: boolean;
  passed: number;
  graded: number;
  rate: string;
  /** The bar: one segment per status, as a share of graded submissions (not run = rest). */
  segments: { status: TestStatus; word: string; n: number; width: string }[];
  statusText: string;
  meanPoints: string;
  pointsLost: string;
}

export interface FirstFailureRow {
  id: string;
  title: string;
  num: number;
  share: string;
  width: string;
  statusText: string;
  messages: { text: string; num: number; variants: number }[];
  otherMessages: number;
  students: EntryRef[];
}

export interface EntryRow extends EntryRef {
  status: 'graded' | 'error';
  score: string;
  percentText: string;
  percentValue: number;
  time: string;
  incomplete?: string;
  firstFailure?: string;
  /** Forbidden programs it ran, for the TA to look at. */
  flags?: string;
}

function ref(e: BatchEntry): EntryRef {
  return {
    id: sanitizeLine(e.id),
    name: e.name === undefined ? undefined : sanitizeLine(e.name),
    // An errored submission has no report (a bad manifest stops the grade before one exists);
    // its error is shown on this page instead of a dead link.
    href: e.status === 'graded' ? reportHref(e.reportDir) : undefined,
  };
}

/** The first test, in the assignment's order, that a submission did not pass. */
function firstFailure(tests: BatchTest[], e: BatchEntry): EntryTest | undefined {
  const byId = new Map(e.tests.map((t) => [t.id, t]));
  for (const t of tests) {
    const r = byId.get(t.id);
    if (r && r.status !== 'passed') return r;
  }
  return undefined;
}

const INCOMPLETE: Record<string, string> = {
  'budget-exceeded': 'time budget used up',
  interrupted: 'interrupted',
};

function histogram(percents: number[]): ClassSummaryView['histogram'] {
  // Ten bins of ten points, [0,10) … [90,100), and full marks on its own: it is often the
  // largest group and the one a TA looks for.
  const counts = new Array<number>(11).fill(0);
  for (const p of percents) counts[p >= 100 ? 10 : Math.min(9, Math.max(0, Math.floor(p / 10)))]++;
  const max = Math.max(1, ...counts);
  return counts.map((count, i) => ({
    label: i === 10 ? '100' : `${i * 10}–${i * 10 + 10}`,
    title:
      i === 10
        ? `${pluralize(count, 'submission')} with full marks`
        : `${pluralize(count, 'submission')} from ${i * 10}% up to (not including) ${i * 10 + 10}%`,
    num: count,
    height: Math.round((count / max) * 1000) / 10,
    full: i === 10,
  }));
}

function testRows(batch: Batch, graded: BatchEntry[]): TestRow[] {
  const n = graded.length;
  const rows = batch.tests.map((t) => {
    const tally: Record<TestStatus, number> = { passed: 0, failed: 0, timeout: 0, error: 0, skipped: 0 };
    let earned = 0;
    for (const e of graded) {
      const r = e.tests.find((x) => x.id === t.id);
      if (!r) continue;
      tally[r.status]++;
      earned += r.pointsEarned;
    }
    const notRun = n - STATUS_ORDER.reduce((s, k) => s + tally[k], 0);
    const parts = STATUS_ORDER.filter((s) => tally[s] > 0).map((s) => `${tally[s]} ${statusInfo(s).word}`);
    if (notRun > 0) parts.push(`${notRun} not run`);
    return {
      id: sanitizeLine(t.id),
      title: sanitizeLine(t.title),
      group: sanitizeLine(t.group),
      pointsText: formatNumber(t.points),
      hidden: t.visibility !== 'visible',
      hard: false,
      passed: tally.passed,
      graded: n,
      rateValue: n === 0 ? undefined : tally.passed / n,
      rate: n === 0 ? '—' : pct1((tally.passed / n) * 100),
      segments: STATUS_ORDER.filter((s) => tally[s] > 0).map((s) => ({
        status: s,
        word: statusInfo(s).word,
        n: tally[s],
        width: `${((tally[s] / n) * 100).toFixed(2)}%`,
      })),
      statusText: parts.join(', ') || 'no graded submission',
      meanPoints: n === 0 ? '—' : formatNumber(earned / n),
      pointsLost: formatNumber(Math.max(0, t.points * n - earned)),
    };
  });
  // The hardest: the lowest pass rates among tests someone failed, whole groups of equal rates
  // at a time, and at most HARDEST_COUNT tests in all — when many tests tie, none of them
  // stands out, and marking them all would say nothing.
  const rates = [...new Set(rows.filter((r) => r.rateValue !== undefined && r.rateValue < 1).map((r) => r.rateValue as number))];
  rates.sort((a, b) => a - b);
  let marked = 0;
  for (const rate of rates) {
    const tied = rows.filter((r) => r.rateValue === rate);
    if (marked + tied.length > HARDEST_COUNT) break;
    for (const r of tied) r.hard = true;
    marked += tied.length;
  }
  return rows.map(({ rateValue: _unused, ...r }) => r);
}

function firstFailureRows(batch: Batch, graded: BatchEntry[]): { rows: FirstFailureRow[]; none: number } {
  const groups = new Map<string, { entries: BatchEntry[]; results: EntryTest[] }>();
  let none = 0;
  for (const e of graded) {
    const f = firstFailure(batch.tests, e);
    if (!f) {
      none++;
      continue;
    }
    const g = groups.get(f.id) ?? { entries: [], results: [] };
    g.entries.push(e);
    g.results.push(f);
    groups.set(f.id, g);
  }
  const order = new Map(batch.tests.map((t, i) => [t.id, i]));
  const rows = [...groups.entries()].map(([id, g]) => {
    const test = batch.tests.find((t) => t.id === id);
    // Group messages by their shape (numbers blanked); show the most frequent exact wording.
    const byKey = new Map<string, Map<string, number>>();
    for (const r of g.results) {
      const text = r.message === undefined || r.message.trim() === '' ? '(no message)' : sanitizeLine(r.message.trim());
      const k = messageKey(text);
      const variants = byKey.get(k) ?? new Map<string, number>();
      variants.set(text, (variants.get(text) ?? 0) + 1);
      byKey.set(k, variants);
    }
    const messages = [...byKey.values()]
      .map((variants) => {
        const [text] = [...variants.entries()].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))[0];
        const count = [...variants.values()].reduce((s, c) => s + c, 0);
        return { text, num: count, variants: variants.size };
      })
      .sort((a, b) => b.num - a.num || cmp(a.text, b.text));
    const tally = new Map<TestStatus, number>();
    for (const r of g.results) tally.set(r.status, (tally.get(r.status) ?? 0) + 1);
    const share = (g.entries.length / graded.length) * 100;
    return {
      id: sanitizeLine(id),
      title: sanitizeLine(test?.title ?? id),
      num: g.entries.length,
      share: pct1(share),
      width: `${share.toFixed(2)}%`,
      statusText: STATUS_ORDER.filter((s) => tally.has(s))
        .map((s) => `${tally.get(s)} ${statusInfo(s).word}`)
        .join(', '),
      messages: messages.slice(0, MESSAGES_PER_FAILURE),
      otherMessages: messages.slice(MESSAGES_PER_FAILURE).reduce((s, m) => s + m.num, 0),
      students: g.entries.map(ref).sort((a, b) => cmp(a.id, b.id)),
      order: order.get(id) ?? Infinity,
    };
  });
  rows.sort((a, b) => b.num - a.num || a.order - b.order);
  return { rows: rows.map(({ order: _unused, ...r }) => r), none };
}

function entryRow(batch: Batch, e: BatchEntry): EntryRow {
  const graded = isGraded(e);
  const f = graded ? firstFailure(batch.tests, e) : undefined;
  return {
    ...ref(e),
    status: e.status,
    score: graded ? `${formatNumber(e.score.earned)}/${formatNumber(e.score.possible)}` : '—',
    percentText: graded ? formatPercent(e.score.percent) : '—',
    percentValue: graded ? e.score.percent : 0,
    time: formatDuration(e.durationMs),
    incomplete: e.completeness ? INCOMPLETE[e.completeness] : undefined,
    firstFailure: f ? sanitizeLine(f.id) : undefined,
    flags: e.forbidden?.length ? e.forbidden.map(sanitizeLine).join(', ') : undefined,
  };
}

export interface ClassSummaryExtras {
  similarity?: SimilarityOutcome;
}

export function classSummaryView(batch: Batch, extras: ClassSummaryExtras = {}): ClassSummaryView {
  const entries = [...batch.entries].sort((a, b) => cmp(a.id, b.id));
  const graded = entries.filter(isGraded);
  const errored = entries.filter((e) => !isGraded(e));
  const percents = graded.map((e) => e.score.percent).sort((a, b) => a - b);
  const possible = batch.tests.reduce((s, t) => s + t.points, 0);
  const tests = testRows(batch, graded);
  const ff = firstFailureRows(batch, graded);
  const slowest = [...entries]
    .sort((a, b) => b.durationMs - a.durationMs || cmp(a.id, b.id))
    .slice(0, SLOWEST_COUNT)
    .map((e) => entryRow(batch, e));
  const total = entries.length;
  return {
    assignmentId: sanitizeLine(batch.assignment.id),
    assignmentTitle: sanitizeLine(batch.assignment.title),
    seed: sanitizeLine(batch.seed),
    official: batch.official,
    isolation: sanitizeLine(batch.isolation),
    scope: batch.shard
      ? `shard ${batch.shard.index} of ${batch.shard.count} (a slice of the class; merge the shards for the whole class)`
      : 'the whole class (one run, or shards merged)',
    started: formatDate(batch.startedAt),
    time: formatDuration(batch.durationMs),
    counts: {
      total,
      graded: graded.length,
      errored: errored.length,
      fullMarks: percents.filter((p) => p >= 100).length,
      zero: percents.filter((p) => p <= 0).length,
      incomplete: entries.filter((e) => e.completeness !== undefined && e.completeness !== 'complete').length,
    },
    totalText: pluralize(total, 'submission'),
    stats:
      percents.length === 0
        ? undefined
        : {
            mean: pct1(percents.reduce((s, p) => s + p, 0) / percents.length),
            median: pct1(median(percents)),
            min: pct1(percents[0]),
            max: pct1(percents[percents.length - 1]),
            meanPoints: formatNumber(graded.reduce((s, e) => s + e.score.earned, 0) / graded.length),
            possible: formatNumber(possible),
          },
    histogram: histogram(percents),
    tests,
    hardest: tests.filter((t) => t.hard).map((t) => t.id),
    firstFailures: ff.rows,
    noFailureCount: ff.none,
    slowest,
    errors: errored.map((e) => ({ ...ref(e), error: sanitizeText(e.error ?? 'no reason was recorded') })),
    submissions: entries.map((e) => entryRow(batch, e)),
    similarity: extras.similarity ? similaritySummary(extras.similarity) : undefined,
    schemaVersion: batch.schemaVersion,
  };
}

export function renderClassSummary(batch: Batch, extras: ClassSummaryExtras = {}): string {
  return render('class-summary', classSummaryView(batch, extras));
}
