import { configDefaults, defineConfig } from 'vitest/config';
import PlainSummaryReporter from './test/plain-summary-reporter.js';

/**
 * Tests that load the machine on purpose (fork bombs, a CPU hog, compiling the project, many CLI
 * processes): `npm test` runs them in a phase of their own (SOCKGRADE_PHASE=load), after the
 * timing-sensitive grades, which they would otherwise starve (a correct client judged "too late",
 * a lag allowance that lets dig pass). SOCKGRADE_PHASE=light leaves them out; unset, all run.
 */
const LOAD = ['test/hostile/**/*.test.ts', 'test/flakiness/**/*.test.ts', 'test/cli/new-validate.test.ts', 'test/cli/watch.test.ts'];
const phase = process.env.SOCKGRADE_PHASE;

export default defineConfig({
  test: {
    include: phase === 'load' ? LOAD : ['test/**/*.test.ts'],
    exclude: phase === 'light' ? [...configDefaults.exclude, ...LOAD] : configDefaults.exclude,
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
