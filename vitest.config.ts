import { defineConfig } from 'vitest/config';
import PlainSummaryReporter from './test/plain-summary-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Python programs start through the real interpreter, not a version manager's shim.
    setupFiles: ['test/setup/fast-python.ts', 'test/setup/shared-code.ts'],
    reporters: ['default', new PlainSummaryReporter()],
    // Grading real programs takes seconds; deadlines inside the grader keep each one bounded.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: two test files at a time, so timing-based tests keep their margins.
    maxWorkers: 2,
    // test.concurrent grades at most this many programs at once within a file.
    maxConcurrency: 2,
  },
});
