// The engine's peers role: many copies of one program, started by the tests with ids, ports and
// proxy addresses, SIGKILLed and restarted on the same port, every start recorded, nothing left
// running, and pictures of the run attached to each test.
import { describe, expect, test } from 'vitest';
import { processesOfRun } from '../../grader/run/procfs.js';
import { allTests, at, gradeTimed } from '../helpers.js';

const solution = at('solutions', 'gossip-peer', 'python');

describe('engine: peers', () => {
  test('a crash test: the peer is SIGKILLed and restarted with the same id and port; every start is in the results', async () => {
    const { results } = await gradeTimed(solution, { only: ['crash-catch-up'] });
    const [t] = allTests(results);
    expect(t.status, t.message).toBe('passed');
    expect(results.program.role).toBe('peers');
    const n3 = results.program.starts.filter((s) => s.peer === 'n3');
    expect(n3).toHaveLength(2);
    expect(n3[0].port).toBe(n3[1].port);
    expect(n3[0].exit).toMatchObject({ signal: 'SIGKILL', stoppedByGrader: true });
    expect(n3[0].cleanup).toMatch(/SIGKILL/);
    expect(n3[1].ready).toBe(true);
    // Five peers, one restart; every one stopped by the grader at the end.
    expect(results.program.starts).toHaveLength(6);
    expect(results.program.starts.every((s) => s.exit?.stoppedByGrader)).toBe(true);
    for (const s of results.program.starts) expect(s.command).toMatch(new RegExp(`--id ${s.peer} --port ${s.port} --peers '?127\\.0\\.0\\.1:\\d+`));
    // The output of each start is kept in its own section.
    const out = results.program.stdout.head + results.program.stdout.tail + results.program.stderr.head + results.program.stderr.tail;
    expect(out).toContain('[sockgrade] --- n3 (pid');
    // Nothing of any start is still running.
    for (const s of results.program.starts) expect(processesOfRun('SOCKGRADE_RUN=never-set', s.pid)?.length ?? 0).toBe(0);
    // Pictures: the topology (with the killed peer marked), the spread, and the sequence diagram with the crash.
    const kinds = t.figures.map((f) => f.kind).sort();
    expect(kinds).toEqual(['sequence', 'spread', 'topology']);
    const seq = t.figures.find((f) => f.kind === 'sequence');
    expect(seq?.kind === 'sequence' && seq.marks.map((m) => m.kind)).toEqual(expect.arrayContaining(['crash', 'restart', 'broadcast']));
    expect(seq?.kind === 'sequence' && seq.messages.length).toBeGreaterThan(0);
  });

  test('tests of a stage share one cluster; a grade with a shared cluster stops it at the end', async () => {
    const { results } = await gradeTimed(solution, { only: ['broadcast-read', 'read-each-once'] });
    expect(allTests(results).map((t) => t.status)).toEqual(['passed', 'passed']);
    expect(results.program.starts).toHaveLength(1);
    expect(results.program.starts[0].exit?.stoppedByGrader).toBe(true);
    expect(allTests(results)[1].log.join('\n')).toMatch(/the same 1 peers as the test before/);
  });
});
