// Hostile submissions, graded the way a student or TA grades: through the CLI, which runs the
// grade in a network namespace of its own and the program in the sandbox. Each program tries
// one thing (test/hostile/programs). For each: the grade ends within its budget, the report
// says what happened, no process of the run survives, nothing outside the scratch copy changed
// (the submission folder, a neighbouring submission, the report folder), and the score is the
// grader's. The sandbox needs bubblewrap, which CI installs; elsewhere the suite is skipped.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Results } from '../../grader/results/schema.js';
import { allTests, at } from '../helpers.js';
import { asUser, canGradeUnprivileged, COURSE_SECRET, giveToUser, HOME_SECRET, hostileSubmission, survivors, snapshot, type AttackExtras, type HostileSetup } from './hostile-setup.js';

const hasBwrap = fs.existsSync('/usr/bin/bwrap') || fs.existsSync('/bin/bwrap');

interface Graded {
  code: number;
  stdout: string;
  ms: number;
  results: Results;
  /** Everything the report says, as one string (messages, notes, program output, cleanup). */
  text: string;
}

type As = 'root' | 'user';

function sockgrade(args: string[], timeoutMs: number, as: As, home: string): Promise<{ code: number; stdout: string; ms: number }> {
  const t0 = performance.now();
  const argv = [process.execPath, at('bin', 'sockgrade.js'), ...args];
  const run = as === 'user' ? asUser(argv, home) : { file: argv[0], args: argv.slice(1), env: { ...process.env, HOME: home, NO_COLOR: '1' } };
  return new Promise((resolve) =>
    // SIGKILL at the deadline: a grader frozen by SIGSTOP would not act on SIGTERM.
    execFile(run.file, run.args, { env: run.env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, ms: performance.now() - t0 }),
    ),
  );
}

async function gradeHostile(s: HostileSetup, only = 'ping', as: As = 'root', sandbox: 'on' | 'off' = 'on'): Promise<Graded> {
  if (as === 'user') giveToUser(s.root);
  const r = await sockgrade(['grade', s.dir, '--only', only, '--report-dir', s.reportDir, '--format', 'json,html,markdown', '--sandbox', sandbox], 120_000, as, s.home);
  const results = Results.parse(JSON.parse(fs.readFileSync(path.join(s.reportDir, 'results.json'), 'utf8')));
  return { ...r, results, text: JSON.stringify(results) };
}

/** What every hostile grade must hold, whatever the program tried. */
async function expectContained(s: HostileSetup, g: Graded, before: { dir: Record<string, string>; neighbour: Record<string, string> }, sandbox: 'on' | 'off' = 'on'): Promise<void> {
  expect([0, 1]).toContain(g.code);
  // Within the budget: kv-server's startup deadline (5 s) and ping's deadline, plus start-up of the grader.
  expect(g.ms).toBeLessThan(60_000);
  // The grader's score: the sum of what its own tests awarded.
  const tests = allTests(g.results);
  expect(g.results.score.earned).toBe(tests.reduce((a, t) => a + t.pointsEarned, 0));
  expect(g.results.environment.sandbox).toMatch(sandbox === 'on' ? /^sandboxed \(bubblewrap\)/ : /^not sandboxed/);
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
  /** Graded without the sandbox (what a forbidden program does where nothing hides it). */
  sandbox?: 'off';
  /** Links the submission carries, another program, more to read. */
  extras?: (root: string, dir: string) => AttackExtras;
  check(g: Graded, s: HostileSetup, as: As): void;
}

/** A submission that is a real counterpart (test/counterparts/<name>) under the assignment's contract: its files over a program that would exit at once. */
const counterpartCheat = (assignment: string, counterpart: string, files: string[]) => (): AttackExtras => ({
  program: 'exits-at-once',
  assignment,
  make: (dir) => {
    for (const f of files) fs.copyFileSync(at('test', 'counterparts', counterpart, f), path.join(dir, f));
  },
});

/** A gossip peer that does something around the reference peer: the program runs first, then peer.py (put beside it). */
const wrappedPeer = (peer = at('solutions', 'gossip-peer', 'python', 'peer.py')) => (): AttackExtras => ({
  assignment: 'gossip-peer',
  make: (dir) => {
    fs.copyFileSync(peer, path.join(dir, 'peer.py'));
    // No token in the run command: the peer's argument parser would refuse it.
    fs.writeFileSync(path.join(dir, 'sockgrade.json'), JSON.stringify({ assignment: 'gossip-peer', run: 'python3 prog.py' }));
  },
});

/** Scratch copies in the temporary folder that hold a file of this name. */
function scratchCopiesHolding(name: string): string[] {
  return fs
    .readdirSync(os.tmpdir())
    .filter((d) => d.startsWith('sockgrade-scratch-'))
    .filter((d) => fs.existsSync(path.join(os.tmpdir(), d, name)));
}

/** Nothing secret reached the report: the grader's home folder, another checkout of the course, the reference solution. */
const noSecrets = (g: Graded) => {
  expect(g.text).not.toContain('LEAKED');
  expect(g.text).not.toContain(HOME_SECRET);
  expect(g.text).not.toContain(COURSE_SECRET);
};

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
      noSecrets(g);
      // It tried: every target was denied (missing from its view).
      expect(g.results.program.stderr.head).toMatch(/denied .*solutions\/kv-server\/python\/server\.py: No such file or directory/);
      expect(g.results.program.stderr.head).toMatch(/denied .*neighbour\/secret\.txt/);
    },
  },
  {
    // Links in the places a submission controls that the sandbox does not refuse (its
    // node_modules, on the program's PATH, and a virtualenv) into what it must never see: the
    // grader's home, another checkout of the course, the solutions, the tests, a classmate.
    name: 'links-out',
    extras: (root, dir) => {
      const links = {
        'node_modules/.bin/key': path.join(root, 'home', '.ssh', 'id_rsa'),
        'node_modules/.bin/course': path.join(root, 'course-checkout', 'solutions', 'server.py'),
        'node_modules/.bin/solutions': at('solutions'),
        'node_modules/.bin/classmate': path.join(root, 'neighbour'),
        'node_modules/pkg/dist': at('dist'),
        '.venv/bin/tests': at('assignments'),
      };
      return {
        program: 'reads-secrets',
        links,
        read: [
          path.join(dir, 'node_modules/.bin/key'),
          path.join(dir, 'node_modules/.bin/course'),
          path.join(dir, 'node_modules/.bin/solutions/kv-server/python/server.py'),
          path.join(dir, 'node_modules/.bin/classmate/secret.txt'),
          path.join(dir, 'node_modules/pkg/dist/assignments/kv-server/tests.js'),
          path.join(dir, '.venv/bin/tests/kv-server/tests.ts'),
        ],
      };
    },
    check: (g) => {
      passedPing(g);
      noSecrets(g);
      expect(g.results.program.stderr.head).toMatch(/denied .*node_modules\/\.bin\/key/);
      expect(g.results.program.stderr.head).toMatch(/denied .*home\/\.ssh\/id_rsa/);
    },
  },
  {
    // Freezes every node process it can see: as an unprivileged grader, that was the grader.
    name: 'stops-grader',
    check: (g) => {
      passedPing(g);
      expect(g.results.program.stdout.head).not.toContain('STOPPED');
      expect(g.results.program.stderr.head).toContain('saw 0 grader processes');
    },
  },
  {
    // A new session, a double fork, an exec with an empty environment: nothing to follow it by but its PID namespace.
    name: 'hides-daemon',
    check: (g) => {
      passedPing(g);
      expect(g.results.program.starts[0].cleanup).toMatch(/left 1 process\(es\) running outside its process group/);
    },
  },
  {
    // A 2 GiB sparse file takes a few KiB on disk and 2 GiB in a copy.
    name: 'sparse-file',
    extras: () => ({
      program: 'exits-at-once',
      make: (dir) => {
        fs.writeFileSync(path.join(dir, 'big.bin'), '');
        fs.truncateSync(path.join(dir, 'big.bin'), 2 * 1024 ** 3);
      },
    }),
    check: (g) => {
      expect(g.code).toBe(1);
      expect(allTests(g.results)[0].status).toBe('error');
      expect(allTests(g.results)[0].message).toMatch(/^not run: the submission holds more than 256 MiB of files \(the limit\)/);
      // Nothing of it was copied: no scratch copy holds it, now or later.
      expect(scratchCopiesHolding('big.bin')).toEqual([]);
    },
  },
  {
    // A FIFO blocks whoever opens it (the copy, a reader of the manifest): skipped, with a note.
    name: 'fifo-beside-a-server',
    extras: () => ({ program: 'reads-secrets', make: (dir) => execFileSync('mkfifo', [path.join(dir, 'pipe')]) }),
    check: (g) => {
      passedPing(g);
      expect(g.results.notes.join('\n')).toMatch(/pipe in the submission is a named pipe \(FIFO\), not a file: it was not copied to be graded/);
    },
  },
  {
    // Content-Length: 10^12 and zeros for as long as anyone reads: every read of the grader has a cap.
    name: 'floods-http',
    only: 'index,fetch',
    extras: () => ({ assignment: 'http-server' }),
    check: (g) => {
      expect(g.results.environment.graderRssMiB).toBeLessThan(300);
      const byId = Object.fromEntries(allTests(g.results).map((t) => [t.id, t]));
      // Charged once, to serving files; fetch read no more than its cap, and says so in its log.
      expect(byId.index.status).toBe('failed');
      expect(byId.index.message).toMatch(/Content-Length 1000000000000 announces a body larger than the grader reads \(16 MiB\)/);
      expect(byId.fetch.log.join('\n')).toMatch(/fetch saw a body longer than 1 MiB \(the grader stops reading there\)/);
    },
  },
  {
    // A billion-item array, a terabyte bulk string, and bytes without end behind each.
    name: 'floods-resp',
    only: 'ping,set-get,echo',
    check: (g) => {
      expect(g.results.environment.graderRssMiB).toBeLessThan(300);
      expect(g.text).toMatch(/is more than the grader reads \((100000 items|16777216 bytes)\)/);
      for (const t of allTests(g.results)) expect(t.status, t.id).not.toBe('passed');
    },
  },
  {
    // The real thing instead of one's own: hidden from the sandbox, its stand-in says what was tried.
    name: 'cheat-redis',
    only: 'ping,set-get',
    extras: counterpartCheat('kv-server', 'redis-server', ['sockgrade.json']),
    check: (g) => {
      expect(g.results.score.earned).toBe(0);
      expect(g.results.notes.join('\n')).toMatch(/Your program tried to run redis-server \(the real Redis server\), which this assignment forbids/);
      expect(g.results.forbidden?.map((f) => f.name)).toEqual(['redis-server']);
    },
  },
  {
    // Where nothing hides it (no sandbox), it runs and answers right: found among the program's processes, every test it served scores nothing.
    name: 'cheat-redis-unsandboxed',
    only: 'ping,set-get',
    sandbox: 'off',
    extras: counterpartCheat('kv-server', 'redis-server', ['sockgrade.json']),
    check: (g) => {
      expect(g.results.score.earned).toBe(0);
      for (const t of allTests(g.results)) expect(t.message, t.id).toMatch(/^not counted: while this test ran, your program ran redis-server \(the real Redis server\)/);
      expect(g.results.forbidden?.[0]).toMatchObject({ name: 'redis-server', tests: ['ping', 'set-get'] });
      expect(g.results.program.executables?.some((e) => /redis/.test(e.exe))).toBe(true);
    },
  },
  {
    // Python's own http.server behind the assignment's arguments (the counterpart's adapter).
    name: 'cheat-http',
    only: 'index,not-found,head',
    extras: counterpartCheat('http-server', 'python-http-server', ['sockgrade.json', 'run.sh']),
    check: (g) => {
      expect(g.results.score.earned).toBe(0);
      expect(g.results.forbidden?.[0].name).toBe('python3 -m http.server');
    },
  },
  {
    // A wrapper around the real dig.
    name: 'cheat-dig',
    only: 'a-single,aaaa',
    extras: counterpartCheat('dns-client', 'dig', ['sockgrade.json', 'dig_adapter.py']),
    check: (g) => {
      expect(g.results.score.earned).toBe(0);
      expect(g.results.forbidden?.[0].name).toBe('dig');
    },
  },
  {
    // Around the grader's links to the other peers' own ports: every test it touched fails, naming both ends.
    name: 'bypasses-links',
    only: 'broadcast-read,line-5',
    extras: wrappedPeer(),
    check: (g) => {
      // line-5 runs five peers long enough for it to find the others (broadcast-read has one peer: nothing to go around).
      const line = allTests(g.results).find((t) => t.id === 'line-5')!;
      expect(line.status).toBe('failed');
      expect(line.message).toMatch(/^not counted: peer n\d+ connected straight to peer n\d+'s own port \d+, not through the address the grader gave it for n\d+/);
    },
  },
  {
    // Peers of one grade run from one copy of the submission: read-only while they run, so they cannot talk through files.
    name: 'shares-files',
    only: 'line-5',
    extras: wrappedPeer(),
    check: (g) => {
      expect(g.results.program.stderr.head + g.results.program.stderr.tail).toMatch(/could not write shared-n1\.txt: Read-only file system/);
      expect(g.results.program.stderr.head + g.results.program.stderr.tail).not.toContain('WROTE');
      // It is the reference peer otherwise: full marks for line-5.
      expect(g.results.score.percent).toBe(100);
    },
  },
  {
    // Ways around the links that are not TCP: a UDP socket and an abstract unix socket.
    name: 'side-channel',
    only: 'line-5',
    extras: wrappedPeer(),
    check: (g) => {
      const line = allTests(g.results)[0];
      expect(line.status).toBe('failed');
      expect(line.message).toMatch(/peer n\d+ holds a UDP socket \(127\.0\.0\.1:\d+\)/);
      expect(line.message).toMatch(/peer n\d+ holds a unix socket named @gossip-side-n\d+/);
    },
  },
  {
    // Values spread with not one line through the links (through a file; unsandboxed, where the
    // peers share /tmp): impossible for peers that talk only through --peers, and said so.
    name: 'gossips-through-files',
    only: 'line-5',
    sandbox: 'off',
    extras: wrappedPeer(at('starter', 'gossip-peer', 'python', 'peer.py')),
    check: (g) => {
      const line = allTests(g.results)[0];
      expect(line.status).toBe('failed');
      expect(line.message).toMatch(/every peer got every value, yet not one line crossed the links between the peers/);
    },
  },
  {
    name: 'tampers-report',
    check: (g, s, as) => {
      passedPing(g);
      // Only its own scratch copy took the write. As an unprivileged grader's program, it owns
      // the folders bubblewrap made in its private /tmp (the class folder is in /tmp here), so its
      // writes to the other paths land there: expectContained saw the real ones unchanged.
      const wrote = [...g.results.program.stdout.head.matchAll(/WROTE (.+)/g)].map((m) => m[1]);
      if (as === 'root') expect(wrote).toEqual([path.join(s.dir, 'own.txt')]);
      else expect(wrote.filter((w) => !w.startsWith(os.tmpdir() + '/'))).toEqual([]);
      expect(wrote).toContain(path.join(s.dir, 'own.txt'));
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

// Each attack as root (CI, a course's grading server) and as an unprivileged user (a TA on a
// laptop), where the machine can switch users and others may read the checkout.
const users: As[] = canGradeUnprivileged() ? ['root', 'user'] : ['root'];

describe.skipIf(!hasBwrap).each(users)('hostile submissions, graded in the sandbox as %s', (as) => {
  for (const c of cases)
    test(c.name, async () => {
      const s = hostileSubmission(c.name, undefined, c.extras);
      try {
        const before = { dir: snapshot(s.dir), neighbour: snapshot(s.neighbour) };
        const g = await gradeHostile(s, c.only, as, c.sandbox);
        await expectContained(s, g, before, c.sandbox);
        c.check(g, s, as);
      } finally {
        s.cleanup();
      }
    });
});
