// How the student's processes are confined. With bubblewrap (Linux), every build and run of the
// program sees: the system read-only (/usr, /etc, /opt), the language runtimes its PATH names
// read-only, the grader's TypeScript tools read-only, a scratch copy of the submission at the
// submission's own path (the only writable place besides a private /tmp), and nothing else: no
// home folder, no hidden tests or solutions, no other submission, no report being written. It
// runs as an unprivileged user with no capabilities, in the grader's network namespace (the CLI
// gives each grade one of its own, with only a loopback) and under the kernel limits of
// limits.ts. Without bubblewrap the program runs in the submission folder itself under the
// limits that can be set there, and the report says the run was not sandboxed.
import { execa } from 'execa';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { packageRoot, typescriptTools } from '../paths.js';
import { processesOfUid } from './procfs.js';
import { copyTree, listSubmission, type SubmissionTree } from './submission-tree.js';
import { DEFAULT_LIMITS, prlimitArgs, ulimitPrefix, type ProgramLimits } from './limits.js';

export type SandboxMode = 'auto' | 'on' | 'off';

/** What RunningProcess spawns for one shell command line. */
export interface SpawnPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Whether the grader's own environment is passed on (never into the sandbox: it may hold tokens). */
  extendEnv: boolean;
}

export interface Confinement {
  kind: 'bubblewrap' | 'none';
  /** One line for the report and the terminal. */
  description: string;
  limits: ProgramLimits;
  /** Where the program's files really are while it runs (the scratch copy), when not the submission folder. */
  workDir?: string;
  /** The argv that runs `sh -c "<command> \"$@\""` with `args`, confined. */
  plan(command: string, args: string[], env: Record<string, string>): SpawnPlan;
  /**
   * The same confinement with the submission's folder read-only (each process keeps its private
   * /tmp): copies of one program that must talk only over the network (peers) share no writable
   * folder to talk through.
   */
  readOnlyFolder(): Confinement;
  /**
   * The read-only view, plus `dir` (a folder the grader made, outside the submission) readable
   * and writable at its own path: one peer's files (what it is given, what it downloads), shown
   * to that peer alone. The folder is handed to the sandbox's user.
   */
  withFolder(dir: string): Confinement;
  /** Removes the scratch copy. */
  dispose(): void;
}

export interface ConfineOptions {
  /** The submission folder (absolute). */
  dir: string;
  limits?: ProgramLimits;
  mode?: SandboxMode;
  /** The program's PATH: the runtimes on it are made visible inside. */
  PATH: string;
  /** Folders the program must not see, even as ancestors of a runtime: the class folder (other submissions), the report folder. */
  private?: string[];
  /** Folders the program may read besides its own: course code it imports (also from SOCKGRADE_SANDBOX_READONLY, colon-separated). */
  readOnly?: string[];
  /** What of the submission to copy (listed once by the grade, within its limits); all of it when omitted. */
  tree?: SubmissionTree;
  /** Files the program must not find (an assignment's forbidden programs): each covered with a stand-in. */
  hide?: Array<{ file: string; with: string }>;
}

const SYSTEM_DIRS = ['/usr', '/etc', '/opt'];
const ROOT_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const PASSED_ENV = /^(LANG|LANGUAGE|LC_[A-Z]+|TZ|TERM|PYENV_VERSION|JAVA_HOME)$/;
const TMP_SIZE = 256 * 1024 * 1024;
/**
 * Run as root, each grade's programs run as a user of their own, picked at random from a range
 * no account uses: the kernel counts the process limit per user, so a fork bomb in one grade
 * cannot starve a grade running beside it. SOCKGRADE_SANDBOX_UID fixes it.
 */
export const SANDBOX_UID_VAR = 'SOCKGRADE_SANDBOX_UID';
const UID_RANGE = { from: 200_000, count: 100_000 };
/** More folders a program may read, for a course whose programs share a library (colon-separated absolute paths). */
export const SANDBOX_READONLY_VAR = 'SOCKGRADE_SANDBOX_READONLY';

const KEYWORDS = new Set(['if', 'while', 'until', 'for', 'case', '{', '!', 'exec', 'time', 'function', 'select']);
/**
 * A plain command ("python3 server.py", "./server") is exec'd, so the program itself is the
 * sandbox's first process, not a shell around it: the shell would die of SIGTERM, and its end
 * ends the PID namespace, killing a program that was still shutting down.
 */
export function isSimpleCommand(command: string): boolean {
  const first = command.trim().split(/\s+/)[0] ?? '';
  return !/[;&|<>()`$\n\\]/.test(command) && !first.includes('=') && !KEYWORDS.has(first);
}

// "$@" only when there are arguments: after a compound command ("while …; done") it is a syntax error.
const shellLine = (command: string, args: readonly string[]) => `${isSimpleCommand(command) ? 'exec ' : ''}${command}${args.length ? ' "$@"' : ''}`;

function exists(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

const inside = (p: string, root: string) => p === root || p.startsWith(root.endsWith('/') ? root : root + '/');

/** What a runtime folder may never be, or be inside of, or around. */
export interface Hidden {
  /** Private folders (the grader's package, the class folder, the report folder): never shown, nor anything around them. */
  within: string[];
  /** Home folders: never shown themselves, nor their first level (~/.local, ~/.ssh, ~/bin's parent); deeper installations (~/.nvm/versions/node/v20…) may be. */
  homes: string[];
  /** The submission: PATH folders inside it (its node_modules/.bin) and whatever their links point to are the student's choice, never the grader's. */
  submission: string[];
}

/**
 * Folders to show read-only so that the commands on PATH work: for each PATH folder outside the
 * system, its installation prefix (…/bin → …), and the prefix of whatever its links point to
 * (a pyenv or nvm interpreter linked from a folder of shims). Only the grader's own PATH counts:
 * a folder inside the submission is skipped with its links, so a link in the submission's
 * node_modules/.bin cannot widen the sandbox. Never a folder inside or around a private one,
 * never a home folder or a folder directly in one (only an installation deeper down), never `/`.
 */
export function runtimeDirs(PATH: string, hidden: Hidden): string[] {
  const out = new Set<string>();
  const homeDepth = (p: string) => {
    const h = hidden.homes.filter((r) => inside(p, r)).sort((a, b) => b.length - a.length)[0];
    return h === undefined ? undefined : p === h ? 0 : path.relative(h, p).split(path.sep).length;
  };
  // A folder directly in a home (~/.local, ~/.cargo) may hold secrets beside its bin folder
  // (~/.cargo/credentials.toml); a version manager's folder (~/.pyenv, ~/.nvm: it keeps its
  // installations in versions/) is shown whole, because its shims need the rest of it.
  const versionManager = (p: string) => path.basename(p).startsWith('.') && !!exists(path.join(p, 'versions'))?.isDirectory();
  const unsafe = (p: string) => {
    if (p === '/' || p === '/home' || hidden.within.some((r) => inside(r, p) || inside(p, r))) return true;
    if (hidden.submission.some((r) => inside(r, p) || inside(p, r))) return true;
    if (hidden.homes.some((h) => inside(h, p) && h !== p)) return true;
    const depth = homeDepth(p);
    return depth === 0 || (depth === 1 && !versionManager(p));
  };
  const system = (p: string) => SYSTEM_DIRS.some((s) => inside(p, s)) || ROOT_LINKS.some((s) => inside(p, s));
  const add = (binDir: string) => {
    if (system(binDir)) return;
    const base = path.basename(binDir);
    const prefix = ['bin', 'sbin', 'shims'].includes(base) ? path.dirname(binDir) : binDir;
    const pick = !unsafe(prefix) ? prefix : !unsafe(binDir) ? binDir : undefined;
    if (pick) out.add(pick);
  };
  for (const entry of PATH.split(path.delimiter)) {
    if (!path.isAbsolute(entry)) continue;
    let real: string;
    try {
      real = fs.realpathSync(entry);
    } catch {
      continue;
    }
    if (inside(real, packageRoot)) continue;
    if (hidden.submission.some((r) => inside(real, r) || inside(path.resolve(entry), r))) continue;
    add(real);
    let names: string[] = [];
    try {
      names = fs.readdirSync(real).slice(0, 1000);
    } catch {
      /* unreadable: its prefix is enough */
    }
    for (const name of names) {
      const full = path.join(real, name);
      if (!exists(full)?.isSymbolicLink()) continue;
      try {
        add(path.dirname(fs.realpathSync(full)));
      } catch {
        /* a dangling link */
      }
    }
  }
  // Drop folders inside another one shown.
  const sorted = [...out].sort();
  return sorted.filter((p) => !sorted.some((q) => q !== p && inside(p, q)));
}

/** Home folders on this machine: the grader's own, /root, every one /etc/passwd names, every folder in /home. */
function homeFolders(): string[] {
  const homes = new Set<string>([os.homedir(), '/root']);
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const home = line.split(':')[5];
      if (home && (inside(home, '/home') || inside(home, '/root'))) homes.add(home);
    }
  } catch {
    /* no passwd */
  }
  try {
    for (const name of fs.readdirSync('/home')) homes.add(path.join('/home', name));
  } catch {
    /* no /home */
  }
  return [...homes].filter((h) => path.isAbsolute(h) && h !== '/' && h !== '/home');
}

/** The grader's own files a program may use: its TypeScript compiler, type definitions and wrappers. Nothing else of the package. */
function graderToolDirs(): string[] {
  const dirs = [path.join(packageRoot, 'node_modules'), path.join(packageRoot, 'bin', 'tools')];
  const ts = typescriptTools();
  if (ts) dirs.push(path.dirname(path.dirname(ts.tsc)), ts.typeRoots);
  return [...new Set(dirs.filter((d) => exists(d)?.isDirectory()))];
}

/**
 * Copies the listed submission into a fresh folder (no .git, no report folder; node_modules is
 * shown read-only instead of copied), registered for removal before the first byte is copied.
 */
function scratchCopy(dir: string, tree: SubmissionTree, uid: number | undefined): string {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-scratch-'));
  scratches.add(scratch);
  try {
    copyTree(tree, dir, scratch);
    if (fs.existsSync(path.join(dir, 'node_modules'))) fs.mkdirSync(path.join(scratch, 'node_modules'));
    if (uid !== undefined) chownTree(scratch, uid);
  } catch (e) {
    fs.rmSync(scratch, { recursive: true, force: true });
    scratches.delete(scratch);
    throw e;
  }
  return scratch;
}

function chownTree(p: string, uid: number): void {
  fs.lchownSync(p, uid, uid);
  if (!fs.lstatSync(p).isDirectory()) return;
  for (const name of fs.readdirSync(p)) chownTree(path.join(p, name), uid);
}

function bwrapArgs(o: { dir: string; scratch: string; readOnly?: boolean; writable?: string; uid: number; root: boolean; limits: ProgramLimits; runtimes: string[]; hide: string[]; cover: Array<{ file: string; with: string }> }): string[] {
  // A PID namespace of its own: the program sees only its own processes (it cannot signal the
  // grader, even where its user maps to the grader's), and when the command ends, the kernel
  // ends every process it left behind, daemons included.
  const a = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent'];
  // As root, bubblewrap runs without a user namespace; setpriv then drops to an ordinary uid
  // (a user namespace would map the sandbox's user back to root, owner of every root file).
  if (o.root) a.push('--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP');
  else a.push('--unshare-user', '--uid', '65534', '--gid', '65534');
  for (const d of SYSTEM_DIRS) if (exists(d)?.isDirectory()) a.push('--ro-bind', d, d);
  for (const l of ROOT_LINKS) {
    const st = exists(l);
    if (st?.isSymbolicLink()) a.push('--symlink', fs.readlinkSync(l), l);
    else if (st?.isDirectory()) a.push('--ro-bind', l, l);
  }
  a.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--size', String(TMP_SIZE), '--tmpfs', '/tmp');
  // Private folders that the read-only system would show (a grader installed globally under
  // /usr/lib/node_modules, a class folder under /opt) are covered with an empty folder; what
  // the program may use of the grader is shown again below.
  for (const h of o.hide) if (SYSTEM_DIRS.some((d) => inside(h, d)) || ROOT_LINKS.some((d) => inside(h, d))) a.push('--tmpfs', h);
  // Parents of what is shown are created world-readable (bubblewrap would copy the mode of
  // the real parent: /root is 0700).
  const made = new Set<string>(['/', '/tmp', ...SYSTEM_DIRS]);
  const parents = (p: string) => {
    const chain: string[] = [];
    for (let d = path.dirname(p); !made.has(d); d = path.dirname(d)) chain.unshift(d);
    for (const d of chain) {
      a.push('--perms', '0755', '--dir', d);
      made.add(d);
    }
  };
  const shown = [...o.runtimes].sort((x, y) => x.split('/').length - y.split('/').length);
  for (const r of shown) {
    if (inside(o.dir, r) || inside(r, o.dir)) continue;
    parents(r);
    a.push('--ro-bind', r, r);
    made.add(r);
  }
  parents(o.dir);
  a.push(o.readOnly ? '--ro-bind' : '--bind', o.scratch, o.dir);
  const modules = path.join(o.dir, 'node_modules');
  if (exists(modules)?.isDirectory()) a.push('--ro-bind', modules, modules);
  if (o.writable) {
    parents(o.writable);
    a.push('--bind', o.writable, o.writable);
  }
  // Last, over whatever shows them: a stand-in where a forbidden program was.
  for (const c of o.cover) a.push('--ro-bind', c.with, c.file);
  a.push('--chdir', o.dir, '--');
  if (o.root) a.push('setpriv', `--reuid=${o.uid}`, `--regid=${o.uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--');
  a.push('prlimit', ...prlimitArgs(o.limits), '--');
  return a;
}

/** The files to cover that the sandbox shows at all (a bind needs its target to exist inside), by their real paths. */
function coverable(files: Array<{ file: string; with: string }>, runtimes: string[]): Array<{ file: string; with: string }> {
  const out = new Map<string, string>();
  for (const f of files) {
    let real: string;
    try {
      real = fs.realpathSync(f.file);
    } catch {
      continue;
    }
    if (!fs.statSync(real).isFile()) continue;
    const shown = SYSTEM_DIRS.some((d) => inside(real, d)) || runtimes.some((r) => inside(real, r));
    if (shown && !out.has(real)) out.set(real, f.with);
  }
  return [...out].map(([file, w]) => ({ file, with: w }));
}

/** Kills every process whose user is `uid`, until none is left (a fork bomb keeps making more for a moment). */
function sweepUid(uid: number): void {
  for (let round = 0; round < 50; round++) {
    const pids = processesOfUid(uid);
    if (!pids.length) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

// Scratch copies still in use: removed however the grader ends (an exception, process.exit, Ctrl-C twice).
const scratches = new Set<string>();
process.once('exit', () => {
  for (const s of scratches) fs.rmSync(s, { recursive: true, force: true });
});

let bwrapWorks: Map<string, string | true> | undefined;

/** Runs `true` under exactly these arguments: bubblewrap may be installed but forbidden (no user namespaces). */
async function probe(args: string[]): Promise<string | true> {
  bwrapWorks ??= new Map();
  const key = args.join('\0');
  const known = bwrapWorks.get(key);
  if (known !== undefined) return known;
  let verdict: string | true;
  try {
    const r = await execa('bwrap', [...args, '/bin/sh', '-c', 'true'], { reject: false, timeout: 10_000, stdin: 'ignore', extendEnv: false, env: { PATH: '/usr/bin:/bin' } });
    verdict = r.exitCode === 0 ? true : String(r.stderr || r.stdout || `exit code ${r.exitCode}`).split('\n')[0];
  } catch (e) {
    verdict = (e as Error).message.split('\n')[0];
  }
  bwrapWorks.set(key, verdict);
  return verdict;
}

function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Sets up confinement for one submission's programs (the scratch copy is made here). */
export async function confine(opts: ConfineOptions): Promise<Confinement> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const mode = opts.mode ?? 'auto';
  let whyNot = mode === 'off' ? 'the sandbox was turned off (--sandbox off)' : '';
  if (!whyNot && process.platform !== 'linux') whyNot = `bubblewrap needs Linux (this is ${process.platform})`;
  if (!whyNot && !hasCommand('bwrap')) whyNot = 'bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap)';
  if (!whyNot) {
    const root = process.getuid?.() === 0;
    const fixedUid = Number(process.env[SANDBOX_UID_VAR]);
    const uid = fixedUid || UID_RANGE.from + randomInt(UID_RANGE.count);
    // A fixed uid may be shared by grades running at once: only a uid of this grade's own is swept.
    const ownUid = !fixedUid;
    const hidden: Hidden = {
      within: [packageRoot, ...(opts.private ?? [])].map((p) => path.resolve(p)),
      homes: homeFolders(),
      submission: [...new Set([path.resolve(opts.dir), fs.realpathSync(opts.dir)])],
    };
    const shared = [...(opts.readOnly ?? []), ...(process.env[SANDBOX_READONLY_VAR] ?? '').split(path.delimiter)].filter((d) => path.isAbsolute(d) && exists(d));
    const runtimes = [...runtimeDirs(opts.PATH, hidden), ...graderToolDirs(), ...shared];
    const scratch = scratchCopy(opts.dir, opts.tree ?? listSubmission(opts.dir, { bytes: Infinity, entries: Infinity }), root ? uid : undefined);
    // At the folder's real path: a submission reached through a link sees the same `..` as it would unsandboxed.
    const setup = { dir: fs.realpathSync(opts.dir), scratch, uid, root, limits, runtimes, hide: hidden.within.filter((d) => exists(d)).map((d) => fs.realpathSync(d)), cover: coverable(opts.hide ?? [], runtimes) };
    const fixed = bwrapArgs(setup);
    const verdict = await probe(fixed);
    if (verdict === true) {
      const env0 = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => PASSED_ENV.test(k) && v !== undefined)) as Record<string, string>;
      let readOnlyView: Confinement | undefined;
      const confinement = (argv: string[], readOnly: boolean): Confinement => ({
        kind: 'bubblewrap',
        description: `sandboxed (bubblewrap): a scratch copy of the submission${readOnly ? ' (read-only while it runs)' : ''}, the system read-only, a private /tmp, ${root ? `a user of its own (uid ${uid})` : 'user nobody'} without privileges; limits: ${describeLimits(limits, true)}`,
        limits,
        workDir: scratch,
        plan: (command, args, env) => ({
          file: 'bwrap',
          args: [...argv, '/bin/sh', '-c', shellLine(command, args), 'sh', ...args],
          env: { ...env0, HOME: '/tmp', TMPDIR: '/tmp', USER: 'nobody', ...env },
          extendEnv: false,
        }),
        readOnlyFolder: () => (readOnlyView ??= confinement(bwrapArgs({ ...setup, readOnly: true }), true)),
        withFolder: (folder) => {
          const real = fs.realpathSync(folder);
          if (root) chownTree(real, uid);
          return confinement(bwrapArgs({ ...setup, readOnly: true, writable: real }), true);
        },
        dispose: () => {
          // Belt and braces beside the PID namespaces: nothing of this grade's own uid outlives it.
          if (root && ownUid) sweepUid(uid);
          fs.rmSync(scratch, { recursive: true, force: true });
          scratches.delete(scratch);
        },
      });
      return confinement(fixed, false);
    }
    fs.rmSync(scratch, { recursive: true, force: true });
    scratches.delete(scratch);
    whyNot = `bubblewrap is installed but cannot run here (${verdict})`;
  }
  if (mode === 'on') throw new ConfigError(`the sandbox was required (--sandbox on), but ${whyNot}`, 'Install bubblewrap (apt install bubblewrap) on Linux, or grade with --sandbox auto.');
  const prlimit = process.platform === 'linux' && hasCommand('prlimit');
  const unconfined: Confinement = {
    kind: 'none',
    description: `not sandboxed: ${whyNot}; the program runs in the submission folder as you, and sees your files; limits: ${describeLimits(limits, false)}`,
    limits,
    plan: (command, args, env) =>
      prlimit
        ? { file: 'prlimit', args: [...prlimitArgs(limits, { processes: false }), '--', '/bin/sh', '-c', shellLine(command, args), 'sh', ...args], env, extendEnv: true }
        : { file: '/bin/sh', args: ['-c', `${ulimitPrefix(limits, { processes: false })} ${shellLine(command, args)}`, 'sh', ...args], env, extendEnv: true },
    // Nothing to make read-only without a sandbox: the program runs in your own folder.
    readOnlyFolder: () => unconfined,
    withFolder: () => unconfined,
    dispose: () => undefined,
  };
  return unconfined;
}

export function describeLimits(l: ProgramLimits, processes: boolean): string {
  return [
    `${l.memoryMiB} MiB of memory per process`,
    processes ? `${l.processes} processes and threads` : undefined,
    `${l.cpuSeconds} s of CPU per process`,
    `files up to ${l.fileSizeMiB} MiB`,
    `${l.outputMiB} MiB of output`,
  ]
    .filter(Boolean)
    .join(', ');
}
