// npm run bench: grades the reference solutions (and redis-server) repeatedly and prints median
// wall times for the whole suite and per stage; then grades a server that hangs once, against the
// run budget. Medians, not single runs: these machines are shared and noisy.
// Then the gossip-peer suite (target: under 15 s median on a correct peer), and 50 peers on a
// grid behind the link proxy, to show the proxy is not the bottleneck (its CPU per line).
// Options: --runs N (default 5), --no-hung (skip the hung-server run, ~30 s), --only gossip
// (the gossip-peer runs only), --only bittorrent (the bittorrent-peer runs only; target: a correct
// peer's whole grade under 25 s), --only tftp (the tftp-server runs only; target: a correct
// server's whole grade under 10 s), --only proxy (the 50-peer run only), --only batch (the batch run
// only: 40 kv-server submissions at --jobs 1 and at --jobs 8; target: at least 4x faster at 8),
// --only sandbox (what the sandbox costs a student's run: the CLI on kv-server with --sandbox on
// and off, alternating; its own network namespace, a second Node start, the scratch copy),
// --only probes (what the liveness probe after every test costs a correct kv-server grade, and
// what a fresh server for every test would cost: probes on, off and isolated, alternating;
// target: the probes add at most 10%), --only hostile (the grader's peak memory under programs
// that flood it; target: at most 300 MiB), --only similarity (the batch's similarity report over
// a synthetic class of 300 submissions made from the kv-server solutions and starters with
// variations; target: under a minute).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { grade } from '../dist/grader/grade/grade.js';
import { readDefinition } from '../dist/grader/assignment/load.js';
import { PeerRunner } from '../dist/grader/grade/peers.js';
import { ClusterPool } from '../dist/grader/peers/pool.js';
import { TestContextImpl } from '../dist/grader/harness/context.js';
import { grid } from '../dist/grader/peers/topology.js';
import { broadcastWorkload } from '../dist/grader/kits/broadcast.js';
import { runBuild } from '../dist/grader/grade/build.js';
import { readManifest } from '../dist/grader/grade/manifest.js';
import fs from 'node:fs';
import { setMaxListeners } from 'node:events';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const onlyGossip = only === 'gossip' || only === 'proxy' || only === 'batch' || only === 'sandbox' || only === 'probes' || only === 'hostile' || only === 'bittorrent' || only === 'tftp';
const hung = !args.includes('--no-hung') && !onlyGossip;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);

async function bench(label, dir) {
  const totals = [];
  const tests = [];
  const builds = [];
  const perGroup = new Map();
  const peerStarts = [];
  for (let i = 0; i < runs; i++) {
    const r = await grade({ dir });
    // Peer start-up time, from the tests' logs ("started in N ms"): mostly interpreter start.
    const started = r.groups.flatMap((g) => g.tests.flatMap((t) => t.log)).map((l) => /started in (\d+) ms/.exec(l)).filter(Boolean);
    if (r.program.role === 'peers') peerStarts.push({ count: r.program.starts.length, ms: started.reduce((a, m) => a + Number(m[1]), 0) });
    if (r.score.percent !== 100) {
      const why = r.groups.flatMap((g) => g.tests).filter((t) => t.status !== 'passed').map((t) => `  ${t.id}: ${t.status}: ${t.message}`);
      throw new Error(`${label}: expected full marks, got ${r.score.percent}% (seed ${r.seed})\n${why.join('\n')}`);
    }
    totals.push(r.durationMs);
    builds.push(r.build.durationMs);
    tests.push(r.durationMs - r.build.durationMs);
    for (const g of r.groups) {
      const list = perGroup.get(g.title) ?? [];
      list.push(g.tests.reduce((a, t) => a + t.durationMs, 0));
      perGroup.set(g.title, list);
    }
  }
  console.log(`\n${label} — ${runs} runs, medians`);
  console.log(`  whole grade       ${ms(median(totals))}`);
  if (median(builds) > 0) console.log(`  build             ${ms(median(builds))}`);
  const target = label.startsWith('kv-server') ? 3000 : label.startsWith('gossip-peer') ? 15000 : label.startsWith('bittorrent-peer') ? 25000 : label.startsWith('tftp-server') ? 10000 : 0;
  console.log(`  tests (no build)  ${ms(median(tests))}${target ? `   target: under ${target / 1000} s → ${median(tests) < target ? 'met' : 'NOT met'}` : ''}`);
  if (peerStarts.length) console.log(`    of which starting peers (${peerStarts[0].count} starts) ${ms(median(peerStarts.map((p) => p.ms)))}`);
  for (const [title, xs] of perGroup) console.log(`    ${title.padEnd(40)} ${ms(median(xs))}`);
}

if (only === 'similarity') {
  await similarityBench(300);
  process.exit(0);
}
if (!onlyGossip) {
  await bench('kv-server, Python reference solution', path.join(root, 'solutions/kv-server/python'));
  await bench('kv-server, TypeScript reference solution', path.join(root, 'solutions/kv-server/typescript'));
  await bench('kv-server, real redis-server', path.join(root, 'test/counterparts/redis-server'));
  // dns-client runs the program once per check (29 runs): its time is mostly interpreter start-up.
  await bench('dns-client, Python reference solution', path.join(root, 'solutions/dns-client/python'));
}
if (only === 'batch') {
  await batchBench(40);
  process.exit(0);
}
if (only === 'sandbox') {
  await sandboxBench();
  process.exit(0);
}
if (only === 'hostile') {
  await hostileBench();
  process.exit(0);
}
if (!only) await hostileBench();
if (only === 'probes' || !only) await probeBench();
if (only === 'probes') process.exit(0);

/**
 * The health policy's cost on a correct kv-server (no restart ever happens there): the tests'
 * time with the probe after every test, without it, and with a fresh server for every test
 * (isolated grading, what CodeCrafters does per stage). Alternating, so load hits all alike.
 */
async function probeBench() {
  for (const [label, sub] of [
    ['Python', 'solutions/kv-server/python'],
    ['TypeScript', 'solutions/kv-server/typescript'],
  ]) {
    const dir = path.join(root, sub);
    const modes = { probes: { probe: true }, 'no probes': { probe: false }, isolated: { isolate: true } };
    const times = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    for (let i = 0; i < runs; i++)
      for (const [m, o] of Object.entries(modes)) {
        const r = await grade({ dir, ...o });
        if (r.score.percent !== 100) throw new Error(`kv-server ${label} (${m}): expected full marks, got ${r.score.percent}% (seed ${r.seed})`);
        times[m].push(r.durationMs - r.build.durationMs);
      }
    const base = median(times['no probes']);
    console.log(`\nhealth checks: kv-server, ${label} reference solution, ${runs} runs each, medians of the tests' time`);
    console.log(`  no probes                 ${ms(base)}`);
    const probes = median(times.probes);
    console.log(`  a probe after every test  ${ms(probes)}  (${((probes / base - 1) * 100).toFixed(1)}%; target: at most 10% → ${probes <= base * 1.1 ? 'met' : 'NOT met'})`);
    const iso = median(times.isolated);
    console.log(`  a fresh server per test   ${ms(iso)}  (${((iso / base - 1) * 100).toFixed(1)}%; isolated grading, as validate's alone-vs-full check runs it)`);
  }
}
if (!only || only === 'tftp') {
  // Lossy tests wait out retransmission timers by design; rollover is 65,537 lock-step round trips.
  await bench('tftp-server, TypeScript reference solution', path.join(root, 'solutions/tftp-server/typescript'));
  await bench('tftp-server, Python reference solution', path.join(root, 'solutions/tftp-server/python'));
  if (only === 'tftp') process.exit(0);
}
if (only !== 'proxy' && only !== 'bittorrent') {
  await bench('gossip-peer, TypeScript reference solution', path.join(root, 'solutions/gossip-peer/typescript'));
  await bench('gossip-peer, Python reference solution', path.join(root, 'solutions/gossip-peer/python'));
}
if (!only || only === 'bittorrent') {
  // A whole swarm per test (tracker, seeders, leechers, the student's peers), in the sandbox.
  await bench('bittorrent-peer, TypeScript reference solution', path.join(root, 'solutions/bittorrent-peer/typescript'));
  await bench('bittorrent-peer, Python reference solution', path.join(root, 'solutions/bittorrent-peer/python'));
  if (only === 'bittorrent') process.exit(0);
}
await proxyBench(10, 5, 300);
if (!only) await batchBench(40);

/** The CLI as a student runs it, sandboxed and not, alternating so that load hits both alike. */
async function sandboxBench() {
  const { execFileSync } = await import('node:child_process');
  const dir = path.join(root, 'solutions/kv-server/python');
  const out = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'sockgrade-bench-'));
  const walls = { on: [], off: [] };
  for (let i = 0; i < runs; i++)
    for (const mode of ['on', 'off']) {
      const t0 = performance.now();
      execFileSync(process.execPath, [path.join(root, 'bin/sockgrade.js'), 'grade', dir, '--report-dir', out, '--sandbox', mode], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
      walls[mode].push(performance.now() - t0);
    }
  fs.rmSync(out, { recursive: true, force: true });
  console.log(`\nsandbox cost: sockgrade grade kv-server (Python), ${runs} runs each, medians of wall time`);
  console.log(`  --sandbox on   ${ms(median(walls.on))}   (own network namespace, bubblewrap per program start, scratch copy)`);
  console.log(`  --sandbox off  ${ms(median(walls.off))}`);
  console.log(`  cost           ${ms(median(walls.on) - median(walls.off))} (${(median(walls.on) / median(walls.off)).toFixed(2)}x)`);
}

/**
 * What a hostile program can make the grader spend: the grader's own peak memory
 * (results.json's environment.graderRssMiB) grading each program of test/hostile/programs that
 * floods it, next to a correct server's; target: at most 300 MiB each.
 */
async function hostileBench() {
  const { execFileSync } = await import('node:child_process');
  const os = await import('node:os');
  const programs = path.join(root, 'test/hostile/programs');
  const cases = [
    ['correct kv-server (reference)', null, 'kv-server', null],
    ['floods-http: Content-Length 10^12, zeros without end', 'floods-http', 'http-server', 'index,fetch,text-files,keep-alive'],
    ['floods-resp: a billion items, a terabyte bulk string', 'floods-resp', 'kv-server', 'ping,set-get,echo,pipelined-1000'],
    ['floods-output: stdout without end', 'floods-output', 'kv-server', 'ping'],
    ['memory-hog', 'memory-hog', 'kv-server', 'ping'],
    ['fork-bomb', 'fork-bomb', 'kv-server', 'ping'],
  ];
  console.log(`\nthe grader's peak memory under hostile programs (${runs} runs each, median; target: at most 300 MiB)`);
  for (const [label, name, assignment, only] of cases) {
    const peaks = [];
    for (let i = 0; i < runs; i++) {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-hostile-'));
      let dir = path.join(root, 'solutions/kv-server/python');
      if (name) {
        dir = path.join(tmp, 'sub');
        fs.mkdirSync(dir);
        fs.copyFileSync(path.join(programs, `${name}.py`), path.join(dir, 'prog.py'));
        fs.copyFileSync(path.join(programs, 'hostile_lib.py'), path.join(dir, 'hostile_lib.py'));
        fs.writeFileSync(path.join(dir, 'sockgrade.json'), JSON.stringify({ assignment, run: 'python3 prog.py bench' }));
      }
      const args = [path.join(root, 'bin/sockgrade.js'), 'grade', dir, '--report-dir', path.join(tmp, 'r'), '--format', 'json', ...(only ? ['--only', only] : [])];
      try {
        execFileSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
      } catch {
        /* a failing grade exits 1: its results are what is measured */
      }
      const r = JSON.parse(fs.readFileSync(path.join(tmp, 'r', 'results.json'), 'utf8'));
      peaks.push(r.environment.graderRssMiB);
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    const m = median(peaks);
    console.log(`  ${label.padEnd(56)} ${String(m).padStart(4)} MiB  ${m <= 300 ? 'met' : 'NOT met'}`);
  }
}

/** CPU time of every process in a process group (a peer and its shell), from /proc (Linux), in ms. */
function cpuOf(pgid) {
  let total = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid) total += ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, USER_HZ = 100
    } catch {
      /* gone */
    }
  }
  return total;
}

/** cols×rows TypeScript peers behind the proxy; `n` broadcasts; the grader's CPU per forwarded line. */
async function proxyBench(cols, rows, n) {
  const dir = path.join(root, 'solutions/gossip-peer/typescript');
  const manifest = readManifest(dir);
  const env = { PATH: [path.join(root, 'node_modules/.bin'), process.env.PATH].join(path.delimiter) };
  await runBuild({ command: manifest.build, dir, env, timeoutMs: 120_000 });
  const def = readDefinition('gossip-peer');
  const runner = new PeerRunner({ command: manifest.run, args: def.program.args, cwd: dir, env, startupTimeoutMs: 10_000, t0: performance.now() });
  const pool = new ClusterPool(runner.start);
  const ac = new AbortController();
  setMaxListeners(0, ac.signal); // one listener per connection, as in a real test
  const t = new TestContextImpl({ testId: 'bench', seed: 'bench', deadlineAt: performance.now() + 120_000, signal: ac.signal, clusters: pool });
  const c = broadcastWorkload(await t.cluster({ topology: grid(cols, rows), latencyMs: 0 }));
  const values = c.newValues(n);
  const cpu0 = process.cpuUsage();
  const peers0 = runner.starts.reduce((a, s) => a + cpuOf(s.pid), 0);
  const t0 = performance.now();
  c.cluster.mark();
  await Promise.all(values.map((v, i) => c.broadcast(c.peers[i % c.peers.length], v, 10_000)));
  const lastMs = await c.expectEveryone(values, { boundMs: 60_000, why: 'bench' });
  const tr = c.traffic();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const graderMs = (cpu.user + cpu.system) / 1000;
  const peersMs = runner.starts.reduce((a, s) => a + cpuOf(s.pid), 0) - peers0;
  await pool.release(true);
  await runner.stopAll();
  console.log(`
${cols * rows} TypeScript peers on a ${cols}x${rows} grid behind the link proxy — ${n} broadcasts, 1 run`);
  console.log(`  all values everywhere in ${ms(wall)} (the slowest value took ${ms(lastMs)}); ${tr.lines} lines, ${(tr.bytes / 1024).toFixed(0)} KiB forwarded`);
  console.log(`  grader CPU ${ms(graderMs)} (${((graderMs * 1000) / Math.max(1, tr.lines)).toFixed(1)} µs per forwarded line, reads and checks included); the peers' CPU ${ms(peersMs)}`);
  console.log(`  the grader used ${((100 * graderMs) / Math.max(1, graderMs + peersMs)).toFixed(0)}% of the CPU the run took`);
}

if (hung) {
  const budget = readDefinition('kv-server').budgetMs;
  const t0 = performance.now();
  const r = await grade({ dir: path.join(root, 'test/fixtures/engine/slow-forever') });
  const wall = performance.now() - t0;
  console.log(`\na server that accepts but never answers — 1 run`);
  console.log(`  graded in ${ms(wall)} (budget ${ms(budget)}; target: within budget + 3 s → ${wall < budget + 3000 ? 'met' : 'NOT met'})`);
  console.log(`  ${r.counts.timeout} timeouts, ${r.counts.failed} failed, ${r.counts.skipped} skipped (${r.completeness})`);
}

/**
 * `sockgrade batch` over n copies of the Python kv-server solution, at --jobs 1 and --jobs 8,
 * through the CLI as a TA runs it. Grading is mostly waiting, so 8 at a time should be at least
 * 4x faster on 2 cores, with a byte-identical gradebook.
 */
async function batchBench(n) {
  const { execFileSync, spawnSync } = await import('node:child_process');
  const os = await import('node:os');
  const cls = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-class-'));
  for (let i = 0; i < n; i++) fs.symlinkSync(path.join(root, 'solutions/kv-server/python'), path.join(cls, `student${String(i).padStart(2, '0')}`));
  // The real interpreter first on PATH: a pyenv shim costs ~0.35 s of CPU per start.
  const env = { ...process.env, NO_COLOR: '1' };
  try {
    const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const fast = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-py-'));
    fs.symlinkSync(real, path.join(fast, 'python3'));
    env.PATH = `${fast}${path.delimiter}${env.PATH}`;
  } catch {
    /* no python3: the grades will say so */
  }
  const walls = {};
  const gradebooks = {};
  const cpuPerGrade = {};
  // The whole machine's busy CPU time (Linux /proc/stat, in ticks of 10 ms): the grader, the
  // programs, and the kernel's loopback work that no process is charged for.
  const busyMs = () => {
    try {
      const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return (f[0] + f[1] + f[2] + f[4] + f[5] + f[6]) * 10;
    } catch {
      return NaN;
    }
  };
  for (const jobs of [8, 1]) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), `sockgrade-bench-batch-j${jobs}-`));
    const busy0 = busyMs();
    const t0 = performance.now();
    // --no-similarity: this measures grading; the similarity report has its own run (--only similarity).
    const r = spawnSync(process.execPath, [path.join(root, 'bin/sockgrade.js'), 'batch', cls, '--out', out, '--jobs', String(jobs), '--seed', 'bench', '--no-similarity'], { env, encoding: 'utf8' });
    walls[jobs] = performance.now() - t0;
    cpuPerGrade[jobs] = (busyMs() - busy0) / n;
    if (r.status !== 0) throw new Error(`batch --jobs ${jobs} exited ${r.status}: ${r.stderr || r.stdout.slice(-2000)}`);
    gradebooks[jobs] = fs.readFileSync(path.join(out, 'gradebook.csv'), 'utf8');
    const b = JSON.parse(fs.readFileSync(path.join(out, 'batch.json'), 'utf8'));
    const full = b.entries.filter((e) => e.score && e.score.percent === 100).length;
    console.log(`\nbatch of ${n} kv-server submissions, --jobs ${jobs}: ${ms(walls[jobs])} wall (${ms(walls[jobs] / n)} per submission); median grade ${ms(median(b.entries.map((e) => e.durationMs)))}; machine CPU ${ms(cpuPerGrade[jobs])} per submission; ${full}/${n} full marks; ${b.isolation}`);
  }
  const speedup = walls[1] / walls[8];
  console.log(`  --jobs 8 is ${speedup.toFixed(1)}x faster than --jobs 1   target: at least 4x → ${speedup >= 4 ? 'met' : 'NOT met'}`);
  // What the cores allow: a grade is not only waiting; at --jobs 8 it costs cpuPerGrade[8] of CPU.
  const cores = os.availableParallelism();
  const ceiling = walls[1] / ((cpuPerGrade[8] * n) / cores);
  if (Number.isFinite(ceiling)) console.log(`  ceiling on ${cores} cores at that CPU per submission: ${ceiling.toFixed(1)}x (reached ${Math.round((100 * speedup) / ceiling)}%)`);
  console.log(`  gradebooks identical: ${gradebooks[1] === gradebooks[8] ? 'yes' : 'NO'}`);
}

/**
 * The similarity report of `sockgrade batch` on a class of n submissions, made from kv-server's
 * solutions, starters and an independently written server in three languages, each with its own
 * variations (seeded, so every run compares the same class): names changed, top-level blocks
 * dropped, reordered, or taken from the solution into the starter. Many pairs are alike, as in a
 * class that shares a lot, which is the expensive case (every pair over the threshold gets its
 * fragments). Times the whole step: reading the files, the comparison, the page. Target: under
 * a minute on this machine (2 cores).
 */
async function similarityBench(n) {
  const os = await import('node:os');
  const { compareClass } = await import('../dist/grader/similarity/compare-class.js');
  const { renderSimilarityPage } = await import('../dist/grader/report/similarity-page.js');
  let seed = 0x5eed;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const read = (p) => fs.readFileSync(path.join(root, p), 'utf8');
  const sources = {
    python: { solution: read('solutions/kv-server/python/server.py'), starter: read('starter/kv-server/python/server.py'), honest: read('test/similarity/fixtures/honest-kv/server.py'), file: 'server.py' },
    typescript: { solution: read('solutions/kv-server/typescript/src/server.ts'), starter: read('starter/kv-server/typescript/src/server.ts'), file: 'src/server.ts' },
    c: { solution: read('solutions/kv-server/c/server.c'), starter: read('starter/kv-server/c/server.c'), file: 'server.c' },
  };
  // Top-level blocks: paragraphs that start at column 0 after a blank line.
  const blocks = (text) => text.split(/\n\n(?=\S)/);
  // Names only: renaming a keyword would change the syntax tree, which no copier does.
  const KEYWORDS = new Set('self return async await while break continue import from class else elif except finally lambda pass raise with yield none true false const function static void char size_t struct sizeof case default switch typedef unsigned signed long short this throw catch export interface type number string readonly private public null undefined include define errno bytes list dict await'.split(' '));
  const renameSome = (text) => {
    const words = [...new Set(text.match(/\b[a-z_][a-z0-9_]{3,}\b/g) ?? [])].filter((w) => !KEYWORDS.has(w));
    let out = text;
    for (let k = 0; k < 8 && words.length; k++) {
      const w = words.splice(Math.floor(rand() * words.length), 1)[0];
      out = out.replace(new RegExp(`\\b${w}\\b`, 'g'), `${w}_${Math.floor(rand() * 1000)}`);
    }
    return out;
  };
  const vary = (text, drop) => {
    let bs = blocks(text).filter(() => rand() >= drop);
    if (rand() < 0.5) bs = bs.map((b) => [rand(), b]).sort((a, b) => a[0] - b[0]).map(([, b]) => b);
    return renameSome(bs.join('\n\n'));
  };
  const cls = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-similarity-'));
  const kinds = {};
  for (let i = 0; i < n; i++) {
    const language = rand() < 0.7 ? 'python' : pick(['typescript', 'c']);
    const src = sources[language];
    const r = rand();
    let kind;
    let text;
    if (r < 0.35) {
      // The starter with some of the solution's functions added (most of a class).
      kind = 'starter + parts of the solution';
      const added = blocks(src.solution).filter(() => rand() < 0.3);
      text = renameSome([src.starter, ...added].join('\n\n'));
    } else if (r < 0.65) [kind, text] = ['solution, varied', vary(src.solution, 0.1 + rand() * 0.4)];
    else if (r < 0.8 && src.honest) [kind, text] = ['independent server, varied', vary(src.honest, rand() * 0.3)];
    else if (r < 0.9) [kind, text] = ['starter as given', src.starter];
    else [kind, text] = ['starter, varied', vary(src.starter, 0.2)];
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const dir = path.join(cls, `s${String(i).padStart(3, '0')}`);
    fs.mkdirSync(path.dirname(path.join(dir, src.file)), { recursive: true });
    fs.writeFileSync(path.join(dir, src.file), text);
    fs.writeFileSync(path.join(dir, 'sockgrade.json'), '{"assignment": "kv-server", "run": "true"}\n');
  }
  const submissions = fs.readdirSync(cls).map((id) => ({ id, dir: path.join(cls, id) }));
  const walls = [];
  let report;
  let pageBytes = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    report = await compareClass({ assignment: { id: 'kv-server', title: 'kv-server' }, submissions, starterDir: path.join(root, 'starter/kv-server') });
    pageBytes = renderSimilarityPage(report).length + JSON.stringify(report).length;
    walls.push(performance.now() - t0);
  }
  fs.rmSync(cls, { recursive: true, force: true });
  const byLanguage = {};
  for (const s of report.submissions) for (const l of s.languages) byLanguage[l.language] = (byLanguage[l.language] ?? 0) + 1;
  console.log(`\nsimilarity report: ${n} synthetic kv-server submissions (${Object.entries(byLanguage).map(([l, k]) => `${k} ${l}`).join(', ')}), ${runs} runs`);
  console.log(`  made as: ${Object.entries(kinds).map(([k, c]) => `${c} ${k}`).join('; ')}`);
  console.log(`  ${report.pairsAbove} pairs at or above ${report.threshold * 100}%, ${report.pairs.length} listed with fragments, ${report.clusters.length} groups; similarity.html + .json ${(pageBytes / 1024 / 1024).toFixed(1)} MiB`);
  console.log(`  runs: ${walls.map(ms).join(', ')}`);
  const med = median(walls);
  console.log(`  median ${ms(med)}   target: under 60 s → ${med < 60_000 ? 'met' : 'NOT met'}`);
}
