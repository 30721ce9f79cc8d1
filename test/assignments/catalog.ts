// What the project ships for each assignment, found on disk: reference solutions, starters,
// broken scenarios, and real counterparts. The suites below run over all of it, so a new
// assignment is tested the moment its folders exist.
import fs from 'node:fs';
import path from 'node:path';
import { describe } from 'vitest';
import { listAssignments } from '../../grader/assignment/load.js';
import { at } from '../helpers.js';

/**
 * `npm test` grades heavy assignments (clusters of peers: 25 processes at once) in a phase of
 * their own, so they never steal the CPU that the timing checks of the others rely on:
 * SOCKGRADE_HEAVY=skip leaves them out, =only keeps just them; unset, everything runs.
 */
const heavyMode = process.env.SOCKGRADE_HEAVY;
const allAssignments = listAssignments().filter((a) => fs.existsSync(at('assignments', a.id, 'tests.ts')));
export const assignments = allAssignments.filter((a) =>
  heavyMode === 'skip' ? a.program.role !== 'peers' : heavyMode === 'only' ? a.program.role === 'peers' : true,
);

const subdirs = (...p: string[]): string[] =>
  fs.existsSync(at(...p)) ? fs.readdirSync(at(...p)).filter((d) => !d.startsWith('_') && fs.statSync(at(...p, d)).isDirectory()).sort() : [];

export const solutions = assignments.flatMap((a) => subdirs('solutions', a.id).map((lang) => ({ assignment: a.id, lang, dir: at('solutions', a.id, lang) })));
export const starters = assignments.flatMap((a) => subdirs('starter', a.id).map((lang) => ({ assignment: a.id, lang, dir: at('starter', a.id, lang) })));

export interface Scenario {
  assignment: string;
  name: string;
  dir: string;
  bug: string;
  expectFailures: string[];
}

export const scenarios: Scenario[] = assignments.flatMap((a) =>
  subdirs('test', 'scenarios', a.id)
    .filter((d) => fs.existsSync(at('test', 'scenarios', a.id, d, 'scenario.json')))
    .map((name) => {
      const dir = at('test', 'scenarios', a.id, name);
      const s = JSON.parse(fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8')) as { bug: string; expectFailures: string[] };
      return { assignment: a.id, name, dir, bug: s.bug, expectFailures: s.expectFailures };
    }),
);

/** Real programs (redis-server, dig) graded as submissions; expected.json lists their known, documented failures. */
export const counterparts = subdirs('test', 'counterparts').flatMap((name) => {
  const dir = at('test', 'counterparts', name);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade.json'), 'utf8')) as { assignment: string; requires?: string };
  const expectedFile = path.join(dir, 'expected.json');
  const expected = fs.existsSync(expectedFile) ? (JSON.parse(fs.readFileSync(expectedFile, 'utf8')) as { expectFailures: string[]; why?: Record<string, string> }) : { expectFailures: [] };
  if (!assignments.some((a) => a.id === manifest.assignment)) return [];
  return [{ name, dir, assignment: manifest.assignment, expectFailures: expected.expectFailures, why: expected.why ?? {} }];
});

export function testIds(assignment: string): string[] {
  return assignments.find((a) => a.id === assignment)!.groups.flatMap((g) => g.tests.map((t) => t.id));
}

/** How long a test that grades one program may take: the assignment's budget plus a margin for build and startup. */
export function gradeTimeout(assignment: string): number {
  return Math.max(90_000, assignments.find((a) => a.id === assignment)!.budgetMs + 60_000);
}

/**
 * Assignments whose grade runs many programs at once (a peers assignment starts 25 peers): the
 * suites grade those one at a time, so two clusters never compete for the same two cores.
 */
export function isHeavy(assignment: string): boolean {
  return assignments.find((a) => a.id === assignment)?.program.role === 'peers';
}

/**
 * Declare `declare(item)` for every item: light assignments' concurrently, heavy ones one at a
 * time, each in a describe of its own that exists only when it has tests (vitest fails an empty
 * one, and npm test runs the heavy and light assignments apart).
 */
export function describeByWeight<T extends { assignment: string }>(items: T[], titles: { light: string; heavy: string }, declare: (item: T) => void): void {
  const light = items.filter((x) => !isHeavy(x.assignment));
  const heavy = items.filter((x) => isHeavy(x.assignment));
  if (light.length) describe.concurrent(titles.light, () => light.forEach(declare));
  if (heavy.length) describe.sequential(titles.heavy, () => heavy.forEach(declare));
}
