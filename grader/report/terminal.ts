// The terminal report: one line per test as it finishes, a header per group, and after the run
// a summary with the details of every test that needs the student's attention. Colour is
// decided by the caller (TTY, NO_COLOR) and passed in; without it the output is plain text.
import type { GroupResult, Results, TestResult } from '../results/schema.js';
import { fit, padStart, sanitizeLine, width } from './format.js';
import { render, templates } from './templates.js';
import { buildView, mergeAlike, TERMINAL_LIMITS, testView, transcriptColumns, type MergedTestView, type Row, type TestView } from './view.js';

export interface LineWidths {
  /** Columns for the test id (a longer id is shown whole and pushes its line's columns). */
  id: number;
  /** Columns for the test title (longer titles are cut with `…`). */
  title: number;
}

export interface TestLineOptions {
  color: boolean;
  /**
   * Column widths, so lines printed one at a time still line up. Compute them once from the
   * tests about to run with lineWidths(); defaults fit most assignments.
   */
  widths?: LineWidths;
}

export interface TerminalOptions {
  color: boolean;
  /** Show the details of every test, not only of those that need attention. */
  verbose: boolean;
}

export const DEFAULT_WIDTHS: LineWidths = { id: 26, title: 44 };
const MAX_WIDTHS: LineWidths = { id: 28, title: 48 };
const POINTS_WIDTH = 5;
const DURATION_WIDTH = 7;
const RULE_WIDTH = 72;

/** Column widths that fit these tests (capped, so one long title does not push the rest away). */
export function lineWidths(tests: Pick<TestResult, 'id' | 'title'>[]): LineWidths {
  let id = 8;
  let title = 16;
  for (const t of tests) {
    id = Math.max(id, width(t.id));
    title = Math.max(title, width(t.title));
  }
  return { id: Math.min(id, MAX_WIDTHS.id), title: Math.min(title, MAX_WIDTHS.title) };
}

const TAGS: Partial<Record<TestResult['status'], string>> = {
  timeout: 'TIMEOUT',
  error: 'ERROR',
  skipped: 'SKIPPED',
};

function lineContext(v: TestView, status: TestResult['status'], widths: LineWidths) {
  return {
    ...v,
    // Ids are never cut (a student greps for them and passes them to --only); titles are.
    idCol: v.id + ' '.repeat(Math.max(0, widths.id - width(v.id))),
    titleCol: fit(v.title, widths.title),
    pointsCol: padStart(v.pointsText, POINTS_WIDTH),
    durationCol: padStart(status === 'skipped' ? '' : v.durationText, DURATION_WIDTH),
    // A failure on time alone says so on its line: "too slow" is not "wrong". A test run again
    // on a fresh server says so too (the notes say why).
    tag: [v.timing?.onlyTiming && status === 'failed' ? v.timing.tag : TAGS[status], v.rerun ? 'RERUN ON A FRESH SERVER' : undefined].filter(Boolean).join(' · ') || undefined,
  };
}

function clean(text: string): string {
  // Indented partials leave spaces on blank lines, and padded columns leave them at line ends.
  return text.replace(/[ \t]+$/gm, '');
}

/** `  ✓ ping   answers PING with +PONG   4/4    12 ms` */
export function renderTestLine(test: TestResult, opts: TestLineOptions): string {
  const v = testView(test, TERMINAL_LIMITS);
  const ctx = lineContext(v, test.status, opts.widths ?? DEFAULT_WIDTHS);
  return clean(render('terminal-line', ctx, { color: opts.color })).replace(/\n+$/, '');
}

/** The line printed before a group's tests (it starts with a blank line). */
export function renderGroupHeader(group: Pick<GroupResult, 'id' | 'title'>, opts: { color: boolean }): string {
  const ctx = { id: sanitizeLine(group.id), title: sanitizeLine(group.title) };
  return clean(render('terminal-group', ctx, { color: opts.color })).replace(/\n+$/, '');
}

function rule(title: string): string {
  const head = `── ${title} `;
  return head + '─'.repeat(Math.max(3, RULE_WIDTH - width(head)));
}

/** `a, b, c` broken into lines of at most `max` columns. */
function wrapList(items: string[], max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const [i, item] of items.entries()) {
    const piece = item + (i < items.length - 1 ? ',' : '');
    if (line !== '' && width(line) + 1 + width(piece) > max) {
      lines.push(line);
      line = piece;
    } else line = line === '' ? piece : `${line} ${piece}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Transcript rows with their time and connection columns padded to line up. */
function terminalRows(rows: Row[]) {
  const { timeW, connW } = transcriptColumns(rows);
  const timePad = ' '.repeat(timeW);
  return rows.map((r) => (r.gap ? r : { ...r, timeCol: padStart(r.time, timeW), connCol: fit(r.conn, connW), timePad }));
}

function detailsContext(v: MergedTestView) {
  return {
    ...v,
    idList: v.ids.join(', '),
    rows: terminalRows(v.transcript),
    // Where the caret goes: under "Expected: " / "Received: " labels of equal width.
    caretCol: v.diff ? 'Expected: '.length + v.diff.caret : 0,
  };
}

/** Everything printed after the last test: failure details, build, stderr, notes, score. */
export function renderTerminalSummary(r: Results, opts: TerminalOptions): string {
  const view = buildView(r, TERMINAL_LIMITS);
  const shown = view.groups.flatMap((g) =>
    g.tests.filter((t) => t.needsAttention || (opts.verbose && t.status.status !== 'skipped')),
  );
  const details = mergeAlike(shown).map(detailsContext);
  const skippedCount = view.skipped.reduce((n, s) => n + s.ids.length, 0);
  const total = view.groups.reduce((n, g) => n + g.tests.length, 0);
  const partial = shown.filter((t) => t.partial).length;
  const failing = shown.filter((t) => !t.passed).length;
  const detailsTitle = opts.verbose
    ? `Details (${shown.length})`
    : [failing > 0 ? `Failed tests (${failing})` : '', partial > 0 ? `Partial credit (${partial})` : '']
        .filter(Boolean)
        .join(' · ');
  const ctx = {
    ...view,
    details,
    skippedList: view.skipped.map((s) => ({
      ...s,
      idList: s.ids.length === total && total > 1 ? `all ${total} tests` : wrapList(s.ids, RULE_WIDTH - 4).join('\n    '),
    })),
    allPassed: total > 0 && r.counts.passed === total,
    rules: {
      details: rule(detailsTitle),
      skipped: rule(`Skipped (${skippedCount})`),
      build: rule(view.build.status === 'timeout' ? 'Build timed out' : 'Build failed'),
      stderr: rule(view.program.stderrTailCut ? `Program stderr (last ${view.program.stderrTail.length} lines)` : 'Program stderr'),
      crashes: rule('Program exits'),
      notes: rule('Notes'),
    },
    scoreColour: r.score.percent >= 100 ? 'passed' : r.score.percent <= 0 ? 'failed' : 'timeout',
    showStderr: view.anyFailed && view.program.stderrTail.length > 0,
  };
  return clean(render('terminal-summary', ctx, { color: opts.color })).replace(/^\n+/, '').replace(/\n*$/, '\n');
}

// The same lines the summary prints for a failed build and for one test's details (its
// templates/terminal-summary.txt.hbs blocks, rendered with the same partials), on their own.
const FIRST_FAILURE = `{{#if build}}
{{red rule}}
{{#if build.command}}
  {{dim "$"}} {{build.command}}
{{/if}}
  {{build.exit}} after {{build.durationText}}
  {{> term-output build.output}}
{{else}}
{{badge badgeColour badgeLabel}} {{bold id}} {{dim "·"}} {{title}}  {{dim (concat pointsText " points")}}
    {{> term-test-body}}
{{/if}}
`;
let firstFailureTemplate: ((ctx: unknown, o: { data: { color: boolean } }) => string) | undefined;

/**
 * What `sockgrade grade --watch` shows in full: the failed build, or else the first test that
 * needs attention, exactly as the summary renders it. Empty when there is nothing to show.
 */
export function renderFirstFailure(r: Results, opts: { color: boolean }): string {
  const view = buildView(r, TERMINAL_LIMITS);
  let ctx: object;
  if (view.build.failed) ctx = { build: view.build, rule: rule(view.build.status === 'timeout' ? 'Build timed out' : 'Build failed') };
  else {
    const first = view.groups.flatMap((g) => g.tests).find((t) => t.needsAttention);
    if (!first) return '';
    ctx = detailsContext({ ...first, ids: [first.id], merged: false });
  }
  firstFailureTemplate ??= templates().handlebars.compile(FIRST_FAILURE, { noEscape: true });
  return clean(firstFailureTemplate(ctx, { data: { color: opts.color } })).replace(/^\n+/, '').replace(/\n*$/, '\n');
}

/** The whole terminal report at once: group headers, test lines, then the summary. */
export function renderTerminal(r: Results, opts: TerminalOptions): string {
  const widths = lineWidths(r.groups.flatMap((g) => g.tests));
  const out: string[] = [];
  for (const g of r.groups) {
    out.push(renderGroupHeader(g, opts));
    for (const t of g.tests) out.push(renderTestLine(t, { color: opts.color, widths }));
  }
  out.push('', renderTerminalSummary(r, opts));
  return out.join('\n').replace(/^\n+/, '');
}
