// Sharpness: every broken server under test/scenarios/kv-server fails exactly the tests its
// scenario.json declares — so a test that stops catching its bug is noticed — and every test of
// the assignment is caught by at least one scenario.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readDefinition } from '../../grader/assignment/load.js';
import { grade } from '../../grader/grade/grade.js';
import { at, failedIds } from '../helpers.js';

const root = at('test', 'scenarios', 'kv-server');
const scenarios = fs
  .readdirSync(root)
  .filter((d) => fs.existsSync(path.join(root, d, 'scenario.json')))
  .sort()
  .map((d) => ({ name: d, ...(JSON.parse(fs.readFileSync(path.join(root, d, 'scenario.json'), 'utf8')) as { bug: string; expectFailures: string[] }) }));

describe('kv-server: broken scenarios fail exactly what they declare', () => {
  test('there are at least eight scenarios, and together they catch every test', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(8);
    const ids = readDefinition('kv-server').groups.flatMap((g) => g.tests.map((t) => t.id));
    const caught = new Set(scenarios.flatMap((s) => s.expectFailures));
    // Tests no scenario catches would be untested; list them so the gap is visible.
    expect(ids.filter((id) => !caught.has(id))).toEqual([]);
    for (const s of scenarios) for (const id of s.expectFailures) expect(ids).toContain(id);
  });

  // Graded concurrently (vitest's maxConcurrency bounds how many at once): most of a broken
  // server's grade is spent waiting on deadlines.
  describe.concurrent('each scenario', () => {
    for (const s of scenarios) {
      test(`${s.name} fails exactly: ${s.expectFailures.join(', ') || '(nothing)'}`, async () => {
        const results = await grade({ dir: path.join(root, s.name) });
        expect(failedIds(results)).toEqual([...s.expectFailures].sort());
      });
    }
  });
});
