// The build step: run the manifest's build command once, with its deadline, and say what the
// tests should do if it failed.
import fs from 'node:fs';
import path from 'node:path';
import type { BuildResult } from '../results/schema.js';
import { runCommand } from '../run/command.js';
import { HeadTail } from '../run/output.js';
import type { Confinement } from '../run/sandbox.js';

export interface BuildOutcome {
  build: BuildResult;
  /** Why no test can run, when the build failed. */
  failure?: { message: string; hint: string };
  /** A limit the build ran into, as a sentence. */
  limit?: string;
}

export async function runBuild(opts: { command?: string; dir: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal; confinement?: Confinement }): Promise<BuildOutcome> {
  if (!opts.command) return { build: { status: 'skipped', exitCode: null, durationMs: 0, output: new HeadTail().snapshot() } };
  const r = await runCommand({ command: opts.command, cwd: opts.dir, env: opts.env, timeoutMs: opts.timeoutMs, signal: opts.signal, confinement: opts.confinement });
  const build: BuildResult = {
    command: opts.command,
    status: r.timedOut ? 'timeout' : r.exitCode === 0 ? 'passed' : 'failed',
    exitCode: r.exitCode,
    durationMs: Math.round(r.durationMs),
    output: r.output.snapshot(),
  };
  const limit = r.limit;
  if (build.status === 'passed') return { build, ...(limit ? { limit } : {}) };
  // The usual cause for a TypeScript starter: the one-time `npm install` was skipped.
  const noInstall = fs.existsSync(path.join(opts.dir, 'package.json')) && !fs.existsSync(path.join(opts.dir, 'node_modules'));
  return {
    build,
    failure: {
      message:
        build.status === 'timeout'
          ? `not run: the build did not finish within ${opts.timeoutMs / 1000} s`
          : `not run: the build failed (exit code ${build.exitCode})${limit ? `: ${limit}` : ''}`,
      hint: noInstall
        ? 'This folder has a package.json but no node_modules: run `npm install` in it once, then grade again.'
        : 'Fix the build first: its output is in the report.',
    },
    ...(limit ? { limit } : {}),
  };
}
