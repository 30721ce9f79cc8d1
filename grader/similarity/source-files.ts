// The source files of a submission (or a starter) that the similarity analysis compares, each
// with the language its parser is named by. Only code a student writes counts: dependencies,
// build output, reports, binaries and huge files are left out, and symlinks are not followed (a
// submission is student-controlled: a link could point anywhere on the TA's machine).
import fs from 'node:fs';
import path from 'node:path';

export interface SourceFile {
  /** Relative to the folder, with `/` separators. */
  path: string;
  language: string;
  text: string;
}

export interface SourceScan {
  files: SourceFile[];
  /** Files left out, counted by why (files with extensions that are not code are not counted). */
  skipped: Map<string, number>;
}

/** Files larger than this are generated or data, not what a student typed. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** A submission with more source files than this is not a socket-programming submission any more; the rest are skipped. */
export const MAX_FILES = 500;
/** Source read per submission, at most: a class of 300 must fit in memory whatever one folder holds. */
export const MAX_TOTAL_BYTES = 8 * 1024 * 1024;
const MAX_DEPTH = 16;

// Folders that hold what tools wrote or fetched, not the student's code. Folders whose names
// start with a dot (.git, .venv, .idea) are skipped too.
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'build', 'target', 'sockgrade-report', '__pycache__', 'venv']);

// The parser (a language name @dodona/dolos-lib knows) for each extension. `.h` is C unless the
// same submission has C++ sources.
const BY_EXTENSION: Record<string, string> = {
  '.py': 'python',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'tsx',
  '.c': 'c',
  '.h': 'c',
  '.cc': 'cpp',
  '.cpp': 'cpp',
  '.cxx': 'cpp',
  '.hh': 'cpp',
  '.hpp': 'cpp',
  '.hxx': 'cpp',
  '.java': 'java',
  '.go': 'go',
  '.rs': 'rust',
  '.cs': 'c-sharp',
  '.php': 'php',
  '.scala': 'scala',
};

/** The language of a file by its name, or undefined when it is not source code we compare. */
export function languageOf(file: string): string | undefined {
  const base = path.basename(file).toLowerCase();
  // Generated: type declarations and minified bundles.
  if (base.endsWith('.d.ts') || base.endsWith('.min.js')) return undefined;
  return BY_EXTENSION[path.extname(base)];
}

function skip(scan: SourceScan, reason: string): void {
  scan.skipped.set(reason, (scan.skipped.get(reason) ?? 0) + 1);
}

function isBinary(bytes: Buffer): boolean {
  // The same test git uses: a NUL byte near the start.
  return bytes.subarray(0, 8000).includes(0);
}

/** Every source file under `dir`, sorted by path. Never throws for what is inside the folder. */
export function scanSources(dir: string): SourceScan {
  const scan: SourceScan = { files: [], skipped: new Map() };
  let total = 0;
  const walk = (abs: string, rel: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      skip(scan, 'unreadable folder');
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const childAbs = path.join(abs, e.name);
      if (e.isDirectory()) {
        if (e.name.startsWith('.') || SKIPPED_DIRS.has(e.name)) continue;
        if (depth >= MAX_DEPTH) skip(scan, 'folder nested too deep');
        else walk(childAbs, childRel, depth + 1);
        continue;
      }
      const language = languageOf(e.name);
      if (!language) continue;
      if (e.isSymbolicLink()) {
        skip(scan, 'symbolic link (not followed)');
        continue;
      }
      if (!e.isFile()) continue;
      if (scan.files.length >= MAX_FILES) {
        skip(scan, `over ${MAX_FILES} source files`);
        continue;
      }
      let bytes: Buffer;
      try {
        const size = fs.statSync(childAbs).size;
        if (size > MAX_FILE_BYTES) {
          skip(scan, 'larger than 1 MiB');
          continue;
        }
        if (total + size > MAX_TOTAL_BYTES) {
          skip(scan, 'over 8 MiB of source in all');
          continue;
        }
        bytes = fs.readFileSync(childAbs);
        total += bytes.length;
      } catch {
        skip(scan, 'unreadable file');
        continue;
      }
      if (isBinary(bytes)) {
        skip(scan, 'binary');
        continue;
      }
      scan.files.push({ path: childRel, language, text: bytes.toString('utf8') });
    }
  };
  walk(dir, '', 0);
  // A header belongs to C++ when C++ sources sit beside it.
  if (scan.files.some((f) => f.language === 'cpp')) for (const f of scan.files) if (f.language === 'c' && path.extname(f.path).toLowerCase() === '.h') f.language = 'cpp';
  return scan;
}
