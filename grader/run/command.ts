// Runs a command to completion (the build step) with a deadline and captured output.
import { setTimeout as delay } from 'node:timers/promises';
import { HeadTail } from './output.js';
import { RunningProcess } from './process.js';
import type { Confinement } from './sandbox.js';

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  output: HeadTail;
  /** The limit it ran into, as a sentence. */
  limit?: string;
}

export async function runCommand(opts: { command: string; cwd: string; env?: Record<string, string>; timeoutMs: number; signal?: AbortSignal; confinement?: Confinement }): Promise<CommandResult> {
  // stdout and stderr into one capture, as a terminal would show them.
  const output = new HeadTail();
  const proc = RunningProcess.start({ command: opts.command, cwd: opts.cwd, env: opts.env, stdout: output, stderr: output, confinement: opts.confinement });
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
    ...(proc.limitHit() ? { limit: proc.limitHit() } : {}),
  };
}
