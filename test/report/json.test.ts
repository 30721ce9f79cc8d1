import { describe, expect, it } from 'vitest';
import { renderJson } from '../../grader/report/index.js';
import { Results } from '../../grader/results/schema.js';
import { allPassed, buildFailed, fullRun } from './fixtures.js';

describe('renderJson', () => {
  it('round-trips through Results.parse', () => {
    for (const r of [fullRun(), buildFailed(), allPassed()]) {
      const text = renderJson(r);
      expect(text.endsWith('\n')).toBe(true);
      expect(text).toContain('\n  "schemaVersion": 1,');
      expect(Results.parse(JSON.parse(text))).toEqual(r);
    }
  });

  it('keeps the hostile bytes exactly (JSON is data, not display)', () => {
    const r = fullRun();
    const back = Results.parse(JSON.parse(renderJson(r)));
    expect(back.program.stdout.head).toBe(r.program.stdout.head);
  });

  it('refuses a value that does not match the schema', () => {
    const bad = { ...fullRun(), score: { earned: 1, possible: 1, percent: 150 } };
    expect(() => renderJson(bad as Results)).toThrow();
  });
});
