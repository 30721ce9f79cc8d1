// Fairness: every reference solution scores full marks; every real counterpart (redis-server,
// dig) passes everything except its documented limitations; every starter starts cleanly and
// scores low, so a student's first failures are about the protocol.
import { describe, expect, test } from 'vitest';
import { grade } from '../../grader/grade/grade.js';
import { allTests, failedIds } from '../helpers.js';
import { counterparts, describeByWeight, gradeTimeout, solutions, starters, testIds } from './catalog.js';

const notPassed = (r: Awaited<ReturnType<typeof grade>>) =>
  allTests(r)
    .filter((t) => t.status !== 'passed')
    .map((t) => `${t.id}: ${t.status}: ${t.message}`);

function solutionTest(s: (typeof solutions)[number]) {
  test(`${s.assignment} / ${s.lang}`, async () => {
    const r = await grade({ dir: s.dir, official: true });
    expect(notPassed(r)).toEqual([]);
    expect(r.score.percent).toBe(100);
    // A server solution never had to be restarted.
    if (r.program.role === 'server') expect(r.program.starts).toHaveLength(1);
    // No peer ever died by itself.
    if (r.program.role === 'peers') expect(r.program.starts.filter((p) => p.exit && !p.exit.stoppedByGrader)).toEqual([]);
  }, gradeTimeout(s.assignment));
}

// Heavy assignments (clusters of peers) are graded one at a time, the rest concurrently.
describeByWeight(solutions, { light: 'reference solutions: full marks', heavy: 'reference solutions of peers assignments: full marks' }, solutionTest);

if (counterparts.length) describe.concurrent('real counterparts: everything but their documented limitations', () => {
  for (const c of counterparts)
    test(`${c.name} (${c.assignment}) fails exactly: ${c.expectFailures.join(', ') || 'nothing'}`, async () => {
      for (const id of c.expectFailures) {
        expect(testIds(c.assignment)).toContain(id);
        expect(c.why[id], `expected.json must say why ${c.name} fails ${id}`).toBeTruthy();
      }
      const r = await grade({ dir: c.dir, official: true });
      // A missing program (not installed) would fail everything: say so plainly.
      expect(r.counts.error, `${c.name}: did it start? ${notPassed(r)[0] ?? ''}`).toBe(0);
      expect(failedIds(r)).toEqual([...c.expectFailures].sort());
    });
});

function starterTest(s: (typeof starters)[number]) {
  test(`${s.assignment} / ${s.lang}`, async () => {
    const r = await grade({ dir: s.dir, official: true });
    expect(r.build.status).not.toBe('failed');
    expect(allTests(r).filter((t) => t.status === 'error')).toEqual([]);
    // It leaves most of the work to do.
    expect(r.score.percent).toBeLessThan(35);
    if (r.program.role === 'server') {
      // The socket code works: the first test (PING) passes, so the failures are about the protocol.
      expect(r.counts.passed).toBeGreaterThan(0);
      expect(r.program.starts).toHaveLength(1);
      expect(r.program.starts[0].exit?.stoppedByGrader).toBe(true);
    } else if (r.program.role === 'peers') {
      // Listening and the client requests work (stage 1 passes); no peer ever crashed.
      expect(r.groups[0].tests.every((t) => t.status === 'passed')).toBe(true);
      expect(r.program.starts.filter((p) => p.exit && !p.exit.stoppedByGrader)).toEqual([]);
    } else {
      // A client starter exits by itself, every time, without a crash.
      expect(r.program.starts.every((p) => p.exit && !p.exit.stoppedByGrader && p.exit.signal === null)).toBe(true);
    }
  }, gradeTimeout(s.assignment));
}

describeByWeight(starters, { light: 'starters: start cleanly, score low', heavy: 'starters of peers assignments: start cleanly, score low' }, starterTest);
