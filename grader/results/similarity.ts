// What the class similarity analysis finds (<out>/similarity.json, rendered as similarity.html):
// pairs of submissions whose code is alike beyond the assignment's starter code, with the
// fragments they share. For course staff only: it names students and shows their code side by
// side, so it is written beside the class summary and never into a student's report folder.
// No timestamps: the same submissions give a byte-identical file, so `diff` shows what changed.
import { z } from 'zod';

export const SIMILARITY_SCHEMA_VERSION = 1;

/** One side of a shared fragment: where it is in a submission, and its lines. */
export const FragmentSide = z.object({
  /** The file, relative to the submission folder (student-controlled text). */
  file: z.string(),
  /** 1-based, inclusive. */
  startLine: z.number().int().positive(),
  endLine: z.number().int().positive(),
  /** The lines shown (at most a screenful; the rest is counted in `moreLines`). */
  code: z.string(),
  moreLines: z.number().int().nonnegative(),
});
export type FragmentSide = z.infer<typeof FragmentSide>;

export const SharedFragment = z.object({
  left: FragmentSide,
  right: FragmentSide,
  /** How many fingerprints (winnowed k-grams of syntax-tree tokens) the fragment spans: its weight. */
  fingerprints: z.number().int().positive(),
});
export type SharedFragment = z.infer<typeof SharedFragment>;

export const SimilarPair = z.object({
  /** Submission ids, `left` < `right` in code-unit order. */
  left: z.string(),
  right: z.string(),
  /** The parser the two were compared with (python, typescript, c, ...). */
  language: z.string(),
  /** Share of both submissions' fingerprints, starter excluded, that the other one also has: 0..1. */
  similarity: z.number().min(0).max(1),
  /** Fingerprints in common, counted in each submission. */
  shared: z.object({ left: z.number().int().nonnegative(), right: z.number().int().nonnegative() }),
  /** The longest run of fingerprints in the same order in both. */
  longest: z.number().int().nonnegative(),
  /** The largest shared fragments, in the left submission's order; `moreFragments` were left out. */
  fragments: z.array(SharedFragment),
  moreFragments: z.number().int().nonnegative(),
});
export type SimilarPair = z.infer<typeof SimilarPair>;

export const SimilaritySubmission = z.object({
  id: z.string(),
  /** Source files compared, per language. */
  languages: z.array(z.object({ language: z.string(), files: z.number().int().nonnegative() })),
  /** Files not compared, counted by why (too large, binary, a symlink, an unknown extension is not counted). */
  skipped: z.array(z.object({ reason: z.string(), files: z.number().int().positive() })).default([]),
});
export type SimilaritySubmission = z.infer<typeof SimilaritySubmission>;

export const SimilarityReport = z.object({
  schemaVersion: z.literal(SIMILARITY_SCHEMA_VERSION),
  assignment: z.object({ id: z.string(), title: z.string() }),
  /** Pairs with a similarity at or above this are reported. */
  threshold: z.number().min(0).max(1),
  /** A pair must also share at least this many fingerprints on each side (a tiny edit of the starter is alike by necessity). */
  minShared: z.number().int().nonnegative(),
  /** The library that fingerprints the code, and its settings. */
  engine: z.object({ name: z.string(), version: z.string(), kgramLength: z.number().int(), kgramsInWindow: z.number().int() }),
  /** The starter files whose code never counts, per language (relative to starter/<assignment>/). */
  starter: z.array(z.object({ language: z.string(), files: z.array(z.string()) })),
  submissions: z.array(SimilaritySubmission),
  /** Every pair at or above the threshold; `pairs` holds the most similar `pairs.length` of them. */
  pairsAbove: z.number().int().nonnegative(),
  pairs: z.array(SimilarPair),
  /** Groups of submissions linked by pairs at or above the threshold (all of them, not only those listed), largest first. */
  clusters: z.array(z.array(z.string())),
  /** Things the reader should know (languages with one submission only, a language without a parser). */
  notes: z.array(z.string()).default([]),
});
export type SimilarityReport = z.infer<typeof SimilarityReport>;
