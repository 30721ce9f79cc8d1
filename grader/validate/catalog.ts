// What the project ships for one assignment, found on disk by convention: reference solutions
// (solutions/<id>/<lang>/), starters (starter/<id>/<lang>/), broken scenarios
// (test/scenarios/<id>/<bug>/ with scenario.json) and real counterparts (test/counterparts/<name>/
// whose sockgrade.json names the assignment). Folders starting with "_" hold shared code.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, formatZodIssues } from '../errors.js';
import { readManifestAssignment } from '../grade/manifest.js';
import { packageRoot } from '../paths.js';

export const ScenarioFile = z.object({
  /** The bug, in one sentence a student would recognise. */
  bug: z.string().min(1),
  /** The test ids this program must fail, no more and no fewer. */
  expectFailures: z.array(z.string()),
  /**
   * A program with several bugs at once, as real submissions have them: each bug in a sentence.
   * Such a scenario must give a diagnosis for every test it fails.
   */
  bugs: z.array(z.string().min(1)).min(2).optional(),
  /**
   * The diagnosis: for a failed test, a word or phrase its message or hint must contain (any
   * case), so a lost point is charged to the bug that caused it, not only to the right test.
   */
  diagnoses: z.record(z.string(), z.string().min(1)).default({}),
  /**
   * Folders of the project (relative to its root) the program builds on, shown read-only: a
   * scenario that is the reference solution with one method broken imports the solution
   * instead of copying it.
   */
  builtOn: z.array(z.string().regex(/^(solutions|starter)\/[a-z0-9-]+\/[a-z0-9-]+$/)).default([]),
  notes: z.string().optional(),
});

export const CounterpartExpectations = z.object({
  expectFailures: z.array(z.string()),
  /** Why the real program fails each test it fails (its documented deviation). */
  why: z.record(z.string(), z.string()).default({}),
  /**
   * Why this real program cannot run in the sandbox at all (tftpd-hpa's in.tftpd must be root
   * to serve): `sockgrade validate` grades it unsandboxed, as the grader's own user. The
   * project's declaration about a program it ships, never a submission's: a student's
   * sockgrade.json cannot ask for it.
   */
  unsandboxed: z.string().min(1).optional(),
});

export type ItemKind = 'solution' | 'starter' | 'scenario' | 'counterpart';

export interface CatalogItem {
  kind: ItemKind;
  assignment: string;
  /** The language (solutions, starters) or the folder's name (scenarios, counterparts). */
  name: string;
  dir: string;
  /** Scenarios and counterparts: the tests the program must fail, exactly. */
  expectFailures?: string[];
  /** Scenarios: the bug; counterparts: why each expected failure happens. */
  bug?: string;
  /** Multi-bug scenarios: each bug. */
  bugs?: string[];
  /** Scenarios: per failed test, a phrase its message or hint must contain. */
  diagnoses?: Record<string, string>;
  why?: Record<string, string>;
  /** Counterparts: why it is graded outside the sandbox (it cannot run in it). */
  unsandboxed?: string;
  /** Folders of shared code beside it (`_base`), shown read-only to the sandboxed program. */
  shared: string[];
}

const subdirs = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory()).sort() : [];

function readJson<T>(file: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file} is not valid:\n${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

/** Programs in <parent>/<name>/ (not "_" folders), with the "_" folders beside them as shared code. */
function programsIn(parent: string, keep: (dir: string) => boolean = () => true): Array<{ name: string; dir: string; shared: string[] }> {
  const all = subdirs(parent);
  const shared = all.filter((d) => d.startsWith('_')).map((d) => path.join(parent, d));
  return all.filter((d) => !d.startsWith('_') && keep(path.join(parent, d))).map((name) => ({ name, dir: path.join(parent, name), shared }));
}

export function catalog(assignment: string, root = packageRoot): CatalogItem[] {
  const items: CatalogItem[] = [];
  for (const p of programsIn(path.join(root, 'solutions', assignment))) items.push({ kind: 'solution', assignment, ...p });
  for (const p of programsIn(path.join(root, 'starter', assignment))) items.push({ kind: 'starter', assignment, ...p });
  const scenarios = path.join(root, 'test', 'scenarios', assignment);
  for (const p of programsIn(scenarios, (d) => fs.existsSync(path.join(d, 'scenario.json')))) {
    const s = readJson(path.join(p.dir, 'scenario.json'), ScenarioFile);
    const builtOn = s.builtOn.map((d) => path.join(root, d));
    for (const d of builtOn) if (!fs.existsSync(d)) throw new ConfigError(`${path.join(p.dir, 'scenario.json')}: builtOn names ${d}, which does not exist`);
    items.push({ kind: 'scenario', assignment, ...p, shared: [...p.shared, ...builtOn], expectFailures: s.expectFailures, bug: s.bug, ...(s.bugs ? { bugs: s.bugs } : {}), diagnoses: s.diagnoses });
  }
  const counterparts = path.join(root, 'test', 'counterparts');
  for (const p of programsIn(counterparts, (d) => fs.existsSync(path.join(d, 'sockgrade.json')))) {
    if (readManifestAssignment(p.dir) !== assignment) continue;
    const file = path.join(p.dir, 'expected.json');
    const e = fs.existsSync(file) ? readJson(file, CounterpartExpectations) : { expectFailures: [], why: {} };
    items.push({ kind: 'counterpart', assignment, ...p, expectFailures: e.expectFailures, why: e.why, ...(e.unsandboxed ? { unsandboxed: e.unsandboxed } : {}) });
  }
  return items;
}
