// Gradescope's results.json as its autograder specification describes it ("Output format"),
// written here independently of the code under test: top-level score (required when tests carry
// none), execution_time in seconds, output with its format, visibility settings, extra_data,
// tests[] and leaderboard. Strict objects: a misspelt key fails instead of being ignored.
import { z } from 'zod';

export const GsFormat = z.enum(['text', 'html', 'simple_format', 'md', 'ansi']);
export const GsVisibility = z.enum(['hidden', 'after_due_date', 'after_published', 'visible']);

export const GsTest = z.strictObject({
  score: z.number().optional(),
  max_score: z.number().optional(),
  status: z.enum(['passed', 'failed']).optional(),
  name: z.string().optional(),
  name_format: GsFormat.optional(),
  number: z.string().optional(),
  output: z.string().optional(),
  output_format: GsFormat.optional(),
  tags: z.array(z.string()).optional(),
  visibility: GsVisibility.optional(),
  extra_data: z.record(z.string(), z.unknown()).optional(),
});

export const GsResults = z
  .strictObject({
    score: z.number().optional(),
    execution_time: z.number().nonnegative().optional(),
    output: z.string().optional(),
    output_format: GsFormat.optional(),
    test_output_format: GsFormat.optional(),
    test_name_format: GsFormat.optional(),
    visibility: GsVisibility.optional(),
    stdout_visibility: GsVisibility.optional(),
    extra_data: z.record(z.string(), z.unknown()).optional(),
    tests: z.array(GsTest).optional(),
    leaderboard: z
      .array(z.strictObject({ name: z.string(), value: z.union([z.number(), z.string()]), order: z.enum(['asc', 'desc']).optional() }))
      .optional(),
  })
  .refine((r) => r.score !== undefined || (r.tests !== undefined && r.tests.every((t) => t.score !== undefined)), {
    message: 'score is required at the top level unless every test has one',
  });
export type GsResults = z.infer<typeof GsResults>;
