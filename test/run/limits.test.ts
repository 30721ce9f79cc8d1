// Each limit, hit on purpose by a real process, is named in plain words: inside the sandbox
// (bubblewrap, when installed) and without it (prlimit only). Small limits keep it quick.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS } from '../../grader/run/limits.js';
import { RunningProcess } from '../../grader/run/process.js';
import { confine, type SandboxMode } from '../../grader/run/sandbox.js';

const hasBwrap = fs.existsSync('/usr/bin/bwrap');
const limits = { ...DEFAULT_LIMITS, cpuSeconds: 1, memoryMiB: 64, fileSizeMiB: 1, outputMiB: 1 };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function runConfined(mode: SandboxMode, command: string): Promise<{ end: string; kind: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-limits-'));
  dirs.push(dir);
  const c = await confine({ dir, limits, mode, PATH: process.env.PATH ?? '' });
  try {
    const p = RunningProcess.start({ command, cwd: dir, env: { PATH: process.env.PATH ?? '' }, confinement: c });
    await Promise.race([p.exited, new Promise((r) => setTimeout(r, 20_000))]);
    await p.stop();
    return { end: p.describeEnd(), kind: c.kind };
  } finally {
    c.dispose();
  }
}

const modes: SandboxMode[] = hasBwrap ? ['on', 'off'] : ['off'];
describe.each(modes)('limits, sandbox %s', (mode) => {
  test('CPU time: killed by SIGXCPU, said in plain words', async () => {
    const r = await runConfined(mode, `python3 -c 'while True: pass'`);
    expect(r.end).toBe('was killed by SIGXCPU (it used more than 1 s of CPU time (the limit) and was stopped)');
  });
  test('file size: a C program (head) is killed by SIGXFSZ', async () => {
    const r = await runConfined(mode, 'head -c 2000000 /dev/zero > big.bin');
    expect(r.end).toMatch(/^(was killed by SIGXFSZ|exited with code \d+) \(it tried to write a file larger than 1 MiB \(the limit\) and was stopped\)$/);
  });
  test('memory: the allocation fails, and the runtime\'s message names it', async () => {
    const r = await runConfined(mode, `python3 -c 'x = bytes(200 * 1024 * 1024)'`);
    expect(r.end).toBe('exited with code 1 (it ran out of memory: a process may use at most 64 MiB (the limit), and an allocation beyond that failed)');
  });
  test('output: stopped once it printed more than the limit', async () => {
    const r = await runConfined(mode, 'cat /dev/zero');
    expect(r.end).toBe('was killed by SIGKILL (it printed more than 1 MiB on stdout and stderr (the limit) and was stopped)');
  });
  test('a command that is a compound shell statement runs (no "$@" appended without arguments)', async () => {
    const r = await runConfined(mode, 'for i in 1 2; do true; done');
    expect(r.end).toBe('exited with code 0');
  });
  test('a program within its limits ends plainly', async () => {
    const r = await runConfined(mode, 'echo fine');
    expect(r.end).toBe('exited with code 0');
    expect(r.kind).toBe(mode === 'on' ? 'bubblewrap' : 'none');
  });
});
