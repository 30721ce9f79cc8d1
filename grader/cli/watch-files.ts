// What `sockgrade grade --watch` looks at in the submission folder, and how it tells the
// student's edits from what builds and the grader write there.
//
// The rule, in three layers (each catches what the one before cannot):
//  1. Names: folders and files that only tools write (sockgrade-report/, the --report-dir,
//     .git/, node_modules/, __pycache__/, dist/, build/, *.pyc, *.o, editors' swap and backup
//     files…) are dropped as soon as their event arrives.
//  2. Contents: after a burst of events has gone quiet, a snapshot of every remaining file
//     (a hash of its bytes; size and mtime for big ones) is compared with the last one. Only a
//     real difference starts a round: an editor saving twice, a rename-swap that puts the same
//     bytes back, or a build rewriting an unchanged file changes nothing.
//  3. Our own writes: without the sandbox (macOS, --sandbox off) the build runs in the folder
//     itself and may write outputs the names above do not cover (`server` from make, a.out).
//     During a round only source-like files (by extension or well-known name) can interrupt
//     it; any other file that changed during a round is taken as written by the build or the
//     program, and its changes are ignored from then on. (In the sandbox the build works in a
//     scratch copy and writes nothing here.)
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Folders only tools write. */
const IGNORED_DIRS = new Set([
  '.git', '.hg', '.svn',
  'node_modules', 'dist', 'build', 'out', 'target',
  '__pycache__', '.mypy_cache', '.pytest_cache', '.ruff_cache', '.venv', 'venv',
  '.idea', '.vscode', '.cache', 'coverage',
  'sockgrade-report',
]);

/** Files only tools write: compiler outputs, and editors' temporary, swap and backup files. */
const IGNORED_FILES = [
  /\.(pyc|pyo|o|obj|a|so|dylib|class|tsbuildinfo|log|tmp|swp|swo|swx|swn|bak|orig|crswap)$/i,
  /~$/, // backups (emacs, gedit, …)
  /^\.#/, // emacs lock files
  /^#.*#$/, // emacs auto-save
  /^4913$/, // vim probes whether it may write in the folder
  /^\.goutputstream-/, // GTK's atomic save
  /___jb_(tmp|old)___$/, // JetBrains' safe write
  /^\.DS_Store$/,
];

/** Files a person writes: sources, build scripts, configuration. Anything else may be a build output. */
const SOURCE_EXTENSIONS = new Set([
  'py', 'c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'hh', 'ts', 'tsx', 'mts', 'cts', 'js', 'mjs', 'cjs',
  'go', 'rs', 'java', 'kt', 'rb', 'sh', 'lua', 'pl', 'php', 'cs', 'swift', 'zig', 'hs', 'ml', 'ex', 'exs', 'erl', 'nim', 's', 'asm',
  'json', 'toml', 'yaml', 'yml', 'ini', 'cfg', 'mk', 'cmake', 'txt', 'md',
]);
const SOURCE_NAMES = new Set(['Makefile', 'makefile', 'GNUmakefile', 'Dockerfile', 'Procfile']);
/** Outputs a compiler writes beside the source they come from (tsc without an outDir). */
const COMPILED_BESIDE = /^(.*)\.(js|mjs|cjs|d\.ts|js\.map)$/;
const TS_SOURCES = ['ts', 'tsx', 'mts', 'cts'];

/** Paths relative to the folder, with `/` between parts, as fs.watch reports them. */
export type Rel = string;

export function toRel(p: string): Rel {
  return p.split(path.sep).join('/');
}

/**
 * A filter for paths relative to `dir`: true for what only tools write. `alsoIgnore` are
 * folders inside `dir` to skip as well (the --report-dir, when it lies inside).
 */
export function ignoredPaths(dir: string, alsoIgnore: string[] = []): (rel: Rel) => boolean {
  const prefixes = alsoIgnore
    .map((d) => path.relative(dir, path.resolve(d)))
    .filter((r) => r !== '' && !r.startsWith('..') && !path.isAbsolute(r))
    .map(toRel);
  return (rel) => {
    const parts = rel.split('/').filter(Boolean);
    if (parts.some((p) => IGNORED_DIRS.has(p))) return true;
    const name = parts[parts.length - 1] ?? '';
    if (IGNORED_FILES.some((re) => re.test(name))) return true;
    return prefixes.some((p) => rel === p || rel.startsWith(p + '/'));
  };
}

/** Whether a person would write this file (see 3. above); `exists` tells whether a path is in the folder. */
export function isSourceLike(rel: Rel, exists: (rel: Rel) => boolean): boolean {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  if (SOURCE_NAMES.has(name)) return true;
  const compiled = COMPILED_BESIDE.exec(rel);
  if (compiled && TS_SOURCES.some((ext) => exists(`${compiled[1]}.${ext}`))) return false;
  const dot = name.lastIndexOf('.');
  return dot > 0 && SOURCE_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

/** Path → fingerprint of every file not ignored. */
export type Snapshot = Map<Rel, string>;

/** Files up to this size are hashed; bigger ones are told apart by size and mtime. */
const HASH_LIMIT = 1 << 20;

/** Reads the folder without following links (a link is fingerprinted by its target's name). */
export async function snapshot(dir: string, ignored: (rel: Rel) => boolean): Promise<Snapshot> {
  const out: Snapshot = new Map();
  async function walk(abs: string, rel: Rel): Promise<void> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(abs, { withFileTypes: true });
    } catch {
      return; // removed or unreadable while we looked: it is not there
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (ignored(r)) continue;
      const p = path.join(abs, e.name);
      try {
        if (e.isDirectory()) await walk(p, r);
        else if (e.isSymbolicLink()) out.set(r, `link:${await fs.promises.readlink(p)}`);
        else if (e.isFile()) {
          const st = await fs.promises.stat(p);
          out.set(r, st.size <= HASH_LIMIT ? `sha1:${createHash('sha1').update(await fs.promises.readFile(p)).digest('hex')}` : `size:${st.size}:mtime:${st.mtimeMs}`);
        }
      } catch {
        // Gone between readdir and read (an editor's rename-swap): the next snapshot sees the result.
      }
    }
  }
  await walk(dir, '');
  return out;
}

/** Paths added, removed or changed from `a` to `b`, sorted. */
export function changedPaths(a: Snapshot, b: Snapshot): Rel[] {
  const out = new Set<Rel>();
  for (const [p, f] of b) if (a.get(p) !== f) out.add(p);
  for (const p of a.keys()) if (!b.has(p)) out.add(p);
  return [...out].sort();
}

/**
 * fs.watch on the folder and every folder below it, events under ignored paths dropped.
 * settled() waits for the next burst of events to go quiet.
 *
 * On Linux, Node 20's `recursive: true` watches each file's inode: after an editor's atomic
 * save (write a temp file, rename it over server.py) it never reports server.py again (measured
 * on Node 20.20). So there each folder gets a watch of its own (inotify on a folder reports
 * its entries by name, whatever inode they are), and folders that appear are added. Ignored
 * folders (node_modules/, .git/) are not watched at all. Elsewhere (macOS: FSEvents, by path)
 * `recursive: true` is used as it is.
 */
export class FolderWatcher {
  private readonly watchers = new Map<Rel, fs.FSWatcher>();
  /** Paths seen since the last settled() returned (so nothing between two waits is lost). */
  private seen = new Set<Rel>();
  private listener: (() => void) | undefined;
  private failure: Error | undefined;
  /** Ignored paths already traced (an editor or a report writer repeats them every round). */
  private readonly traced = new Set<Rel>();
  private readonly perFolder = process.platform === 'linux';

  constructor(
    readonly dir: string,
    private readonly ignored: (rel: Rel) => boolean,
    private readonly trace?: (line: string) => void,
  ) {
    if (this.perFolder) this.watchTree('');
    else this.watch('', { recursive: true });
  }

  private watch(rel: Rel, options: fs.WatchOptions = {}): void {
    const w = fs.watch(rel ? path.join(this.dir, rel) : this.dir, options, (event, name) => {
      // Some platforms leave the name out: then something, somewhere, changed.
      this.event(name ? (rel ? `${rel}/${toRel(String(name))}` : toRel(String(name))) : rel || '?', event);
    });
    w.on('error', (e) => {
      if (rel === '') {
        this.failure = e;
        this.listener?.();
      } else this.unwatch(rel); // a folder removed under us: its parent reports that
    });
    this.watchers.set(rel, w);
  }

  /** Watch `rel` and the folders below it that are not ignored (never through a link). */
  private watchTree(rel: Rel): void {
    if (this.watchers.has(rel)) return;
    try {
      this.watch(rel);
    } catch (e) {
      if (rel === '') throw e;
      return; // gone already
    }
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(rel ? path.join(this.dir, rel) : this.dir, { withFileTypes: true });
    } catch {
      // removed meanwhile
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && !this.ignored(r)) this.watchTree(r);
    }
  }

  private unwatch(rel: Rel): void {
    for (const [r, w] of this.watchers) {
      if (r !== '' && (r === rel || r.startsWith(rel + '/'))) {
        w.close();
        this.watchers.delete(r);
      }
    }
  }

  private event(rel: Rel, kind: string): void {
    if (rel !== '?' && this.ignored(rel)) {
      if (this.trace && !this.traced.has(rel)) {
        this.traced.add(rel);
        this.trace(`ignored: ${rel} (written by tools, not by you)`);
      }
      return;
    }
    if (this.perFolder && kind === 'rename' && rel !== '?') {
      // A folder appeared (watch it and what it holds) or went away (drop its watches).
      let isDir = false;
      try {
        isDir = fs.lstatSync(path.join(this.dir, rel)).isDirectory();
      } catch {
        // gone
      }
      if (isDir) this.watchTree(rel);
      else this.unwatch(rel);
    }
    this.seen.add(rel);
    this.listener?.();
  }

  /**
   * Resolves with the paths seen once at least one event arrived and then `quietMs` passed
   * without another (an editor's save is several events: temp file, rename, chmod). Rejects when
   * `signal` aborts or the watcher fails.
   */
  settled(quietMs: number, signal: AbortSignal): Promise<Rel[]> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.listener = undefined;
        signal.removeEventListener('abort', onAbort);
        if (err) return reject(err);
        const names = [...this.seen].sort();
        this.seen.clear();
        resolve(names);
      };
      const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const onEvent = () => {
        if (this.failure) return finish(this.failure);
        clearTimeout(timer);
        timer = setTimeout(() => finish(), quietMs);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.listener = onEvent;
      if (this.seen.size || this.failure) onEvent();
    });
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
