// An assignment's forbidden programs (its real counterparts): which files to hide from the
// sandbox, and which of the executables a grade saw are one of them. The verdict on the tests
// they touched is grade.ts's; this only matches.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ForbiddenProgram } from '../assignment/definition.js';
import type { SeenExecutable } from '../run/provenance.js';

/** Expands a path with "*" in some segments (one level each): /usr/lib/python3*\/http/server.py. */
function expand(pattern: string): string[] {
  let found = ['/'];
  for (const seg of pattern.split('/').filter(Boolean)) {
    if (!seg.includes('*')) {
      found = found.map((d) => path.join(d, seg));
      continue;
    }
    const re = new RegExp(`^${seg.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    found = found.flatMap((d) => {
      try {
        return fs.readdirSync(d).filter((n) => re.test(n)).map((n) => path.join(d, n));
      } catch {
        return [];
      }
    });
  }
  return found.filter((f) => fs.existsSync(f));
}

/** What a forbidden program's stand-in prints when run: the grade finds it in the program's output. */
export const TRIPWIRE_LINE = /sockgrade: forbidden program "([^"\n]{1,80})" was run \(([^)\n]{1,120})\)/g;

export interface Tripwires {
  /** File on the machine → the stand-in shown in its place in the sandbox. */
  cover: Array<{ file: string; with: string }>;
  dispose(): void;
}

/**
 * Stand-ins for the forbidden programs found on this machine (each executable on PATH, each
 * file the assignment names): run in the sandbox, one says what it is on stderr and fails, so
 * the attempt is both defeated and reported.
 */
export function tripwires(list: ForbiddenProgram[], PATH: string): Tripwires {
  const dirs = PATH.split(path.delimiter).filter((d) => path.isAbsolute(d));
  const found: Array<{ file: string; rule: ForbiddenProgram }> = [];
  for (const f of list) {
    for (const name of f.exe) for (const d of dirs) if (fs.existsSync(path.join(d, name))) found.push({ file: path.join(d, name), rule: f });
    for (const h of f.hide) for (const p of expand(h)) found.push({ file: p, rule: f });
  }
  if (!found.length) return { cover: [], dispose: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-tripwires-'));
  fs.chmodSync(dir, 0o755);
  const cover = found.map(({ file, rule }, i) => {
    const line = `sockgrade: forbidden program "${rule.name}" was run (${rule.why})`;
    const stub = path.join(dir, String(i));
    fs.writeFileSync(
      stub,
      file.endsWith('.py')
        ? `import sys\nprint(${JSON.stringify(line)}, file=sys.stderr, flush=True)\nraise ImportError(${JSON.stringify(`${rule.name} is not available to submissions of this assignment`)})\n`
        : `#!/bin/sh\necho '${line.replace(/'/g, `'\\''`)}' >&2\nexit 126\n`,
      { mode: 0o755 },
    );
    return { file, with: stub };
  });
  return { cover, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The forbidden programs the program tried to run where a stand-in took their place (found in its output). */
export function trippedIn(list: ForbiddenProgram[], output: string): ForbiddenProgram[] {
  const names = new Set([...output.matchAll(TRIPWIRE_LINE)].map((m) => m[1]));
  return list.filter((f) => names.has(f.name));
}

export interface ForbiddenFinding {
  rule: ForbiddenProgram;
  seen: SeenExecutable;
}

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');

/**
 * The executables seen that are a forbidden program, by executable name or command line. An
 * executable of the submission's own is never one by its name: a student may well call the
 * server they built "redis-server".
 */
export function findForbidden(list: ForbiddenProgram[], seen: SeenExecutable[], ownDirs: string[]): ForbiddenFinding[] {
  const out: ForbiddenFinding[] = [];
  for (const s of seen) {
    const own = ownDirs.some((d) => inside(s.exe, d));
    const base = path.basename(s.exe);
    const argv0 = path.basename(s.command.split(' ')[0] ?? '');
    const byName = (f: ForbiddenProgram) => !own && (f.exe.includes(base) || f.exe.includes(argv0));
    const rule = list.find((f) => byName(f) || (f.command !== undefined && new RegExp(f.command).test(s.command)));
    if (rule) out.push({ rule, seen: s });
  }
  return out;
}
