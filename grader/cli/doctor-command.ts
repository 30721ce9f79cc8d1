// `sockgrade doctor`: what this machine offers the grader — the isolation a batch will use,
// and the tools submissions and the project's tests need — each line with what to do about it.
import os from 'node:os';
import fs from 'node:fs';
import { execa } from 'execa';
import path from 'node:path';
import { detectIsolation } from '../run/netns.js';
import { confine, type Confinement } from '../run/sandbox.js';
import { HeadTail } from '../run/output.js';
import { RunningProcess } from '../run/process.js';
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

/** What a sandboxed program cannot do here, each tried for real: see other processes, outlive its command; and what this machine does not offer. */
async function protections(c: Confinement): Promise<Check[]> {
  const out: Check[] = [];
  const seen = new HeadTail();
  // Its own shell's pid and how many processes it can see: a PID namespace of its own shows a handful.
  const p = RunningProcess.start({ command: 'echo "$$ $(ls /proc | grep -c "^[0-9]")"', cwd: c.workDir ?? os.tmpdir(), env: { PATH: '/usr/bin:/bin' }, confinement: c, stdout: seen, stderr: seen });
  await p.exited;
  await p.stop();
  const [pid, visible] = seen.snapshot().head.trim().split(/\s+/).map(Number);
  const ownNs = c.kind === 'bubblewrap' && pid > 0 && pid < 10 && visible < 10;
  out.push({
    ok: c.kind === 'bubblewrap' ? ownNs : 'info',
    what: `PID namespace per program: ${ownNs ? 'yes' : 'no'}`,
    detail: ownNs
      ? 'a program sees and can signal only its own processes (never the grader), and everything it started ends with its command, daemons included'
      : 'a program may see other processes; processes that leave their group are found by an environment marker only',
  });
  const root = process.getuid?.() === 0;
  out.push({
    ok: 'info',
    what: `user per grade: ${c.kind !== 'bubblewrap' ? 'yours (not sandboxed)' : root ? 'a uid of its own' : 'nobody in a user namespace'}`,
    detail: root ? 'every process of that uid is killed when the grade ends, and the process limit counts that grade alone' : 'the process limit counts every process of yours; run as root (a grading server) for a uid per grade',
  });
  const cgroup2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  out.push({
    ok: 'info',
    what: `cgroup v2: ${cgroup2 ? 'present' : 'not available'}`,
    detail: 'not used: memory, CPU and file limits are per process (rlimits); a program\'s processes together are bounded by the process limit',
  });
  out.push({
    ok: 'info',
    what: 'per-peer network namespaces: not used',
    detail: 'peers share the grade\'s loopback; a connection from one peer straight to another\'s own port (not through --peers), a UDP socket or a named unix socket of a peer is found in /proc and fails the test',
  });
  return out;
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
    try {
      checks.push({ ok: c.kind === 'bubblewrap', what: `sandbox for student programs: ${c.kind === 'bubblewrap' ? 'bubblewrap' : 'none'}`, detail: c.description });
      checks.push(...(await protections(c)));
    } finally {
      c.dispose();
    }
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
