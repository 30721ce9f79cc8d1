// The fragments two submissions share, as a TA reads them: line ranges of real files, side by
// side. The library's fragments are runs of consecutive fingerprints, one for every pairing of
// occurrences: code that repeats (three command handlers of the same shape) also pairs with its
// look-alikes elsewhere, and a copied function comes out as several runs, broken wherever a
// fingerprint was excluded (it is in the starter) or a line was edited. So the runs are aligned
// one to one first (the largest claim their lines; a smaller run on lines already claimed, on
// either side, is a repeat), then runs that continue each other on both sides are joined.
import type { FragmentSide, SharedFragment } from '../results/similarity.js';
import { segmentAt, type Document } from './documents.js';
import type { DolosFragment } from './dolos.js';

/** Fragments shown per pair, the largest. */
export const MAX_FRAGMENTS = 8;
/** Lines shown per side of a fragment. */
export const MAX_FRAGMENT_LINES = 60;
/** Runs this close (in lines) on both sides, in the same order, are one fragment. */
const JOIN_GAP = 3;
/**
 * Fragments smaller than this (a line or two) are neither shown nor counted: any two programs in
 * one language share a few (a loop over a list, a guard clause). They still count in the figure.
 */
export const MIN_FRAGMENT_FINGERPRINTS = 3;

export interface Span {
  start: number;
  /** Inclusive. */
  end: number;
}

export interface Run {
  left: Span;
  right: Span;
  fingerprints: number;
}

function toRun(f: DolosFragment): Run {
  return {
    left: { start: f.leftSelection.startRow, end: Math.max(f.leftSelection.startRow, f.leftSelection.endRow) },
    right: { start: f.rightSelection.startRow, end: Math.max(f.rightSelection.startRow, f.rightSelection.endRow) },
    fingerprints: f.pairs.length,
  };
}

/** More than a shared boundary row in common (runs that meet on one line do not overlap). */
function overlaps(a: Span, b: Span): boolean {
  return Math.max(a.start, b.start) < Math.min(a.end, b.end);
}

/** The largest runs, each on lines no larger run claimed on either side. */
export function alignRuns(runs: Run[]): Run[] {
  const kept: Run[] = [];
  const bySize = [...runs].sort((a, b) => b.fingerprints - a.fingerprints || a.left.start - b.left.start || a.right.start - b.right.start);
  for (const r of bySize) if (!kept.some((k) => overlaps(k.left, r.left) || overlaps(k.right, r.right))) kept.push(r);
  return kept;
}

/** Aligned runs in left order, joined where the next one continues the last on both sides. */
export function joinRuns(runs: Run[]): Run[] {
  const joined: Run[] = [];
  const continues = (r: Run, j: Run) =>
    r.left.start >= j.left.end - 1 && r.left.start <= j.left.end + JOIN_GAP && r.right.start >= j.right.end - 1 && r.right.start <= j.right.end + JOIN_GAP;
  for (const r of [...runs].sort((a, b) => a.left.start - b.left.start || a.right.start - b.right.start)) {
    // Not only the last one: a stray one-line match elsewhere may sit between two runs of the same copied code.
    let into: Run | undefined;
    for (let k = joined.length - 1; k >= 0 && !into; k--) if (continues(r, joined[k])) into = joined[k];
    if (into) {
      into.left.end = Math.max(into.left.end, r.left.end);
      into.right.end = Math.max(into.right.end, r.right.end);
      into.fingerprints += r.fingerprints;
    } else joined.push({ left: { ...r.left }, right: { ...r.right }, fingerprints: r.fingerprints });
  }
  return joined;
}

/** One side: clipped to the file its first row is in, with the lines to show. */
function side(doc: Document, span: Span): FragmentSide {
  const seg = segmentAt(doc, span.start);
  const first = span.start - seg.firstRow;
  const last = Math.min(span.end - seg.firstRow, seg.lines.length - 1);
  const shown = Math.min(last - first + 1, MAX_FRAGMENT_LINES);
  return {
    file: seg.file,
    startLine: first + 1,
    endLine: last + 1,
    code: seg.lines.slice(first, first + shown).join('\n'),
    moreLines: last - first + 1 - shown,
  };
}

/** The largest shared fragments of a pair, in the left document's order, and how many more there were. */
export function describeFragments(fragments: DolosFragment[], left: Document, right: Document): { fragments: SharedFragment[]; more: number } {
  const runs = joinRuns(alignRuns(fragments.map(toRun))).filter((r) => r.fingerprints >= MIN_FRAGMENT_FINGERPRINTS);
  const largest = [...runs].sort((a, b) => b.fingerprints - a.fingerprints || a.left.start - b.left.start).slice(0, MAX_FRAGMENTS);
  largest.sort((a, b) => a.left.start - b.left.start);
  return {
    fragments: largest.map((r) => ({ left: side(left, r.left), right: side(right, r.right), fingerprints: r.fingerprints })),
    more: runs.length - largest.length,
  };
}
