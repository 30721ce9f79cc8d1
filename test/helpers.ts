// Shared helpers for the project's own tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { grade, type GradeOptions } from '../grader/grade/grade.js';
import type { Results, TestResult } from '../grader/results/schema.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const at = (...p: string[]) => path.join(repoRoot, ...p);

export function allTests(r: Results): TestResult[] {
  return r.groups.flatMap((g) => g.tests);
}

/** The ids of the tests that did not pass, sorted: validate's own judge (grader/validate/judge.ts). */
export { failedIds } from '../grader/validate/judge.js';

/**
 * Grade with a fresh pid folder for fixtures that record their pids, and time it. Unsandboxed
 * unless asked: the fixtures write their pids to a folder outside the submission, which the
 * sandbox rightly forbids (test/hostile proves the same lifecycle under the sandbox).
 */
export async function gradeTimed(dir: string, opts: Partial<GradeOptions> = {}): Promise<{ results: Results; ms: number; pidDir: string }> {
  const pidDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-pids-'));
  const before = process.env.SOCKGRADE_FIXTURE_DIR;
  process.env.SOCKGRADE_FIXTURE_DIR = pidDir;
  const t0 = performance.now();
  try {
    const results = await grade({ dir, sandbox: 'off', ...opts });
    return { results, ms: performance.now() - t0, pidDir };
  } finally {
    if (before === undefined) delete process.env.SOCKGRADE_FIXTURE_DIR;
    else process.env.SOCKGRADE_FIXTURE_DIR = before;
  }
}

/** The pids a fixture recorded, with whether each is still alive. */
export function recordedPids(pidDir: string): Array<{ name: string; pid: number; alive: boolean }> {
  return fs
    .readdirSync(pidDir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => {
      const pid = Number(fs.readFileSync(path.join(pidDir, f), 'utf8'));
      let alive = true;
      try {
        process.kill(pid, 0);
        // A zombie still answers kill(0); it is dead for our purposes.
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
        if (/\) Z /.test(stat)) alive = false;
      } catch {
        alive = false;
      }
      return { name: f.replace(/\.pid$/, ''), pid, alive };
    });
}
