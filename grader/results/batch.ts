// What a batch (`sockgrade batch`) records: one entry per submission, written as it finishes
// (<out>/<id>/entry.json), and the batch as a whole (<out>/batch.json). The gradebook and the
// class summary are pure functions of a Batch; `sockgrade merge` joins the Batches of shards.
import { z } from 'zod';
import { TestResult, Visibility } from './schema.js';

export const BATCH_SCHEMA_VERSION = 1;

/** One test of one submission, as the class view needs it (no transcripts). */
export const EntryTest = TestResult.pick({ id: true, status: true, pointsEarned: true, pointsPossible: true, durationMs: true }).extend({
  /** The first line of the failure message, when it did not pass. */
  message: z.string().optional(),
});
export type EntryTest = z.infer<typeof EntryTest>;

export const BatchEntry = z.object({
  /** The submission's folder name: the student's id. */
  id: z.string(),
  /** From the roster, when one was given. */
  name: z.string().optional(),
  email: z.string().optional(),
  /** graded: the grader produced results (whatever the score); error: it could not (bad manifest, a grader crash, a grade that overran). */
  status: z.enum(['graded', 'error']),
  /** Why there are no results (status error), in one or two sentences. */
  error: z.string().optional(),
  score: z.object({ earned: z.number().nonnegative(), possible: z.number().nonnegative(), percent: z.number().min(0).max(100) }).optional(),
  completeness: z.enum(['complete', 'budget-exceeded', 'interrupted']).optional(),
  tests: z.array(EntryTest).default([]),
  /** Wall time of this submission's grade, build included. */
  durationMs: z.number().nonnegative(),
  /** Forbidden programs it ran (the assignment's real counterparts): a TA should look. */
  forbidden: z.array(z.string()).optional(),
  /** Where this submission's reports are, relative to the batch output folder. */
  reportDir: z.string(),
  finishedAt: z.string(),
});
export type BatchEntry = z.infer<typeof BatchEntry>;

/** A test of the assignment: the columns of the gradebook, in order. */
export const BatchTest = z.object({
  id: z.string(),
  title: z.string(),
  group: z.string(),
  points: z.number().nonnegative(),
  visibility: Visibility.default('visible'),
});
export type BatchTest = z.infer<typeof BatchTest>;

export const Batch = z.object({
  schemaVersion: z.literal(BATCH_SCHEMA_VERSION),
  assignment: z.object({ id: z.string(), title: z.string() }),
  /** The one seed every submission was graded with. */
  seed: z.string(),
  official: z.boolean(),
  /** This output holds one slice of the class (`--shard index/count`); absent for a whole or merged batch. */
  shard: z.object({ index: z.number().int().positive(), count: z.number().int().positive() }).optional(),
  /** How submissions were kept apart, in words ("a network namespace per submission (bubblewrap)"). */
  isolation: z.string(),
  tests: z.array(BatchTest),
  entries: z.array(BatchEntry),
  startedAt: z.string(),
  durationMs: z.number().nonnegative(),
});
export type Batch = z.infer<typeof Batch>;
