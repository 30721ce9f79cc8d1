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
 * a new disagreement fails and a fixed one must be removed here. Found at commit aa509d4, seed 14.
 */
const CR_LF_NAMES = 'the scenarios\' shared _base echoes an unknown command\'s name unscrubbed, so a name holding "\\r\\n" breaks the reply stream (the handout: scrub it); unknown-command at aa509d4 never sends such a name';
const KNOWN: Record<string, string> = {
  'closes-after-each-reply / pipelined-1000':
    'the 1,000 replies are right; the test then fails on its sentinel ECHO after the batch because the connection was closed, which is ping-many\'s bug charged again',
  'simple-string-for-bulk / malformed-protocol': 'the test\'s "others still served" check uses ECHO (a bulk reply), charging set-get/echo\'s bug again (issue 14 item 3)',
  ...Object.fromEntries(
    ['blocks-per-command', 'case-sensitive-commands', 'corrupts-binary', 'crashes-on-reset', 'empty-string-for-nil', 'ignores-expiry', 'ignores-extra-arguments', 'lenient-set-options', 'loses-replies-on-half-close', 'one-client-at-a-time', 'one-recv-one-command'].map((p) => [`${p} / unknown-command`, CR_LF_NAMES]),
  ),
};

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
