// The engine against programs that misbehave: each is graded in bounded time, with a report
// that says what happened, and nothing of it is left running afterwards.
import { describe, expect, test } from 'vitest';
import { allTests, at, gradeTimed, recordedPids } from '../helpers.js';

const fixture = (name: string) => at('test', 'fixtures', 'engine', name);

function expectNothingLeft(pidDir: string, names: string[]) {
  const pids = recordedPids(pidDir);
  expect(pids.map((p) => p.name).sort()).toEqual([...names].sort());
  expect(pids.filter((p) => p.alive)).toEqual([]);
}

describe('engine: misbehaving programs', () => {
  test('a program that never listens: every test errors with the reason, within the startup deadline', async () => {
    const { results, ms, pidDir } = await gradeTimed(fixture('never-listens'), { only: ['basics'] });
    const tests = allTests(results);
    expect(tests.every((t) => t.status === 'error')).toBe(true);
    expect(tests[0].message).toMatch(/nothing listened on 127\.0\.0\.1:\d+ after 5 s/);
    expect(tests[0].message).toContain('starting up...'); // its stderr, quoted
    expect(tests[0].hint).toMatch(/--port/);
    expect(tests[1].message).toMatch(/did not start \(see test "ping"\)/);
    expect(results.score.earned).toBe(0);
    expect(ms).toBeLessThan(5000 + 4000);
    expectNothingLeft(pidDir, ['server']);
  });

  test('a program that exits at once: the exit code and stderr, without waiting for the deadline', async () => {
    const { results, ms } = await gradeTimed(at('test', 'scenarios', 'kv-server', 'exits-at-once'));
    const first = allTests(results)[0];
    expect(first.status).toBe('error');
    expect(first.message).toMatch(/exited with code 1 before listening/);
    expect(first.message).toMatch(/config file not found/);
    expect(ms).toBeLessThan(4000);
  });

  test('a program that crashes mid-test: that test fails naming the crash, confirmed on a fresh program', async () => {
    const { results, pidDir } = await gradeTimed(fixture('crashes-mid-test'), { only: ['ping-many', 'ping'] });
    const [ping, many] = allTests(results);
    expect(ping.status).toBe('passed');
    expect(many.status).toBe('failed');
    expect(many.message).toMatch(/exited with code 3 during this test/);
    expect(many.message).toContain('the third command broke me');
    // It had served "ping" first, so "ping-many" ran again on a fresh server, and failed there too.
    expect(many.firstRun).toMatchObject({ status: 'failed' });
    expect(results.program.starts.length).toBe(2);
    expect(results.program.starts[0].exit).toMatchObject({ code: 3, stoppedByGrader: false, duringTest: 'ping-many' });
    expect(results.program.starts[1]).toMatchObject({ startedForTest: 'ping-many', restart: { reason: 'rerun' } });
    expect(results.program.starts[1].exit).toMatchObject({ code: 3, stoppedByGrader: false, duringTest: 'ping-many' });
    expectNothingLeft(pidDir, ['server']);
  });

  test('a port another program took before the server could bind it: started again on another port, no test charged', async () => {
    const { results, pidDir } = await gradeTimed(fixture('port-taken'), { only: ['ping'] });
    const thief = recordedPids(pidDir).find((p) => p.name === 'thief');
    try {
      expect(allTests(results)[0].status).toBe('passed');
      const [first, second] = results.program.starts;
      expect(first.exit).toMatchObject({ code: 1, stoppedByGrader: false });
      expect(second).toMatchObject({ ready: true, restart: { reason: 'port-taken', detail: `port ${first.port} was taken by another program before yours could listen on it` } });
      expect(second.port).not.toBe(first.port);
    } finally {
      if (thief?.alive) process.kill(thief.pid, 'SIGKILL');
    }
  });

  test('a program that ignores SIGTERM is killed with SIGKILL, and the report says so', async () => {
    const { results, ms, pidDir } = await gradeTimed(fixture('ignores-sigterm'), { only: ['ping'] });
    expect(allTests(results)[0].status).toBe('passed');
    expect(results.program.starts[0].cleanup).toMatch(/did not exit within 2 s of SIGTERM and was killed with SIGKILL/);
    expect(ms).toBeLessThan(2000 + 3000);
    expectNothingLeft(pidDir, ['server']);
  });

  test('a program that floods stdout: output is capped head+tail and the drop is counted', async () => {
    const { results, pidDir } = await gradeTimed(fixture('floods-stdout'), { only: ['ping', 'ping-many'] });
    expect(allTests(results).map((t) => t.status)).toEqual(['passed', 'passed']);
    const out = results.program.stdout;
    expect(out.totalBytes).toBeGreaterThan(200 * 1024);
    expect(out.droppedBytes).toBe(out.totalBytes - Buffer.byteLength(out.head) - Buffer.byteLength(out.tail));
    expect(Buffer.byteLength(out.head) + Buffer.byteLength(out.tail)).toBeLessThanOrEqual(64 * 1024 + 8);
    expect(out.head.startsWith('line 0 ')).toBe(true);
    expectNothingLeft(pidDir, ['server']);
  });

  test('a child left running is stopped with its parent', async () => {
    const { pidDir } = await gradeTimed(fixture('leaves-child'), { only: ['ping'] });
    expectNothingLeft(pidDir, ['server', 'child']);
  });

  test('a daemon that escaped the process group (setsid) is found and killed, and the report says so', async () => {
    const { results, pidDir } = await gradeTimed(fixture('leaves-daemon'), { only: ['ping'] });
    expectNothingLeft(pidDir, ['server', 'daemon']);
    expect(results.notes.join('\n')).toMatch(/left 1 process\(es\) running outside its process group/);
  });

  test('a program that never answers: each test times out or fails on its own deadline; the run stays bounded', async () => {
    const { results, ms } = await gradeTimed(fixture('slow-forever'), { only: ['basics'] });
    const tests = allTests(results);
    expect(tests.map((t) => t.status)).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);
    expect(tests[0].message).toMatch(/received nothing within \d+ ms/);
    // Four tests, each bounded by its read deadline (2 s) plus slack.
    expect(ms).toBeLessThan(4 * 2000 + 3000);
  });

  test('when the run budget is used up, the rest is skipped with the reason, and the results say partial', async () => {
    // 6 s: room for the first test (deadline 3 s, fails after its 2 s read), not for all of basics.
    const { results, ms, pidDir } = await gradeTimed(fixture('slow-forever'), { only: ['basics', 'concurrency'], budgetMs: 6000 });
    const tests = allTests(results);
    expect(results.completeness).toBe('budget-exceeded');
    expect(tests).toHaveLength(7);
    const ran = tests.filter((t) => t.status === 'timeout');
    const skipped = tests.filter((t) => t.status === 'skipped');
    expect(ran.length).toBeGreaterThanOrEqual(1);
    expect(ran.length + skipped.length).toBe(7);
    expect(tests.indexOf(skipped[0])).toBe(ran.length); // a prefix ran, the rest was skipped
    expect(skipped[0].message).toMatch(/time budget for the whole run \(6 s\) was used up/);
    expect(ms).toBeLessThan(6000 + 3000);
    expectNothingLeft(pidDir, ['server']);
  });

  test('a build that fails: 0 points, tests not run, the compiler output kept', async () => {
    const { results } = await gradeTimed(fixture('build-fails'));
    expect(results.build.status).toBe('failed');
    expect(results.build.output.head).toMatch(/SyntaxError/);
    expect(allTests(results).every((t) => t.status === 'skipped' && /build failed/.test(t.message ?? ''))).toBe(true);
    expect(results.score.earned).toBe(0);
    expect(results.program.starts).toEqual([]);
  });

  test('an interrupt stops grading and still yields results for every test', async () => {
    const ac = new AbortController();
    // Interrupt while the second test is waiting for a reply that never comes.
    const pending = gradeTimed(fixture('slow-forever'), {
      only: ['basics'],
      interrupt: ac.signal,
      events: { onTestEnd: () => setTimeout(() => ac.abort(), 200) },
    });
    const { results, ms, pidDir } = await pending;
    expect(results.completeness).toBe('interrupted');
    const tests = allTests(results);
    expect(tests.map((t) => t.status)).toEqual(['timeout', 'skipped', 'skipped', 'skipped']);
    expect(tests[1].message).toMatch(/interrupted during this test/);
    expect(tests[2].message).toMatch(/not run: grading was interrupted/);
    expect(ms).toBeLessThan(2000 + 4000);
    expectNothingLeft(pidDir, ['server']);
  });
});

describe('engine: determinism', () => {
  test('the same seed replays the same conversation; another seed changes it', async () => {
    const sent = async (seed: string) => {
      const { results } = await gradeTimed(at('solutions', 'kv-server', 'python'), { seed, only: ['split-commands', 'binary-values'] });
      expect(results.seed).toBe(seed);
      return allTests(results).map((t) => t.transcript.filter((e) => e.kind === 'send').map((e) => e.data));
    };
    const a = await sent('5eed0001');
    expect(await sent('5eed0001')).toEqual(a);
    expect(await sent('5eed0002')).not.toEqual(a);
  });
});
