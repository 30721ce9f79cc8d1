// Timing failures end to end: broken programs whose only bug is time (a server that sleeps per
// command) are graded for real, and their results say "only timing", with a measured value past
// its bound; programs that are wrong (not slow: a key that never expires, a timer restarted by
// every ignored datagram) never do, though their failure is measured in time too.
import { describe, expect, test } from 'vitest';
import type { TestDefinition } from '../../grader/assignment/definition.js';
import { grade } from '../../grader/grade/grade.js';
import { runTest } from '../../grader/grade/run-test.js';
import { atMost } from '../../grader/harness/failure.js';
import type { TestResult, TimingMeasurement } from '../../grader/results/schema.js';
import { renderTerminal } from '../../grader/report/index.js';
import { allTests, at } from '../helpers.js';

const missed = (m: TimingMeasurement) => (m.comparison === 'at most' ? m.measured > m.bound : m.measured < m.bound);

async function gradeOne(scenario: string, testId: string): Promise<{ t: TestResult; report: string }> {
  const r = await grade({ dir: at('test', 'scenarios', scenario), only: [testId], official: true });
  const t = allTests(r).find((x) => x.id === testId)!;
  return { t, report: renderTerminal(r, { color: false, verbose: false }) };
}

test('a test\'s timing failure reaches its result (run-test copies TestFailure.timing)', async () => {
  const def: TestDefinition = { id: 'probe', title: 'a probe', points: 4, timeoutMs: 2000, visibility: 'visible' };
  const measurements = [atMost('retransmitted after', 900, 800)];
  const { result } = await runTest({
    def,
    groupId: 'g',
    seed: 's',
    timeoutMs: def.timeoutMs,
    server: { target: { host: '127.0.0.1', port: 1 }, program: { startNumber: 1, running: true, pid: 1 } },
    fn: async (t) => t.failTiming({ message: 'late', measurements, answersRight: true }),
  });
  expect(result, 'grader/grade/run-test.ts must put a TestFailure\'s timing into the TestResult, as it does its diff').toMatchObject({
    status: 'failed',
    message: 'late',
    timing: { onlyTiming: true, measurements },
  });
});

describe.concurrent('timing failures, graded', () => {
  test('dns-client restarts-timer-on-junk: a timer restarted by ignored datagrams is a logic bug, measured, not "too slow"', async () => {
    const { t, report } = await gradeOne('dns-client/restarts-timer-on-junk', 'junk-keeps-timer');
    expect(t.status).toBe('failed');
    expect(t.timing?.onlyTiming).toBe(false);
    const m = t.timing!.measurements.find(missed)!;
    expect(m).toMatchObject({ unit: 'ms', comparison: 'at most' });
    // Decoys at 0.3, 0.6 and 0.9 T each restart a 600 ms timer: the retransmission comes near 1.9 T.
    expect(m.measured).toBeGreaterThan(1000);
    expect(report).not.toContain('answers were right');
    expect(report).toContain('Timing:');
  }, 60_000);

  test('kv-server blocks-per-command: right replies, too few per second — timing only', async () => {
    const { t, report } = await gradeOne('kv-server/blocks-per-command', 'throughput');
    expect(t.status).toBe('failed');
    expect(t.timing?.onlyTiming).toBe(true);
    const m = t.timing!.measurements[0];
    expect(m).toMatchObject({ label: 'answered', unit: 'commands/s', comparison: 'at least', bound: 1000 });
    // ~2 ms of sleep per command: about 500 commands/s, half the floor.
    expect(missed(m)).toBe(true);
    expect(m.measured).toBeLessThan(800);
    expect(report).toMatch(/answered [\d,]+ commands\/s — bound: at least 1,000 commands\/s/);
  }, 60_000);

  test('kv-server ignores-expiry: a key that never expires is wrong, not slow', async () => {
    const { t, report } = await gradeOne('kv-server/ignores-expiry', 'expiry');
    expect(t.status).toBe('failed');
    expect(t.timing?.onlyTiming).toBe(false);
    expect(missed(t.timing!.measurements[0])).toBe(true);
    expect(report).not.toContain('answers were right');
    expect(report).toContain('Timing:');
  }, 60_000);

  test('dns-client never-retransmits: no retransmission at all is wrong, with no timing', async () => {
    const { t } = await gradeOne('dns-client/never-retransmits', 'first-query-dropped');
    expect(t.status).not.toBe('passed');
    expect(t.timing?.onlyTiming).not.toBe(true);
  }, 60_000);
});
