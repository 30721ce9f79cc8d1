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

async function runConfined(mode: SandboxMode, command: string, l = limits): Promise<{ end: string; kind: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-limits-'));
  dirs.push(dir);
  const c = await confine({ dir, limits: l, mode, PATH: process.env.PATH ?? '' });
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
  test('the default limits let a thread-per-client server start 200 threads (thread stacks count against the memory limit)', async () => {
    // At Linux's usual 8 MiB stacks, 512 MiB held about 60 threads: hundred-clients failed for the limit.
    const threads = `python3 -c 'import threading; e = threading.Event(); ts = [threading.Thread(target=e.wait) for _ in range(200)]; [t.start() for t in ts]; e.set(); [t.join() for t in ts]'`;
    expect((await runConfined(mode, threads, DEFAULT_LIMITS)).end).toBe('exited with code 0');
    expect((await runConfined(mode, threads, { ...DEFAULT_LIMITS, stackMiB: 8 })).end).not.toBe('exited with code 0');
  });
  test('a program within its limits ends plainly', async () => {
    const r = await runConfined(mode, 'echo fine');
    expect(r.end).toBe('exited with code 0');
    expect(r.kind).toBe(mode === 'on' ? 'bubblewrap' : 'none');
  });
});
