// The command line as a user meets it: exit codes, messages without stack traces, report files,
// init and list. Runs the built CLI (npm test builds first).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Results } from '../../grader/results/schema.js';
import { at } from '../helpers.js';

const bin = at('bin', 'sockgrade.js');

function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: opts.cwd ?? at(), env: { ...process.env, NO_COLOR: '1', ...opts.env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-cli-'));

function submission(manifest: string | null, files: Record<string, string> = {}): string {
  const dir = tmp();
  if (manifest !== null) fs.writeFileSync(path.join(dir, 'sockgrade.json'), manifest);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function expectNoStack(text: string) {
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('sockgrade grade', () => {
  test('grades a passing submission: exit 0, reports written, JSON valid, seed replayable', async () => {
    const out = tmp();
    const r = await run(['grade', at('solutions', 'kv-server', 'python'), '--only', 'basics,set-get', '--report-dir', out, '--seed', 'abc123', '--format', 'html,markdown,json,terminal']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ ping/);
    expect(r.stdout).toMatch(/Seed:\s+abc123/);
    expect(fs.readdirSync(out).sort()).toEqual(['report.html', 'report.md', 'report.txt', 'results.json']);
    const results = Results.parse(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')));
    expect(results.seed).toBe('abc123');
    expect(results.replay).toContain('--seed abc123');
    expect(results.groups.flatMap((g) => g.tests.map((t) => t.id))).toEqual(['ping', 'ping-many', 'echo', 'case-insensitive', 'set-get']);
    expect(fs.readFileSync(path.join(out, 'report.txt'), 'utf8')).not.toMatch(/\x1b\[/);
  });

  test('a failing submission exits 1 and shows what was sent, received and expected', async () => {
    const out = tmp();
    const r = await run(['grade', at('test', 'scenarios', 'kv-server', 'empty-string-for-nil'), '--only', 'set-get', '--report-dir', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ set-get/);
    expect(r.stdout).toContain('$-1\\r\\n');
    expect(r.stdout).toContain('$0\\r\\n\\r\\n');
    expect(r.stdout).toMatch(/hint/i);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('set-get');
  });

  test('--fail-under decides the exit code from the percentage', async () => {
    const dir = at('test', 'scenarios', 'kv-server', 'empty-string-for-nil');
    const args = ['grade', dir, '--only', 'basics,set-get', '--report-dir', tmp(), '--fail-under'];
    expect((await run([...args, '50'])).code).toBe(0);
    expect((await run([...args, '100'])).code).toBe(1);
    const bad = await run([...args, 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--fail-under: "lots" is not a percentage/);
  });

  test.each([
    ['no manifest', null, /no sockgrade\.json in/],
    ['invalid JSON', '{"assignment": "kv-server", ', /is not valid JSON/],
    ['missing run', '{"assignment": "kv-server"}', /"run"/],
    ['unknown key', '{"assignment": "kv-server", "run": "x", "buidl": "make"}', /buidl/],
    ['unknown assignment', '{"assignment": "kv-servr", "run": "x"}', /unknown assignment "kv-servr"[\s\S]*Known assignments: .*kv-server/],
  ])('configuration error (%s): exit 2, a clear message, no stack trace', async (_name, manifest, message) => {
    const r = await run(['grade', submission(manifest)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expectNoStack(r.stderr);
  });

  test('usage errors: exit 2 without a stack trace', async () => {
    for (const args of [
      ['grade', '/nonexistent/folder'],
      ['grade', at('package.json')],
      ['grade', at('solutions', 'kv-server', 'python'), '--format', 'pdf'],
      ['grade', at('solutions', 'kv-server', 'python'), '--only', 'no-such-test'],
      ['grade', '--no-such-option'],
      ['frobnicate'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
      expectNoStack(r.stderr);
    }
  });

  test('set-up mistakes are configuration errors (exit 2) that say what to fix, not failed tests', async () => {
    const server = fs.readFileSync(at('solutions', 'kv-server', 'python', 'server.py'), 'utf8');
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['{"assignment": "kv-server", "run": "pythn3 server.py"}', { 'server.py': server }, /the run command "pythn3 server.py" starts "pythn3", which is not installed/],
      ['{"assignment": "kv-server", "run": "./server"}', { 'server.py': server }, /starts \.\/server, which does not exist in .* \(after the build\)/],
      ['{"assignment": "kv-server", "run": "./server.py"}', { 'server.py': server }, /\.\/server\.py, which is not an executable file/],
      ['{"assignment": "kv-server", "build": "mak", "run": "python3 server.py"}', { 'server.py': server }, /the build command "mak" starts "mak", which is not installed/],
    ];
    for (const [manifest, files, message] of cases) {
      const r = await run(['grade', submission(manifest, files), '--only', 'ping']);
      expect(r.code, manifest).toBe(2);
      expect(r.stderr, manifest).toMatch(message);
      expectNoStack(r.stderr);
    }
    // A link out of the submission (to the reference solutions, say) is refused before anything runs.
    const dir = submission('{"assignment": "kv-server", "run": "python3 server.py"}', { 'server.py': server });
    fs.symlinkSync(at('solutions'), path.join(dir, 'answers'));
    const r = await run(['grade', dir, '--only', 'ping']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/answers in the submission is a link to .*solutions, outside the submission folder/);
    // A link inside it is fine, and so is a virtualenv's interpreter, whatever the folder's name.
    fs.rmSync(path.join(dir, 'answers'));
    fs.symlinkSync('server.py', path.join(dir, 'main.py'));
    fs.mkdirSync(path.join(dir, 'env', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'env', 'pyvenv.cfg'), 'home = /usr/bin\n');
    fs.symlinkSync('/usr/bin/python3', path.join(dir, 'env', 'bin', 'python3'));
    expect((await run(['grade', dir, '--only', 'ping'])).code).toBe(0);
  });

  test('--assignment overrides the manifest', async () => {
    const dir = submission('{"assignment": "something-else", "run": "python3 server.py"}');
    fs.copyFileSync(at('solutions', 'kv-server', 'python', 'server.py'), path.join(dir, 'server.py'));
    const r = await run(['grade', dir, '--assignment', 'kv-server', '--only', 'ping']);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'sockgrade-report', 'results.json'))).toBe(true);
  });

  test('Ctrl-C (SIGINT) stops grading, writes the partial report and exits 130', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [bin, 'grade', at('test', 'fixtures', 'engine', 'slow-forever'), '--report-dir', out], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      // The first finished test proves the program is up and grading is under way.
      if (/ping /.test(stdout) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    const results = Results.parse(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')));
    expect(results.completeness).toBe('interrupted');
    // Every test of the student's run is in the partial report (the 2 hidden ones are not part of it).
    expect(results.groups.flatMap((g) => g.tests).length).toBe(22);
    expect(results.hidden).toEqual({ tests: 2, points: 4 });
  });
});

describe('sockgrade grade, sandboxed or not', () => {
  // A machine without bubblewrap (a macOS laptop, a bare CI image): a PATH holding the tools a
  // grade needs and not bwrap or unshare. The grade still works, and one line says it is not sandboxed.
  test('without bubblewrap: graded as usual, under the limits it can set, and one line says so', async () => {
    const bin = tmp();
    for (const tool of ['python3', 'sh', 'prlimit', 'ip']) {
      const found = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
      if (found) fs.symlinkSync(fs.realpathSync(found), path.join(bin, tool));
    }
    const out = tmp();
    const r = await run(['grade', at('solutions', 'kv-server', 'python'), '--only', 'basics', '--report-dir', out], { env: { PATH: bin } });
    expect(r.code).toBe(0);
    const notes = r.stdout.split('\n').filter((l) => /not sandboxed/.test(l));
    expect(notes).toEqual([expect.stringMatching(/^note: not sandboxed: bubblewrap is not installed \(Debian\/Ubuntu: apt install bubblewrap\); the program runs in the submission folder as you/)]);
    const results = Results.parse(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')));
    expect(results.environment.sandbox).toMatch(/^not sandboxed: /);
    expect(results.score.percent).toBe(100);
  });

  test.runIf(fs.existsSync('/usr/bin/bwrap'))('with bubblewrap: the report says how the program was confined', async () => {
    const out = tmp();
    const r = await run(['grade', at('solutions', 'kv-server', 'python'), '--only', 'ping', '--report-dir', out, '--sandbox', 'on']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sandboxed \(bubblewrap\): a scratch copy of the submission, the system read-only, a private \/tmp/m);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('sandboxed (bubblewrap)');
    const off = await run(['grade', at('solutions', 'kv-server', 'python'), '--only', 'ping', '--report-dir', out, '--sandbox', 'off']);
    expect(off.stdout).toMatch(/^note: not sandboxed: the sandbox was turned off \(--sandbox off\)/m);
    const bad = await run(['grade', at('solutions', 'kv-server', 'python'), '--sandbox', 'maybe']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sandbox: unknown value "maybe"/);
  });
});

describe('sockgrade grade | head', () => {
  test('a reader that closes the pipe early does not stop grading or lose the reports', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [bin, 'grade', at('test', 'scenarios', 'kv-server', 'exits-at-once'), '--report-dir', out], { env: { ...process.env, NO_COLOR: '1' } });
    child.stdout.once('data', () => child.stdout.destroy());
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(stderr).not.toMatch(/EPIPE/);
    expect(code).toBe(1);
    expect(fs.readdirSync(out).sort()).toEqual(['report.html', 'report.md', 'results.json']);
  });
});

describe('sockgrade list and init', () => {
  test('list names every assignment', async () => {
    const r = await run(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^kv-server\s+/m);
  });

  test('init copies a starter that then grades; refuses to overwrite', async () => {
    const dir = path.join(tmp(), 'mine');
    const r = await run(['init', 'kv-server', dir, '--lang', 'python']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sockgrade grade/);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade.json'), 'utf8')).assignment).toBe('kv-server');
    const graded = await run(['grade', dir, '--only', 'ping']);
    expect(graded.code).toBe(0);
    const again = await run(['init', 'kv-server', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    const bad = await run(['init', 'kv-server', path.join(tmp(), 'x'), '--lang', 'cobol']);
    expect(bad.code).toBe(2);
  });
});
