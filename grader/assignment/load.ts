// Finds assignments (one folder each under assignments/), checks their definition, and loads
// their tests, matching the two by test id. Adding an assignment touches nothing here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assignmentsDir, PACK_VAR, packageRoot, runningCompiled } from '../paths.js';
import { ConfigError, formatZodIssues } from '../errors.js';
import type { TestSuite } from '../harness/define.js';
import { AssignmentDefinition, isHiddenTest } from './definition.js';

export interface LoadedAssignment {
  definition: AssignmentDefinition;
  tests: TestSuite;
  dir: string;
}

export function listAssignments(): AssignmentDefinition[] {
  if (!fs.existsSync(assignmentsDir)) return [];
  return fs
    .readdirSync(assignmentsDir)
    .filter((d) => fs.existsSync(path.join(assignmentsDir, d, 'assignment.json')))
    .sort()
    .map((d) => readDefinition(d));
}

export function readDefinition(id: string): AssignmentDefinition {
  const dir = path.join(assignmentsDir, id);
  const file = path.join(dir, 'assignment.json');
  if (!/^[a-z0-9-]+$/.test(id) || !fs.existsSync(file)) {
    const known = fs.existsSync(assignmentsDir) ? fs.readdirSync(assignmentsDir).filter((d) => fs.existsSync(path.join(assignmentsDir, d, 'assignment.json'))) : [];
    throw new ConfigError(`unknown assignment "${id}"`, `Known assignments: ${known.join(', ') || '(none)'}. Check "assignment" in sockgrade.json, or pass --assignment.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = AssignmentDefinition.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file} is not a valid assignment definition:\n${formatZodIssues(parsed.error)}`);
  if (parsed.data.id !== id) throw new ConfigError(`${file} says its id is "${parsed.data.id}", but its folder is "${id}"`);
  return parsed.data;
}

/**
 * The CLI runs the compiled tests: an instructor who edited tests.ts and forgot to build would
 * otherwise grade with the old ones, silently.
 */
function checkCompiledCurrent(id: string, dir: string): void {
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))) {
    const compiled = path.join(packageRoot, 'dist', 'assignments', id, f.replace(/\.ts$/, '.js'));
    const src = fs.statSync(path.join(dir, f));
    const out = fs.statSync(compiled, { throwIfNoEntry: false });
    if (!out || src.mtimeMs > out.mtimeMs + 1000)
      throw new ConfigError(`assignments/${id}/${f} changed since it was compiled (${out ? 'dist/ holds an older copy' : 'dist/ has no copy'})`, 'Run `npm run build` in the sockgrade folder, then again.');
  }
}


export interface LoadOptions {
  /** Load the hidden tests too (official grading); they are never needed otherwise. */
  hidden?: boolean;
  /** A course pack: a folder holding <assignment id>/hidden.js (`sockgrade pack` writes one). */
  pack?: string;
}


/**
 * The compiled hidden tests of an assignment: from the course pack when one is named, else from
 * this installation (the course's own checkout has them; the npm package does not).
 */
function hiddenTestsFile(id: string, pack: string | undefined): { file: string; fromPack: boolean } | undefined {
  if (pack) {
    const file = path.join(path.resolve(pack), id, 'hidden.js');
    if (!fs.existsSync(file)) throw new ConfigError(`the course pack ${path.resolve(pack)} has no hidden tests for "${id}" (${file} is missing)`, 'Write one from the course\'s own checkout with `sockgrade pack --out <folder>`.');
    return { file, fromPack: true };
  }
  const own = runningCompiled ? path.join(packageRoot, 'dist', 'assignments', id, 'hidden.js') : path.join(assignmentsDir, id, 'hidden.ts');
  return fs.existsSync(own) ? { file: own, fromPack: false } : undefined;
}

/**
 * A pack's hidden.js imports the grader as its source did (../../grader/…): it is imported from a
 * folder laid out like the package, whose grader/ is this installation's compiled grader.
 */
function stagePackFile(id: string, file: string): { file: string; dispose(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-pack-'));
  const dir = path.join(root, 'assignments', id);
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(path.join(packageRoot, 'dist', 'grader'), path.join(root, 'grader'));
  const staged = path.join(dir, 'hidden.js');
  fs.copyFileSync(file, staged);
  return { file: staged, dispose: () => fs.rmSync(root, { recursive: true, force: true }) };
}

async function importSuite(file: string): Promise<TestSuite> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: TestSuite };
  if (!mod.default || typeof mod.default !== 'object') throw new ConfigError(`${file} must export default defineTests({...})`);
  return mod.default;
}

export async function loadAssignment(id: string, opts: LoadOptions = {}): Promise<LoadedAssignment> {
  const definition = readDefinition(id);
  const dir = path.join(assignmentsDir, id);
  // Compiled: the tests are in dist/assignments/<id>/tests.js; from source: tests.ts beside the definition.
  const testsFile = runningCompiled ? path.join(packageRoot, 'dist', 'assignments', id, 'tests.js') : path.join(dir, 'tests.ts');
  if (!fs.existsSync(testsFile)) throw new ConfigError(`assignment "${id}" has no tests (${testsFile} is missing)`, runningCompiled ? 'Run `npm run build`.' : undefined);
  if (runningCompiled) checkCompiledCurrent(id, dir);
  const visible = await importSuite(testsFile);
  const all = definition.groups.flatMap((g) => g.tests);
  const hiddenIds = all.filter(isHiddenTest).map((t) => t.id);
  // tests.ts ships to every student: a hidden test there would not be hidden.
  const exposed = hiddenIds.filter((t) => typeof visible[t] === 'function');
  if (exposed.length)
    throw new ConfigError(`assignment "${id}": hidden test${exposed.length === 1 ? '' : 's'} ${exposed.join(', ')} ${exposed.length === 1 ? 'is' : 'are'} in tests.ts, which ships to students`, 'Move hidden and after-due-date tests to hidden.ts beside it.');
  let hidden: TestSuite = {};
  if (opts.hidden && hiddenIds.length) {
    const pack = opts.pack ?? (process.env[PACK_VAR] || undefined);
    const found = hiddenTestsFile(id, pack);
    if (!found)
      throw new ConfigError(
        `the hidden tests of "${id}" are not in this installation of sockgrade (the package students install leaves them out)`,
        `Official grading needs the course pack: pass --pack <folder> or set ${PACK_VAR} (the instructor writes one with \`sockgrade pack --out <folder>\` from the course's own checkout).`,
      );
    const staged = found.fromPack ? stagePackFile(id, found.file) : undefined;
    try {
      hidden = await importSuite(staged?.file ?? found.file);
    } finally {
      staged?.dispose();
    }
  }
  const tests: TestSuite = { ...visible, ...hidden };
  const declared = all.filter((t) => !isHiddenTest(t) || (opts.hidden ?? false)).map((t) => t.id);
  const missing = declared.filter((t) => typeof tests[t] !== 'function');
  const extra = Object.keys(tests).filter((t) => !all.some((d) => d.id === t));
  if (missing.length || extra.length)
    throw new ConfigError(
      `assignment "${id}": tests and definition disagree` +
        (missing.length ? `; no implementation for ${missing.join(', ')}` : '') +
        (extra.length ? `; implemented but not in assignment.json: ${extra.join(', ')}` : ''),
    );
  return { definition, tests, dir };
}
