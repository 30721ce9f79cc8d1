// A sandbox's PID namespace ends with its first process, and the kernel gives its number to the
// next namespace it makes (seen on these machines: the lowest free number is reused). A run that
// has ended must never take the processes of a namespace that now carries its old number for
// its own: stopping a peer that had died killed a peer starting beside it, at random, under load.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { HeadTail } from '../../grader/run/output.js';
import { RunningProcess } from '../../grader/run/process.js';
import { namespaceAlive } from '../../grader/run/procfs.js';
import { confine } from '../../grader/run/sandbox.js';

const hasBwrap = fs.existsSync('/usr/bin/bwrap');

async function started(p: RunningProcess, out: HeadTail): Promise<void> {
  // The program says it is up once it runs (its namespace exists by then).
  while (!out.snapshot().head.includes('up') && p.running) await new Promise((r) => setTimeout(r, 10));
}

describe.runIf(hasBwrap && process.platform === 'linux')('PID namespaces are reused', () => {
  test('an ended run whose namespace number now names another run\'s finds none of its processes, and its stop leaves them running', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-nsreuse-'));
    const c = await confine({ dir, mode: 'on', PATH: process.env.PATH ?? '' });
    try {
      const outA = new HeadTail();
      const a = RunningProcess.start({ command: 'echo up; sleep 30', cwd: dir, env: { PATH: '/usr/bin:/bin' }, confinement: c, stdout: outA, stderr: outA });
      await started(a, outA);
      const nsA = a.sandboxNamespace();
      expect(nsA && namespaceAlive(nsA)).toBe(true);
      await a.stop();
      expect(namespaceAlive(nsA!)).toBe(false);

      const outB = new HeadTail();
      const b = RunningProcess.start({ command: 'echo up; sleep 30', cwd: dir, env: { PATH: '/usr/bin:/bin' }, confinement: c, stdout: outB, stderr: outB });
      await started(b, outB);
      const nsB = b.sandboxNamespace()!;
      // What the kernel does under churn, made certain: A's namespace number is now B's.
      nsA!.ns = nsB.ns;
      expect(a.survivors()).toEqual([]);
      await a.stop(200);
      expect(b.running).toBe(true);
      // Sharp: B itself finds its own processes by the same number.
      expect(b.survivors().length).toBeGreaterThan(0);
      await b.stop();
      expect(b.running).toBe(false);
    } finally {
      c.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
