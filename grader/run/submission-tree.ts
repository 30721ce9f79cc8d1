// What of a submission folder is graded: its folders, regular files and links, listed once,
// within the assignment's limits. A submission is the student's to fill, so everything here is
// bounded before the grader spends memory or disk on it: a 2 GiB sparse file takes 16 KiB on
// disk but 2 GiB in a copy, a FIFO blocks whoever opens it, 10^6 empty files take minutes to
// copy. The sandbox's scratch copy is made from this list (sandbox.ts), never from the folder.
import fs from 'node:fs';
import path from 'node:path';

/** Never copied: the repository, dependencies shown read-only instead, the grader's own report. */
export const NOT_COPIED = new Set(['.git', 'node_modules', 'sockgrade-report']);

export interface TreeLimits {
  /** Bytes the copied files may hold together (their full size: a sparse file counts as what it reads as). */
  bytes: number;
  /** Entries (files, folders, links) the copy may hold. */
  entries: number;
}

export interface SubmissionTree {
  /** Paths relative to the submission, parents before children. */
  dirs: string[];
  files: Array<{ rel: string; size: number; mode: number }>;
  links: Array<{ rel: string; target: string }>;
  /** What is not a folder, file or link (a FIFO, a socket, a device): never copied. */
  special: Array<{ rel: string; kind: string }>;
  bytes: number;
  entries: number;
  /** Set when the submission is over a limit: the listing stopped there. */
  over?: 'bytes' | 'entries';
}

function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Lists the submission (lstat only: nothing is opened, so a FIFO cannot block it), stopping at the first limit passed. */
export function listSubmission(dir: string, limits: TreeLimits): SubmissionTree {
  const tree: SubmissionTree = { dirs: [], files: [], links: [], special: [], bytes: 0, entries: 0 };
  const walk = (rel: string): boolean => {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(dir, rel)).sort();
    } catch {
      return true; // unreadable: the program would not read it either
    }
    for (const name of names) {
      if (!rel && NOT_COPIED.has(name)) continue;
      const r = rel ? path.join(rel, name) : name;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(path.join(dir, r));
      } catch {
        continue;
      }
      if (++tree.entries > limits.entries) {
        tree.over = 'entries';
        return false;
      }
      if (st.isDirectory()) {
        tree.dirs.push(r);
        if (!walk(r)) return false;
      } else if (st.isFile()) {
        tree.bytes += st.size;
        if (tree.bytes > limits.bytes) {
          tree.over = 'bytes';
          return false;
        }
        tree.files.push({ rel: r, size: st.size, mode: st.mode & 0o777 });
      } else if (st.isSymbolicLink()) {
        tree.links.push({ rel: r, target: fs.readlinkSync(path.join(dir, r)) });
      } else tree.special.push({ rel: r, kind: kindOf(st) });
    }
    return true;
  };
  walk('');
  return tree;
}

/** Copies the listed entries of `from` into the empty folder `to`: folders, files (timestamps kept), links as they are. */
export function copyTree(tree: SubmissionTree, from: string, to: string): void {
  for (const d of tree.dirs) fs.mkdirSync(path.join(to, d), { recursive: true });
  for (const f of tree.files) {
    const src = path.join(from, f.rel);
    const dst = path.join(to, f.rel);
    // O_NOFOLLOW semantics: a file replaced by a FIFO or a link since it was listed is skipped.
    const st = fs.lstatSync(src, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, f.mode);
    fs.utimesSync(dst, st.atime, st.mtime);
  }
  for (const l of tree.links) fs.symlinkSync(l.target, path.join(to, l.rel));
}

const MiB = 1024 * 1024;

/** Why a submission over a limit is not graded, for the report. */
export function overLimitMessage(tree: SubmissionTree, limits: TreeLimits): { message: string; hint: string } {
  const what = tree.over === 'entries' ? `more than ${limits.entries} files and folders` : `more than ${Math.round(limits.bytes / MiB)} MiB of files`;
  return {
    message: `not run: the submission holds ${what} (the limit), so it was not copied to be graded`,
    hint: 'Remove build output, data files and virtual environments from the submission (a .gitignore keeps them out of the repository); the grader builds what it needs.',
  };
}

/** One note per entry that is neither a file, a folder nor a link. */
export function specialNotes(tree: SubmissionTree): string[] {
  return tree.special.map((s) => `${s.rel} in the submission is ${s.kind}, not a file: it was not copied to be graded`);
}
