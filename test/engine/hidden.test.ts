// Hidden tests: a student's run says they exist and what they are worth, never runs them or
// shows them; official grading (--official) runs them, marked with their visibility. And the
// leaderboard an assignment defines is filled from what its tests measured.
import { describe, expect, test } from 'vitest';
import { renderHtml, renderMarkdown } from '../../grader/report/index.js';
import { ConfigError } from '../../grader/errors.js';
import { grade } from '../../grader/grade/grade.js';
import { allTests, at } from '../helpers.js';

const solution = at('solutions', 'kv-server', 'python');

describe('hidden tests', () => {
  test('a student run leaves them out and says how many there are and their points', async () => {
    const r = await grade({ dir: solution, only: ['robustness'] });
    const ids = allTests(r).map((t) => t.id);
    expect(ids).not.toContain('half-close');
    expect(ids).toContain('still-alive');
    expect(r.official).toBe(false);
    expect(r.hidden).toEqual({ tests: 2, points: 4 });
    for (const text of [renderMarkdown(r), renderHtml(r)]) {
      expect(text).toContain('2 hidden tests worth 4 points');
      // Neither their ids nor their titles (the still-alive test's own log may mention a half-close).
      for (const secret of ['"half-close"', 'half-closes still gets its reply', 'set-option-errors', 'invalid SET options']) expect(text).not.toContain(secret);
    }
  });

  test('naming a hidden test without --official is refused with a clear message', async () => {
    const err = await grade({ dir: solution, only: ['half-close'] }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/"half-close" is a hidden test, run in official grading only/);
  });

  test('official grading runs them, marked hidden / after the due date, and fills the leaderboard', async () => {
    const r = await grade({ dir: solution, only: ['half-close', 'set-option-errors', 'throughput'], official: true });
    const byId = Object.fromEntries(allTests(r).map((t) => [t.id, t]));
    expect(byId['half-close'].status).toBe('passed');
    expect(byId['half-close'].visibility).toBe('hidden');
    expect(byId['set-option-errors'].visibility).toBe('after_due_date');
    expect(byId['throughput'].visibility).toBe('visible');
    expect(r.official).toBe(true);
    expect(r.hidden).toBeUndefined();
    expect(r.replay).toContain('--official');
    expect(r.leaderboard).toHaveLength(1);
    expect(r.leaderboard[0]).toMatchObject({ name: 'Throughput (commands/s)', order: 'desc' });
    expect(r.leaderboard[0].value).toBeGreaterThan(1000);
    expect(renderMarkdown(r)).toContain('(hidden test)');
  });

  test('the student\'s run and official grading give the same verdicts on the visible tests for the same seed', async () => {
    // A broken program, so that there are failures to agree on (and a hidden test it fails).
    const dir = at('test', 'scenarios', 'kv-server', 'loses-replies-on-half-close');
    const local = await grade({ dir, seed: 'same-seed' });
    const official = await grade({ dir, seed: 'same-seed', official: true });
    const verdicts = (r: typeof local) => allTests(r).filter((t) => t.visibility === 'visible').map((t) => [t.id, t.status, t.pointsEarned]);
    expect(verdicts(local)).toEqual(verdicts(official));
    expect(allTests(official).find((t) => t.id === 'half-close')?.status).toBe('failed');
    expect(allTests(local).find((t) => t.id === 'half-close')).toBeUndefined();
  });
});
