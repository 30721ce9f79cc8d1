// `sockgrade grade --watch` as a student meets it: the built CLI watching a real folder, real
// edits, real grades, Ctrl-C. Every wait is for a line of its output (or a process to appear),
// never a pause. Needs `--watch` declared on the grade command in grader/cli/main.ts.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { changedPaths, ignoredPaths, isSourceLike, snapshot } from '../../grader/cli/watch-files.js';
import { renderFirstFailure, renderTerminalSummary } from '../../grader/report/terminal.js';
import { Results } from '../../grader/results/schema.js';
import { at } from '../helpers.js';
import { allPassed, buildFailed, fullRun } from '../report/fixtures.js';

const bin = at('bin', 'sockgrade.js');
const starter = at('starter', 'kv-server', 'python');
const solution = at('solutions', 'kv-server', 'python', 'server.py');

function copyStarter(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-watch-'));
  fs.cpSync(starter, dir, { recursive: true });
  return dir;
}

/** The CLI, its output so far, and waits for what it prints. */
class Watch {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [bin, 'grade', ...args], { env: { ...process.env, NO_COLOR: '1' } });
    const wake = () => this.waiters.forEach((w) => w());
    this.child.stdout.on('data', (d) => {
      this.stdout += d;
      wake();
    });
    this.child.stderr.on('data', (d) => {
      this.stderr += d;
      wake();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      resolve(code);
      wake();
    }));
  }

  /** Resolves once `ok(stdout)` holds; fails, showing the output, if the CLI exits first or the deadline passes. */
  until(what: string, ok: (stdout: string) => boolean, deadlineMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        done();
        reject(new Error(`${why} before ${what}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`));
      };
      const timer = setTimeout(() => fail(`no output for ${deadlineMs / 1000} s`), deadlineMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      const check = () => {
        if (ok(this.stdout)) {
          done();
          resolve();
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) fail(`sockgrade exited (${this.child.exitCode ?? this.child.signalCode})`);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** The n-th "watching … for changes" line: the end of round n (or of a round that failed). */
  watching(n: number): Promise<void> {
    return this.until(`watching line ${n}`, (s) => (s.match(/^watching .* for changes \(Ctrl-C to stop\)$/gm) ?? []).length >= n);
  }

  /** What round n printed (from its header to the next header). */
  round(n: number): string {
    const start = this.stdout.indexOf(`── sockgrade --watch · round ${n} ·`);
    if (start < 0) return '';
    const next = this.stdout.indexOf(`── sockgrade --watch · round ${n + 1} ·`, start);
    return this.stdout.slice(start, next < 0 ? undefined : next);
  }
}

/** Every process below `pid`, from /proc (their pids as this machine sees them). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) if (pp === p) out.push(child), walk(child);
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    return !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

describe('sockgrade grade --watch', () => {
  test('regrades on a change, failing tests first; ignores what tools write; survives a broken manifest; Ctrl-C exits 130 with nothing left', async () => {
    const dir = copyStarter();
    const w = new Watch([dir, '--watch', '--only', 'ping,echo,set-get', '--format', 'json', '--verbose']);
    try {
      // Round 1: the starter answers PING only.
      await w.watching(1);
      const r1 = w.round(1);
      expect(r1).toMatch(/round 1 · \d\d:\d\d:\d\d · first round/);
      const seed1 = /^✗ 4\/13 points \(31%\) · 1 passed, 2 failed · \S+ (?:ms|s) · seed (\w+)$/m.exec(r1)?.[1];
      expect(seed1, r1).toBeDefined();
      // The first failure in full (what was sent, what came back, expected, hint), the rest named.
      expect(r1).toContain(' FAIL  echo · ECHO and PING <message> return a bulk string');
      expect(r1).toMatch(/Expected: "\$11\\r\\nhello world\\r\\n"\n\s+Received: "-ERR not implemented\\r\\n"/);
      expect(r1).toMatch(/> "\*2\\r\\n\$4\\r\\nECHO/);
      expect(r1).toMatch(/hint: /);
      expect(r1).not.toContain('FAIL  set-get');
      expect(r1).toMatch(/^1 more to look at: set-get/m);
      expect(w.stdout).not.toMatch(/\x1b/); // not a terminal: no clear-screen, no colours
      expect(Results.parse(JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade-report', 'results.json'), 'utf8'))).seed).toBe(seed1);

      // What builds and the grader write starts no round: ignored by name (inside an ignored
      // folder nothing is even watched)…
      fs.mkdirSync(path.join(dir, '__pycache__'));
      fs.writeFileSync(path.join(dir, '__pycache__', 'server.cpython-311.pyc'), 'bytecode');
      fs.writeFileSync(path.join(dir, 'sockgrade-report', 'notes.txt'), 'x');
      fs.writeFileSync(path.join(dir, 'server.py~'), 'backup');
      await w.until('the ignored writes', (s) => s.includes('ignored: __pycache__ (') && s.includes('ignored: server.py~ ('));
      // …and an editor's atomic save that leaves the bytes as they were is no change (the events
      // of the writes above, had they counted, would have been judged in this or an earlier burst).
      const same = fs.readFileSync(path.join(dir, 'server.py'));
      fs.writeFileSync(path.join(dir, '.server.py.swp'), same);
      fs.renameSync(path.join(dir, '.server.py.swp'), path.join(dir, 'server.py'));
      await w.until('the unchanged save', (s) => /no change in what the files hold: .*server\.py/.test(s));
      expect(w.stdout).not.toMatch(/round 2/);

      // Round 2: the fix. The two tests that failed run first, with round 1's seed, and pass.
      fs.copyFileSync(solution, path.join(dir, 'server.py'));
      await w.watching(2);
      const r2 = w.round(2);
      expect(r2).toMatch(/round 2 · \d\d:\d\d:\d\d · changed: server\.py ──/);
      expect(w.stdout).not.toMatch(/round 3/);
      const quick = r2.indexOf(`Failing last round, run first (seed ${seed1}):`);
      const summary = r2.search(/^✓ 13\/13 points \(100%\) · 3 passed · /m);
      expect(quick).toBeGreaterThan(0);
      expect(summary).toBeGreaterThan(quick);
      const between = r2.slice(quick, summary);
      expect(between).toMatch(/✓ echo /);
      expect(between).toMatch(/✓ set-get /);
      expect(between).not.toMatch(/ping /);
      expect(between).toContain('→ 2 of 2 pass now');
      expect(r2).not.toContain('FAIL');

      // Round 3: a manifest broken while watching is said, and watching goes on.
      const manifest = fs.readFileSync(path.join(dir, 'sockgrade.json'), 'utf8');
      fs.writeFileSync(path.join(dir, 'sockgrade.json'), '{"assignment": "kv-server", ');
      await w.watching(3);
      expect(w.round(3)).toMatch(/changed: sockgrade\.json[\s\S]*sockgrade: .*sockgrade\.json is not valid JSON/);
      fs.writeFileSync(path.join(dir, 'sockgrade.json'), manifest);
      await w.watching(4);
      expect(w.round(4)).toMatch(/^✓ 13\/13 points/m);

      // Round 5, stopped by Ctrl-C while the student's server runs: exit 130, nothing left.
      fs.appendFileSync(path.join(dir, 'server.py'), '\n# a comment\n');
      await w.until('round 5', (s) => s.includes('round 5 · '));
      // No event says "the server is up" in this output: look for it in /proc every 20 ms.
      let tree = descendants(w.child.pid!);
      for (const deadline = Date.now() + 20_000; !tree.some((p) => cmdline(p).includes('server.py')) && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 20));
        tree = descendants(w.child.pid!);
      }
      expect(tree.map(cmdline).join('\n')).toContain('server.py');
      w.child.kill('SIGINT');
      expect(await w.exited).toBe(130);
      expect(w.stderr).toContain('stopping the watch');
      expect(w.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(tree.filter(alive).map((p) => `${p} ${cmdline(p)}`)).toEqual([]);
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
    }
  });

  test('without the sandbox, what the build writes into the folder neither interrupts a round nor starts one', async () => {
    const dir = copyStarter();
    // A build that writes an output no name rule knows (as make writes ./server).
    fs.writeFileSync(path.join(dir, 'sockgrade.json'), JSON.stringify({ assignment: 'kv-server', build: 'cp server.py server_bin', run: 'python3 server_bin' }));
    const w = new Watch([dir, '--watch', '--only', 'ping,echo', '--sandbox', 'off', '--format', 'json', '--verbose']);
    try {
      await w.watching(1);
      expect(w.round(1)).toContain('ignored from now on: server_bin (written during the grade');
      expect(w.round(1)).toMatch(/^✗ 4\/8 points/m);
      fs.copyFileSync(solution, path.join(dir, 'server.py'));
      await w.watching(2);
      // Round 2's build rewrote server_bin: no round was stopped for it, and none followed.
      expect(w.round(2)).toMatch(/changed: server\.py ──/);
      expect(w.round(2)).toMatch(/^✓ 8\/8 points/m);
      expect(w.stdout).not.toMatch(/stopped:|round 3/);
      w.child.kill('SIGINT');
      expect(await w.exited).toBe(130);
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
    }
  });

  test('a save during a round stops it and starts the next with the change', async () => {
    const dir = copyStarter();
    // While the file "hold" exists the build waits, so the round is surely running when the
    // student saves. (Unsandboxed: the build must see the folder itself, not a scratch copy.)
    fs.writeFileSync(path.join(dir, 'wait-for-hold.sh'), 'while [ -e hold ]; do sleep 0.05; done\n');
    fs.writeFileSync(path.join(dir, 'sockgrade.json'), JSON.stringify({ assignment: 'kv-server', build: 'sh wait-for-hold.sh', run: 'python3 server.py' }));
    const w = new Watch([dir, '--watch', '--only', 'echo', '--sandbox', 'off', '--format', 'json']);
    try {
      await w.watching(1);
      fs.writeFileSync(path.join(dir, 'hold'), '');
      await w.until('round 2', (s) => s.includes('round 2 · '));
      fs.copyFileSync(solution, path.join(dir, 'server.py'));
      await w.until('round 3', (s) => s.includes('round 3 · '));
      expect(w.round(2)).toMatch(/changed: hold ──/);
      expect(w.round(2)).toContain('(round 2 stopped: changed: server.py)');
      expect(w.round(2)).not.toMatch(/points \(/);
      expect(w.round(3)).toMatch(/changed: server\.py ──/);
      fs.rmSync(path.join(dir, 'hold'));
      await w.watching(2);
      expect(w.round(3)).toMatch(/^✓ 4\/4 points/m);
      // The interrupted round wrote no report: the one there is round 3's.
      const seed3 = /seed (\w+)$/m.exec(w.round(3))?.[1];
      expect(Results.parse(JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade-report', 'results.json'), 'utf8'))).seed).toBe(seed3);
      w.child.kill('SIGINT');
      expect(await w.exited).toBe(130);
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
    }
  });

  test('bad input before the first round: the usual message, exit 2, no stack trace', async () => {
    const missing = new Watch([path.join(os.tmpdir(), 'sockgrade-watch-no-such-folder'), '--watch']);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr).toMatch(/submission folder .*sockgrade-watch-no-such-folder does not exist/);
    const dir = copyStarter();
    fs.writeFileSync(path.join(dir, 'sockgrade.json'), '{"assignment": "kv-server"}');
    const bad = new Watch([dir, '--watch']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toMatch(/is not a valid manifest[\s\S]*"run"/);
    const failUnder = new Watch([dir, '--watch', '--fail-under', '50']);
    expect(await failUnder.exited).toBe(2);
    expect(failUnder.stderr).toMatch(/--fail-under cannot go with --watch/);
    for (const w of [missing, bad, failUnder]) expect(w.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe('what counts as a change (watch-files.ts)', () => {
  test('names only tools write are ignored; the report folder too, wherever it is inside', () => {
    const dir = '/s';
    const ignored = ignoredPaths(dir, ['/s/out-reports/here', '/elsewhere']);
    for (const p of ['sockgrade-report/report.html', '.git/index', 'node_modules/x/index.js', 'src/__pycache__/a.cpython-311.pyc', 'dist/server.js', 'server.o', '.server.py.swp', 'server.py~', '4913', '.#server.py', 'out-reports/here/results.json'])
      expect(ignored(p), p).toBe(true);
    for (const p of ['server.py', 'src/server.ts', 'Makefile', 'sockgrade.json', 'out-reports/mine.txt', 'server']) expect(ignored(p), p).toBe(false);
  });

  test('sources by extension and name; a binary or a .js compiled beside its .ts is not one', () => {
    const files = new Set(['src/server.ts', 'src/server.js', 'lib.js']);
    const exists = (p: string) => files.has(p);
    for (const p of ['server.py', 'server.c', 'src/server.ts', 'lib.js', 'Makefile', 'sockgrade.json']) expect(isSourceLike(p, exists), p).toBe(true);
    for (const p of ['server', 'a.out', 'src/server.js', 'src/server.js.map', 'src/server.d.ts']) expect(isSourceLike(p, exists), p).toBe(false);
  });

  test('a snapshot changes with the bytes, not with a rewrite of the same bytes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-watch-snap-'));
    fs.writeFileSync(path.join(dir, 'server.py'), 'print(1)\n');
    fs.mkdirSync(path.join(dir, 'sockgrade-report'));
    fs.writeFileSync(path.join(dir, 'sockgrade-report', 'results.json'), '{}');
    const ignored = ignoredPaths(dir);
    const a = await snapshot(dir, ignored);
    expect([...a.keys()]).toEqual(['server.py']);
    fs.writeFileSync(path.join(dir, 'server.py'), 'print(1)\n');
    fs.writeFileSync(path.join(dir, 'sockgrade-report', 'results.json'), '{"x": 1}');
    expect(changedPaths(a, await snapshot(dir, ignored))).toEqual([]);
    fs.writeFileSync(path.join(dir, 'server.py'), 'print(2)\n');
    fs.writeFileSync(path.join(dir, 'new.py'), '');
    expect(changedPaths(a, await snapshot(dir, ignored))).toEqual(['new.py', 'server.py']);
  });
});

describe('the first failure in full (renderFirstFailure)', () => {
  test('is the first test the summary details, rendered as the summary renders it', () => {
    const r = fullRun();
    const first = renderFirstFailure(r, { color: false });
    expect(first).toMatch(/^ (FAIL|TIMEOUT|ERROR|PARTIAL) +\S+ · /);
    // The same block, character for character, is in the full summary.
    expect(renderTerminalSummary(r, { color: false, verbose: false })).toContain(first.trimEnd());
    expect(renderFirstFailure(r, { color: true })).toMatch(/\x1b\[/);
  });

  test('after a failed build it is the build output; after a clean pass it is nothing', () => {
    const first = renderFirstFailure(buildFailed(), { color: false });
    expect(first).toMatch(/^── Build failed ─+\n {2}\$ make\n {2}exit code 2 after 1\.2 s/);
    expect(renderTerminalSummary(buildFailed(), { color: false, verbose: false })).toContain(first.trimEnd());
    expect(renderFirstFailure(allPassed(), { color: false })).toBe('');
  });
});
