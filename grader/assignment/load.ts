// Finds assignments (one folder each under assignments/), checks their definition, and loads
// their tests, matching the two by test id. Adding an assignment touches nothing here.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assignmentsDir, packageRoot, runningCompiled } from '../paths.js';
import { ConfigError, formatZodIssues } from '../errors.js';
import type { TestSuite } from '../harness/define.js';
import { AssignmentDefinition } from './definition.js';

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

export async function loadAssignment(id: string): Promise<LoadedAssignment> {
  const definition = readDefinition(id);
  const dir = path.join(assignmentsDir, id);
  // Compiled: the tests are in dist/assignments/<id>/tests.js; from source: tests.ts beside the definition.
  const testsFile = runningCompiled ? path.join(packageRoot, 'dist', 'assignments', id, 'tests.js') : path.join(dir, 'tests.ts');
  if (!fs.existsSync(testsFile)) throw new ConfigError(`assignment "${id}" has no tests (${testsFile} is missing)`, runningCompiled ? 'Run `npm run build`.' : undefined);
  if (runningCompiled) checkCompiledCurrent(id, dir);
  const mod = (await import(pathToFileURL(testsFile).href)) as { default?: TestSuite };
  const tests = mod.default;
  if (!tests || typeof tests !== 'object') throw new ConfigError(`${testsFile} must export default defineTests({...})`);
  const declared = definition.groups.flatMap((g) => g.tests.map((t) => t.id));
  const missing = declared.filter((t) => typeof tests[t] !== 'function');
  const extra = Object.keys(tests).filter((t) => !declared.includes(t));
  if (missing.length || extra.length)
    throw new ConfigError(
      `assignment "${id}": tests and definition disagree` +
        (missing.length ? `; no implementation for ${missing.join(', ')}` : '') +
        (extra.length ? `; implemented but not in assignment.json: ${extra.join(', ')}` : ''),
    );
  return { definition, tests, dir };
}
