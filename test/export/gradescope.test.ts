// The Gradescope autograder zip, run the way Gradescope runs it: unzipped into a simulated
// /autograder tree (source/, submission/, results/) in a temporary folder, run_autograder run
// by bash with AUTOGRADER_ROOT pointing there (source/node_modules is a link to this checkout's
// instead of running setup.sh), and results/results.json validated against the specification.
// Uses the compiled grader in dist/ (npm test builds first). The grades run one at a time.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradescopeZip } from '../../grader/export/gradescope.js';
import { at } from '../helpers.js';
import { GsResults } from './gradescope-spec.js';

let zip: Uint8Array;
let files: Record<string, Uint8Array>;
const dirs: string[] = [];

beforeAll(() => {
  zip = gradescopeZip('kv-server');
  files = unzipSync(zip);
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh /autograder tree with the zip in source/ and `fill` making submission/. */
function autograderRoot(fill: (submission: string, root: string) => void): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-autograder-'));
  dirs.push(root);
  const source = path.join(root, 'source');
  for (const [name, data] of Object.entries(files)) {
    if (name.endsWith('/')) continue;
    fs.mkdirSync(path.dirname(path.join(source, name)), { recursive: true });
    fs.writeFileSync(path.join(source, name), data);
  }
  // Unzip as Gradescope does, keeping the Unix modes the zip stores (bin/tools/tsc runs from PATH).
  const modes = execFileSync('python3', ['-c', 'import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(oct(i.external_attr >> 16 & 0o777), i.filename)', writeZip()], { encoding: 'utf8' });
  // Split at the first space only: names may hold spaces (http-server's "hello world.txt").
  for (const [mode, name] of modes.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)])) if (!name.endsWith('/')) fs.chmodSync(path.join(source, name), Number(mode));
  fs.symlinkSync(at('node_modules'), path.join(source, 'node_modules'));
  fs.mkdirSync(path.join(root, 'submission'));
  fill(path.join(root, 'submission'), root);
  return root;
}

function runAutograder(root: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; results: GsResults }> {
  return new Promise((resolve, reject) =>
    execFile('bash', [path.join(root, 'source', 'run_autograder')], { cwd: root, env: { ...process.env, AUTOGRADER_ROOT: root, NO_COLOR: '1', ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
      try {
        const text = fs.readFileSync(path.join(root, 'results', 'results.json'), 'utf8');
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, results: GsResults.parse(JSON.parse(text)) });
      } catch (e) {
        reject(new Error(`no valid results.json: ${(e as Error).message}\n${stdout}\n${stderr}`));
      }
    }),
  );
}

const copy = (from: string, to: string) => fs.cpSync(from, to, { recursive: true, filter: (s) => !s.includes('__pycache__') && !s.includes('sockgrade-report') });
const total = (r: GsResults) => r.tests!.reduce((s, t) => s + (t.max_score ?? 0), 0);

describe('sockgrade export gradescope', () => {
  it('the zip: setup.sh and run_autograder at the root, executable and valid bash; the package without node_modules or starter code', () => {
    const names = Object.keys(files);
    for (const f of ['setup.sh', 'run_autograder', 'package.json', 'package-lock.json', 'bin/sockgrade.js', 'dist/grader/cli/main.js', 'dist/grader/export/autograder-run.js', 'assignments/kv-server/assignment.json', 'starter/kv-server/python/sockgrade.json'])
      expect(names, f).toContain(f);
    expect(names.some((n) => n.includes('node_modules/'))).toBe(false);
    expect(names.filter((n) => n.startsWith('starter/')).every((n) => n.endsWith('/sockgrade.json'))).toBe(true);
    const setup = Buffer.from(files['setup.sh']).toString('utf8');
    const run = Buffer.from(files['run_autograder']).toString('utf8');
    expect(setup).toMatch(/latest-v20\.x/);
    expect(setup).toMatch(/sha256sum -c/);
    expect(setup).toContain('npm ci --omit=dev --ignore-scripts');
    expect(run).toContain('autograder-run.js" "kv-server"');
    for (const text of [setup, run]) {
      expect(text).not.toMatch(/@[A-Z_]+@/);
      execFileSync('bash', ['-n'], { input: text });
    }
    // Unix permissions survive the zip (Gradescope runs run_autograder directly).
    const listing = execFileSync('python3', ['-c', 'import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(oct(i.external_attr >> 16), i.filename)', writeZip()], { encoding: 'utf8' });
    expect(listing).toMatch(/^0o100755 run_autograder$/m);
    expect(listing).toMatch(/^0o100755 setup\.sh$/m);
    expect(listing).toMatch(/^0o100644 package\.json$/m);
    // The same inputs give the same bytes.
    expect(Buffer.from(gradescopeZip('kv-server')).equals(Buffer.from(zip))).toBe(true);
  });

  it('the reference solution scores full marks, hidden tests included', async () => {
    const root = autograderRoot((sub) => copy(at('solutions', 'kv-server', 'python'), sub));
    const { results, code } = await runAutograder(root);
    expect(code).toBe(0);
    expect(results.score).toBe(total(results));
    expect(results.score).toBeGreaterThan(0);
    expect(results.tests!.every((t) => t.status === 'passed')).toBe(true);
    expect(results.extra_data).toMatchObject({ official: true, assignment: 'kv-server' });
    // --official ran the tests students never see, and their visibility went to Gradescope.
    expect(results.tests!.some((t) => t.visibility !== 'visible')).toBe(true);
    expect(results.stdout_visibility).toBe('hidden');
  });

  it('a broken submission (keys never expire) loses exactly the expiry tests', async () => {
    const scenario = at('test', 'scenarios', 'kv-server', 'ignores-expiry');
    const expected: string[] = JSON.parse(fs.readFileSync(path.join(scenario, 'scenario.json'), 'utf8')).expectFailures;
    // The scenario imports ../_base/kvbase.py: put _base beside submission/, and let the
    // sandbox show it (as a course would show a shared library).
    const root = autograderRoot((sub, r) => {
      copy(scenario, sub);
      copy(at('test', 'scenarios', 'kv-server', '_base'), path.join(r, '_base'));
    });
    const { results } = await runAutograder(root, { SOCKGRADE_SANDBOX_READONLY: path.join(root, '_base') });
    expect(results.score).toBeLessThan(total(results));
    const failed = results.tests!.filter((t) => t.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) expect(expected.some((id) => t.tags!.includes(id) || t.name!.endsWith(`(${id})`)), t.name).toBe(true);
    expect(failed.every((t) => /Failed|Timed out/.test(t.output!) && t.score === 0)).toBe(true);
  });

  it('a TypeScript submission uploaded without node_modules builds with the grader\'s TypeScript and @types/node', async () => {
    // Outside any checkout of sockgrade, so nothing up the tree holds @types/node by chance.
    const root = autograderRoot((sub) =>
      fs.cpSync(at('solutions', 'kv-server', 'typescript'), sub, { recursive: true, filter: (s) => !/node_modules|[\\/]dist$|sockgrade-report/.test(s) }),
    );
    expect(fs.existsSync(path.join(root, 'submission', 'node_modules'))).toBe(false);
    const { results } = await runAutograder(root);
    expect(results.output).not.toMatch(/TS2688|build failed/i);
    expect(results.score).toBe(total(results));
  });

  it('no sockgrade.json: graded with the starter manifest for its language, and told so', async () => {
    const root = autograderRoot((sub) => {
      copy(at('solutions', 'kv-server', 'python'), sub);
      fs.rmSync(path.join(sub, 'sockgrade.json'));
    });
    const { results } = await runAutograder(root);
    expect(results.score).toBe(total(results));
    expect(results.output).toMatch(/^Your submission has no sockgrade\.json, so it was graded with the python starter's/);
  });

  it('an empty submission and an invalid manifest: a valid results.json with score 0 and the reason', async () => {
    const empty = await runAutograder(autograderRoot(() => {}));
    expect(empty.results.score).toBe(0);
    expect(empty.results.tests).toEqual([]);
    expect(empty.results.output).toMatch(/submission is empty/);

    const bad = await runAutograder(autograderRoot((sub) => {
      fs.writeFileSync(path.join(sub, 'sockgrade.json'), '{ "run": ');
      fs.writeFileSync(path.join(sub, 'server.py'), 'print("hi")\n');
    }));
    expect(bad.results.score).toBe(0);
    expect(bad.results.output).toMatch(/could not be graded/);
    expect(bad.results.output).toMatch(/sockgrade\.json/);
  });

  it('when sockgrade cannot even start, run_autograder still leaves a valid score-0 results.json', async () => {
    const root = autograderRoot((sub) => copy(at('solutions', 'kv-server', 'python'), sub));
    fs.rmSync(path.join(root, 'source', 'dist'), { recursive: true });
    const { results, code } = await runAutograder(root);
    expect(code).toBe(0);
    expect(results.score).toBe(0);
    expect(results.output).toMatch(/could not run sockgrade/);
  });
});

function writeZip(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-zip-'));
  dirs.push(d);
  const f = path.join(d, 'autograder.zip');
  fs.writeFileSync(f, zip);
  return f;
}
