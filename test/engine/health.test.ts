// The program under test is healthy before each test, and a verdict is about its own test: a
// server that hangs, stops or dies is started afresh before the next test (the report says where
// it broke), a test that failed because the program's history broke it is run again on a fresh
// program, and isolated grading gives each test a fresh program as --only would.
import { describe, expect, test } from 'vitest';
import { disagreements } from '../../grader/validate/validate.js';
import { allTests, at, gradeTimed, recordedPids } from '../helpers.js';

const fixture = (name: string) => at('test', 'fixtures', 'engine', name);
const byId = (r: Awaited<ReturnType<typeof gradeTimed>>['results']) => Object.fromEntries(allTests(r).map((t) => [t.id, t]));

describe('engine: the program is healthy before each test', () => {
  test('a server that hangs is killed and restarted before the next test, which passes; the hang is named', async () => {
    const { results } = await gradeTimed(fixture('hangs-on-echo'), { only: ['ping', 'echo', 'set-get'] });
    const t = byId(results);
    expect(t.ping.status).toBe('passed');
    expect(t.echo.status).not.toBe('passed');
    expect(t.echo.message).toMatch(/stopped answering \(it gave no reply to PING within 500 ms, twice\)/);
    // The hang is the next test's problem no more: a fresh server passes it.
    expect(t['set-get'].status).toBe('passed');
    const last = results.program.starts.at(-1)!;
    expect(last).toMatchObject({ startedForTest: 'set-get', restart: { reason: 'unresponsive', afterTest: 'echo' } });
    expect(results.notes.join('\n')).toMatch(/stopped answering after test "echo" .*restarted for test "set-get"/);
    // Nothing of the hung processes is left (they were SIGKILLed, not waited on).
    expect(results.program.starts.every((s) => s.exit)).toBe(true);
  });

  test('a server that stops itself (SIGSTOP) is seen as stopped, not slow, and restarted', async () => {
    const { results } = await gradeTimed(fixture('stops-itself-on-echo'), { only: ['ping', 'echo', 'set-get'] });
    const t = byId(results);
    expect(t.echo.status).not.toBe('passed');
    expect(t.echo.message).toMatch(/stopped by a signal/);
    expect(t['set-get'].status).toBe('passed');
    expect(results.program.starts.at(-1)).toMatchObject({ restart: { reason: 'stopped', afterTest: 'echo' } });
  });

  test('a crash set up by an earlier test is not charged to the test it happens in: that test runs again on a fresh server', async () => {
    const { results, pidDir } = await gradeTimed(fixture('crash-set-up-earlier'), { only: ['echo', 'set-get'] });
    const t = byId(results);
    expect(t.echo.status).toBe('passed');
    expect(t['set-get'].status).toBe('passed');
    expect(t['set-get'].firstRun).toMatchObject({ status: 'failed' });
    expect(t['set-get'].firstRun?.message).toMatch(/killed by SIGSEGV during this test/);
    expect(results.program.starts[0].exit).toMatchObject({ signal: 'SIGSEGV', stoppedByGrader: false, duringTest: 'set-get' });
    expect(results.program.starts[1]).toMatchObject({ startedForTest: 'set-get', restart: { reason: 'rerun' } });
    expect(results.notes.join('\n')).toMatch(/Under test "set-get" your server was killed by SIGSEGV, after it had served earlier tests, so "set-get" was run again on a fresh server: it passed/);
    expect(recordedPids(pidDir).filter((p) => p.alive)).toEqual([]);
  });

  test('isolated grading gives every test a fresh server, as --only would', async () => {
    const { results } = await gradeTimed(fixture('crash-set-up-earlier'), { only: ['echo', 'set-get'], isolate: true });
    expect(allTests(results).map((t) => t.status)).toEqual(['passed', 'passed']);
    expect(allTests(results).every((t) => !t.firstRun)).toBe(true);
    expect(results.program.starts.map((s) => [s.startedForTest, s.restart?.reason])).toEqual([
      ['echo', undefined],
      ['set-get', 'isolated'],
    ]);
    expect(results.replay).toContain('--isolate');
  });

  test('a verdict that depends on history without a crash or a hang is found by comparing the full run with isolated grading', async () => {
    const seed = 'abc12345';
    const full = await gradeTimed(fixture('poisoned-by-echo'), { only: ['echo', 'set-get'], seed });
    const alone = await gradeTimed(fixture('poisoned-by-echo'), { only: ['echo', 'set-get'], seed, isolate: true });
    expect(byId(full.results)['set-get'].status).toBe('failed');
    const d = disagreements(full.results, alone.results);
    expect(d.map((x) => [x.test, x.full.status, x.alone.status])).toEqual([['set-get', 'failed', 'passed']]);
    // A healthy program is not restarted for nothing.
    expect(full.results.program.starts.length).toBe(1);
  });
});
