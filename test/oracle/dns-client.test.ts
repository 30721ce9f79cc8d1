// The dns-client differential oracle (issue 14, item 7): dig (test/counterparts/dig) and every
// dns-client program print the same random answers, served by the grader's scripted DNS server
// (dns-features.ts: only where dig's behaviour is the contract's). The reference solutions must
// print what dig prints (the oracle's fairness); for every scenario and judged test, the grader's
// verdict and the scenario's declaration must both agree with whether the scenario's output
// differs from dig's on the test's feature. SOCKGRADE_ORACLE_SEED replays other cases.
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { dnsOracle, type OracleReport } from './dns-oracle.js';

const SEED = Number(process.env.SOCKGRADE_ORACLE_SEED ?? 14);

function hasDig(): boolean {
  try {
    execFileSync('dig', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Disagreements found and reported (issue 14), each a real finding to fix in the tests or the
 * scenarios, not in the oracle: listed so the suite stays green meanwhile, and checked exactly, so
 * a new disagreement fails and a fixed one must be removed here.
 */
// At 34eb632 (seed 14) it found one: one-shot-exit-1 exits 1 when TCP fails too, which the grader
// and the oracle both charge to tc-fallback, but its scenario.json did not declare it (fixed in c317fbf).
const KNOWN: Record<string, string> = {};

function table(r: OracleReport): string {
  return r.disagreements
    .map((d) => `${d.program} / ${d.test}: oracle: ${d.oracle}${d.graded ? `; yet the grade ${d.graded}` : ''}${d.declared ? `; scenario.json says it ${d.declared}` : ''}`)
    .join('\n');
}

describe.skipIf(!hasDig())('dns-client: scenarios fail exactly the tests on whose features their output differs from dig\'s', () => {
  test(`seed ${SEED}`, async () => {
    const r = await dnsOracle({ seed: SEED, log: (s) => console.log(`oracle: ${s}`) });
    // The oracle's own fairness: the reference solutions print what dig prints.
    expect(r.control).toEqual(Object.fromEntries(Object.keys(r.control).map((k) => [k, {}])));
    if (r.disagreements.length) console.log(`oracle disagreements (seed ${SEED}):\n${table(r)}`);
    const found = r.disagreements.map((d) => `${d.program} / ${d.test}`);
    expect(table({ ...r, disagreements: r.disagreements.filter((d) => !KNOWN[`${d.program} / ${d.test}`]) })).toBe('');
    if (SEED === 14) expect(Object.keys(KNOWN).filter((k) => !found.includes(k))).toEqual([]);
  }, 300_000);
});
