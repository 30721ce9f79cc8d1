// JUnit XML, the test-results format GitHub test reporters, GitLab (artifacts:reports:junit) and
// Jenkins read: <testsuites> holds one <testsuite> per stage, one <testcase> per test, with a
// <failure> (failed, timed out), an <error> or a <skipped/> carrying the message and, in its
// body, expected vs received and the transcript.
//
// Student programs can send any bytes, and XML 1.0 cannot hold some characters at all (NUL and
// most other C0 controls, lone surrogates, U+FFFE/U+FFFF) — not even as character references.
// So every text goes through xmlText: forbidden characters become visible escapes (`\x00`), then
// & < > (and " in attributes) become entities. No CDATA: a `]]>` in the data would end it.
import type { Results, TestResult } from '../results/schema.js';
import { sanitizeLine, sanitizeText } from './format.js';
import { plainDetails } from './plain-details.js';
import { buildView, TERMINAL_LIMITS, timingView } from './view.js';

// Everything outside XML 1.0's Char production.
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function visible(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xff ? '\\x' + code.toString(16).padStart(2, '0') : '\\u' + code.toString(16).padStart(4, '0');
}

/** Text content: only characters XML allows, with & < > as entities. */
export function xmlText(s: string): string {
  return s.replace(NOT_XML_CHAR, visible).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value (double-quoted): also ", and line breaks and tabs as references, which attribute normalisation would otherwise turn into spaces. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** The first line of a message, cut: what a test view lists next to the test's name. */
function summaryLine(t: TestResult): string {
  // A failure on time alone says so first, with its first number: "too slow" is not "wrong".
  const timing = t.timing?.onlyTiming && t.status === 'failed' ? timingView(t.timing) : undefined;
  const first = timing ? `${timing.headline} ${timing.rows.find((r) => r.missed)?.text ?? timing.rows[0].text}` : sanitizeLine((t.message ?? '').split('\n')[0] ?? '').trim();
  const text = first || (t.status === 'timeout' ? 'timed out' : t.status);
  return [...text].length > 200 ? [...text].slice(0, 199).join('') + '…' : text;
}

function testcase(r: Results, t: TestResult, indent: string): string {
  const head = `${indent}<testcase${attrs({ name: `${sanitizeLine(t.title)} (${sanitizeLine(t.id)})`, classname: `${sanitizeLine(r.assignment.id)}.${sanitizeLine(t.group)}`, time: seconds(t.durationMs) })}`;
  const inner = `${indent}  `;
  const body = (tag: string, type: string): string => `${inner}<${tag}${attrs({ message: summaryLine(t), type })}>${xmlText(plainDetails(t))}</${tag}>\n`;
  let children = '';
  if (t.status === 'failed') children = body('failure', 'failed');
  else if (t.status === 'timeout') children = body('failure', 'timeout');
  else if (t.status === 'error') children = body('error', 'error');
  else if (t.status === 'skipped') children = `${inner}<skipped${attrs({ message: summaryLine(t) })}/>\n`;
  else if (t.pointsEarned < t.pointsPossible)
    // JUnit has no partial credit: say it where the test's output goes.
    children = `${inner}<system-out>${xmlText(`Partial credit: ${t.pointsEarned}/${t.pointsPossible} points.\n\n${plainDetails(t)}\n`)}</system-out>\n`;
  return children ? `${head}>\n${children}${indent}</testcase>\n` : `${head}/>\n`;
}

function counts(tests: TestResult[]) {
  return {
    tests: tests.length,
    failures: tests.filter((t) => t.status === 'failed' || t.status === 'timeout').length,
    errors: tests.filter((t) => t.status === 'error').length,
    skipped: tests.filter((t) => t.status === 'skipped').length,
    time: seconds(tests.reduce((s, t) => s + t.durationMs, 0)),
  };
}

export function renderJunit(r: Results): string {
  const v = buildView(r, TERMINAL_LIMITS);
  const all = r.groups.flatMap((g) => g.tests);
  const props: Array<[string, string]> = [
    ['sockgrade.version', r.tool.version],
    ['assignment', r.assignment.id],
    ['seed', r.seed],
    ['replay', r.replay],
    ['score', `${r.score.earned}/${r.score.possible}`],
    ['percent', String(Math.round(r.score.percent * 100) / 100)],
    ['completeness', r.completeness],
    ['official', String(r.official ?? false)],
  ];
  if (r.hidden && r.hidden.tests > 0) props.push(['hidden.tests', String(r.hidden.tests)], ['hidden.points', String(r.hidden.points)]);
  // Whole-run output goes with the first suite: the build's output when it failed, the notes,
  // and the end of the program's stderr when something failed.
  const out: string[] = [...v.notes];
  if (v.completenessWarning) out.unshift(v.completenessWarning);
  const err: string[] = [];
  if (v.build.failed) err.push(`Build (${v.build.command ?? 'build'}) ${v.build.exit}:`, v.build.output.text);
  if (v.anyFailed && v.program.stderrTail.length > 0) err.push('Last lines of your program\'s stderr:', ...v.program.stderrTail);

  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n';
  xml += `<testsuites${attrs({ name: `sockgrade ${sanitizeLine(r.assignment.id)}`, ...counts(all), timestamp: r.startedAt })}>\n`;
  r.groups.forEach((g, i) => {
    xml += `  <testsuite${attrs({ name: `${sanitizeLine(r.assignment.id)}.${sanitizeLine(g.id)}`, id: i, ...counts(g.tests), timestamp: r.startedAt, hostname: 'localhost' })}>\n`;
    if (i === 0) {
      xml += '    <properties>\n';
      for (const [name, value] of props) xml += `      <property${attrs({ name, value: sanitizeLine(value) })}/>\n`;
      xml += '    </properties>\n';
    }
    for (const t of g.tests) xml += testcase(r, t, '    ');
    if (i === 0 && out.length > 0) xml += `    <system-out>${xmlText(sanitizeText(out.join('\n')) + '\n')}</system-out>\n`;
    if (i === 0 && err.length > 0) xml += `    <system-err>${xmlText(err.join('\n') + '\n')}</system-err>\n`;
    xml += '  </testsuite>\n';
  });
  xml += '</testsuites>\n';
  return xml;
}
