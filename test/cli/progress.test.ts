// The batch's progress display: a status line redrawn in place on a terminal, plain lines in logs.
import { describe, expect, test } from 'vitest';
import { createColors } from 'picocolors';
import { Progress } from '../../grader/cli/progress.js';
import type { BatchEntry } from '../../grader/results/batch.js';

const entry = (id: string, earned: number, extra: Partial<BatchEntry> = {}): BatchEntry => ({
  id,
  status: 'graded',
  score: { earned, possible: 100, percent: earned },
  tests: [],
  durationMs: 2345,
  reportDir: `submissions/${id}`,
  finishedAt: '2026-11-24T00:00:00.000Z',
  ...extra,
});

function run(tty: boolean) {
  let text = '';
  const p = new Progress({ tty, write: (s) => (text += s), color: createColors(false) });
  p.plan(4, 1, 3);
  p.started();
  p.finished(entry('alice', 100));
  p.started();
  p.finished(entry('bob', 40));
  p.started();
  p.finished({ ...entry('carol', 0), status: 'error', score: undefined, error: 'no sockgrade.json in /x\nCreate it' });
  p.stop();
  return text;
}

describe('batch progress', () => {
  test('on a terminal: finished submissions as lines, under a status line with done/total, failures, errors and ETA', () => {
    const text = run(true);
    expect(text).toContain('[2/4] alice  100/100 (100%)  2.3 s\n');
    expect(text).toContain('[3/4] bob  40/100 (40%)');
    expect(text).toContain('[4/4] carol  error: no sockgrade.json in /x Create it');
    expect(text).toMatch(/\r\x1b\[2K[█░]+ 3\/4 · 1 running · 1 below full marks · 0 errors · ETA \d+s/);
    expect(text.endsWith('\r\x1b[2K')).toBe(true); // the status line is cleared at the end
  });

  test('in a log: plain lines only, no cursor control', () => {
    const text = run(false);
    expect(text).not.toMatch(/[\r\x1b]/);
    expect(text.split('\n').filter(Boolean)).toEqual([
      '[2/4] alice  100/100 (100%)  2.3 s',
      '[3/4] bob  40/100 (40%)  2.3 s',
      '[4/4] carol  error: no sockgrade.json in /x Create it  2.3 s',
    ]);
  });

  test('what a student named is escaped: a folder name or an error carrying terminal escapes cannot move the cursor or clear the screen', () => {
    let text = '';
    const p = new Progress({ tty: false, write: (s) => (text += s), color: createColors(false) });
    p.plan(2, 0, 2);
    p.finished(entry('eve\x1b[2J\x1b]0;owned\x07', 100));
    p.finished({ ...entry('mallory', 0), status: 'error', score: undefined, error: 'bad \x1b[31mred\u202e' });
    p.stop();
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    expect(text).toContain('[1/2] eve\\x1b[2J\\x1b]0;owned\\x07  100/100');
    expect(text).toContain('error: bad \\x1b[31mred\\u202e');
  });
});
