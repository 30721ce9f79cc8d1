// What the project's tests (test/setup/*.ts, vitest's setup files) and the bench scripts set up
// before grading Python programs and the broken scenarios: the real python3 first on PATH, and
// the scenarios' shared code shown to the sandbox. Plain JavaScript, so bench/*.js can use it too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The real interpreter first on PATH, under its own name: a pyenv shim costs ~0.3 s of CPU per
 * Python start, which would crowd the timing checks (tests) or be measured instead of the
 * grader (bench). The link goes to the interpreter itself, never to a link
 * (a link to the link would loop), and replaces the old one in one step.
 */
export function fastPython() {
  try {
    const found = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 }).trim();
    const real = fs.realpathSync(found);
    const dir = path.join(os.tmpdir(), `sockgrade-python-${process.getuid?.() ?? 0}`);
    if (real.startsWith(dir + path.sep)) return;
    fs.mkdirSync(dir, { recursive: true });
    const link = path.join(dir, 'python3');
    let current;
    try {
      current = fs.readlinkSync(link);
    } catch {
      /* no link yet */
    }
    if (current !== real) {
      // Made under another name and renamed over the old one: parallel workers never see it missing.
      const tmp = `${link}.${process.pid}`;
      fs.rmSync(tmp, { force: true });
      fs.symlinkSync(real, tmp);
      fs.renameSync(tmp, link);
    }
    process.env.PATH = `${dir}${path.delimiter}${process.env.PATH}`;
  } catch {
    /* no python3: the Python programs' grades will say so */
  }
}

/**
 * The broken scenarios import shared code from beside them (test/scenarios/<id>/_base,
 * test/fixtures/<group>/_lib): name those folders as code the sandbox may show.
 */
export function sharedCode() {
  const shared = [];
  for (const parent of [path.join(root, 'test', 'scenarios'), path.join(root, 'test', 'fixtures')])
    for (const group of fs.existsSync(parent) ? fs.readdirSync(parent) : [])
      for (const name of ['_base', '_lib']) if (fs.existsSync(path.join(parent, group, name))) shared.push(path.join(parent, group, name));
  process.env.SOCKGRADE_SANDBOX_READONLY = [process.env.SOCKGRADE_SANDBOX_READONLY, ...shared].filter(Boolean).join(path.delimiter);
}
