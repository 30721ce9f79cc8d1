// `sockgrade doctor`: what this machine offers the grader — the isolation a batch will use,
// and the tools submissions and the project's tests need — each line with what to do about it.
import os from 'node:os';
import fs from 'node:fs';
import { execa } from 'execa';
import path from 'node:path';
import { detectIsolation } from '../run/netns.js';
import { confine } from '../run/sandbox.js';
import { packageVersion, typescriptTools } from '../paths.js';
import { colors } from './terminal.js';

interface Check {
  ok: boolean | 'info';
  what: string;
  detail: string;
}

async function version(cmd: string, args: string[], pick: RegExp = /(\d+\.\d+(\.\d+)?)/): Promise<string | undefined> {
  try {
    const r = await execa(cmd, args, { reject: false, timeout: 5000, stdin: 'ignore', all: true });
    if (r.exitCode !== 0 && !r.all) return undefined;
    return pick.exec(String(r.all ?? ''))?.[1] ?? (r.exitCode === 0 ? 'present' : undefined);
  } catch {
    return undefined;
  }
}

export async function doctorChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  const [major, minor] = process.versions.node.split('.').map(Number);
  checks.push({ ok: major > 20 || (major === 20 && minor >= 5), what: `Node.js ${process.version}`, detail: 'sockgrade needs Node.js 20.5 or newer' });
  checks.push({ ok: 'info', what: `${os.platform()} ${os.release()} ${os.arch()}, ${os.availableParallelism()} cores`, detail: `sockgrade ${packageVersion()}` });

  const iso = await detectIsolation('auto');
  checks.push({
    ok: iso.kind === 'none' ? false : true,
    what: `network namespace per grade: ${iso.kind === 'none' ? 'none' : iso.kind}`,
    detail:
      iso.kind === 'none'
        ? `${iso.description}. Install bubblewrap (Debian/Ubuntu: apt install bubblewrap) for a network namespace per grade.`
        : 'each grade (and each batch worker) gets a loopback of its own: the program reaches nothing else, and ports never collide',
  });
  // The sandbox exactly as a grade would set it up, tried on an empty folder.
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-doctor-'));
  try {
    const c = await confine({ dir: empty, PATH: process.env.PATH ?? '' });
    c.dispose();
    checks.push({ ok: c.kind === 'bubblewrap', what: `sandbox for student programs: ${c.kind === 'bubblewrap' ? 'bubblewrap' : 'none'}`, detail: c.description });
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
  const bwrap = await version('bwrap', ['--version']);
  checks.push({ ok: bwrap ? true : 'info', what: `bubblewrap: ${bwrap ?? 'not installed'}`, detail: bwrap ? 'bwrap is on PATH' : 'apt install bubblewrap (the preferred way to isolate grades)' });
  const procfs = fs.existsSync('/proc/self/environ') && fs.existsSync('/proc/net/tcp');
  checks.push({
    ok: procfs ? true : false,
    what: `/proc: ${procfs ? 'readable' : 'not available'}`,
    detail: procfs
      ? 'readiness is seen without connecting, and processes that leave their group (daemons) are found and stopped'
      : 'without /proc, readiness is probed by connecting, and a daemon that leaves its process group cannot be found after a grade',
  });

  const py = await version('python3', ['--version']);
  checks.push({ ok: py ? true : false, what: `python3: ${py ?? 'not found'}`, detail: py ? 'runs Python submissions' : 'Python submissions cannot run: install python3' });
  const ts = typescriptTools();
  checks.push({ ok: ts ? true : false, what: `TypeScript for submissions: ${ts ? 'available' : 'missing'}`, detail: ts ? 'submissions without node_modules build with the grader\'s tsc and @types/node' : 'run npm ci in the sockgrade folder' });
  for (const [cmd, args, why] of [
    ['redis-server', ['--version'], 'the real counterpart the project\'s tests grade on kv-server'],
    ['dig', ['-v'], 'the real counterpart the project\'s tests grade on dns-client'],
  ] as const) {
    const v = await version(cmd, [...args], /(\d+\.\d+\.\d+)/);
    checks.push({ ok: 'info', what: `${cmd}: ${v ?? 'not installed'}`, detail: `${why} (not needed for grading)` });
  }
  return checks;
}

export async function doctorCommand(): Promise<number> {
  const pc = colors();
  const checks = await doctorChecks();
  for (const c of checks) {
    const mark = c.ok === 'info' ? pc.dim('·') : c.ok ? pc.green('✓') : pc.yellow('!');
    process.stdout.write(`${mark} ${c.what}\n    ${pc.dim(c.detail)}\n`);
  }
  // Not a failure to lack isolation (the grader still works, and says so); only a Node too old is.
  return checks[0].ok ? 0 : 1;
}
