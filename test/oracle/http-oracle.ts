// The http-server differential oracle: the same seeded scripts (http-features.ts) go to the
// reference solution (solutions/http-server/python), to every http-server scenario (found on
// disk at run time, as `sockgrade validate` finds them) and to the TypeScript solution as a
// control of the oracle's own fairness. For each scenario and each judged test, "differs from the
// reference on the test's feature" must agree with the grader's verdict on that test (graded
// officially, only the judged tests) and with what the scenario declares.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { grade } from '../../grader/grade/grade.js';
import { failedIds } from '../../grader/validate/judge.js';
import { catalog, type CatalogItem } from '../../grader/validate/catalog.js';
import { packageRoot } from '../../grader/paths.js';
import { FEATURES } from './http-features.js';
import { fileNamer, runScript, type Observation, type Script } from './http-script.js';
import { buildFirst, startProgram, runCommand, type Started } from './programs.js';
import { pool, type Disagreement } from './verdicts.js';
export type { Disagreement } from './verdicts.js';

export interface Difference {
  script: number;
  step: string;
  reference: string;
  program: string;
}

export interface ItemVerdicts {
  item: CatalogItem;
  differs: Record<string, Difference | undefined>;
  failed?: string[];
}

export const JUDGED = FEATURES.map((f) => f.test);

export function httpScripts(seed: number, secretPath: string): Map<string, Script[]> {
  return new Map(FEATURES.map((f, i) => [f.test, f.scripts(seed * 1000 + i, { secretPath })]));
}

/** Every feature's scripts on one program; after a difference (or a death) the next feature gets a fresh process, as the grader restarts one. */
async function judgeProgram(p: Started, scripts: Map<string, Script[]>, reference: Map<string, Observation[][]>, bodyName: (b: Buffer) => string): Promise<Record<string, Difference | undefined>> {
  const differs: Record<string, Difference | undefined> = {};
  let suspect = false;
  for (const [test, list] of scripts) {
    if (!p.neverReady && (suspect || !p.alive)) await p.restart();
    suspect = false;
    for (const [i, s] of list.entries()) {
      const r = await runScript(s, { port: p.port, bodyName, reference: reference.get(test)![i] });
      if (r.differs) {
        differs[test] = { script: i, step: r.differs.got.what, reference: r.differs.expected, program: r.differs.got.got };
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
  /** Differences of the TypeScript solution from the Python one: the oracle's own fairness (must be none). */
  control: Record<string, Difference | undefined>;
  ms: { reference: number; programs: number; grading: number };
}

export async function httpOracle(opts: { seed: number; root?: string; jobs?: number; grade?: boolean; log?: (s: string) => void; only?: (item: CatalogItem) => boolean }): Promise<OracleReport> {
  const log = opts.log ?? (() => {});
  const root = opts.root ?? packageRoot;
  // One copy of the assignment's files for every program: www is the document root, secret.txt
  // lies beside it (the programs only read it).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-http-oracle-'));
  const files = path.join(tmp, 'files');
  fs.cpSync(path.join(root, 'assignments', 'http-server', 'files'), files, { recursive: true });
  const www = path.join(files, 'www');
  const bodyName = fileNamer(files);
  const scripts = httpScripts(opts.seed, path.join(files, 'secret.txt'));
  const args = (port: number) => ['--port', String(port), '--root', www];
  const all = catalog('http-server', root);
  const python = all.find((i) => i.kind === 'solution' && i.name === 'python')!;
  const t0 = performance.now();
  const reference = new Map<string, Observation[][]>();
  try {
    const ref = await startProgram('reference', python.dir, runCommand(python.dir), args);
    try {
      if (ref.neverReady || !ref.alive) throw new Error(`the reference solution did not start: ${ref.stderrTail()}`);
      // Features are independent (a connection each, no state): they may run at once on the reference.
      await Promise.all(
        [...scripts].map(async ([test, list]) => {
          const obs: Observation[][] = [];
          for (const s of list) {
            const r = await runScript(s, { port: ref.port, bodyName });
            const bad = r.observations.find((o) => /^(no response|refused$|incomplete|closed after|not HTTP|stray|\d+ with \d+ of)/.test(o.got));
            if (bad) throw new Error(`the reference gave "${bad.got}" at ${bad.what} in ${test}: the script is wrong`);
            obs.push(r.observations);
          }
          reference.set(test, obs);
        }),
      );
    } finally {
      await ref.stop();
    }
    const t1 = performance.now();
    log(`the reference answered ${[...scripts.values()].flat().length} scripts in ${Math.round(t1 - t0)} ms`);

    const control = all.find((i) => i.kind === 'solution' && i.name === 'typescript');
    const scenarios = all.filter((i) => i.kind === 'scenario' && (opts.only?.(i) ?? true));
    if (control) await buildFirst(control.dir);
    const programs = [...(control ? [control] : []), ...scenarios];
    const judged = await pool(programs, 4, async (item) => {
      const p = await startProgram(item.name, item.dir, runCommand(item.dir), args);
      try {
        return { item, differs: await judgeProgram(p, scripts, reference, bodyName) } as ItemVerdicts;
      } finally {
        await p.stop();
      }
    });
    const t2 = performance.now();
    log(`${programs.length} programs judged by the oracle in ${Math.round(t2 - t1)} ms`);
    const controlDiffers = control ? judged[0].differs : {};
    const items = control ? judged.slice(1) : judged;
    if (opts.grade === false) return { seed: opts.seed, items, disagreements: [], control: controlDiffers, ms: { reference: Math.round(t1 - t0), programs: Math.round(t2 - t1), grading: 0 } };
    await pool(items, opts.jobs ?? 2, async (v) => {
      const r = await grade({ dir: v.item.dir, official: true, only: JUDGED, readOnly: v.item.shared, allowForbidden: v.item.kind === 'counterpart', seed: `oracle${opts.seed}` });
      v.failed = failedIds(r);
    });
    const t3 = performance.now();
    log(`${items.length} scenarios graded on ${JUDGED.length} tests in ${Math.round(t3 - t2)} ms`);

    const disagreements: Disagreement[] = [];
    for (const v of items)
      for (const test of JUDGED) {
        const d = v.differs[test];
        const differs = d !== undefined;
        const graded = v.failed!.includes(test);
        const declared = v.item.expectFailures!.includes(test);
        if (differs !== graded || differs !== declared)
          disagreements.push({
            program: v.item.name,
            test,
            oracle: d ? `differs from the reference: script ${d.script}, ${d.step}: reference ${d.reference}, program ${d.program}` : 'never differs from the reference',
            ...(differs !== graded ? { graded: graded ? 'fails' : 'passes' } : {}),
            ...(differs !== declared ? { declared: declared ? 'fails' : 'passes' } : {}),
          });
      }
    return { seed: opts.seed, items, disagreements, control: controlDiffers, ms: { reference: Math.round(t1 - t0), programs: Math.round(t2 - t1), grading: Math.round(t3 - t2) } };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
