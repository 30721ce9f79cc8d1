// Gradescope's results.json: valid against the specification (test/export/gradescope-spec.ts),
// scores and statuses from the results, visibility from each test, hidden tests announced
// without their content, and a leaderboard only when there is one.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../grader/errors.js';
import { gradescopeFailure, renderGradescope, withNote } from '../../grader/report/gradescope.js';
import { checkFormats, writeReports } from '../../grader/report/write.js';
import { Results } from '../../grader/results/schema.js';
import { GsResults } from '../export/gradescope-spec.js';
import { allPassed, allTests, buildFailed, fullRun } from './fixtures.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function parsed(r: Results): GsResults {
  return GsResults.parse(JSON.parse(renderGradescope(r)));
}

describe('Gradescope results.json', () => {
  it('follows the spec: score, execution time, one test per test with points, status and number', () => {
    const r = fullRun();
    const g = parsed(r);
    expect(g.score).toBe(r.score.earned);
    expect(g.execution_time).toBe(Math.round(r.durationMs / 1000));
    const tests = allTests(r);
    expect(g.tests).toHaveLength(tests.length);
    tests.forEach((t, i) => {
      const gt = g.tests![i];
      expect(gt.name).toBe(`${t.title} (${t.id})`);
      expect(gt.score).toBe(t.pointsEarned);
      expect(gt.max_score).toBe(t.pointsPossible);
      expect(gt.status).toBe(t.status === 'passed' ? 'passed' : 'failed');
      expect(gt.visibility).toBe('visible');
      expect(gt.output_format).toBe('text');
      expect(gt.tags).toContain(t.group);
    });
    // Numbered stage.test, in order.
    expect(g.tests!.slice(0, 3).map((t) => t.number)).toEqual(['1.1', '1.2', '1.3']);
    expect(g.tests!.reduce((s, t) => s + (t.score ?? 0), 0)).toBeCloseTo(g.score!, 6);
    expect(g.stdout_visibility).toBe('visible');
    expect(g.leaderboard).toBeUndefined();
  });

  it("a failed test's output holds the message, the diff with its caret, the transcript and the hint", () => {
    const r = fullRun();
    const i = allTests(r).findIndex((t) => t.id === 'echo');
    const out = parsed(r).tests![i].output!;
    expect(out).toMatch(/^Failed: 0\/4 points/);
    expect(out).toContain('only the first word was echoed');
    const lines = out.split('\n');
    const e = lines.findIndex((l) => l.startsWith('Expected: '));
    expect(lines[e + 1]).toBe('Received: "$5\\r\\nhello\\r\\n"');
    expect(lines[e + 2].indexOf('^')).toBe('Expected: "$'.length);
    expect(out).toMatch(/c1 < "\$5\\r\\nhello\\r\\n"/);
    expect(out).toContain('Hint: A bulk string is');
    // A full pass says so and nothing more.
    expect(parsed(r).tests![0].output).toBe('Passed: 4/4 points\n');
  });

  it('top-level output: score, seed to replay, and why a build failure scored nothing', () => {
    const r = buildFailed();
    const g = parsed(r);
    expect(g.score).toBe(0);
    expect(g.output).toContain(`Seed: ${r.seed}`);
    expect(g.output).toContain(`--seed ${r.seed}`);
    expect(g.output).toMatch(/The build \(make\) failed, exit code 2/);
    expect(g.output).toContain("'buf' undeclared");
    expect(g.tests!.every((t) => t.status === 'failed' && t.score === 0)).toBe(true);
  });

  it('hidden tests: visibility passed through, stdout hidden; hidden tests not run are announced with their points', () => {
    const r = allPassed();
    const tests = allTests(r);
    tests[1].visibility = 'hidden';
    tests[2].visibility = 'after_due_date';
    const official = Results.parse({ ...r, official: true });
    const g = parsed(official);
    expect(g.tests!.map((t) => t.visibility).slice(0, 3)).toEqual(['visible', 'hidden', 'after_due_date']);
    // run_autograder's stdout names every test, hidden ones too.
    expect(g.stdout_visibility).toBe('hidden');

    const local = Results.parse({ ...allPassed(), hidden: { tests: 3, points: 15 } });
    const out = parsed(local).output!;
    expect(out).toMatch(/3 hidden tests worth 15 points/);
  });

  it('leaderboard when the assignment defines one; descending is the default order', () => {
    const r = Results.parse({
      ...allPassed(),
      leaderboard: [
        { name: 'requests/s', value: 41234.5, order: 'desc' },
        { name: 'p99 latency (ms)', value: 1.7, order: 'asc' },
      ],
    });
    expect(parsed(r).leaderboard).toEqual([
      { name: 'requests/s', value: 41234.5 },
      { name: 'p99 latency (ms)', value: 1.7, order: 'asc' },
    ]);
  });

  it('a submission that could not be graded still gets a valid file with score 0 and the reason', () => {
    const g = GsResults.parse(withNote(gradescopeFailure('No sockgrade.json and no program found.\x1b[31m', { version: '0.1.0', assignment: 'kv-server' }), 'note first'));
    expect(g.score).toBe(0);
    expect(g.tests).toEqual([]);
    expect(g.output).toMatch(/^note first\n\nNo sockgrade.json and no program found.\\x1b\[31m/);
  });

  it('results.json of gradescope and of json cannot share a folder: a ConfigError before anything is written', async () => {
    expect(() => checkFormats(['json', 'gradescope'])).toThrow(ConfigError);
    expect(() => checkFormats(['json', 'gradescope'])).toThrow(/gradescope.*results\.json|json.*results\.json/);
    expect(() => checkFormats(['html', 'gradescope', 'junit', 'gradescope'])).not.toThrow();
    const dir = await mkdtemp(join(tmpdir(), 'sockgrade-gs-'));
    dirs.push(dir);
    await expect(writeReports(fullRun(), dir, ['html', 'json', 'gradescope'])).rejects.toThrow(ConfigError);
    expect(await readdir(dir)).toEqual([]);
    await writeReports(fullRun(), dir, ['gradescope', 'junit']);
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'results.json']);
    GsResults.parse(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')));
  });
});
