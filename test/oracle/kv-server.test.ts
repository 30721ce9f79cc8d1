// The kv-server differential oracle (issue 14, item 7): for every kv-server scenario on disk and
// every test the oracle judges, the grader's verdict and the scenario's declaration must both agree
// with whether the program answers the test's feature (kv-features.ts) differently from a real
// redis-server. A disagreement means a test is not sharp (it passes a program that differs from
// redis on its own feature), a test charges another test's bug, or a scenario.json is wrong.
// SOCKGRADE_ORACLE_SEED replays other scripts; the default seed keeps the run reproducible.
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { kvOracle, type OracleReport } from './kv-oracle.js';

const SEED = Number(process.env.SOCKGRADE_ORACLE_SEED ?? 14);

function hasRedis(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Disagreements found and reported (issue 14), each a real finding to fix in the tests or the
 * scenarios, not in the oracle: listed so the suite stays green meanwhile, and checked exactly, so
 * a new disagreement fails and a fixed one must be removed here. Seed 14 at the commit that
 * brought the features in line with the tests' collateral-check policy: none. (The ones found at
 * aa509d4 are fixed: pipelined-1000's sentinel is now part of its feature, malformed-protocol's
 * survivor check uses PING, and the scenarios' _base scrubs an unknown command's name.) Pairs the
 * oracle cannot judge at all (a race, a timing) are in EXCLUDED in kv-features.ts, with why.
 */
const KNOWN: Record<string, string> = {};

function table(r: OracleReport): string {
  return r.disagreements
    .map((d) => `${d.program} / ${d.test}: oracle: ${d.oracle}${d.graded ? `; yet the grade ${d.graded}` : ''}${d.declared ? `; scenario.json says it ${d.declared}` : ''}`)
    .join('\n');
}

describe.skipIf(!hasRedis())('kv-server: scenarios fail exactly the tests on whose features they differ from redis-server', () => {
  test(`seed ${SEED}`, async () => {
    const r = await kvOracle({ seed: SEED, log: (s) => console.log(`oracle: ${s}`) });
    // The oracle's own fairness: the reference solution never differs from redis.
    expect(r.control).toEqual({});
    if (r.disagreements.length) console.log(`oracle disagreements (seed ${SEED}):\n${table(r)}`);
    const found = r.disagreements.map((d) => `${d.program} / ${d.test}`);
    // Any other disagreement is new: a test went blunt, or a scenario.json is wrong.
    expect(table({ ...r, disagreements: r.disagreements.filter((d) => !KNOWN[`${d.program} / ${d.test}`]) })).toBe('');
    // A known one that is gone was fixed: take it off the list.
    if (SEED === 14) expect(Object.keys(KNOWN).filter((k) => !found.includes(k))).toEqual([]);
  }, 300_000);
});
