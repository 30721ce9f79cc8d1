// `sockgrade batch` and `sockgrade merge` as a TA uses them, on a class that mixes a reference
// solution, a starter, broken programs, a bad manifest, a submission of another assignment and
// two copies of a program that squats on a fixed port: the gradebook equals grading each alone,
// whatever --jobs is; an interrupted batch resumes without regrading; merged shards equal the
// whole. Runs the built CLI (npm test builds first); graded in the heavy phase of npm test.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { grade } from '../../grader/grade/grade.js';
import { Batch, type BatchEntry } from '../../grader/results/batch.js';
import { allTests, at } from '../helpers.js';
import { batchRuns } from '../phases.js';

const bin = at('bin', 'sockgrade.js');
const SEED = 'b4tc4';
const heavy = batchRuns;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `interruptWhen` sends one SIGINT as soon as stdout matches it (a TA's Ctrl-C). */
function cli(args: string[], opts: { interruptWhen?: RegExp; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (opts.interruptWhen && !sent && opts.interruptWhen.test(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `sockgrade-${name}-`));
const readBatch = (out: string) => Batch.parse(JSON.parse(fs.readFileSync(path.join(out, 'batch.json'), 'utf8')));
const gradebook = (out: string) => fs.readFileSync(path.join(out, 'gradebook.csv'), 'utf8');
const byId = (b: Batch) => Object.fromEntries(b.entries.map((e) => [e.id, e])) as Record<string, BatchEntry>;
const hasBwrap = (process.env.PATH ?? '').split(':').some((d) => fs.existsSync(path.join(d, 'bwrap')));

let classDir: string;
let whole: string;

beforeAll(() => {
  if (!heavy) return;
  classDir = tmp('class');
  // Symlinks: the broken programs import their shared base from beside their real folder.
  const link = (id: string, target: string) => fs.symlinkSync(at(target), path.join(classDir, id));
  link('alice', 'solutions/kv-server/python');
  link('bob', 'test/scenarios/kv-server/no-crlf');
  link('carol', 'starter/kv-server/python');
  link('erin', 'solutions/dns-client/python');
  link('frank', 'test/fixtures/batch/port-squatter');
  link('grace', 'test/fixtures/batch/port-squatter');
  fs.mkdirSync(path.join(classDir, 'dave'));
  fs.writeFileSync(path.join(classDir, 'dave', 'sockgrade.json'), '{"assignment": "kv-server"}');
  fs.writeFileSync(path.join(classDir, 'roster.csv'), 'id,name,email\nalice,"Alice, A.",alice@example.edu\nbob,=cmd(),bob@example.edu\n');
});

describe.runIf(heavy).sequential('sockgrade batch', () => {
  test('grades the class at --jobs 4: scores, errors named, reports and class files written', async () => {
    whole = tmp('batch-whole');
    const r = await cli(['batch', classDir, '--out', whole, '--jobs', '4', '--seed', SEED, '--roster', path.join(classDir, 'roster.csv')]);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(r.code).toBe(1); // two submissions could not be graded
    expect(r.stdout).toMatch(/isolation: /);
    expect(r.stdout).toMatch(/7 submissions: 5 graded \(3 with full marks/);
    const b = readBatch(whole);
    expect(b.seed).toBe(SEED);
    expect(b.official).toBe(true);
    const e = byId(b);
    expect(Object.keys(e).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace']);
    expect(e.alice.score).toEqual({ earned: 100, possible: 100, percent: 100 });
    expect(e.alice.name).toBe('Alice, A.');
    expect(e.bob.score!.earned).toBe(0);
    expect(e.carol.score!.earned).toBeGreaterThan(0);
    expect(e.carol.score!.earned).toBeLessThan(50);
    expect(e.dave.status).toBe('error');
    expect(e.dave.error).toMatch(/not a valid manifest[\s\S]*"run"/);
    expect(e.erin.status).toBe('error');
    expect(e.erin.error).toMatch(/names the assignment "dns-client"/);
    if (hasBwrap) expect(b.isolation).toMatch(/network namespace/);
    if (/network namespace/.test(b.isolation)) {
      // Both copies held port 7380 at the same time, each in its own namespace (bubblewrap or unshare).
      expect(e.frank.score!.earned).toBe(100);
      expect(e.grace.score!.earned).toBe(100);
    }
    for (const id of ['alice', 'bob', 'carol', 'frank']) {
      for (const f of ['report.html', 'report.md', 'results.json', 'entry.json']) expect(fs.existsSync(path.join(whole, 'submissions', id, f))).toBe(true);
    }
    const csv = gradebook(whole);
    expect(csv.split('\n')[0]).toMatch(/^id,name,email,status,score,max,percent,ping,/);
    expect(csv).toContain('"Alice, A."');
    expect(csv).not.toMatch(/,=cmd\(\)/); // a formula from the roster is defused
    expect(fs.readFileSync(path.join(whole, 'summary.html'), 'utf8')).toContain('submissions/alice/report.html');
  });

  test('every graded submission has the verdicts it gets when graded alone with the same seed', async () => {
    const b = byId(readBatch(whole));
    for (const id of ['alice', 'bob', 'carol', 'frank']) {
      const alone = await grade({ dir: path.join(classDir, id), seed: SEED, official: true });
      const verdicts = allTests(alone).map((t) => ({ id: t.id, status: t.status, points: t.pointsEarned }));
      expect(b[id].tests.map((t) => ({ id: t.id, status: t.status, points: t.pointsEarned })), id).toEqual(verdicts);
    }
  });

  test('--jobs 1 gives the same gradebook as --jobs 4', async () => {
    const out = tmp('batch-j1');
    const r = await cli(['batch', classDir, '--out', out, '--jobs', '1', '--seed', SEED, '--roster', path.join(classDir, 'roster.csv')]);
    expect(r.code).toBe(1);
    expect(gradebook(out)).toBe(gradebook(whole));
  });

  test('shards graded apart and merged equal the whole batch', async () => {
    const parts = [tmp('shard-1'), tmp('shard-2'), tmp('shard-3')];
    for (const [i, out] of parts.entries()) {
      const r = await cli(['batch', classDir, '--out', out, '--jobs', '2', '--seed', SEED, '--shard', `${i + 1}/3`, '--roster', path.join(classDir, 'roster.csv')]);
      expect([0, 1]).toContain(r.code);
      expect(readBatch(out).shard).toEqual({ index: i + 1, count: 3 });
    }
    const sizes = parts.map((p) => readBatch(p).entries.length);
    expect(sizes.reduce((a, n) => a + n, 0)).toBe(7);
    const merged = tmp('merged');
    const m = await cli(['merge', ...parts, '--out', merged]);
    expect(m.code).toBe(1); // the two errors
    expect(gradebook(merged)).toBe(gradebook(whole));
    expect(fs.existsSync(path.join(merged, 'submissions', 'alice', 'report.html'))).toBe(true);
    const partial = await cli(['merge', parts[0], parts[2], '--out', tmp('merged-partial')]);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toMatch(/shard 2 missing from the inputs/);
  });

  test('an interrupted batch resumes: what finished is not graded again', async () => {
    const out = tmp('batch-resume');
    const args = ['batch', classDir, '--out', out, '--jobs', '1', '--seed', SEED, '--roster', path.join(classDir, 'roster.csv')];
    const first = await cli(args, { interruptWhen: /\[3\/7\]/ });
    expect(first.code).toBe(130);
    expect(first.stdout).toMatch(/Interrupted/);
    const before = readBatch(out).entries;
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(7);
    const second = await cli(args);
    expect(second.stdout).toContain(`${before.length} already graded`);
    const after = byId(readBatch(out));
    for (const e of before) expect(after[e.id].finishedAt, e.id).toBe(e.finishedAt);
    expect(gradebook(out)).toBe(gradebook(whole));
    // A resume with another seed would mix verdicts of two runs: refused.
    const clash = await cli(['batch', classDir, '--out', out, '--seed', 'other']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/used seed b4tc4, not other/);
  });
});

describe.runIf(heavy).sequential('sockgrade batch: a grader that dies', () => {
  // Copies, not links, so that their programs' working folders are theirs alone (checked below).
  const faultClass = () => {
    const cls = tmp('class-faults');
    for (const id of ['a', 'b-crash', 'c', 'd-hang', 'e']) fs.cpSync(at('solutions/kv-server/python'), path.join(cls, id), { recursive: true });
    const orphans = () =>
      fs.readdirSync('/proc').filter((pid) => {
        try {
          return /^\d+$/.test(pid) && fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(cls);
        } catch {
          return false;
        }
      });
    return { cls, orphans };
  };

  test('a grader that crashes on one submission costs only that submission, and leaves nothing running', async () => {
    const { cls, orphans } = faultClass();
    const out = tmp('batch-crash');
    // In a namespace the kernel ends the program with its grader; without one, the batch finds it.
    for (const isolation of ['auto', 'none']) {
      const r = await cli(['batch', cls, '--out', out, '--jobs', '1', '--seed', SEED, '--force', '--isolation', isolation], { env: { SOCKGRADE_TEST_WORKER_FAULT: 'crash:b-crash' } });
      expect(r.code, isolation).toBe(1);
      const e = byId(readBatch(out));
      expect(e['b-crash'].status).toBe('error');
      expect(e['b-crash'].error).toMatch(/the grader exited with code 70 while grading this submission/);
      for (const id of ['a', 'c', 'd-hang', 'e']) expect(e[id].score?.percent, `${isolation} ${id}`).toBe(100);
      expect(orphans(), isolation).toEqual([]);
    }
  }, 180_000);

  test('a grader that hangs on one submission is stopped at the batch\'s timeout; the others are graded', async () => {
    const { cls, orphans } = faultClass();
    const out = tmp('batch-hang');
    // The timeout applies to every grade: long enough for a correct one on a loaded machine
    // (a kv-server grade takes 3-5 s here, ~10 s at worst beside the heavy phase's clusters).
    const r = await cli(['batch', cls, '--out', out, '--jobs', '1', '--seed', SEED], { env: { SOCKGRADE_TEST_WORKER_FAULT: 'hang:d-hang', SOCKGRADE_TEST_BATCH_TIMEOUT_MS: '25000' } });
    expect(r.code).toBe(1);
    const e = byId(readBatch(out));
    expect(e['d-hang'].status).toBe('error');
    expect(e['d-hang'].error).toMatch(/did not end within 25 s and was stopped/);
    for (const id of ['a', 'b-crash', 'c', 'e']) expect(e[id].score?.percent, id).toBe(100);
    expect(orphans()).toEqual([]);
  }, 180_000);
});

describe('sockgrade batch: how many at once', () => {
  test('--jobs is lowered for an assignment whose grades need a core of their own (gossip-peer), and says why', async () => {
    const { runBatch } = await import('../../grader/batch/batch.js');
    const cores = os.availableParallelism();
    const plan = async (solution: string, jobs: number) => {
      const cls = tmp('class-plan');
      for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) fs.symlinkSync(at(solution), path.join(cls, id));
      const stop = new AbortController();
      stop.abort(); // plan only: nothing is graded
      let seen: import('../../grader/batch/batch.js').BatchPlan | undefined;
      await runBatch({ folder: cls, out: tmp('batch-plan'), jobs, official: true, force: false, isolation: 'none', interrupt: stop.signal, events: { onPlan: (p) => (seen = p) } });
      return seen!;
    };
    const gossip = await plan('solutions/gossip-peer/python', 8);
    expect(gossip.jobs).toBe(Math.max(1, Math.floor(cores / 2)));
    expect(gossip.cappedBy).toMatch(/gossip-peer grades take 2 cores each/);
    const kv = await plan('solutions/kv-server/python', 8);
    expect(kv.jobs).toBe(Math.min(8, 4 * cores));
    expect(kv.cappedBy).toBeUndefined();
  });
});

describe('sockgrade batch: bad input', () => {
  test.each([
    [['batch', '/nonexistent/class'], /does not exist/],
    [['batch', bin], /is a file, not a folder/],
    [['batch', at('solutions'), '--jobs', '0'], /--jobs/],
    [['batch', at('solutions'), '--shard', '3/2'], /--shard: "3\/2"/],
    [['batch', at('solutions'), '--isolation', 'docker'], /--isolation: unknown value "docker"/],
    [['merge', '/nonexistent/out', '--out', '/tmp/x'], /holds no batch.json/],
  ])('%j: exit 2 with a clear message', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
