// Builds a hostile submission in a class folder of its own: the program (as prog.py, with
// hostile_lib.py), a manifest whose run command carries a token (so every process of the run is
// found by its command line, even a daemon that changed its session and folder), a neighbouring
// submission with a secret, a report folder, and targets.json naming what to attack.
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { at } from '../helpers.js';

export interface HostileSetup {
  /** The class folder. */
  root: string;
  dir: string;
  neighbour: string;
  reportDir: string;
  /** A home folder for the grader (HOME), with a private key in it. */
  home: string;
  token: string;
  cleanup(): void;
}

/** More of an attack: links the submission carries (path in it → target), and more paths to try reading. */
export interface AttackExtras {
  /** The program in test/hostile/programs, when not `name`. */
  program?: string;
  /** The assignment it is graded as (kv-server when omitted). */
  assignment?: string;
  links?: Record<string, string>;
  read?: string[];
  /** Makes more of the submission (a FIFO, a sparse file). */
  make?: (dir: string) => void;
}

const programs = at('test', 'hostile', 'programs');

/** What a private key in the grader's home folder holds: it must never reach a report. */
export const HOME_SECRET = 'PRIVATE-KEY-OF-THE-TA';
/** What a reference solution in another checkout on the machine holds. */
export const COURSE_SECRET = 'COURSE-CHECKOUT-SOLUTION';

/** `name` is a program in test/hostile/programs; `into` puts it in an existing class folder. */
export function hostileSubmission(
  name: string,
  into?: { root: string; neighbour: string; reportDir: string; extraRead?: string[]; extraWrite?: string[] },
  attack?: (root: string, dir: string) => AttackExtras,
): HostileSetup {
  const root = into?.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-hostile-'));
  const dir = path.join(root, name);
  const extras = attack?.(root, dir) ?? {};
  const neighbour = into?.neighbour ?? path.join(root, 'neighbour');
  const reportDir = into?.reportDir ?? path.join(root, 'report');
  // Beside the class folder when there is one (a batch would take them for submissions).
  const outside = into ? path.dirname(root) : root;
  const home = path.join(outside, 'home');
  const token = `hostile-${name}-${randomBytes(4).toString('hex')}`;
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(programs, `${extras.program ?? name}.py`), path.join(dir, 'prog.py'));
  fs.copyFileSync(path.join(programs, 'hostile_lib.py'), path.join(dir, 'hostile_lib.py'));
  fs.writeFileSync(path.join(dir, 'sockgrade.json'), JSON.stringify({ assignment: extras.assignment ?? 'kv-server', run: `python3 prog.py ${token}` }));
  if (!into) {
    fs.mkdirSync(neighbour, { recursive: true });
    fs.writeFileSync(path.join(neighbour, 'secret.txt'), 'NEIGHBOUR-SECRET\n');
  }
  if (!fs.existsSync(home)) {
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(home, '.ssh', 'id_rsa'), `${HOME_SECRET}\n`, { mode: 0o600 });
    // Another checkout of the course on the same machine, outside the grader's own package.
    fs.mkdirSync(path.join(outside, 'course-checkout', 'solutions'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'course-checkout', 'solutions', 'server.py'), `${COURSE_SECRET}\n`);
  }
  extras.make?.(dir);
  for (const [from, to] of Object.entries(extras.links ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, from)), { recursive: true });
    fs.symlinkSync(to, path.join(dir, from));
  }
  const targets = {
    read: [
      at('solutions', 'kv-server', 'python', 'server.py'),
      at('assignments', 'kv-server', 'tests.ts'),
      at('dist', 'assignments', 'kv-server', 'tests.js'),
      at('package.json'),
      path.join(neighbour, 'secret.txt'),
      path.join(reportDir, 'results.json'),
      path.join(home, '.ssh', 'id_rsa'),
      path.join(outside, 'course-checkout', 'solutions', 'server.py'),
      ...(into?.extraRead ?? []),
      ...(extras.read ?? []),
    ],
    write: [
      path.join(reportDir, 'results.json'),
      path.join(reportDir, 'report.html'),
      path.join(neighbour, 'secret.txt'),
      path.join(root, 'escaped.txt'),
      ...(into?.extraWrite ?? []),
      // Its own folder: the write lands in the scratch copy, never in the submission.
      path.join(dir, 'own.txt'),
    ],
  };
  fs.writeFileSync(path.join(dir, 'targets.json'), JSON.stringify(targets, null, 2));
  return { root, dir, neighbour, reportDir, home, token, cleanup: () => (into ? undefined : fs.rmSync(root, { recursive: true, force: true })) };
}

/** The uid an unprivileged grader runs as in these tests (a TA on a laptop). */
export const USER_UID = 4242;

/** Whether others may reach and read `file`: every folder on its way searchable, the file readable. */
function readableByOthers(file: string): boolean {
  for (let p = file; p !== path.dirname(p); p = path.dirname(p)) {
    try {
      if ((fs.statSync(p).mode & 0o005) === 0) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Whether this machine can run a grade as an unprivileged user: root to switch, and a checkout and a Node that others may use. */
export function canGradeUnprivileged(): boolean {
  return process.getuid?.() === 0 && readableByOthers(at('dist', 'grader', 'cli', 'main.js')) && readableByOthers(fs.realpathSync(process.execPath));
}

/** Hands the class folder to the unprivileged user, as if that user had made it. */
export function giveToUser(root: string): void {
  const walk = (p: string) => {
    fs.lchownSync(p, USER_UID, USER_UID);
    if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(root);
}

/** The command line that runs `argv` as the unprivileged user, with an environment of its own. */
export function asUser(argv: string[], home: string): { file: string; args: string[]; env: Record<string, string> } {
  return {
    file: 'setpriv',
    args: [`--reuid=${USER_UID}`, `--regid=${USER_UID}`, '--clear-groups', '--', ...argv],
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, NO_COLOR: '1', LANG: 'C.UTF-8' },
  };
}

/** Processes whose command line carries `token`. */
export function survivors(token: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (cmd.includes(token)) out.push(`${pid}: ${cmd.split('\0').join(' ')}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Every file under `dir` with a hash of its content: equal snapshots mean nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isSymbolicLink()) out[path.relative(dir, p)] = `-> ${fs.readlinkSync(p)}`;
      else if (!e.isFile()) out[path.relative(dir, p)] = 'special'; // a FIFO would block a read
      else {
        const st = fs.statSync(p);
        // A sparse file of gigabytes: its size and time stand for its content.
        out[path.relative(dir, p)] = st.size > 64 * 1024 * 1024 ? `${st.size} bytes, ${st.mtimeMs}` : createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}
