// Sharpness: every broken program under test/scenarios/<assignment>/ fails exactly the tests its
// scenario.json declares — so a test that stops catching its bug is noticed — and every test of
// every assignment is caught by at least one scenario that does not fail everything. These are
// `sockgrade validate`'s checks (grader/validate), run per program so they grade in parallel.
import { describe, expect, test } from 'vitest';
import { loadAssignment } from '../../grader/assignment/load.js';
import { catalog } from '../../grader/validate/catalog.js';
import { staticChecks } from '../../grader/validate/static-checks.js';
import { assignments, describeByWeight, scenarios } from './catalog.js';
import { SCENARIO_TITLES, scenarioTest } from './scenario-check.js';

describe('each assignment: points add up, the handout names every stage, scenarios catch each test', () => {
  for (const a of assignments)
    test(a.id, async () => {
      const { definition, dir } = await loadAssignment(a.id);
      const items = catalog(a.id);
      expect(staticChecks(definition, dir, items).problems).toEqual([]);
      expect(items.filter((i) => i.kind === 'scenario').length).toBeGreaterThanOrEqual(8);
    });
});

// The scenarios are split with sharpness-2.test.ts (the other half of each phase's), so both
// test workers grade them: heavy ones one at a time each, light ones concurrently.
describeByWeight(scenarios, SCENARIO_TITLES, scenarioTest, { heavyPart: { index: 0, of: 2 }, lightPart: { index: 0, of: 2 } });
