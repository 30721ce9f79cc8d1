// The Markdown report, for CI job summaries and pull-request comments: the score, a table per
// stage, and a collapsed section per test that needs attention. Student bytes only ever appear
// inside fenced code blocks whose fence is longer than any backtick run in them, or escaped.
// GitHub caps a comment at 65,536 characters, so details are dropped (and counted) past a budget.
import type { Results } from '../results/schema.js';
import { render } from './templates.js';
import { buildView, mergeAlike, transcriptColumns, type Limits, type MergedTestView, type Row } from './view.js';
import { padStart } from './format.js';

export const MARKDOWN_LIMITS: Limits = {
  dataChars: 160,
  hexRows: 8,
  diffChars: 120,
  transcriptEntries: 30,
  outputHeadLines: 40,
  outputTailLines: 20,
};

export interface MarkdownOptions {
  /** Upper bound on the length of the output, in characters (default: fits a GitHub comment). */
  maxChars?: number;
}

const DEFAULT_MAX_CHARS = 60_000;
const LABEL_WIDTH = 'Expected: '.length;

function transcriptText(rows: Row[]): string {
  const { timeW, connW } = transcriptColumns(rows);
  return rows
    .map((r) => (r.gap ? r.text : `${padStart(r.time, timeW)}  ${r.conn.padEnd(connW)} ${r.arrow} ${r.text}`))
    .join('\n');
}

function diffText(t: MergedTestView): string | undefined {
  if (!t.diff) return undefined;
  return [
    `Expected: ${t.diff.expected.text}`,
    `Received: ${t.diff.received.text}`,
    ' '.repeat(LABEL_WIDTH + t.diff.caret) + '^',
  ].join('\n');
}

function detailsContext(t: MergedTestView) {
  return {
    ...t,
    idList: t.ids.join(', '),
    diffText: diffText(t),
    transcriptText: t.hasTranscript ? transcriptText(t.transcript) : undefined,
    logText: t.log.length > 0 ? t.log.join('\n') : undefined,
  };
}

export function renderMarkdown(r: Results, opts: MarkdownOptions = {}): string {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const view = buildView(r, MARKDOWN_LIMITS);
  const all = mergeAlike(view.attention).map(detailsContext);
  const base = {
    ...view,
    allPassed: view.attention.length === 0 && r.counts.skipped === 0,
    headEmoji: view.attention.length === 0 && r.counts.skipped === 0 ? '✅' : r.score.percent > 0 ? '🟡' : '❌',
    stderrText: view.program.stderrTail.join('\n'),
    showStderr: view.anyFailed && view.program.stderrTail.length > 0,
    buildText: view.build.output.text,
  };
  // Details go in order (the first failures are usually the ones to fix first) while they fit;
  // the rest are counted, not shown.
  const room = maxChars - render('markdown-report', { ...base, details: [], omittedDetails: all.length }).length;
  let used = 0;
  let shown = 0;
  for (const d of all) {
    const size = render('md-test', d).length + 2;
    if (used + size > room) break;
    used += size;
    shown++;
  }
  const md = render('markdown-report', { ...base, details: all.slice(0, shown), omittedDetails: all.length - shown });
  return md.replace(/\n*$/, '\n');
}
