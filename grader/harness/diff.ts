// Expected vs received bytes, escaped for display, with the caret at the first difference.
import { escapeBytes, escapedOffset } from '../results/escape.js';
import type { Diff } from '../results/schema.js';

/** Show at most this much around the first difference, so a 512 KiB mismatch stays readable. */
const WINDOW = 60;

export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export function byteDiff(expected: Uint8Array, received: Uint8Array): Diff {
  const at = Math.max(0, firstDifference(expected, received));
  // Long values: show a window that starts a little before the difference.
  const from = at > WINDOW ? at - 20 : 0;
  const cut = (b: Uint8Array) => {
    const part = b.subarray(from, from + WINDOW * 2);
    const prefix = from > 0 ? `…(${from} bytes) ` : '';
    const suffix = b.length > from + WINDOW * 2 ? ` …(${b.length - from - WINDOW * 2} more bytes)` : '';
    return { text: prefix + escapeBytes(part) + suffix, prefix: prefix.length };
  };
  const e = cut(expected);
  const r = cut(received);
  // The caret indexes the escaped strings; both share the same prefix width when cut at `from`.
  const caret = e.prefix + escapedOffset(expected.subarray(from), at - from);
  return { expected: e.text, received: r.text, caret };
}
