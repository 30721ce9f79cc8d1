// The assignment's `files` folder (a web server's documents), copied afresh for every grade:
// the program may be unsandboxed and write into what it is given, and a grade must never change
// what the next one sees. The copy is readable by anyone (the sandbox runs the program as a
// user of its own) and removed when the grade ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';

// Copies still in use: removed however the grader ends (process.exit after a second Ctrl-C too).
const copies = new Set<string>();
process.once('exit', () => {
  for (const c of copies) fs.rmSync(c, { recursive: true, force: true });
});

export interface FilesCopy {
  dir: string;
  dispose(): void;
}

export function copyAssignmentFiles(assignmentDir: string, rel: string): FilesCopy {
  const source = path.join(assignmentDir, rel);
  if (!fs.statSync(source, { throwIfNoEntry: false })?.isDirectory())
    throw new ConfigError(`the assignment's "files" folder ${source} does not exist`, 'Create it, or remove "files" from assignment.json.');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-files-'));
  copies.add(dir);
  try {
    fs.cpSync(source, dir, { recursive: true });
    const open = (p: string) => {
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        fs.chmodSync(p, 0o755);
        for (const e of fs.readdirSync(p)) open(path.join(p, e));
      } else if (st.isFile()) fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
    };
    open(dir);
  } catch (e) {
    remove(dir);
    throw e;
  }
  return { dir, dispose: () => remove(dir) };
}

function remove(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  copies.delete(dir);
}
