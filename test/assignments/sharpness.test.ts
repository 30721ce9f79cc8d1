// Sharpness: every broken program under test/scenarios/<assignment>/ fails exactly the tests its
// scenario.json declares — so a test that stops catching its bug is noticed — and every test of
// every assignment is caught by at least one scenario that does not fail everything.
import { describe, expect, test } from 'vitest';
import { grade } from '../../grader/grade/grade.js';
import { failedIds } from '../helpers.js';
import { assignments, describeByWeight, gradeTimeout, scenarios, testIds } from './catalog.js';

describe('each assignment has scenarios that catch each test', () => {
  for (const a of assignments)
    test(a.id, () => {
      const own = scenarios.filter((s) => s.assignment === a.id);
      const ids = testIds(a.id);
      expect(own.length).toBeGreaterThanOrEqual(8);
      for (const s of own) for (const id of s.expectFailures) expect(ids, `${s.name} names an unknown test`).toContain(id);
      // A scenario that fails everything proves little about any one test.
      const targeted = own.filter((s) => s.expectFailures.length < ids.length);
      const caught = new Set(targeted.flatMap((s) => s.expectFailures));
      expect(ids.filter((id) => !caught.has(id)), 'tests no targeted scenario catches').toEqual([]);
    });
});

// Graded concurrently (vitest's maxConcurrency bounds how many at once): most of a broken
// program's grade is spent waiting on deadlines. Heavy assignments (clusters of peers) are
// graded one at a time.
function scenarioTest(s: (typeof scenarios)[number]) {
  test(`${s.assignment} / ${s.name} fails exactly: ${s.expectFailures.join(', ') || '(nothing)'}`, async () => {
    const r = await grade({ dir: s.dir, official: true });
    expect(failedIds(r)).toEqual([...s.expectFailures].sort());
  }, gradeTimeout(s.assignment));
}

describeByWeight(scenarios, { light: 'each scenario fails exactly what it declares', heavy: 'each scenario of a peers assignment fails exactly what it declares' }, scenarioTest);
