// Batch values for the class-view tests (gradebook CSV, class summary): built by hand, and
// every one checked against the schema with Batch.parse, so the tests see what `sockgrade
// batch` would really hand the reporters.
import { Batch, BATCH_SCHEMA_VERSION, type BatchEntry, type BatchTest, type EntryTest } from '../../grader/results/batch.js';
import type { TestStatus } from '../../grader/results/schema.js';

/** A kv-server-like assignment: 6 tests in 3 stages, one with fractional points, one hidden. */
export const TESTS: BatchTest[] = [
  { id: 'ping', title: 'PING answers +PONG', group: 'basics', points: 10, visibility: 'visible' },
  { id: 'echo', title: 'ECHO returns its argument', group: 'basics', points: 10, visibility: 'visible' },
  { id: 'split-commands', title: 'A command split over many writes', group: 'framing', points: 12.5, visibility: 'visible' },
  { id: 'pipelined', title: 'Pipelined commands in one write', group: 'framing', points: 12.5, visibility: 'visible' },
  { id: 'many-clients', title: '50 clients at once', group: 'concurrency', points: 30, visibility: 'visible' },
  { id: 'expiry', title: 'SET EX keys expire', group: 'concurrency', points: 25, visibility: 'hidden' },
];
export const TOTAL = TESTS.reduce((s, t) => s + t.points, 0); // 100

type Outcome = TestStatus | { status: TestStatus; earned?: number; message?: string; durationMs?: number };

const DEFAULT_MESSAGE: Partial<Record<TestStatus, string>> = {
  failed: 'expected +PONG\\r\\n, received -ERR unknown command',
  timeout: 'no reply within 2 s',
  error: 'your program exited with code 1',
  skipped: 'not run: the time budget was used up',
};

/**
 * A graded entry: every test passes unless `outcomes` says otherwise. A passed test earns its
 * points, anything else 0 unless `earned` says so (partial credit).
 */
export function graded(
  id: string,
  outcomes: Record<string, Outcome> = {},
  extra: Partial<BatchEntry> = {},
  tests: BatchTest[] = TESTS,
): BatchEntry {
  const results: EntryTest[] = tests.map((t, i) => {
    const o = outcomes[t.id] ?? 'passed';
    const { status, earned, message, durationMs } = typeof o === 'string' ? { status: o } : o;
    const msg = status === 'passed' ? undefined : (message ?? DEFAULT_MESSAGE[status]);
    return {
      id: t.id,
      status,
      pointsEarned: earned ?? (status === 'passed' ? t.points : 0),
      pointsPossible: t.points,
      durationMs: durationMs ?? 40 + i,
      ...(msg !== undefined ? { message: msg } : {}),
    };
  });
  const earned = results.reduce((s, r) => s + r.pointsEarned, 0);
  const possible = results.reduce((s, r) => s + r.pointsPossible, 0);
  return {
    id,
    status: 'graded',
    score: { earned, possible, percent: possible === 0 ? 0 : (earned / possible) * 100 },
    completeness: 'complete',
    tests: results,
    durationMs: 1200,
    reportDir: id,
    finishedAt: '2025-11-24T01:02:03.000Z',
    ...extra,
  };
}

/** An entry the grader could not grade (a bad manifest, a crash). */
export function errored(id: string, error: string, extra: Partial<BatchEntry> = {}): BatchEntry {
  return {
    id,
    status: 'error',
    error,
    tests: [],
    durationMs: 15,
    reportDir: id,
    finishedAt: '2025-11-24T01:02:04.000Z',
    ...extra,
  };
}

export function batch(entries: BatchEntry[], extra: Partial<Batch> = {}): Batch {
  return Batch.parse({
    schemaVersion: BATCH_SCHEMA_VERSION,
    assignment: { id: 'kv-server', title: 'A key-value server (RESP)' },
    seed: '7f3a9c',
    official: true,
    isolation: 'a network namespace per submission (bubblewrap)',
    tests: TESTS,
    entries,
    startedAt: '2025-11-24T01:00:00.000Z',
    durationMs: 61_000,
    ...extra,
  });
}

export const HOSTILE_NAME = '<script>alert(1)</script>, "Bobby" =HYPERLINK("http://evil.example")';

/** A small class: full marks, partial, a timeout, a crash-at-start, a hostile name, an error. */
export function smallClass(): Batch {
  return batch([
    graded('s05-eve', { 'many-clients': 'timeout', expiry: 'failed' }, { name: 'Eve Ng', durationMs: 9_500 }),
    graded('s01-alice', {}, { name: 'Alice Martin', email: 'alice@uni.example' }),
    graded(
      's02-bob',
      {
        'split-commands': { status: 'failed', message: 'expected +OK\\r\\n after 17 one-byte writes, received nothing' },
        pipelined: { status: 'failed', earned: 5, message: 'only 1 of 3 pipelined replies arrived' },
        'many-clients': 'failed',
      },
      { name: HOSTILE_NAME, email: '@evil' },
    ),
    graded(
      's03-carol',
      {
        'split-commands': { status: 'failed', message: 'expected +OK\\r\\n after 9 one-byte writes, received nothing' },
        pipelined: 'failed',
        'many-clients': 'failed',
        expiry: 'failed',
      },
      { name: '=1+2', durationMs: 2_000 },
    ),
    graded(
      's04-dan',
      Object.fromEntries(TESTS.map((t) => [t.id, { status: 'error' as const, message: 'your program exited with code 1 before listening on port 41234' }])),
      { name: '-Dan', durationMs: 30_000, completeness: 'budget-exceeded' },
    ),
    errored('s06-frank', 'sockgrade.json: "run" is missing (a command that starts your program)', { name: '+Frank' }),
  ]);
}

/** A reproducible pseudo-random class of `n` submissions (mulberry32 from a fixed seed). */
export function bigClass(n: number, seed = 42): Batch {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const entries: BatchEntry[] = [];
  for (let i = 0; i < n; i++) {
    const id = `student-${String(i).padStart(4, '0')}`;
    if (rand() < 0.05) {
      entries.push(errored(id, `the grade of ${id} overran its 120 s deadline`));
      continue;
    }
    // Later tests are harder: the chance to pass falls along the assignment's order.
    const outcomes: Record<string, Outcome> = {};
    TESTS.forEach((t, k) => {
      if (rand() > 0.95 - k * 0.12) outcomes[t.id] = rand() < 0.8 ? { status: 'failed', message: `wrong reply on port ${40000 + i}` } : 'timeout';
    });
    entries.push(graded(id, outcomes, { name: `Student ${i}`, durationMs: Math.round(500 + rand() * 20_000) }));
  }
  return batch(entries);
}
