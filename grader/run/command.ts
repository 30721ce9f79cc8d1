// Runs a command to completion (the build step) with a deadline and captured output.
import { setTimeout as delay } from 'node:timers/promises';
import { HeadTail } from './output.js';
import { RunningProcess } from './process.js';

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  output: HeadTail;
}

export async function runCommand(opts: { command: string; cwd: string; env?: Record<string, string>; timeoutMs: number; signal?: AbortSignal }): Promise<CommandResult> {
  // stdout and stderr into one capture, as a terminal would show them.
  const output = new HeadTail();
  const proc = RunningProcess.start({ command: opts.command, cwd: opts.cwd, env: opts.env, stdout: output, stderr: output });
  const start = performance.now();
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const winner = await Promise.race([
    proc.exited.then(() => 'exited' as const),
    delay(opts.timeoutMs, 'timeout' as const, { signal: ac.signal }).catch(() => 'aborted' as const),
  ]);
  ac.abort();
  opts.signal?.removeEventListener('abort', onAbort);
  // Even a finished build may have left a background process behind.
  await proc.stop();
  return {
    exitCode: proc.exit?.code ?? null,
    signal: proc.exit?.signal ?? null,
    timedOut: winner === 'timeout',
    durationMs: performance.now() - start,
    output,
  };
}
