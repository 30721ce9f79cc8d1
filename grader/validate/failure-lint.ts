// A lint of failure messages: what a student reads when a test fails must say what happened in
// plain words, point at the likely cause, and fit a terminal. The validate command runs it on
// every failed test of every broken scenario, so a message that regresses (an "undefined", a
// raw status word, a hint that repeats the message, a 400-character byte dump) is caught before
// a student sees it. Pure: a TestResult in, the problems out (empty when the message is fine).
//
// The rules come from reading every failure of every scenario as its student would
// (bench/failure-messages.js prints them all and runs this lint over each).
import type { TestResult } from '../results/schema.js';

/** The first line is what a terminal report shows beside the test's name: it must fit. */
export const MAX_FIRST_LINE = 200;
/** A message longer than this many lines buries its point (stderr excerpts included). */
export const MAX_LINES = 40;
/** A hint is one or two sentences of advice, not an essay. */
export const MAX_HINT = 400;
/** More escaped bytes than this in a row (\x00\x01...) is a dump, not something to read. */
const MAX_ESCAPED_RUN = 16;

/**
 * The grader's own words in a message: the student's stderr excerpts (the lines after a line
 * ending in "stderr:", indented), quoted data ("...") and JSON objects ({...}) are the
 * program's, and may say anything (a JavaScript program may well print "undefined").
 */
export function graderWords(text: string): string {
  const out: string[] = [];
  let inStderr = false;
  for (const line of text.split('\n')) {
    if (inStderr && /^\s/.test(line)) continue;
    inStderr = /stderr:\s*$/i.test(line);
    // Quoted bytes, and JSON objects shown as the program sent them ({"messages":null}).
    let words = line.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    for (let before = ''; before !== words; ) [before, words] = [words, words.replace(/\{[^{}]*\}/g, '⟨json⟩')];
    out.push(words);
  }
  return out.join('\n');
}

/** A stack frame from the grader's own code (a test or harness bug), not from the student's program. */
const GRADER_FRAME = /^\s*at .*[(\s](?:node:internal\/|file:\/\/|\/)\S*?(?:\/dist\/|\/grader\/|\/assignments\/|node_modules\/)\S*:\d+:\d+\)?\s*$/m;
const JUNK = [
  { re: /\bundefined\b/, what: '"undefined"' },
  { re: /\[object \w+\]/, what: '"[object Object]"' },
  { re: /\bNaN\b/, what: '"NaN"' },
  { re: /\bnull\b(?! bulk)/, what: '"null"' },
];
/** Internal outcome words a reader cannot act on, as the grader's code names them. */
const RAW_STATUS = /\((?:timeout|closed|invalid|complete|incomplete|rejected|fulfilled)\)/;
/** "line(s)", "query(s)": a count that did not bother to agree with its noun. */
const LAZY_PLURAL = /\b\w+\((?:s|es)\)/;

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 40);
}

/** Problems with what a failed (or partly failed) test tells the student; empty when fine. */
export function lintFailure(test: TestResult): string[] {
  const failed = test.status !== 'passed' || test.pointsEarned < test.pointsPossible;
  if (!failed) return [];
  const problems: string[] = [];
  const message = test.message ?? '';
  const hint = test.hint ?? '';
  // "not run: ..." results stand for another test's failure (the server did not start, the
  // budget ran out, grading was interrupted): they point there instead of giving advice.
  const notRun = test.status === 'skipped' || /^not run:/.test(message) || /grading was interrupted/.test(message);

  if (!message.trim()) {
    problems.push('no message: the student is not told what went wrong');
    return problems;
  }
  const words = graderWords(message);
  for (const { re, what } of JUNK) {
    if (re.test(words)) problems.push(`the message shows ${what}: a value was missing when it was written`);
    if (re.test(graderWords(hint))) problems.push(`the hint shows ${what}`);
  }
  if (GRADER_FRAME.test(words) || /internal error in the test itself/.test(message))
    problems.push("the message carries the grader's own stack trace: the test itself crashed (a grader bug, not the student's)");
  if (RAW_STATUS.test(words)) problems.push(`the message shows an internal status word ${words.match(RAW_STATUS)![0]}: say what happened in words`);
  if (LAZY_PLURAL.test(words)) problems.push(`the message writes "${words.match(LAZY_PLURAL)![0]}": make the noun agree with its count`);

  const first = message.split('\n')[0];
  if (first.length > MAX_FIRST_LINE) problems.push(`the first line is ${first.length} characters (at most ${MAX_FIRST_LINE}): a terminal wraps it; move detail to later lines or the diff`);
  const lines = message.split('\n').length;
  if (lines > MAX_LINES) problems.push(`the message is ${lines} lines long (at most ${MAX_LINES})`);
  const run = message.match(new RegExp(`(?:\\\\x[0-9a-f]{2}){${MAX_ESCAPED_RUN + 1},}`, 'i'));
  if (run) problems.push(`the message holds a dump of ${run[0].length / 4} escaped bytes in a row (at most ${MAX_ESCAPED_RUN}): show a few bytes and the size, and leave the rest to the diff`);

  if (!notRun) {
    if (!hint.trim()) problems.push('no hint: nothing points the student at the likely cause');
    else {
      if (hint.length > MAX_HINT) problems.push(`the hint is ${hint.length} characters (at most ${MAX_HINT})`);
      if (hint.trim() === message.trim()) problems.push('the hint repeats the message');
      else {
        const repeated = sentences(hint).find((s) => message.includes(s));
        if (repeated) problems.push(`the hint repeats a sentence of the message: "${repeated.slice(0, 60)}${repeated.length > 60 ? '…' : ''}"`);
      }
    }
  }

  if (test.diff && test.diff.expected === test.diff.received) problems.push('the diff shows expected and received the same: nothing to see at the caret');
  if (test.timing) {
    for (const m of test.timing.measurements)
      if (!Number.isFinite(m.measured) || !Number.isFinite(m.bound)) problems.push(`a timing measurement ("${m.label}") is not a finite number`);
  }
  return problems;
}
