// Sharpness: every broken program under test/scenarios/<assignment>/ fails exactly the tests its
// scenario.json declares — so a test that stops catching its bug is noticed — and every test of
// every assignment is caught by at least one scenario that does not fail everything. These are
// `sockgrade validate`'s checks (grader/validate), run per program so they grade in parallel.
import { describe, expect, test } from 'vitest';
import { loadAssignment } from '../../grader/assignment/load.js';
import { catalog } from '../../grader/validate/catalog.js';
import { staticChecks } from '../../grader/validate/static-checks.js';
import { validateItem } from '../../grader/validate/validate.js';
import { assignments, describeByWeight, gradeTimeout, scenarios } from './catalog.js';

describe('each assignment: points add up, the handout names every stage, scenarios catch each test', () => {
  for (const a of assignments)
    test(a.id, async () => {
      const { definition, dir } = await loadAssignment(a.id);
      const items = catalog(a.id);
      expect(staticChecks(definition, dir, items).problems).toEqual([]);
      expect(items.filter((i) => i.kind === 'scenario').length).toBeGreaterThanOrEqual(8);
    });
});

// Graded concurrently (vitest's maxConcurrency bounds how many at once): most of a broken
// program's grade is spent waiting on deadlines. Heavy assignments (clusters of peers) are
// graded one at a time.
function scenarioTest(s: (typeof scenarios)[number]) {
  test(`${s.assignment} / ${s.name} fails exactly: ${s.expectFailures.join(', ') || '(nothing)'}`, async () => {
    const r = await validateItem(s);
    expect(r.problems).toEqual([]);
  }, gradeTimeout(s.assignment));
}

describeByWeight(scenarios, { light: 'each scenario fails exactly what it declares', heavy: 'each scenario of a peers assignment fails exactly what it declares' }, scenarioTest);
