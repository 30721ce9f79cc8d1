// Fairness: every reference solution scores full marks; every starter starts cleanly and
// scores low, so a student's first failures are about the protocol. Each program is judged by
// `sockgrade validate`'s own judge (grader/validate), plus this project's stricter starter policy.
import { expect, test } from 'vitest';
import type { Results } from '../../grader/results/schema.js';
import { validateItem } from '../../grader/validate/validate.js';
import { describeByWeight, gradeSlot, gradeTimeout, isHeavy, phaseHere, solutions, starters } from './catalog.js';

function solutionTest(s: (typeof solutions)[number]) {
  test(`${s.assignment} / ${s.lang}`, async () => {
    const r = await gradeSlot(s.assignment, () => validateItem(s));
    expect(r.problems.join('\n\n')).toBe('');
    expect(r.score?.percent).toBe(100);
  }, gradeTimeout(s.assignment));
}

// Heavy assignments (clusters of peers) are graded one at a time, the rest concurrently.
describeByWeight(solutions, { light: 'reference solutions: full marks', heavy: 'reference solutions of heavy assignments: full marks' }, solutionTest);

/** This course's policy for its starters, beyond validate's (builds, starts, below full marks). */
function starterPolicy(_: unknown, r: Results): string[] {
  const problems: string[] = [];
  if (r.score.percent >= 35) problems.push(`scores ${r.score.percent}%: a starter leaves most of the work to do (< 35%)`);
  // The socket code works: the first tests pass, so the failures are about the protocol.
  if (r.program.role === 'server' && r.counts.passed === 0) problems.push('passes no test: the server starter should get the socket setup right');
  // A peer's first test is its way into the protocol (gossip-peer: listening and client requests; bittorrent-peer: the announce).
  if (r.program.role === 'peers' && r.groups[0].tests[0]?.status !== 'passed') problems.push(`its first test (${r.groups[0].tests[0]?.id}) should pass: the starter gets the set-up right`);
  return problems;
}

/**
 * A peers starter's grade is mostly failing tests waiting out their convergence bounds (~65 s
 * each); the suite grades its first 30 s (the client API and the first spreads), the rest is
 * skipped and scores 0. `sockgrade validate` grades them whole.
 */
const PEERS_STARTER_BUDGET_MS = 30_000;

function starterTest(s: (typeof starters)[number]) {
  test(`${s.assignment} / ${s.lang}`, async () => {
    const r = await gradeSlot(s.assignment, () => validateItem(s, { extraJudge: starterPolicy, ...(isHeavy(s.assignment) ? { budgetMs: PEERS_STARTER_BUDGET_MS, aloneVsFull: false } : phaseHere(s.assignment) !== 'light' ? { aloneVsFull: false } : {}) }));
    expect(r.problems.join('\n\n')).toBe('');
  }, gradeTimeout(s.assignment));
}

describeByWeight(starters, { light: 'starters: start cleanly, score low', heavy: 'starters of heavy assignments: start cleanly, score low' }, starterTest);

