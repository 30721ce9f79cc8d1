// What the dns-client checks tell a student about a run: what the server did, what the client
// printed and how it exited, what was expected, and a hint that names this output's mistake
// before the test's general advice. Pure functions of a run's result: no process needed.
import { describe, expect, test } from 'vitest';
import type { RunResult } from '../../grader/grade/client.js';
import { expectExit, expectLines } from '../../grader/harness/dns.js';
import { TestFailure } from '../../grader/harness/failure.js';
import { lintFailure } from '../../grader/validate/failure-lint.js';

const run = (over: Partial<RunResult>): RunResult => ({ command: 'python3 client.py', exitCode: 0, signal: null, timedOut: false, durationMs: 40, stdout: '', stderr: '', ...over });

function failure(fn: () => void): TestFailure {
  try {
    fn();
  } catch (e) {
    if (e instanceof TestFailure) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

const lint = (f: TestFailure) =>
  lintFailure({ id: 'x', title: 'x', group: 'g', status: 'failed', pointsEarned: 0, pointsPossible: 1, durationMs: 1, message: f.message, hint: f.hint, ...(f.diff ? { diff: f.diff } : {}), transcript: [], transcriptDropped: 0, log: [], figures: [], visibility: 'visible' });

describe('expectLines', () => {
  const want = ['a.example.test.\t300\tIN\tA\t192.0.2.1'];

  test('a missing trailing dot is named, even where the test has a hint of its own (it is about something else)', () => {
    const f = failure(() => expectLines(run({ stdout: 'a.example.test\t300\tIN\tA\t192.0.2.1\n' }), want, 'Accept only answers with your ID.', 'the server sent a decoy, then the real answer'));
    expect(f.message.split('\n')[0]).toBe('the server sent a decoy, then the real answer; your client printed 1 line as expected, but line 1 differs.');
    expect(f.message).toContain('Printed:\n  "a.example.test\\t300\\tIN\\tA\\t192.0.2.1"');
    expect(f.hint).toBe('Owner names (and names in rdata) are absolute: they end with a dot.');
    expect(lint(f)).toEqual([]);
  });

  test('nothing printed: the test\'s hint (what the test is about) is the advice, and no "line(s)"', () => {
    const f = failure(() => expectLines(run({ stdout: '', timedOut: true, exitCode: null }), want, 'Follow at most a bounded number of pointers.'));
    expect(f.message).toMatch(/^your client printed nothing \(1 line expected\)\.\nExpected:\n {2}"a\.example/);
    expect(f.message).toContain('It was still running and had to be stopped.');
    expect(f.hint).toBe('Follow at most a bounded number of pointers.');
    expect(f.diff).toBeUndefined();
    expect(lint(f)).toEqual([]);
  });

  test('long outputs are cut to a few lines each, with a count of the rest', () => {
    const many = Array.from({ length: 12 }, (_, i) => `b.example.test.\t300\tIN\tA\t192.0.2.${i}`);
    const f = failure(() => expectLines(run({ stdout: many.map((l) => l.replace('test.', 'test')).join('\n') }), many));
    expect(f.message.match(/… and 6 more lines/g)).toHaveLength(2);
    expect(lint(f)).toEqual([]);
  });

  test('an AAAA address not in RFC 5952 form is named', () => {
    const f = failure(() => expectLines(run({ stdout: 'v6.test.\t300\tIN\tAAAA\t0000:0000:0000:0000:0000:0000:0000:0001\n' }), ['v6.test.\t300\tIN\tAAAA\t::1']));
    expect(f.hint).toMatch(/RFC 5952/);
  });
});

describe('expectExit', () => {
  test('says what the server answered, what exit was expected, and what the client did', () => {
    const f = failure(() => expectExit(run({ exitCode: 0, stderr: 'done\n' }), 3, 'RCODE 3 means the name does not exist: exit with code 3.', 'the server answered NXDOMAIN (RCODE 3)'));
    expect(f.message).toBe('the server answered NXDOMAIN (RCODE 3); expected exit code 3 (NXDOMAIN); your client exited with code 0 (NOERROR).\nLast lines of its stderr:\n  done');
    expect(lint(f)).toEqual([]);
  });

  test('a crash is pointed at its stderr', () => {
    const f = failure(() => expectExit(run({ exitCode: null, signal: 'SIGSEGV' }), 0));
    expect(f.hint).toMatch(/crash/);
  });
});
