// npm run flakiness: grades every reference solution and every broken scenario many times, with
// the other core kept busy by a CPU hog, and reports every (program, test) whose verdict changed
// between runs. A verdict must depend on the program only: not on the load, not on the seed.
// Issue 6's target: 0 changes in 100 runs of each (`npm run flakiness -- --runs 100`).
//
// Options (docs/flakiness.md says what the numbers mean and what a run costs):
//   --runs N              grades per program (default 10)
//   --assignment id[,id]  only these assignments (default: all; gossip-peer is heavy: 25 peers)
//   --only solutions|scenarios
//   --dir <folder>        grade this one program instead (any submission folder)
//   --tests id[,id]       only these tests (default: all, hidden ones too: official grading)
//   --hog / --no-hog      a process spinning on one core while grading (default on)
//   --seed-mode fresh|fixed   a new seed every run (default), or the same one (--seed S)
//   --jobs N              programs graded at once (default 1: with the hog, both cores busy)
//   --json <file>         the same data, machine-readable
// Exit code: 0 nothing changed and every expectation held; 1 a verdict changed, a reference
// solution lost points, or a scenario failed other tests than it declares; 2 bad options;
// 130 interrupted with nothing found.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { grade } from '../dist/grader/grade/grade.js';
import { listAssignments } from '../dist/grader/assignment/load.js';
import { ConfigError } from '../dist/grader/errors.js';
import { fastPython, sharedCode } from '../test/setup/programs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p) => path.relative(root, p) || '.';

const USAGE = `usage: npm run flakiness -- [--runs N] [--assignment id[,id]] [--only solutions|scenarios]
                              [--dir <folder>] [--tests id[,id]] [--hog | --no-hog]
                              [--seed-mode fresh|fixed] [--seed S] [--jobs N] [--json <file>]`;

class UsageError extends Error {}

function parseOptions(argv) {
  const o = { runs: 10, assignments: undefined, only: undefined, dir: undefined, tests: undefined, hog: true, seedMode: 'fresh', seed: undefined, jobs: 1, json: undefined };
  const value = (i, name) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return v;
  };
  const whole = (text, name, max) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > max) throw new UsageError(`${name}: "${text}" is not a whole number from 1 to ${max}`);
    return n;
  };
  const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const v = () => (inline !== undefined ? inline : value(i++, name));
    switch (name) {
      case '--runs': o.runs = whole(v(), '--runs', 100_000); break;
      case '--jobs': o.jobs = whole(v(), '--jobs', 16); break;
      case '--assignment': o.assignments = [...(o.assignments ?? []), ...list(v())]; break;
      case '--tests': o.tests = [...(o.tests ?? []), ...list(v())]; break;
      case '--only': {
        const x = v();
        if (x !== 'solutions' && x !== 'scenarios') throw new UsageError(`--only: "${x}" is neither solutions nor scenarios`);
        o.only = x;
        break;
      }
      case '--dir': o.dir = v(); break;
      case '--hog': o.hog = true; break;
      case '--no-hog': o.hog = false; break;
      case '--seed-mode': {
        const x = v();
        if (x !== 'fresh' && x !== 'fixed') throw new UsageError(`--seed-mode: "${x}" is neither fresh nor fixed`);
        o.seedMode = x;
        break;
      }
      case '--seed': o.seed = v(); break;
      case '--json': o.json = v(); break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: throw new UsageError(`unknown option "${a}"`);
    }
  }
  if (o.seed !== undefined && o.seedMode !== 'fixed') throw new UsageError('--seed goes with --seed-mode fixed (fresh mode draws a new seed every run)');
  if (o.seedMode === 'fixed') o.seed ??= 'flakiness';
  if (o.dir && (o.assignments || o.only)) throw new UsageError('--dir grades one program: it does not go with --assignment or --only');
  if (o.json) {
    const folder = path.dirname(path.resolve(o.json));
    if (!fs.existsSync(folder)) throw new UsageError(`--json: the folder ${folder} does not exist`);
  }
  return o;
}

const subdirs = (p) =>
  fs.existsSync(p) ? fs.readdirSync(p).filter((d) => !d.startsWith('_') && fs.statSync(path.join(p, d)).isDirectory()).sort() : [];

/** The programs to grade, found on disk the way test/assignments/catalog.ts finds them. */
function catalog(o) {
  if (o.dir) {
    const dir = path.resolve(o.dir);
    if (!fs.existsSync(path.join(dir, 'sockgrade.json'))) throw new UsageError(`--dir: ${dir} has no sockgrade.json (not a submission folder)`);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade.json'), 'utf8'));
    const scenarioFile = path.join(dir, 'scenario.json');
    const expectFailures = fs.existsSync(scenarioFile) ? JSON.parse(fs.readFileSync(scenarioFile, 'utf8')).expectFailures : undefined;
    // An unknown assignment is left to grade(), which names the known ones.
    checkTests(o, listAssignments().filter((a) => a.id === manifest.assignment));
    return [{ id: rel(dir), kind: expectFailures ? 'scenario' : 'program', assignment: manifest.assignment, dir, expectFailures }];
  }
  const all = listAssignments().filter((a) => fs.existsSync(path.join(root, 'dist', 'assignments', a.id, 'tests.js')));
  const unknown = (o.assignments ?? []).filter((id) => !all.some((a) => a.id === id));
  if (unknown.length) throw new UsageError(`--assignment: unknown ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${all.map((a) => a.id).join(', ')})`);
  const chosen = all.filter((a) => !o.assignments || o.assignments.includes(a.id));
  const programs = [];
  for (const a of chosen) {
    const heavy = a.program.role === 'peers';
    if (o.only !== 'scenarios')
      for (const lang of subdirs(path.join(root, 'solutions', a.id)))
        programs.push({ id: `solutions/${a.id}/${lang}`, kind: 'solution', assignment: a.id, heavy, dir: path.join(root, 'solutions', a.id, lang) });
    if (o.only !== 'solutions')
      for (const name of subdirs(path.join(root, 'test', 'scenarios', a.id))) {
        const dir = path.join(root, 'test', 'scenarios', a.id, name);
        if (!fs.existsSync(path.join(dir, 'scenario.json'))) continue;
        const s = JSON.parse(fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8'));
        programs.push({ id: `scenarios/${a.id}/${name}`, kind: 'scenario', assignment: a.id, heavy, dir, expectFailures: s.expectFailures });
      }
  }
  checkTests(o, chosen);
  return programs;
}

/** --tests names tests or stages of the assignments graded. */
function checkTests(o, assignments) {
  if (!o.tests || !assignments.length) return;
  const known = new Set(assignments.flatMap((a) => a.groups.flatMap((g) => [g.id, ...g.tests.map((t) => t.id)])));
  const bad = o.tests.filter((t) => !known.has(t));
  if (bad.length) throw new UsageError(`--tests: no test or stage named ${bad.map((b) => `"${b}"`).join(', ')}`);
}

/**
 * One core kept busy. The loop checks now and then that this script is still its parent, so the
 * hog cannot outlive it even if the script is killed with SIGKILL (no finally runs then).
 */
function startHog() {
  const code = `const p = process.ppid; for (;;) { for (let i = 0; i < 2e7; i++); if (process.ppid !== p) process.exit(0); }`;
  const hog = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  hog.on('error', (e) => console.error(`flakiness: the CPU hog could not start: ${e.message}`));
  return hog;
}

/** CPU time a process used so far (Linux /proc; undefined elsewhere), in ms. */
function cpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
  } catch {
    return undefined;
  }
}

const firstLine = (s) => (s ?? '').split('\n')[0].slice(0, 200);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** What one run says, kept small: the verdict and first message line of each test. */
function summarize(r, wallMs) {
  const tests = {};
  for (const g of r.groups)
    for (const t of g.tests) tests[t.id] = { status: t.status, points: t.pointsEarned, possible: t.pointsPossible, message: firstLine(t.message) };
  return { seed: r.seed, replay: r.replay, wallMs: Math.round(wallMs), completeness: r.completeness, percent: r.score.percent, tests };
}

/** Per test: verdict counts; the tests whose verdict changed; the expectations a run broke. */
function analyse(p) {
  const ids = [...new Set(p.runs.flatMap((r) => Object.keys(r.tests)))];
  const verdicts = {};
  const changes = [];
  for (const id of ids) {
    const counts = {};
    for (const r of p.runs) {
      const v = r.tests[id]?.status ?? 'missing';
      counts[v] = (counts[v] ?? 0) + 1;
    }
    verdicts[id] = counts;
    if (Object.keys(counts).length < 2) continue;
    // The usual verdict is the most frequent; the others are the odd runs, given with their seeds.
    const usual = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
    const byOutcome = new Map();
    for (const r of p.runs) {
      const t = r.tests[id];
      const key = `${t?.status ?? 'missing'}\u0000${t?.message ?? ''}`;
      const e = byOutcome.get(key) ?? { status: t?.status ?? 'missing', message: t?.message ?? '', runs: 0, seeds: [], replay: r.replay };
      e.runs++;
      e.seeds.push(r.seed);
      byOutcome.set(key, e);
    }
    const outcomes = [...byOutcome.values()].sort((a, b) => (a.status === usual) - (b.status === usual) || a.runs - b.runs);
    changes.push({ program: p.id, test: id, usual, counts, outcomes });
  }
  const broken = [];
  for (const r of p.runs) {
    if (p.kind === 'solution' && r.percent < 100) {
      const lost = Object.entries(r.tests).filter(([, t]) => t.status !== 'passed');
      broken.push({ program: p.id, seed: r.seed, replay: r.replay, what: `${r.percent}%, lost points on ${lost.map(([id]) => id).join(', ') || '(no test: ' + r.completeness + ')'}`, tests: Object.fromEntries(lost) });
    }
    if (p.kind === 'scenario') {
      const failed = Object.entries(r.tests).filter(([, t]) => t.status !== 'passed').map(([id]) => id);
      const expected = new Set(p.expectFailures);
      const extra = failed.filter((id) => !expected.has(id));
      // With --tests, only the tests that ran can be held to their expectation.
      const missed = p.expectFailures.filter((id) => id in r.tests && !failed.includes(id));
      if (extra.length || missed.length)
        broken.push({
          program: p.id,
          seed: r.seed,
          replay: r.replay,
          what: [extra.length ? `failed undeclared ${extra.join(', ')}` : '', missed.length ? `passed declared ${missed.join(', ')}` : ''].filter(Boolean).join('; '),
          tests: Object.fromEntries([...extra, ...missed].map((id) => [id, r.tests[id]])),
        });
    }
  }
  return { verdicts, changes, broken };
}

async function main() {
  let o;
  let programs;
  try {
    o = parseOptions(process.argv.slice(2));
    programs = catalog(o);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) {
      console.error(`flakiness: ${e.message}${e.fix ? `\n${e.fix}` : ''}\n${USAGE}`);
      process.exit(2);
    }
    throw e;
  }
  if (!programs.length) {
    console.error('flakiness: nothing to grade (no solution or scenario folder matched)');
    process.exit(2);
  }
  fastPython();
  sharedCode();
  for (const p of programs) p.runs = [];

  const interrupt = new AbortController();
  let hog;
  let stopping;
  const onSignal = (sig) => {
    if (stopping) return;
    stopping = sig;
    console.log(`\n${sig}: stopping; the runs in progress are discarded, the rest is reported`);
    interrupt.abort();
    hog?.kill('SIGKILL');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', () => hog?.kill('SIGKILL'));

  const t0 = performance.now();
  const cores = os.availableParallelism();
  console.log(
    `flakiness: ${programs.length} program${programs.length === 1 ? '' : 's'} × ${o.runs} run${o.runs === 1 ? '' : 's'}, ${o.hog ? 'CPU hog on' : 'no CPU hog'}, ` +
      `${o.seedMode === 'fixed' ? `seed fixed to "${o.seed}"` : 'a fresh seed per run'}, ${o.jobs} at a time, ${cores} cores` +
      (o.tests ? `, tests: ${o.tests.join(', ')}` : ''),
  );
  let hogCpu0;
  let hogT0;
  const crashes = [];
  try {
    if (o.hog) {
      hog = startHog();
      console.log(`CPU hog: pid ${hog.pid}`);
      hogT0 = performance.now();
      hogCpu0 = cpuMs(hog.pid);
    }
    // Round by round (every program once, then again), so a program's runs are spread over the
    // whole check and an interruption still leaves every program with some runs.
    const queue = [];
    for (let run = 1; run <= o.runs; run++) for (const p of programs) queue.push({ p, run });
    const total = queue.length;
    let done = 0;
    const worker = async () => {
      for (let item = queue.shift(); item && !interrupt.signal.aborted; item = queue.shift()) {
        const { p, run } = item;
        const start = performance.now();
        let r;
        try {
          r = await grade({ dir: p.dir, official: true, interrupt: interrupt.signal, ...(o.seed ? { seed: o.seed } : {}), ...(o.tests ? { only: o.tests } : {}) });
        } catch (e) {
          if (interrupt.signal.aborted) break;
          if (e instanceof ConfigError) {
            console.error(`flakiness: ${p.id}: ${e.message}${e.fix ? `\n${e.fix}` : ''}`);
            process.exitCode = 2;
            interrupt.abort();
            break;
          }
          crashes.push({ program: p.id, run, error: String(e?.stack ?? e) });
          console.log(`  [${++done}/${total}] ${p.id} run ${run}: the grader threw: ${firstLine(String(e?.message ?? e))}`);
          continue;
        }
        if (r.completeness === 'interrupted' || interrupt.signal.aborted) break;
        const s = summarize(r, performance.now() - start);
        p.runs.push(s);
        const notPassed = Object.entries(s.tests).filter(([, t]) => t.status !== 'passed').length;
        const changedNow = analyse(p).changes.map((c) => c.test);
        console.log(
          `  [${++done}/${total}] ${p.id} run ${run}: ${secs(s.wallMs)}, ${s.percent}%, ${notPassed} not passed` +
            (s.completeness !== 'complete' ? ` (${s.completeness})` : '') +
            (changedNow.length ? `  — verdict changed so far: ${changedNow.join(', ')}` : ''),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.jobs, total) }, worker));
  } finally {
    if (hog) {
      const used = cpuMs(hog.pid);
      if (used !== undefined && hogCpu0 !== undefined) o.hogShare = (used - hogCpu0) / (performance.now() - hogT0);
      hog.kill('SIGKILL');
    }
  }
  if (process.exitCode === 2) process.exit(2);

  const wallMs = performance.now() - t0;
  const results = programs.map((p) => ({ p, ...analyse(p) }));
  const changes = results.flatMap((x) => x.changes);
  const broken = results.flatMap((x) => x.broken);

  console.log(`\nper program: runs, time per run (median, max), verdict counts per test`);
  for (const { p, verdicts } of results) {
    const times = p.runs.map((r) => r.wallMs);
    console.log(`${p.id}: ${p.runs.length} run${p.runs.length === 1 ? '' : 's'}, ${secs(median(times))} median, ${secs(Math.max(0, ...times))} max`);
    // Tests with the same counts on one line, so a steady program takes a line or two.
    const lines = new Map();
    for (const [id, counts] of Object.entries(verdicts)) {
      const key = Object.entries(counts).sort().map(([v, n]) => `${v} ${n}`).join(', ');
      lines.set(key, [...(lines.get(key) ?? []), id]);
    }
    for (const [key, ids] of lines) console.log(`  ${key}: ${ids.join(', ')}`);
  }

  console.log(`\nverdicts that changed between runs: ${changes.length ? changes.length : 'none'}`);
  for (const c of changes) {
    console.log(`  ${c.program} / ${c.test}: ${Object.entries(c.counts).map(([v, n]) => `${v} ${n}`).join(', ')}`);
    for (const e of c.outcomes) {
      const odd = e.status !== c.usual;
      console.log(`    ${odd ? 'odd  ' : 'usual'} ${e.status} ×${e.runs}${e.message ? `: ${e.message}` : ''}`);
      if (!odd) continue;
      const distinct = [...new Set(e.seeds)];
      const seeds = distinct.length === 1 && e.seeds.length > 1 ? `${distinct[0]} (every one of these runs)` : distinct.slice(0, 8).join(' ') + (distinct.length > 8 ? ` (+${distinct.length - 8} more)` : '');
      console.log(`          seeds: ${seeds}`);
      console.log(`          replay: ${e.replay}`);
    }
  }
  console.log(`\nreference solutions that lost points, scenarios that failed other tests than declared: ${broken.length ? broken.length + ' runs' : 'none'}`);
  for (const b of broken) {
    console.log(`  ${b.program} (seed ${b.seed}): ${b.what}`);
    for (const [id, t] of Object.entries(b.tests)) console.log(`    ${id}: ${t?.status}${t?.message ? `: ${t.message}` : ''}`);
    console.log(`    replay: ${b.replay}`);
  }
  if (crashes.length) {
    console.log(`\nruns where the grader threw: ${crashes.length}`);
    for (const c of crashes) console.log(`  ${c.program} run ${c.run}: ${firstLine(c.error)}`);
  }
  const gradeMs = programs.flatMap((p) => p.runs.map((r) => r.wallMs)).reduce((a, b) => a + b, 0);
  const runsDone = programs.reduce((a, p) => a + p.runs.length, 0);
  console.log(
    `\n${runsDone} runs in ${secs(wallMs)} (one run of each of the ${programs.length} program${programs.length === 1 ? '' : 's'}: ${secs((gradeMs / Math.max(1, runsDone)) * programs.length)} of grading)` +
      (o.hogShare !== undefined ? `; the hog used ${Math.round(o.hogShare * 100)}% of a core` : ''),
  );

  const exit = changes.length || broken.length || crashes.length ? 1 : stopping ? 130 : 0;
  if (o.json) {
    const data = {
      options: { runs: o.runs, assignments: o.assignments ?? null, only: o.only ?? null, dir: o.dir ?? null, tests: o.tests ?? null, hog: o.hog, seedMode: o.seedMode, seed: o.seed ?? null, jobs: o.jobs },
      machine: { cores, node: process.version, platform: process.platform },
      startedAt: new Date(Date.now() - wallMs).toISOString(),
      wallMs: Math.round(wallMs),
      hogPid: hog?.pid ?? null,
      hogShare: o.hogShare ?? null,
      interrupted: stopping ?? null,
      exitCode: exit,
      programs: results.map(({ p, verdicts }) => ({
        id: p.id,
        kind: p.kind,
        assignment: p.assignment,
        dir: p.dir,
        ...(p.expectFailures ? { expectFailures: p.expectFailures } : {}),
        runsDone: p.runs.length,
        medianMs: median(p.runs.map((r) => r.wallMs)),
        verdicts,
        runs: p.runs,
      })),
      changes,
      expectationsBroken: broken,
      graderErrors: crashes,
    };
    fs.writeFileSync(o.json, JSON.stringify(data, null, 2) + '\n');
    console.log(`JSON written to ${o.json}`);
  }
  console.log(exit === 0 ? 'no verdict changed' : exit === 130 ? 'interrupted; no verdict changed in the runs done' : 'FOUND: see above');
  process.exit(exit);
}

await main();
