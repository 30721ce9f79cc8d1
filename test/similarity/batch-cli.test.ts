// `sockgrade batch` writes the similarity report as a TA uses it: through the built CLI (npm run
// build first), on a class on disk with a copied pair, an honest program and starters. The page
// sits beside the class summary, which links to it, and never in a student's report folder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseHTML } from 'linkedom';
import { beforeAll, describe, expect, test } from 'vitest';
import { SimilarityReport } from '../../grader/results/similarity.js';
import { at } from '../helpers.js';
import { makeClass } from './class-fixture.js';

const bin = at('bin', 'sockgrade.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under a folder, relative to it. */
function walk(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]));
}

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `sockgrade-${name}-`));
const summaryOf = (out: string) => parseHTML(fs.readFileSync(path.join(out, 'summary.html'), 'utf8')).document;

let classDir: string;
let out: string;
let run: Run;

beforeAll(async () => {
  classDir = makeClass();
  out = tmp('similarity-batch');
  run = await cli(['batch', classDir, '--out', out, '--jobs', '2', '--seed', 's1m1l4r']);
}, 120_000);

describe('sockgrade batch: the similarity report', () => {
  test('is written beside the class summary and finds the copied pair only', () => {
    expect(run.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/similarity: 1 pair of submissions at or above 50% \(starter code excluded/);
    expect(run.stdout).toMatch(/written: .*similarity\.html/);
    expect(fs.existsSync(path.join(out, 'similarity.html'))).toBe(true);
    const report = SimilarityReport.parse(JSON.parse(fs.readFileSync(path.join(out, 'similarity.json'), 'utf8')));
    expect(report.pairs.map((p) => [p.left, p.right])).toEqual([['alice', 'bob']]);
    expect(report.pairs[0].fragments.length).toBeGreaterThan(0);
    expect(report.submissions).toHaveLength(6);
    const page = parseHTML(fs.readFileSync(path.join(out, 'similarity.html'), 'utf8')).document;
    expect(page.querySelector('section.pair')?.getAttribute('data-pair')).toBe('alice|bob');
    expect(page.querySelector('a[href="./summary.html"]')).not.toBeNull();
  });

  test('summary.html links to it', () => {
    const doc = summaryOf(out);
    const links = [...doc.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(links).toContain('./similarity.html');
    expect(doc.querySelector('[data-similarity]')?.getAttribute('data-similarity')).toBe('1');
    expect(doc.querySelector('[data-similarity]')?.textContent).toMatch(/course staff only/);
  });

  test("no student's report folder holds it or links to it", () => {
    const ids = fs.readdirSync(path.join(out, 'submissions'));
    expect(ids.sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'fay']);
    for (const id of ids) {
      const dir = path.join(out, 'submissions', id);
      for (const f of walk(dir)) {
        expect(path.basename(f), `${id}/${f}`).not.toMatch(/similarity/);
        expect(fs.readFileSync(path.join(dir, f), 'utf8'), `${id}/${f}`).not.toMatch(/similarity\.html|similarity\.json/);
      }
    }
  });

  test('--no-similarity skips it (a resumed run: nothing is graded again), and the summary no longer links to it', async () => {
    const again = await cli(['batch', classDir, '--out', out, '--jobs', '2', '--no-similarity']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/6 already graded/);
    expect(again.stdout).not.toMatch(/similarity:|similarity report|similarity\.html/);
    expect([...summaryOf(out).querySelectorAll('a')].map((a) => a.getAttribute('href'))).not.toContain('./similarity.html');
  });

  test('--similarity-threshold sets the threshold; a value outside 0..1 is refused before grading', async () => {
    const strict = await cli(['batch', classDir, '--out', out, '--similarity-threshold', '1']);
    expect(strict.code, strict.stdout + strict.stderr).toBe(0);
    expect(strict.stdout).toMatch(/similarity: 0 pairs of submissions at or above 100%/);
    expect(SimilarityReport.parse(JSON.parse(fs.readFileSync(path.join(out, 'similarity.json'), 'utf8'))).threshold).toBe(1);
    for (const bad of ['50', '-0.1', 'half']) {
      const r = await cli(['batch', classDir, '--out', tmp('similarity-bad'), '--similarity-threshold', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--similarity-threshold: .* is not a number from 0 to 1/);
    }
  });
});
