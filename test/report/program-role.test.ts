// Which program exits a report calls out depends on the role: a server exiting by itself is a
// crash; a client exiting by itself is normal, and one that had to be stopped is the problem.
import { describe, expect, test } from 'vitest';
import { renderTerminalSummary } from '../../grader/report/index.js';
import type { Results } from '../../grader/results/schema.js';
import { fullRun } from './fixtures.js';

function withStarts(role: 'server' | 'client'): Results {
  const r = fullRun();
  const exit = (code: number | null, stoppedByGrader: boolean) => ({ code, signal: null, stoppedByGrader, atMs: 100, duringTest: 'ping' });
  r.program = {
    ...r.program,
    role,
    starts: [
      { pid: 101, command: 'prog one', startedAtMs: 0, ready: true, exit: exit(0, false) },
      { pid: 102, command: 'prog two', startedAtMs: 10, ready: true, exit: exit(null, true) },
    ],
  };
  return r;
}

describe('program exits by role', () => {
  test('server: the one that exited by itself is called out', () => {
    const text = renderTerminalSummary(withStarts('server'), { color: false, verbose: false });
    expect(text).toMatch(/pid 101 exited by itself/);
    expect(text).not.toMatch(/pid 102/);
  });
  test('client: the one that had to be stopped is called out, a normal exit is not', () => {
    const text = renderTerminalSummary(withStarts('client'), { color: false, verbose: false });
    expect(text).toMatch(/pid 102 still running at its deadline, stopped by the grader/);
    expect(text).not.toMatch(/pid 101/);
  });
});
