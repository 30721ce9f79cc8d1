// npm run bench: grades the reference solutions (and redis-server) repeatedly and prints median
// wall times for the whole suite and per stage; then grades a server that hangs once, against the
// run budget. Medians, not single runs: these machines are shared and noisy.
// Options: --runs N (default 5), --no-hung (skip the hung-server run, ~30 s).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { grade } from '../dist/grader/grade/grade.js';
import { readDefinition } from '../dist/grader/assignment/load.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
const hung = !args.includes('--no-hung');

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
  for (let i = 0; i < runs; i++) {
    const r = await grade({ dir });
    if (r.score.percent !== 100) throw new Error(`${label}: expected full marks, got ${r.score.percent}% (seed ${r.seed})`);
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
  console.log(`  tests (no build)  ${ms(median(tests))}${label.startsWith('kv-server') ? `   target: under 3 s → ${median(tests) < 3000 ? 'met' : 'NOT met'}` : ''}`);
  for (const [title, xs] of perGroup) console.log(`    ${title.padEnd(40)} ${ms(median(xs))}`);
}

await bench('kv-server, Python reference solution', path.join(root, 'solutions/kv-server/python'));
await bench('kv-server, TypeScript reference solution', path.join(root, 'solutions/kv-server/typescript'));
await bench('kv-server, real redis-server', path.join(root, 'test/counterparts/redis-server'));
// dns-client runs the program once per check (29 runs): its time is mostly interpreter start-up.
await bench('dns-client, Python reference solution', path.join(root, 'solutions/dns-client/python'));

if (hung) {
  const budget = readDefinition('kv-server').budgetMs;
  const t0 = performance.now();
  const r = await grade({ dir: path.join(root, 'test/fixtures/engine/slow-forever') });
  const wall = performance.now() - t0;
  console.log(`\na server that accepts but never answers — 1 run`);
  console.log(`  graded in ${ms(wall)} (budget ${ms(budget)}; target: within budget + 3 s → ${wall < budget + 3000 ? 'met' : 'NOT met'})`);
  console.log(`  ${r.counts.timeout} timeouts, ${r.counts.failed} failed, ${r.counts.skipped} skipped (${r.completeness})`);
}
