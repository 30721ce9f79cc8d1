// The other half of the peers assignments' scenarios of sharpness.test.ts: one file is one test
// worker's, and gossip-peer's 14 scenario grades (~30 s each, one at a time) were the longest
// file of npm test's heavy phase by far. Split, the two workers share them.
import { test } from 'vitest';
import { describeByWeight, isHeavy, scenarios } from './catalog.js';
import { SCENARIO_TITLES, scenarioTest } from './scenario-check.js';

if (scenarios.some((s) => isHeavy(s.assignment))) describeByWeight(scenarios, SCENARIO_TITLES, scenarioTest, { heavyPart: { index: 1, of: 2 }, light: false });
// npm test's light phase (SOCKGRADE_HEAVY=skip) has no peers assignment: a file must hold a test.
else test.skip('no peers assignment in this phase', () => undefined);
