// A test's details as plain text, for the formats that show text in a monospaced box (the body
// of a JUnit <failure>, a Gradescope test's output): what went wrong, expected vs received with a
// caret under the first difference, a transcript excerpt, the test's log, and the hint. Student
// bytes are already escaped by the view (control characters made visible); each format still
// escapes for its own syntax.
import type { TestResult } from '../results/schema.js';
import { padStart, pluralize } from './format.js';
import { testView, transcriptColumns, type Limits, type Row } from './view.js';

/** Shorter than the terminal's: these land in CI logs and a web page, one box per test. */
export const PLAIN_LIMITS: Limits = {
  dataChars: 120,
  hexRows: 6,
  diffChars: 100,
  transcriptEntries: 24,
  outputHeadLines: 20,
  outputTailLines: 20,
};

function transcriptLines(rows: Row[]): string[] {
  const { timeW, connW } = transcriptColumns(rows);
  const out: string[] = [];
  for (const r of rows) {
    if (r.gap) {
      out.push(`  ${r.text}`);
      continue;
    }
    out.push(`  ${padStart(r.time, timeW)}  ${r.conn.padEnd(connW)} ${r.arrow} ${r.text}`);
    if (r.decoded) out.push(`  ${' '.repeat(timeW + connW + 3)}decoded: ${r.decoded}`);
    for (const h of r.hex ?? []) out.push(`  ${' '.repeat(timeW + connW + 3)}${h.text}`);
    if (r.hexMore) out.push(`  ${' '.repeat(timeW + connW + 3)}${r.hexMore}`);
  }
  return out;
}

/** Everything a reader needs to fix one test, as lines of plain text (empty for a bare pass). */
export function plainDetails(t: TestResult, limits: Limits = PLAIN_LIMITS): string {
  const v = testView(t, limits);
  const parts: string[] = [];
  // A failure on time alone leads with the numbers; timing beside a wrong answer comes after it.
  if (v.timing?.onlyTiming) parts.push(v.timing.lines.join('\n'));
  if (v.message) parts.push(v.message);
  if (v.diff) {
    const label = 'Expected: '.length;
    parts.push([`Expected: ${v.diff.expected.text}`, `Received: ${v.diff.received.text}`, ' '.repeat(label + v.diff.caret) + '^'].join('\n'));
  }
  if (v.timing && !v.timing.onlyTiming) parts.push(v.timing.lines.join('\n'));
  if (v.hasTranscript) {
    const head = `Transcript (> sent by the grader, < sent by your program)${v.transcriptDropped ? `, ${pluralize(v.transcriptDropped, 'entry', 'entries')} dropped by the grader` : ''}:`;
    parts.push([head, ...transcriptLines(v.transcript)].join('\n'));
  }
  if (v.log.length > 0) parts.push(['Log:', ...v.log.map((l) => `  ${l}`)].join('\n'));
  if (v.figureCount > 0) parts.push(`(${pluralize(v.figureCount, 'picture')} of this test in the HTML report.)`);
  if (v.hint) parts.push(`Hint: ${v.hint}`);
  return parts.join('\n\n');
}
