// The kv-server differential oracle: the same seeded scripts (kv-features.ts) go to a real
// redis-server and to every kv-server scenario (found on disk at run time, as `sockgrade validate`
// finds them), and to the Python reference solution as a control. For each scenario and each
// judged test, "differs from redis on the test's feature" must agree with the grader's verdict on
// that test (graded officially, only the judged tests) and with what the scenario declares.
import { grade } from '../../grader/grade/grade.js';
import { failedIds } from '../../grader/validate/judge.js';
import { catalog, type CatalogItem } from '../../grader/validate/catalog.js';
import { packageRoot } from '../../grader/paths.js';
import { EXCLUDED, FEATURES } from './kv-features.js';
import { startProgram, runCommand, type Started } from './programs.js';
import { runScript, type Observation, type Script } from './resp-script.js';
import { pool, type Disagreement } from './verdicts.js';
export type { Disagreement } from './verdicts.js';

export interface Difference {
  script: number;
  step: string;
  redis: string;
  program: string;
}

export interface ItemVerdicts {
  item: CatalogItem;
  /** Per judged test: the first difference from redis on its feature, or undefined. */
  differs: Record<string, Difference | undefined>;
  failed?: string[];
  stderr?: string;
}

export const JUDGED = FEATURES.map((f) => f.test);

/** The scripts of every feature, from one seed: the same seed gives the same scripts. */
export function kvScripts(seed: number): Map<string, Script[]> {
  return new Map(FEATURES.map((f, i) => [f.test, f.scripts(seed * 1000 + i, `o${seed}:`)]));
}

/** Run every feature's scripts on one program, restarting it before a feature if it died. */
async function judgeProgram(p: Started, scripts: Map<string, Script[]>, reference: Map<string, Observation[][]>): Promise<Record<string, Difference | undefined>> {
  const differs: Record<string, Difference | undefined> = {};
  // After a difference the script stopped midway and closed its connections with replies unread
  // (an RST), and the program may be dead, dying or hung: the next feature gets a fresh process,
  // as the grader restarts one, so one bug is not seen in the features after it.
  let suspect = false;
  for (const [test, list] of scripts) {
    if (!p.neverReady && (suspect || !p.alive)) await p.restart();
    suspect = false;
    for (const [i, s] of list.entries()) {
      const r = await runScript(s, { port: p.port, reference: reference.get(test)![i] });
      if (r.differs) {
        differs[test] = { script: i, step: r.differs.got.what, redis: r.differs.expected, program: r.differs.got.got };
        suspect = true;
        break;
      }
    }
  }
  return differs;
}

export interface OracleReport {
  seed: number;
  items: ItemVerdicts[];
  disagreements: Disagreement[];
  /** Differences of the reference solution from redis: the oracle's own fairness (must be none). */
  control: Record<string, Difference | undefined>;
  ms: { reference: number; programs: number; grading: number };
}

export async function kvOracle(opts: { seed: number; root?: string; jobs?: number; grade?: boolean; log?: (s: string) => void }): Promise<OracleReport> {
  const log = opts.log ?? (() => {});
  const root = opts.root ?? packageRoot;
  const scripts = kvScripts(opts.seed);
  const t0 = performance.now();
  const redis = await startProgram('redis-server', root, 'redis-server', (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const reference = new Map<string, Observation[][]>();
  try {
    if (redis.neverReady || !redis.alive) throw new Error(`redis-server did not start: ${redis.stderrTail()}`);
    // Features use keys of their own, so they may run at once on redis.
    await Promise.all(
      [...scripts].map(async ([test, list]) => {
        const obs: Observation[][] = [];
        for (const s of list) {
          const r = await runScript(s, { port: redis.port });
          const bad = r.observations.find((o) => /^(no reply|refused|incomplete|closed)/.test(o.got));
          if (bad && test !== 'malformed-protocol') throw new Error(`redis-server itself gave "${bad.got}" at ${bad.what} in ${test}: the script is wrong`);
          obs.push(r.observations);
        }
        reference.set(test, obs);
      }),
    );
  } finally {
    await redis.stop();
  }
  const t1 = performance.now();
  log(`redis-server answered ${[...scripts.values()].flat().length} scripts in ${Math.round(t1 - t0)} ms`);

  const all = catalog('kv-server', root);
  const scenarios = all.filter((i) => i.kind === 'scenario');
  const control = all.find((i) => i.kind === 'solution' && i.name === 'python')!;
  const programs = [control, ...scenarios];
  const judged = await Promise.all(
    programs.map(async (item) => {
      const p = await startProgram(item.name, item.dir, runCommand(item.dir), (port) => ['--port', String(port)]);
      try {
        return { item, differs: await judgeProgram(p, scripts, reference), stderr: p.stderrTail() } as ItemVerdicts;
      } finally {
        await p.stop();
      }
    }),
  );
  const t2 = performance.now();
  log(`${programs.length} programs judged by the oracle in ${Math.round(t2 - t1)} ms`);

  const items = judged.slice(1);
  if (opts.grade === false) return { seed: opts.seed, items, disagreements: [], control: judged[0].differs, ms: { reference: Math.round(t1 - t0), programs: Math.round(t2 - t1), grading: 0 } };
  await pool(items, opts.jobs ?? 2, async (v) => {
    const r = await grade({ dir: v.item.dir, official: true, only: JUDGED, readOnly: v.item.shared, allowForbidden: v.item.kind === 'counterpart', seed: `oracle${opts.seed}` });
    v.failed = failedIds(r);
  });
  const t3 = performance.now();
  log(`${items.length} scenarios graded on ${JUDGED.length} tests in ${Math.round(t3 - t2)} ms`);

  const disagreements: Disagreement[] = [];
  for (const v of items)
    for (const test of JUDGED) {
      // A race or a timing no fixed-order script reproduces (the table in kv-features.ts).
      if (EXCLUDED[`${v.item.name} / ${test}`]) continue;
      const d = v.differs[test];
      const differs = d !== undefined;
      const graded = v.failed!.includes(test);
      const declared = v.item.expectFailures!.includes(test);
      if (differs !== graded || differs !== declared)
        disagreements.push({
          program: v.item.name,
          test,
          oracle: d ? `differs from redis: script ${d.script}, ${d.step}: redis ${d.redis}, program ${d.program}` : 'never differs from redis',
          ...(differs !== graded ? { graded: graded ? 'fails' : 'passes' } : {}),
          ...(differs !== declared ? { declared: declared ? 'fails' : 'passes' } : {}),
        });
    }
  return { seed: opts.seed, items, disagreements, control: judged[0].differs, ms: { reference: Math.round(t1 - t0), programs: Math.round(t2 - t1), grading: Math.round(t3 - t2) } };
}
