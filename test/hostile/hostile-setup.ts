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
  token: string;
  cleanup(): void;
}

const programs = at('test', 'hostile', 'programs');

/** `name` is a program in test/hostile/programs; `into` puts it in an existing class folder. */
export function hostileSubmission(name: string, into?: { root: string; neighbour: string; reportDir: string; extraRead?: string[]; extraWrite?: string[] }): HostileSetup {
  const root = into?.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-hostile-'));
  const dir = path.join(root, name);
  const neighbour = into?.neighbour ?? path.join(root, 'neighbour');
  const reportDir = into?.reportDir ?? path.join(root, 'report');
  const token = `hostile-${name}-${randomBytes(4).toString('hex')}`;
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(programs, `${name}.py`), path.join(dir, 'prog.py'));
  fs.copyFileSync(path.join(programs, 'hostile_lib.py'), path.join(dir, 'hostile_lib.py'));
  fs.writeFileSync(path.join(dir, 'sockgrade.json'), JSON.stringify({ assignment: 'kv-server', run: `python3 prog.py ${token}` }));
  if (!into) {
    fs.mkdirSync(neighbour, { recursive: true });
    fs.writeFileSync(path.join(neighbour, 'secret.txt'), 'NEIGHBOUR-SECRET\n');
  }
  const targets = {
    read: [
      at('solutions', 'kv-server', 'python', 'server.py'),
      at('assignments', 'kv-server', 'tests.ts'),
      at('dist', 'assignments', 'kv-server', 'tests.js'),
      at('package.json'),
      path.join(neighbour, 'secret.txt'),
      path.join(reportDir, 'results.json'),
      ...(into?.extraRead ?? []),
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
  return { root, dir, neighbour, reportDir, token, cleanup: () => (into ? undefined : fs.rmSync(root, { recursive: true, force: true })) };
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
      else out[path.relative(dir, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}
