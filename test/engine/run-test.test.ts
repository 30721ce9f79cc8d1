// How one test's outcome becomes a result: pass, failure, partial credit, read deadline,
// test deadline, interruption, and a bug in the test itself (never blamed on the student).
import { describe, expect, test } from 'vitest';
import type { TestDefinition } from '../../grader/assignment/definition.js';
import type { TestFn } from '../../grader/harness/define.js';
import { runTest } from '../../grader/grade/run-test.js';

const def: TestDefinition = { id: 'probe', title: 'a probe', points: 4, timeoutMs: 300, hint: 'the definition hint', visibility: 'visible' };
const program = { startNumber: 1, running: true, pid: 1 };

function run(fn: TestFn, interrupt?: AbortSignal) {
  return runTest({ def, groupId: 'g', fn, seed: 's', server: { target: { host: '127.0.0.1', port: 1 }, program }, timeoutMs: def.timeoutMs, interrupt }).then((r) => r.result);
}

describe('runTest', () => {
  test('a test that returns passes with full points', async () => {
    const r = await run(async (t) => t.log('did it'));
    expect(r).toMatchObject({ status: 'passed', pointsEarned: 4, pointsPossible: 4, log: ['did it'] });
    expect(r.hint).toBeUndefined();
  });

  test('t.fail: failed, 0 points, message, hint and diff kept', async () => {
    const r = await run(async (t) => t.fail('wrong', { hint: 'look here', diff: { expected: 'a', received: 'b', caret: 0 } }));
    expect(r).toMatchObject({ status: 'failed', pointsEarned: 0, message: 'wrong', hint: 'look here', diff: { caret: 0 } });
  });

  test('a failure without a hint of its own gets the definition hint', async () => {
    expect((await run(async (t) => t.fail('wrong'))).hint).toBe('the definition hint');
  });

  test('a read deadline is a timeout, not a plain failure', async () => {
    const r = await run(async (t) => t.fail('received nothing within 2000 ms', { timeout: true }));
    expect(r.status).toBe('timeout');
  });

  test('partial credit: points in proportion, status failed, the reason as message', async () => {
    const r = await run(async (t) => t.award(0.5, 'half of the clients were served'));
    expect(r).toMatchObject({ status: 'failed', pointsEarned: 2, message: 'half of the clients were served' });
  });

  test('a test still running at its deadline is a timeout, and its signal is aborted', async () => {
    let aborted = false;
    const r = await run(async (t) => {
      t.signal.addEventListener('abort', () => (aborted = true));
      await new Promise(() => undefined); // never settles
    });
    expect(r.status).toBe('timeout');
    expect(r.message).toMatch(/deadline of 300 ms/);
    expect(aborted).toBe(true);
    expect(r.durationMs).toBeLessThan(2000);
  });

  test('an exception in the test code is an error of the grader, not the student', async () => {
    const r = await run(async () => {
      throw new TypeError('cannot read x of undefined');
    });
    expect(r.status).toBe('error');
    expect(r.pointsEarned).toBe(0);
    expect(r.message).toMatch(/internal error in the test itself \(not your program's fault/);
  });

  test('an interrupt ends the test as skipped', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const r = await run(async () => new Promise(() => undefined), ac.signal);
    expect(r.status).toBe('skipped');
    expect(r.message).toMatch(/interrupted/);
  });
});
