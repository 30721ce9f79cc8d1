// Fairness: the reference solutions and the real redis-server score full marks; the starters
// start cleanly, listen, and score low.
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { allTests, at, gradeTimed } from '../helpers.js';

function notPassed(r: Awaited<ReturnType<typeof gradeTimed>>['results']) {
  return allTests(r)
    .filter((t) => t.status !== 'passed')
    .map((t) => `${t.id}: ${t.status}: ${t.message}`);
}

describe('kv-server: full marks for correct servers', () => {
  for (const lang of ['python', 'typescript']) {
    test(`the ${lang} reference solution`, async () => {
      const { results } = await gradeTimed(at('solutions', 'kv-server', lang));
      expect(notPassed(results)).toEqual([]);
      expect(results.score.percent).toBe(100);
      expect(results.program.starts).toHaveLength(1);
    });
  }

  test('the real redis-server (Debian package redis-server)', async () => {
    // Not skipped when missing: the fairness proof is part of the suite (.ci/run installs it).
    expect(() => execFileSync('redis-server', ['--version'])).not.toThrow();
    const { results } = await gradeTimed(at('test', 'counterparts', 'redis-server'));
    expect(notPassed(results)).toEqual([]);
    expect(results.score.percent).toBe(100);
  });
});

describe('kv-server: starters', () => {
  for (const lang of ['python', 'typescript']) {
    test(`the ${lang} starter builds, starts, listens, answers PING and scores low`, async () => {
      const { results } = await gradeTimed(at('starter', 'kv-server', lang));
      expect(results.build.status).not.toBe('failed');
      // It started once and never crashed: the failures are about the protocol, not the socket code.
      expect(results.program.starts).toHaveLength(1);
      expect(results.program.starts[0].ready).toBe(true);
      expect(results.program.starts[0].exit?.stoppedByGrader).toBe(true);
      const ping = allTests(results).find((t) => t.id === 'ping');
      expect(ping?.status).toBe('passed');
      expect(results.score.percent).toBeLessThan(35);
      expect(allTests(results).filter((t) => t.status === 'error')).toEqual([]);
    });
  }
});
