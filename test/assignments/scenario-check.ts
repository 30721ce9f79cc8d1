// One broken program graded and judged as `sockgrade validate` does: it must fail exactly the
// tests its scenario.json declares, with its declared diagnoses, and (light assignments) give
// every test the same verdict graded alone on a fresh program as in the full run. Shared by
// sharpness.test.ts and sharpness-2.test.ts. A peers assignment's scenarios skip the
// alone-vs-full grade here (25-peer clusters twice over would double CI's longest phase);
// `sockgrade validate` does it, and its reference solutions do it in fairness.test.ts.
import { expect, test } from 'vitest';
import { validateItem } from '../../grader/validate/validate.js';
import { gradeSlot, gradeTimeout, phaseHere, type Scenario } from './catalog.js';

export const SCENARIO_TITLES = { light: 'each scenario fails exactly what it declares', heavy: 'each scenario of a heavy assignment fails exactly what it declares' };

// Graded concurrently (vitest's maxConcurrency bounds how many at once): most of a broken
// program's grade is spent waiting on deadlines. Heavy assignments (clusters of peers) are
// graded one at a time.
export function scenarioTest(s: Scenario) {
  test(`${s.assignment} / ${s.name} fails exactly: ${s.expectFailures.join(', ') || '(nothing)'}`, async () => {
    // Assignments graded in a phase of their own (peers; tftp-server's long grades) skip the
    // alone-vs-full grade here, which would double that phase; `sockgrade validate` does it.
    const r = await gradeSlot(s.assignment, () => validateItem(s, { aloneVsFull: phaseHere(s.assignment) === 'light' }));
    // Joined: a failure in CI's log shows every problem whole, not "[ Array(1) ]".
    expect(r.problems.join('\n\n')).toBe('');
  }, gradeTimeout(s.assignment));
}

