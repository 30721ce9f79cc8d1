// Hostile submissions, graded the way a student or TA grades: through the CLI, which runs the
// grade in a network namespace of its own and the program in the sandbox. Each program tries
// one thing (test/hostile/programs). For each: the grade ends within its budget, the report
// says what happened, no process of the run survives, nothing outside the scratch copy changed
// (the submission folder, a neighbouring submission, the report folder), and the score is the
// grader's. The sandbox needs bubblewrap, which CI installs; elsewhere the suite is skipped.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Results } from '../../grader/results/schema.js';
import { allTests, at } from '../helpers.js';
import { hostileSubmission, survivors, snapshot, type HostileSetup } from './hostile-setup.js';

const hasBwrap = fs.existsSync('/usr/bin/bwrap') || fs.existsSync('/bin/bwrap');

interface Graded {
  code: number;
  stdout: string;
  ms: number;
  results: Results;
  /** Everything the report says, as one string (messages, notes, program output, cleanup). */
  text: string;
}

function sockgrade(args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) =>
    execFile(process.execPath, [at('bin', 'sockgrade.js'), ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, ms: performance.now() - t0 }),
    ),
  );
}

async function gradeHostile(s: HostileSetup, only = 'ping'): Promise<Graded> {
  const r = await sockgrade(['grade', s.dir, '--only', only, '--report-dir', s.reportDir, '--format', 'json,html,markdown', '--sandbox', 'on'], 120_000);
  const results = Results.parse(JSON.parse(fs.readFileSync(path.join(s.reportDir, 'results.json'), 'utf8')));
  return { ...r, results, text: JSON.stringify(results) };
}

/** What every hostile grade must hold, whatever the program tried. */
async function expectContained(s: HostileSetup, g: Graded, before: { dir: Record<string, string>; neighbour: Record<string, string> }): Promise<void> {
  expect([0, 1]).toContain(g.code);
  // Within the budget: kv-server's startup deadline (5 s) and ping's deadline, plus start-up of the grader.
  expect(g.ms).toBeLessThan(60_000);
  // The grader's score: the sum of what its own tests awarded.
  const tests = allTests(g.results);
  expect(g.results.score.earned).toBe(tests.reduce((a, t) => a + t.pointsEarned, 0));
  expect(g.results.environment.sandbox).toMatch(/^sandboxed \(bubblewrap\)/);
  // Nothing outside the scratch copy changed.
  expect(snapshot(s.dir)).toEqual(before.dir);
  expect(snapshot(s.neighbour)).toEqual(before.neighbour);
  expect(fs.existsSync(path.join(s.root, 'escaped.txt'))).toBe(false);
  // The reports are the grader's own.
  expect(fs.readFileSync(path.join(s.reportDir, 'report.html'), 'utf8')).toContain('sockgrade');
  // No process of the run is left (its command line carries the submission's token).
  await expect.poll(() => survivors(s.token), { timeout: 5000, interval: 50 }).toEqual([]);
}

interface Case {
  name: string;
  /** Tests to run (kv-server). */
  only?: string;
  check(g: Graded, s: HostileSetup): void;
}

const passedPing = (g: Graded) => expect(allTests(g.results).map((t) => t.status)).toEqual(['passed']);

const cases: Case[] = [
  {
    name: 'fork-bomb',
    check: (g) => {
      // Whether it still answered in time depends on the machine; what it ran into does not.
      expect(g.results.notes.join('\n')).toMatch(/Your program ran into a limit: it tried to run more than 512 processes and threads at once \(the limit\)/);
    },
  },
  {
    name: 'memory-hog',
    check: (g) => {
      expect(allTests(g.results)[0].status).toBe('error');
      expect(g.text).toMatch(/ran out of memory: a process may use at most 512 MiB \(the limit\)/);
    },
  },
  {
    name: 'endless-file',
    check: (g) => {
      // Python ignores SIGXFSZ (its write fails with EFBIG); a C program is killed by it. Either way the limit is named.
      expect(allTests(g.results)[0].message).toMatch(/(exited with code 1|was killed by SIGXFSZ) \(it tried to write a file larger than 64 MiB \(the limit\) and was stopped\) before listening/);
    },
  },
  {
    name: 'floods-output',
    check: (g) => {
      expect(allTests(g.results)[0].message).toMatch(/was killed by SIGKILL \(it printed more than 16 MiB on stdout and stderr \(the limit\) and was stopped\) before listening/);
      expect(g.results.program.stdout.droppedBytes).toBeGreaterThan(0);
    },
  },
  {
    name: 'ignores-sigterm',
    check: (g) => {
      passedPing(g);
      expect(g.results.program.starts[0].cleanup).toMatch(/did not exit within 2 s of SIGTERM and was killed with SIGKILL/);
    },
  },
  {
    name: 'daemon',
    check: (g) => {
      passedPing(g);
      expect(g.results.program.starts[0].cleanup).toMatch(/left 1 process\(es\) running outside its process group/);
    },
  },
  { name: 'many-sockets', check: passedPing },
  {
    name: 'squats-ports',
    check: (g) => {
      passedPing(g);
      expect(g.results.program.stderr.head).toMatch(/squatting on \d{3,} ports/);
    },
  },
  {
    name: 'connects-out',
    check: (g) => {
      passedPing(g);
      expect(g.text).not.toContain('REACHED');
      expect(g.results.program.stderr.head).toMatch(/blocked tcp 1\.1\.1\.1:80: \[Errno 101\] Network is unreachable/);
    },
  },
  {
    name: 'reads-secrets',
    check: (g) => {
      passedPing(g);
      expect(g.text).not.toContain('LEAKED');
      // It tried: every target was denied (missing from its view).
      expect(g.results.program.stderr.head).toMatch(/denied .*solutions\/kv-server\/python\/server\.py: No such file or directory/);
      expect(g.results.program.stderr.head).toMatch(/denied .*neighbour\/secret\.txt/);
    },
  },
  {
    name: 'tampers-report',
    check: (g, s) => {
      passedPing(g);
      // Only its own scratch copy took the write.
      const wrote = [...g.results.program.stdout.head.matchAll(/WROTE (.+)/g)].map((m) => m[1]);
      expect(wrote).toEqual([path.join(s.dir, 'own.txt')]);
    },
  },
  {
    name: 'fake-verdict',
    check: (g) => {
      expect(g.code).toBe(1);
      expect(g.results.score.earned).toBe(0);
      expect(allTests(g.results)[0].message).toMatch(/exited with code 0 before listening/);
      // Its imitation is shown as its output, never as the grader's: no workflow command at the
      // start of a line, no terminal control sequence, and the last score line is the grader's.
      expect(g.stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual([]);
      expect(g.stdout).not.toContain('\x1b');
      expect(g.stdout.split('\n').filter((l) => l.startsWith('Score:')).pop()).toMatch(/^Score: 0\/4/);
    },
  },
  {
    name: 'sleeps-forever',
    check: (g) => {
      expect(allTests(g.results)[0].status).toBe('error');
      expect(allTests(g.results)[0].message).toMatch(/nothing listened on 127\.0\.0\.1:\d+ after 5 s/);
    },
  },
  {
    name: 'exits-at-once',
    check: (g) => {
      expect(allTests(g.results)[0].message).toMatch(/your program exited with code 0 before listening/);
    },
  },
];

describe.skipIf(!hasBwrap)('hostile submissions, graded in the sandbox', () => {
  for (const c of cases)
    test(c.name, async () => {
      const s = hostileSubmission(c.name);
      try {
        const before = { dir: snapshot(s.dir), neighbour: snapshot(s.neighbour) };
        const g = await gradeHostile(s, c.only);
        await expectContained(s, g, before);
        c.check(g, s);
      } finally {
        s.cleanup();
      }
    });
});
