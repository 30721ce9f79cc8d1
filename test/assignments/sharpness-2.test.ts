// The other half of sharpness.test.ts's scenarios, in each phase of npm test: one file is one
// test worker's, and the scenario grades (each twice for the light assignments: the full run and
// every test alone) were by far the longest file of a phase. Split, the two workers share them.
import { describeByWeight, scenarios } from './catalog.js';
import { SCENARIO_TITLES, scenarioTest } from './scenario-check.js';

describeByWeight(scenarios, SCENARIO_TITLES, scenarioTest, { heavyPart: { index: 1, of: 2 }, lightPart: { index: 1, of: 2 } });
