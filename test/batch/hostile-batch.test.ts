// A batch whose class holds hostile programs beside two honest ones: the honest ones get full
// marks as if graded alone, every hostile one is graded (not an error), nothing of theirs
// survives, and neither the honest submissions nor the batch's output were touched. Each hostile
// program is given a copy of the reference solution to become once its attack is done, so a whole
// kv-server grade runs. Heavy phase of npm test (it fills both cores); needs bubblewrap.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Batch } from '../../grader/results/batch.js';
import { Results } from '../../grader/results/schema.js';
import { at } from '../helpers.js';
import { batchRuns } from '../phases.js';
import { asUser, canGradeUnprivileged, giveToUser, HOME_SECRET, hostileSubmission, snapshot, survivors } from '../hostile/hostile-setup.js';

const heavy = batchRuns;
const hasBwrap = fs.existsSync('/usr/bin/bwrap');
const HOSTILE = ['fork-bomb', 'floods-output', 'daemon', 'hides-daemon', 'stops-grader', 'ignores-sigterm', 'squats-ports', 'reads-secrets', 'tampers-report'];
type As = 'root' | 'user';
// An honest program in a folder whose name carries terminal escapes (clear the screen, set the title).
const EVIL_NAME = 'eve\x1b[2J\x1b]0;owned\x07';
// As root (a course's grading server) and as an unprivileged TA, where this machine can switch users.
const users: As[] = canGradeUnprivileged() ? ['root', 'user'] : ['root'];

function batch(args: string[], as: As, home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = [process.execPath, at('bin', 'sockgrade.js'), 'batch', ...args];
  const run = as === 'user' ? asUser(argv, home) : { file: argv[0], args: argv.slice(1), env: { ...process.env, HOME: home, NO_COLOR: '1' } };
  return new Promise((resolve) => {
    const child = spawn(run.file, run.args, { env: run.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(heavy && hasBwrap).each(users)('a batch with hostile neighbours, graded as %s', (as) => {
  test('honest submissions get full marks; hostile ones are graded, contained and leave nothing behind', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-hostile-class-'));
    const classDir = path.join(root, 'class');
    const out = path.join(root, 'out');
    fs.mkdirSync(classDir);
    for (const id of ['alice', 'bob', EVIL_NAME]) fs.cpSync(at('solutions', 'kv-server', 'python'), path.join(classDir, id), { recursive: true });
    const alice = path.join(classDir, 'alice');
    const setups = HOSTILE.map((name) => {
      const s = hostileSubmission(name, {
        root: classDir,
        neighbour: alice,
        reportDir: path.join(out, 'submissions', 'alice'),
        extraRead: [path.join(alice, 'server.py')],
        extraWrite: [path.join(alice, 'server.py'), path.join(out, 'gradebook.csv'), path.join(out, 'batch.json')],
      });
      fs.copyFileSync(at('solutions', 'kv-server', 'python', 'server.py'), path.join(s.dir, 'server.py'));
      return s;
    });
    // A plain cheat: the real redis-server as the submission's program.
    fs.mkdirSync(path.join(classDir, 'cheats'));
    fs.copyFileSync(at('test', 'counterparts', 'redis-server', 'sockgrade.json'), path.join(classDir, 'cheats', 'sockgrade.json'));
    const honestBefore = { alice: snapshot(alice), bob: snapshot(path.join(classDir, 'bob')) };
    if (as === 'user') giveToUser(root);
    try {
      const r = await batch([classDir, '--out', out, '--jobs', '2', '--seed', 'h0st1le'], as, setups[0].home);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      const b = Batch.parse(JSON.parse(fs.readFileSync(path.join(out, 'batch.json'), 'utf8')));
      const e = Object.fromEntries(b.entries.map((x) => [x.id, x]));
      expect(Object.keys(e).sort()).toEqual(['alice', 'bob', 'cheats', EVIL_NAME, ...HOSTILE].sort());
      // Graded as if alone: every point.
      for (const id of ['alice', 'bob', EVIL_NAME]) expect(e[id].score, id).toEqual({ earned: 100, possible: 100, percent: 100 });
      // Its name reached the TA's terminal escaped, never raw.
      expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
      expect(r.stdout).toContain('eve\\x1b[2J');
      // Every hostile program was graded (a result, not a grader error), its verdict its own.
      for (const id of HOSTILE) expect(e[id].status, id).toBe('graded');
      // What a hostile program read or wrote never reached anyone else.
      const reads = fs.readFileSync(path.join(out, 'submissions', 'reads-secrets', 'results.json'), 'utf8');
      expect(reads).not.toContain('LEAKED');
      expect(reads).not.toContain(HOME_SECRET);
      // Nobody froze the grader or kept its ports: every submission after them was graded too.
      expect(fs.readFileSync(path.join(out, 'submissions', 'stops-grader', 'results.json'), 'utf8')).not.toContain('STOPPED');
      const aliceResults = Results.parse(JSON.parse(fs.readFileSync(path.join(out, 'submissions', 'alice', 'results.json'), 'utf8')));
      expect(aliceResults.score.earned).toBe(100);
      expect(snapshot(alice)).toEqual(honestBefore.alice);
      expect(snapshot(path.join(classDir, 'bob'))).toEqual(honestBefore.bob);
      expect(fs.existsSync(path.join(classDir, 'escaped.txt'))).toBe(false);
      expect(fs.readFileSync(path.join(out, 'gradebook.csv'), 'utf8')).toMatch(/^alice,/m);
      // The submission that ran the real redis-server is flagged for the TA, in the gradebook and the summary.
      expect(e.cheats.forbidden).toEqual(['redis-server']);
      expect(e.cheats.score?.earned).toBe(0);
      expect(fs.readFileSync(path.join(out, 'gradebook.csv'), 'utf8')).toMatch(/^cheats,.*,ran a forbidden program: redis-server\r?$/m);
      expect(fs.readFileSync(path.join(out, 'summary.html'), 'utf8')).toContain('<span class="tag flagged">ran redis-server</span>');
      // Nothing of any hostile program is left running.
      for (const s of setups) await expect.poll(() => survivors(s.token), { timeout: 5000, interval: 50 }).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
