// Fairness from outside: every real counterpart (redis-server, dig, Python's http.server, aria2,
// ctorrent) passes everything except its documented limitations (its expected.json), judged by
// `sockgrade validate`'s own judge. A file of its own, so the two test workers share these grades
// with the reference solutions' (fairness.test.ts).
import { describe, expect, test } from 'vitest';
import { validateItem } from '../../grader/validate/validate.js';
import { counterparts, describeByWeight, gradeSlot, gradeTimeout, isHeavy, phaseHere } from './catalog.js';

type Counterpart = (typeof counterparts)[number];

function counterpartTest(c: Counterpart) {
  // One that cannot run in the sandbox (tftpd-hpa's in.tftpd serves only as root) is graded
  // outside it, as the grader's user: only a root grader can grade it at all.
  if (c.unsandboxed && process.getuid?.() !== 0) {
    test.skip(`${c.name} (${c.assignment}): graded only as root (${c.unsandboxed.split(':')[0]})`, () => undefined);
    return;
  }
  test(`${c.name} (${c.assignment}) fails exactly: ${c.expectFailures.join(', ') || 'nothing'}`, async () => {
    // A peers assignment's counterparts skip the alone-vs-full grade here, as its scenarios do
    // (scenario-check.ts): each of its tests starts a cluster of its own; `sockgrade validate`
    // does it, and the reference solutions do it in fairness.test.ts.
    const r = await gradeSlot(c.assignment, () => validateItem(c, { aloneVsFull: !isHeavy(c.assignment) }));
    expect(r.problems.join('\n\n')).toBe('');
  }, gradeTimeout(c.assignment));
}

// Light ones one at a time: dig's expected failures are timing verdicts, judged with the grader's
// own event-loop lag as an allowance; another grade in the same process lags the loop enough to
// let dig pass (seen twice in a light phase; one such block: the first fetch in a process
// compiles undici, ~60 ms of blocked loop on an idle machine, more under load). A real grade runs
// alone in its process (the CLI, a batch worker), so this is the suite's concern, not the grader's.
const light = counterparts.filter((c) => phaseHere(c.assignment) === 'light');
if (light.length) describe.sequential('real counterparts: everything but their documented limitations', () => light.forEach(counterpartTest));
// A phase with none (gossip-peer has no real counterpart): vitest fails a file without tests.
if (!counterparts.length) test.skip('no real counterparts are graded in this phase', () => undefined);
// Heavy ones as their phase grades them (a few at once for bittorrent-peer's).
describeByWeight(counterparts, { light: '', heavy: 'real counterparts of heavy assignments: everything but their documented limitations' }, counterpartTest, { light: false });
