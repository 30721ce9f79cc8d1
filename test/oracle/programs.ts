// Programs the differential oracles start themselves, outside the grader: the reference (a real
// redis-server, the reference solution) and the programs under judgement, each on a free loopback
// port in its own process group, so stopping one stops everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import getPort from 'get-port';

export interface Started {
  name: string;
  port: number;
  /** False once the process has exited (a crash is a fact the oracle observes, then restarts). */
  readonly alive: boolean;
  /** Never listened on its port within the deadline (e.g. it binds a fixed port): treated as "refused". */
  neverReady: boolean;
  stderrTail(): string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Can a TCP connection to the port be made right now? */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Start `command` (a shell command, as sockgrade.json's "run") with `args` in `cwd`, and wait
 * until its port accepts connections, it exits, or `readyMs` passes. Readiness is polled: there
 * is no event for "someone else's socket started listening".
 */
export async function startProgram(name: string, cwd: string, command: string, args: (port: number) => string[], readyMs = 5000): Promise<Started> {
  let child: ChildProcess | undefined;
  let exited = true;
  let tail = '';
  const port = await getPort({ host: '127.0.0.1' });
  const launch = async () => {
    const line = [command, ...args(port).map((a) => `'${a.replace(/'/g, `'\\''`)}'`)].join(' ');
    const c = spawn('/bin/sh', ['-c', `exec ${line}`], { cwd, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' } });
    child = c;
    exited = false;
    c.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString('utf8')).slice(-2000)));
    c.once('exit', () => (exited = true));
    const deadline = performance.now() + readyMs;
    while (!exited && performance.now() < deadline) {
      if (await accepts(port)) return;
      await delay(20);
    }
    self.neverReady = !exited;
  };
  const kill = async () => {
    const c = child;
    if (!c || exited) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await Promise.race([gone, delay(3000)]);
  };
  const self: Started = {
    name,
    port,
    get alive() {
      return !exited;
    },
    neverReady: false,
    stderrTail: () => tail,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: kill,
  };
  await launch();
  return self;
}

/** A catalog program's run command (its sockgrade.json "run"). */
export function runCommand(dir: string): string {
  return JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade.json'), 'utf8')).run;
}

/**
 * Build a program that has a build step (the TypeScript controls: a fresh clone has no dist/),
 * in place, as the grader builds it (its tsc and type roots on PATH). Throws if the build fails:
 * a control that cannot run would make every comparison meaningless.
 */
export async function buildFirst(dir: string): Promise<void> {
  const { build } = JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade.json'), 'utf8')) as { build?: string };
  if (!build) return;
  const { runBuild } = await import('../../grader/grade/build.js');
  const { toolsBin, wrappersBin, typescriptTools } = await import('../../grader/paths.js');
  const ts = typescriptTools();
  const env = {
    PATH: [wrappersBin, toolsBin, process.env.PATH ?? ''].join(path.delimiter),
    ...(ts ? { SOCKGRADE_TSC: ts.tsc, SOCKGRADE_TYPE_ROOTS: ts.typeRoots } : {}),
  };
  const r = await runBuild({ command: build, dir, env, timeoutMs: 120_000 });
  if (r.build.status !== 'passed') throw new Error(`building ${dir} (${build}) failed: ${r.build.output.tail || r.build.output.head}`);
}
