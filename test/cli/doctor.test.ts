// `sockgrade doctor` tells what this machine offers, and agrees with what a batch would use.
import { execFile } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { detectIsolation } from '../../grader/run/netns.js';
import { at } from '../helpers.js';

function doctor(): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [at('bin', 'sockgrade.js'), 'doctor'], { env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    ),
  );
}

describe('sockgrade doctor', () => {
  test('reports Node, the batch isolation this machine gives, the sandbox state and the interpreters', async () => {
    const [r, iso] = await Promise.all([doctor(), detectIsolation('auto')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ Node.js ${process.version}`);
    expect(r.stdout).toContain(`network namespace per grade: ${iso.kind}`);
    if (iso.kind === 'none') expect(r.stdout).toContain('apt install bubblewrap');
    // This machine (and CI) has bubblewrap: the sandbox is on, with its limits spelled out.
    expect(r.stdout).toMatch(/✓ sandbox for student programs: bubblewrap/);
    expect(r.stdout).toMatch(/512 MiB of memory per process/);
    expect(r.stdout).toMatch(/[✓!] python3: /);
    expect(r.stdout).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
