// Expected vs received, laid out for display: both quoted, cut to a window around the first
// difference when they are long (never inside an escape like `\r` or `\x0a`), and the column of
// the caret that goes under the first differing character.
import type { Diff } from '../results/schema.js';
import { sanitizeLine, width } from './format.js';

export interface DiffLine {
  /** The whole quoted line: `"+PONG\r\n"` (with `…` inside the quotes where it was cut). */
  text: string;
  /** `text` up to the first differing character ... */
  same: string;
  /** ... and from there on. `same + differs === text`. */
  differs: string;
}

export interface DiffView {
  expected: DiffLine;
  received: DiffLine;
  /** Column (in characters, from the start of the quoted text) of the first differing character. */
  caret: number;
}

// One displayed unit of an escaped string: an escape sequence or a single character.
const TOKEN = /\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.|[\s\S]/gu;

/** Offsets at which tokens start, plus the string's length. */
function boundaries(s: string): number[] {
  const out: number[] = [];
  for (const m of s.matchAll(TOKEN)) out.push(m.index);
  out.push(s.length);
  return out;
}

/** The token (escape or character) starting at `i`; '' at the end. */
function tokenAt(s: string, i: number): string {
  const re = new RegExp(TOKEN.source, 'uy');
  re.lastIndex = i;
  return re.exec(s)?.[0] ?? '';
}

/** The largest boundary <= at. */
function snapDown(bounds: number[], at: number): number {
  let best = 0;
  for (const b of bounds) {
    if (b <= at) best = b;
    else break;
  }
  return best;
}

function line(s: string, start: number, caret: number, windowChars: number): DiffLine {
  const bounds = boundaries(s);
  const end = s.length - start > windowChars ? snapDown(bounds, start + windowChars) : s.length;
  const lead = start > 0 ? '…' : '';
  const trail = end < s.length ? '…' : '';
  const at = Math.min(Math.max(caret, start), end);
  const same = '"' + lead + s.slice(start, at);
  const differs = s.slice(at, end) + trail + '"';
  return { text: same + differs, same, differs };
}

/**
 * Lay out a diff. `windowChars` bounds how much of each string is shown; the window starts a
 * little before the first difference so the reader sees its context.
 */
export function diffView(diff: Diff, windowChars = Infinity): DiffView {
  // The strings are already escaped by the grader; sanitizing again only matters if one was not.
  const expected = sanitizeLine(diff.expected);
  const received = sanitizeLine(diff.received);
  let caret = Math.min(diff.caret, Math.max(expected.length, received.length));
  // The grader puts the caret at the start of the first differing byte's escape (`\r` against
  // `\n`: under the backslash). Trust it unless the text says otherwise; then find the first
  // difference ourselves, moved back to the start of the escape it falls in.
  const trusted =
    expected === diff.expected &&
    received === diff.received &&
    expected.slice(0, caret) === received.slice(0, caret) &&
    tokenAt(expected, caret) !== tokenAt(received, caret);
  if (!trusted) {
    caret = snapDown(boundaries(expected), firstDifference(expected, received));
  }
  let start = 0;
  if (Math.max(expected.length, received.length) > windowChars) {
    const before = Math.floor(windowChars / 3);
    const base = caret <= expected.length ? expected : received;
    start = caret > before ? snapDown(boundaries(base), caret - before) : 0;
  }
  const e = line(expected, start, caret, windowChars);
  const r = line(received, start, caret, windowChars);
  return { expected: e, received: r, caret: width(e.same) };
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
