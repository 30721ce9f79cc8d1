// The instructor's workflow from a clean project, through the CLI: `sockgrade new` scaffolds an
// assignment that `sockgrade validate` passes as written (after the build the CLI needs), and
// validate catches what an instructor gets wrong (an untested test, a wrong declaration, a stage
// the handout forgets, points that do not add up, a solution that fails), with exit 1.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { at } from '../helpers.js';

const run = promisify(execFile);

/** A copy of the project with no assignments yet (the compiled grader, the shared node_modules). */
let root: string;

async function sockgrade(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'bin', 'sockgrade.js'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

const build = () => run(process.execPath, [at('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, timeout: 120_000 });

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-project-'));
  for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'bin', 'grader', 'templates']) fs.cpSync(at(f), path.join(root, f), { recursive: true });
  fs.mkdirSync(path.join(root, 'assignments'));
  // The grader compiled by `npm test`'s build (the same sources); the scaffolded tests are built below.
  fs.cpSync(at('dist', 'grader'), path.join(root, 'dist', 'grader'), { recursive: true });
  fs.symlinkSync(at('node_modules'), path.join(root, 'node_modules'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sockgrade new + validate', () => {
  test('a scaffolded assignment validates as written; validate finds what an instructor breaks', async () => {
    const made = await sockgrade('new', 'line-rev', '--title', 'Lines, "reversed"');
    expect(made.code, made.err).toBe(0);
    expect(made.out).toContain('assignments/line-rev/');
    expect(made.out).toContain('npm run build');
    for (const f of ['assignments/line-rev/assignment.json', 'assignments/line-rev/tests.ts', 'assignments/line-rev/handout.md', 'solutions/line-rev/python/server.py', 'starter/line-rev/python/server.py', 'test/scenarios/line-rev/one-client-at-a-time/scenario.json'])
      expect(fs.existsSync(path.join(root, f)), f).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'assignments/line-rev/assignment.json'), 'utf8')).title).toBe('Lines, "reversed"');

    // Bad input: an id taken, an id that is not one; exit 2 with what to do.
    const again = await sockgrade('new', 'line-rev');
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists/);
    const bad = await sockgrade('new', 'Line_Rev');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/not a usable assignment id/);
    expect(bad.err).not.toMatch(/\n\s+at /);

    // The CLI runs compiled tests: before the build, validate says to build.
    const stale = await sockgrade('validate', 'line-rev');
    expect(stale.code).toBe(2);
    expect(stale.err).toMatch(/npm run build/);

    await build();
    const ok = await sockgrade('validate', 'line-rev');
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.out).toMatch(/✓ solution python\s+100\/100/);
    expect(ok.out).toMatch(/✓ starter python\s+40\/100/);
    expect(ok.out).toMatch(/ready: 5 of 5 programs as expected \(1 solutions, 1 starters, 3 scenarios, 0 counterparts\)/);

    // Now break it the ways instructors do.
    const file = (p: string) => path.join(root, p);
    fs.rmSync(file('test/scenarios/line-rev/one-client-at-a-time'), { recursive: true }); // two-clients still caught by one-recv-one-line...
    const s = file('test/scenarios/line-rev/one-recv-one-line/scenario.json');
    fs.writeFileSync(s, JSON.stringify({ bug: 'per recv', expectFailures: ['split-line'] })); // ...no longer: and it fails two-clients undeclared
    const def = JSON.parse(fs.readFileSync(file('assignments/line-rev/assignment.json'), 'utf8'));
    def.groups[1].tests[1].points = 20; // 90 points, "points": 100
    fs.writeFileSync(file('assignments/line-rev/assignment.json'), JSON.stringify(def, null, 2));
    const handout = file('assignments/line-rev/handout.md');
    fs.writeFileSync(handout, fs.readFileSync(handout, 'utf8').replace(/\*\*Stage 2: TCP is a byte stream\*\* \(`streams`\)/, '**The second part**'));
    fs.copyFileSync(file('starter/line-rev/python/server.py'), file('solutions/line-rev/python/server.py'));

    const broken = await sockgrade('validate', 'line-rev', '--jobs', '2');
    expect(broken.code, broken.out + broken.err).toBe(1);
    expect(broken.out).toMatch(/✗ solution python[^\n]*\n\s+→ must pass every test; did not pass: split-line \(failed: [^\n]*two-clients/);
    expect(broken.out).toMatch(/✗ scenario one-recv-one-line[^\n]*\n\s+→ failed, but not declared: two-clients/);
    expect(broken.out).toMatch(/untested: no scenario fails "two-clients"/);
    expect(broken.out).toMatch(/points: the tests add up to 90, but assignment.json says "points": 100/);
    expect(broken.out).toMatch(/handout: stage "Stage 2: TCP is a byte stream" \(streams\) is not mentioned/);
    expect(broken.out).toMatch(/not ready/);

    const json = await sockgrade('validate', 'line-rev', '--only', 'scenarios', '--json');
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.out) as Array<{ ok: boolean; items: Array<{ kind: string; problems: string[] }>; static: { untested: string[] } }>;
    expect(parsed[0].ok).toBe(false);
    expect(parsed[0].items.map((i) => i.kind)).toEqual(['scenario', 'scenario']);
    expect(parsed[0].static.untested).toEqual(['two-clients']);

    const usage = await sockgrade('validate', 'line-rev', '--only', 'tests');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--only: unknown kind "tests"/);
    const unknown = await sockgrade('validate', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown assignment "nope"/);
  }, 180_000);
});
