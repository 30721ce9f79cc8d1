// `sockgrade export gradescope <assignment>`: the autograder zip Gradescope builds its image
// from. At the zip's root (which Gradescope unpacks into /autograder/source): setup.sh and
// run_autograder (from templates/gradescope/), and the sockgrade package itself — package.json
// and its lock, bin/, the compiled dist/, assignments/ and templates/ — plus the starters'
// sockgrade.json files, which run_autograder falls back on when a student uploads none.
import fs from 'node:fs';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { isHiddenTest } from '../assignment/definition.js';
import { readDefinition } from '../assignment/load.js';
import { ConfigError } from '../errors.js';
import { PACK_VAR, packageRoot, packageVersion } from '../paths.js';
import { fillTemplate } from './template.js';

export interface BundleFile {
  data: Uint8Array;
  /** Unix permissions: 0o755 for the scripts Gradescope runs, 0o644 otherwise. */
  mode: number;
}

export interface GradescopeExportOptions {
  /** Extra Ubuntu packages setup.sh installs (for a course whose submissions need more). */
  aptPackages?: string[];
  /** The sockgrade package to bundle (default: this one). */
  root?: string;
}

const DEBIAN_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
// Within the package: what the bundle needs at run time, and what it never does.
const PACKAGE_DIRS = ['bin', 'dist', 'assignments', 'templates'];
const SKIP = new Set(['node_modules', '.tsbuildinfo', '__pycache__', '.DS_Store']);

function walk(root: string, rel: string, out: Map<string, BundleFile>): void {
  const abs = path.join(root, rel);
  for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.endsWith('.map')) continue;
    const r = path.posix.join(rel, e.name);
    if (e.isDirectory()) walk(root, r, out);
    else if (e.isFile()) out.set(r, { data: fs.readFileSync(path.join(root, r)), mode: fs.statSync(path.join(root, r)).mode & 0o111 ? 0o755 : 0o644 });
  }
}

/** The files of the bundle, by path inside the zip. */
export function gradescopeBundle(assignment: string, opts: GradescopeExportOptions = {}): Map<string, BundleFile> {
  const def = readDefinition(assignment); // an unknown assignment: a clear error
  const root = opts.root ?? packageRoot;
  const apt = opts.aptPackages ?? [];
  const bad = apt.filter((p) => !DEBIAN_NAME.test(p));
  if (bad.length) throw new ConfigError(`--apt: ${bad.map((b) => `"${b}"`).join(', ')} ${bad.length === 1 ? 'is not a package name' : 'are not package names'}`, 'Give Ubuntu package names, comma-separated (e.g. --apt build-essential,dnsutils).');
  for (const need of ['dist/grader/cli/main.js', 'dist/grader/export/autograder-run.js', 'package-lock.json'])
    if (!fs.existsSync(path.join(root, need)))
      throw new ConfigError(`the sockgrade package in ${root} has no ${need}`, need.startsWith('dist') ? 'Build it first: npm run build (the zip carries the compiled grader).' : 'Run npm install once in the sockgrade folder: the zip installs exactly the locked dependencies.');

  const files = new Map<string, BundleFile>();
  for (const dir of PACKAGE_DIRS) walk(root, dir, files);
  for (const f of ['package.json', 'package-lock.json']) files.set(f, { data: fs.readFileSync(path.join(root, f)), mode: 0o644 });
  const starters = path.join(root, 'starter', def.id);
  if (fs.existsSync(starters))
    for (const lang of fs.readdirSync(starters)) {
      const m = path.join(starters, lang, 'sockgrade.json');
      if (fs.existsSync(m)) files.set(`starter/${def.id}/${lang}/sockgrade.json`, { data: fs.readFileSync(m), mode: 0o644 });
    }
  const values = { ASSIGNMENT: def.id, VERSION: packageVersion(), APT_PACKAGES: apt.join(' ') };
  for (const script of ['setup.sh', 'run_autograder']) {
    const text = fillTemplate(fs.readFileSync(path.join(root, 'templates', 'gradescope', script), 'utf8'), values);
    files.set(script, { data: Buffer.from(text, 'utf8'), mode: 0o755 });
  }
  // The bundle grades officially: it carries the hidden tests, from this installation or the course pack.
  const hidden = def.groups.flatMap((g) => g.tests).some(isHiddenTest);
  const inBundle = `dist/assignments/${def.id}/hidden.js`;
  if (hidden && !files.has(inBundle)) {
    const pack = process.env[PACK_VAR];
    const fromPack = pack ? path.join(pack, def.id, 'hidden.js') : undefined;
    if (!fromPack || !fs.existsSync(fromPack))
      throw new ConfigError(`${def.id} has hidden tests, and neither this installation nor a course pack holds them`, 'Export from the course\'s own checkout, or pass --pack <folder> (written by `sockgrade pack`).');
    files.set(inBundle, { data: fs.readFileSync(fromPack), mode: 0o644 });
  }
  // The templates of the scripts themselves are not needed inside the bundle.
  for (const k of [...files.keys()]) if (k.startsWith('templates/gradescope/') || k.startsWith('templates/github/')) files.delete(k);
  return files;
}

/** The zip's bytes: Unix permissions kept, so run_autograder and setup.sh stay executable. */
export function gradescopeZip(assignment: string, opts: GradescopeExportOptions = {}): Uint8Array {
  const tree: Zippable = {};
  // A fixed date: the same sockgrade and assignment always give the same zip.
  const mtime = new Date('2020-01-01T00:00:00Z');
  for (const [name, f] of [...gradescopeBundle(assignment, opts)].sort(([a], [b]) => (a < b ? -1 : 1)))
    tree[name] = [f.data, { os: 3, attrs: ((0o100000 | f.mode) << 16) >>> 0, mtime }];
  return zipSync(tree, { level: 9 });
}
