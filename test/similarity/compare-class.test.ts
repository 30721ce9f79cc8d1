// The similarity analysis on real submissions on disk (class-fixture.ts): copying is found through
// renamed variables and reordered functions, an honest program is not accused, and the starter
// code every student was given never makes two submissions look alike.
import fs from 'node:fs';
import path from 'node:path';
import { parseHTML } from 'linkedom';
import { beforeAll, describe, expect, test } from 'vitest';
import { renderSimilarityPage } from '../../grader/report/similarity-page.js';
import { SimilarityReport, type SimilarPair } from '../../grader/results/similarity.js';
import { compareClass, DEFAULT_THRESHOLD, type CompareOptions } from '../../grader/similarity/compare-class.js';
import { at } from '../helpers.js';
import { makeClass, SOLUTION, STARTER, writeSubmission } from './class-fixture.js';

const ASSIGNMENT = { id: 'kv-server', title: 'A key-value server' };
const STARTERS = at('starter', 'kv-server');

function submissionsOf(dir: string): CompareOptions['submissions'] {
  return fs.readdirSync(dir).map((id) => ({ id, dir: path.join(dir, id) }));
}

const involving = (pairs: SimilarPair[], id: string) => pairs.filter((p) => p.left === id || p.right === id);
const pairOf = (pairs: SimilarPair[], a: string, b: string) => pairs.find((p) => p.left === a && p.right === b);

let classDir: string;
let report: SimilarityReport;
/** Every pair with any overlap: the margins behind the verdicts. */
let everything: SimilarityReport;

beforeAll(async () => {
  classDir = makeClass();
  // gus and hal each made the starter answer PING with a message, in the same obvious line.
  const starter = fs.readFileSync(path.join(STARTER, 'server.py'), 'utf8');
  const edited = starter.replace('return b"+PONG\\r\\n"', 'return b"+PONG\\r\\n" if len(args) == 1 else b"$%d\\r\\n%s\\r\\n" % (len(args[1]), args[1])');
  expect(edited).not.toBe(starter);
  for (const id of ['gus', 'hal']) writeSubmission(path.join(classDir, id), { 'server.py': edited });
  const subs = submissionsOf(classDir);
  report = await compareClass({ assignment: ASSIGNMENT, submissions: subs, starterDir: STARTERS });
  everything = await compareClass({ assignment: ASSIGNMENT, submissions: subs, starterDir: STARTERS, threshold: 0, minShared: 0, maxPairs: 1000 });
});

describe('compareClass on a class with a copied pair, an honest program and starters', () => {
  test('the copied pair is reported above the threshold, with fragments from both files', () => {
    expect(report.threshold).toBe(DEFAULT_THRESHOLD);
    const pair = pairOf(report.pairs, 'alice', 'bob');
    expect(pair, JSON.stringify(report.pairs.map((p) => [p.left, p.right, p.similarity]))).toBeDefined();
    expect(pair!.language).toBe('python');
    expect(pair!.similarity).toBeGreaterThan(0.9);
    expect(pair!.fragments.length).toBeGreaterThan(2);
    // Each side's code is what the file holds at those lines: alice's own names on her side, bob's on his.
    const lines = (id: string) => fs.readFileSync(path.join(classDir, id, 'server.py'), 'utf8').split('\n');
    for (const f of pair!.fragments) {
      for (const [id, side] of [['alice', f.left], ['bob', f.right]] as const) {
        expect(side.file).toBe('server.py');
        expect(side.code).toBe(lines(id).slice(side.startLine - 1, side.startLine - 1 + side.code.split('\n').length).join('\n'));
        expect(side.endLine - side.startLine + 1).toBe(side.code.split('\n').length + side.moreLines);
      }
    }
    const leftCode = pair!.fragments.map((f) => f.left.code).join('\n');
    const rightCode = pair!.fragments.map((f) => f.right.code).join('\n');
    expect(leftCode).toMatch(/\bKeySpace\b|\bkv\b/);
    expect(rightCode).toMatch(/\bDatabase\b|\bdb\b/);
    // bob moved cmd_set elsewhere: it is still matched, at different lines on each side.
    const set = pair!.fragments.find((f) => /def cmd_set/.test(f.left.code));
    expect(set, 'the SET command is among the shared fragments').toBeDefined();
    expect(set!.right.code).toMatch(/def cmd_set/);
    expect(set!.right.startLine).not.toBe(set!.left.startLine);
  });

  test('the honest program is paired with no one, and stays far below the threshold', () => {
    expect(involving(report.pairs, 'carol')).toEqual([]);
    for (const p of involving(everything.pairs, 'carol')) expect(p.similarity, `${p.left}/${p.right}`).toBeLessThan(0.2);
    expect(pairOf(everything.pairs, 'alice', 'carol')).toBeDefined(); // it was compared
  });

  test('starter-only submissions are paired with no one: the starter never counts', () => {
    for (const id of ['dave', 'erin', 'fay']) {
      expect(involving(report.pairs, id)).toEqual([]);
      for (const p of involving(everything.pairs, id)) expect(p.similarity, `${p.left}/${p.right}`).toBe(0);
    }
    expect(report.starter).toEqual([
      { language: 'c', files: ['c/server.c'] },
      { language: 'python', files: ['python/server.py'] },
      { language: 'typescript', files: ['typescript/src/server.ts'] },
    ]);
  });

  test('two starters with the same one-line edit are not paired: too little in common beyond the starter', () => {
    expect(pairOf(report.pairs, 'gus', 'hal')).toBeUndefined();
    const p = pairOf(everything.pairs, 'gus', 'hal');
    expect(p!.shared.left).toBeLessThan(report.minShared);
  });

  test('groups, counts and what was compared', () => {
    expect(report.pairsAbove).toBe(report.pairs.length);
    expect(report.clusters).toEqual([['alice', 'bob']]);
    expect(report.submissions.map((s) => s.id)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'fay', 'gus', 'hal']);
    expect(report.submissions[0].languages).toEqual([{ language: 'python', files: 1 }]);
    expect(report.engine.name).toBe('@dodona/dolos-lib');
    expect(report.engine.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('a stricter threshold drops the pair; the same class gives the same report twice', async () => {
    const strict = await compareClass({ assignment: ASSIGNMENT, submissions: submissionsOf(classDir), starterDir: STARTERS, threshold: 1 });
    expect(strict.pairs.filter((p) => p.similarity < 1)).toEqual([]);
    const again = await compareClass({ assignment: ASSIGNMENT, submissions: submissionsOf(classDir), starterDir: STARTERS });
    expect(JSON.stringify(again)).toBe(JSON.stringify(report));
  });

  test('the figure is symmetric: the order of the submissions does not change it', async () => {
    const reversed = await compareClass({ assignment: ASSIGNMENT, submissions: submissionsOf(classDir).reverse(), starterDir: STARTERS, threshold: 0, minShared: 0, maxPairs: 1000 });
    const figures = (r: SimilarityReport) => Object.fromEntries(r.pairs.map((p) => [`${p.left}/${p.right}`, p.similarity]));
    expect(figures(reversed)).toEqual(figures(everything));
  });
});

describe('the similarity page', () => {
  test('shows the pair side by side and escapes what students control: folder names, file names, code', async () => {
    const dir = makeClass('sockgrade-similarity-hostile-');
    // Two more students share a file with a hostile name whose code holds markup: the key space
    // of the solution, after a function returning a string that closes the <pre> and opens a script.
    const solution = fs.readFileSync(SOLUTION, 'utf8');
    const store = solution.slice(solution.indexOf('def now_ms()'), solution.indexOf('# Commands'));
    const hostileName = '<script>alert(1)<script>.py';
    const hostileCode = `def banner():\n    return "</pre><script>alert('code')</script>"\n\n\n${store}`;
    const hostileId = 'mal<img src=x onerror=alert(2)>';
    writeSubmission(path.join(dir, hostileId), { [hostileName]: hostileCode });
    writeSubmission(path.join(dir, 'mallory'), { [hostileName]: hostileCode });
    const r = await compareClass({ assignment: { id: 'kv-server', title: 'KV <b>server</b>' }, submissions: submissionsOf(dir), starterDir: STARTERS });
    const hostile = pairOf(r.pairs, hostileId, 'mallory');
    expect(hostile).toBeDefined();
    expect(hostile!.fragments.some((f) => f.left.code.includes('<script>') && f.left.file === hostileName)).toBe(true);

    const html = renderSimilarityPage(r);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>server');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;script&gt;.py');
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;alert(&#x27;code&#x27;)&lt;/script&gt;');
    const { document } = parseHTML(html);
    expect(document.querySelectorAll('script').length).toBe(0);
    expect(document.querySelectorAll('img').length).toBe(0);
    expect([...document.querySelectorAll('.where code.file')].map((e) => e.textContent)).toContain(hostileName);
    // The page says who it is for, and each listed pair has its side-by-side section.
    expect(document.querySelector('.staff-only')?.textContent).toMatch(/course staff only/i);
    for (const p of r.pairs) {
      const section = [...document.querySelectorAll('section.pair')].find((s) => s.getAttribute('data-pair') === `${p.left}|${p.right}`);
      expect(section, `${p.left}|${p.right}`).toBeDefined();
      expect(section!.querySelectorAll('.fragment .side').length).toBe(2 * p.fragments.length);
    }
    const aliceBob = [...document.querySelectorAll('section.pair')].find((s) => s.getAttribute('data-pair') === 'alice|bob');
    expect(aliceBob?.querySelector('pre.code')?.textContent).toMatch(/\d/);
  });

  test('an empty report says so', () => {
    const html = renderSimilarityPage(
      SimilarityReport.parse({
        schemaVersion: 1,
        assignment: ASSIGNMENT,
        threshold: 0.5,
        minShared: 10,
        engine: { name: '@dodona/dolos-lib', version: '3.5.1', kgramLength: 23, kgramsInWindow: 17 },
        starter: [],
        submissions: [{ id: 'solo', languages: [] }],
        pairsAbove: 0,
        pairs: [],
        clusters: [],
        notes: ['python: only solo has python code, so it was compared with no one.'],
      }),
    );
    const { document } = parseHTML(html);
    expect(document.querySelector('#groups .empty')?.textContent).toMatch(/No pair of submissions is at or above 50%/);
    expect(document.querySelector('#notes')?.textContent).toMatch(/compared with no one/);
  });
});
