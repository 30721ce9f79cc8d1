// Hidden tests stay hidden: the package a student installs (npm pack, unpacked as npm would)
// carries no hidden test code; grading from it says how many hidden tests there are and what
// they are worth; official grading from it refuses without the course pack, with a clear
// message, and with the pack (`sockgrade pack` from the course's own checkout) runs them all.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Results } from '../../grader/results/schema.js';
import { at } from '../helpers.js';

let tmp: string;
let pkg: string;
let pack: string;

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-hidden-'));
  // The tarball npm would publish (dist/ is built: npm test builds first), unpacked as npm installs it.
  const name = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', tmp], { cwd: at(), encoding: 'utf8' }).trim().split('\n').pop()!;
  execFileSync('tar', ['-xzf', path.join(tmp, name), '-C', tmp]);
  pkg = path.join(tmp, 'package');
  // Its dependencies, as an install would put them (only the grader's own runtime uses them here).
  fs.symlinkSync(at('node_modules'), path.join(pkg, 'node_modules'));
  pack = path.join(tmp, 'course-pack');
  execFileSync(process.execPath, [at('bin', 'sockgrade.js'), 'pack', '--out', pack]);
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('hidden tests and the package students install', () => {
  test('the package carries no hidden test code: no hidden.js or hidden.ts, and tests.js defines no hidden test', () => {
    const files = filesUnder(pkg).filter((f) => !f.startsWith('node_modules'));
    expect(files.filter((f) => /(^|\/)hidden\.(js|ts)$/.test(f))).toEqual([]);
    const shipped = fs.readFileSync(path.join(pkg, 'dist', 'assignments', 'kv-server', 'tests.js'), 'utf8');
    // The hidden tests' bodies (their hints are unique to them), not their ids (still-alive's abuse list names a half-close).
    expect(shipped).not.toContain("async 'half-close'");
    expect(shipped).not.toContain("async 'set-option-errors'");
    expect(shipped).not.toContain('Invalid SET options');
    // The course pack has them.
    expect(fs.readFileSync(path.join(pack, 'kv-server', 'hidden.js'), 'utf8')).toContain('Invalid SET options');
  });

  test('a student grading from the package is told how many hidden tests there are and their points', async () => {
    const r = await run(process.execPath, [path.join(pkg, 'bin', 'sockgrade.js'), 'grade', at('solutions', 'kv-server', 'python'), '--report-dir', path.join(tmp, 'student'), '--format', 'json']);
    expect(r.code).toBe(0);
    const results = Results.parse(JSON.parse(fs.readFileSync(path.join(tmp, 'student', 'results.json'), 'utf8')));
    expect(results.hidden).toEqual({ tests: 2, points: 4 });
  });

  test('official grading from the package without the course pack: exit 2 and what to do', async () => {
    const r = await run(process.execPath, [path.join(pkg, 'bin', 'sockgrade.js'), 'grade', at('solutions', 'kv-server', 'python'), '--official', '--report-dir', path.join(tmp, 'nopack')], { SOCKGRADE_PACK: '' });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/the hidden tests of "kv-server" are not in this installation of sockgrade/);
    expect(r.out).toMatch(/pass --pack <folder> or set SOCKGRADE_PACK/);
    expect(r.out).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  test('official grading from the package with the course pack runs every test, the hidden ones included', async () => {
    const r = await run(process.execPath, [path.join(pkg, 'bin', 'sockgrade.js'), 'grade', at('solutions', 'kv-server', 'python'), '--official', '--pack', pack, '--report-dir', path.join(tmp, 'official'), '--format', 'json']);
    expect(r.code).toBe(0);
    const results = Results.parse(JSON.parse(fs.readFileSync(path.join(tmp, 'official', 'results.json'), 'utf8')));
    const ids = results.groups.flatMap((g) => g.tests.map((t) => t.id));
    expect(ids).toContain('half-close');
    expect(ids).toContain('set-option-errors');
    expect(results.score.percent).toBe(100);
  });

  test('--pack naming a folder that is not there: exit 2', async () => {
    const r = await run(process.execPath, [at('bin', 'sockgrade.js'), 'grade', at('solutions', 'kv-server', 'python'), '--official', '--pack', path.join(tmp, 'nowhere')]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/--pack: .*nowhere is not a folder/);
  });
});
