// What the project ships for each assignment, found on disk by `sockgrade validate`'s catalog:
// reference solutions, starters, broken scenarios, and real counterparts. The suites below run over all of it, so a new
// assignment is tested the moment its folders exist.
import fs from 'node:fs';
import { describe } from 'vitest';
import { listAssignments } from '../../grader/assignment/load.js';
import { catalog, type CatalogItem } from '../../grader/validate/catalog.js';
import { at } from '../helpers.js';
import { heavyPhase } from '../phases.js';

/**
 * Assignments graded in the `overlap` phase, and how many of each at once. A bittorrent-peer test
 * runs at most 6 small processes and spends most of its time waiting on capped links, stall rules
 * and timers (measured: its heavy items took 775 s of wall time one at a time, while the machine
 * stayed mostly idle); its verdicts rest on counts and generous bounds, not on tight timing.
 * tftp-server is a light assignment (one server) but its grades are long (65,537 lock-step round
 * trips in rollover, a retransmission timer's worth of waiting in every lossy test) and its timing
 * checks only bound retransmissions from below (a timer fires late under load, never early), so
 * its grades wait beside bittorrent-peer's instead of lengthening the light phase.
 * gossip-peer (25 peers, convergence bounds) stays one at a time, in the `alone` phase.
 */
// Per test file: each file is a process of its own (vitest's forks), and two run at once, so
// twice these grades may run together. Two tftp-server rollovers (65,537 lock-step round trips,
// about 0.75 of a core each) at once leave room for bittorrent-peer's waiting swarms.
const OVERLAP: Record<string, number> = { 'bittorrent-peer': 3, 'tftp-server': 1 };

/** Which phase of npm test grades an assignment's programs (test/phases.ts). */
export function phaseOf(a: { id: string; program: { role: string } }): 'light' | 'alone' | 'overlap' {
  if (OVERLAP[a.id]) return 'overlap';
  return a.program.role === 'peers' ? 'alone' : 'light';
}

/**
 * `npm test` grades heavy assignments (peers: many processes at once) in phases of their own, so
 * they never steal the CPU that the timing checks of the others rely on (test/phases.ts): the
 * light phase leaves them out; the `alone` phase keeps the ones graded one at a time, the
 * `overlap` phase the ones whose grades may overlap (OVERLAP above); unset, everything runs.
 */
const allAssignments = listAssignments().filter((a) => fs.existsSync(at('assignments', a.id, 'tests.ts')));
export const assignments = allAssignments.filter((a) => {
  switch (heavyPhase) {
    case 'skip':
      return phaseOf(a) === 'light';
    case 'alone':
    case 'overlap':
      return phaseOf(a) === heavyPhase;
    default:
      return true;
  }
});

/** The phase of an assignment graded in this run. */
export const phaseHere = (assignment: string): 'light' | 'alone' | 'overlap' => phaseOf(allAssignments.find((a) => a.id === assignment)!);

/** Whether this run of the suites grades `assignment` (its phase, or every phase at once). */
export const gradesHere = (assignment: string) => assignments.some((a) => a.id === assignment);

const items = (kind: CatalogItem['kind']) => assignments.flatMap((a) => catalog(a.id).filter((i) => i.kind === kind));

/** The shipped programs, as `sockgrade validate` finds them (grader/validate/catalog.ts). */
export const solutions = items('solution').map((i) => ({ ...i, lang: i.name }));
export const starters = items('starter').map((i) => ({ ...i, lang: i.name }));
export const scenarios = items('scenario').map((i) => ({ ...i, bug: i.bug!, expectFailures: i.expectFailures! }));
export type Scenario = (typeof scenarios)[number];
export const counterparts = items('counterpart').map((i) => ({ ...i, expectFailures: i.expectFailures!, why: i.why ?? {} }));

/**
 * How long a test that grades one program may take: twice (the full run, then every test on a
 * fresh program: validate's alone-vs-full check) the assignment's budget plus a margin for build
 * and startup.
 */
export function gradeTimeout(assignment: string): number {
  // A grade that waits for a slot (OVERLAP) may wait for as many grades as the slots.
  return 2 * Math.max(90_000, allAssignments.find((a) => a.id === assignment)!.budgetMs + 60_000) * (OVERLAP[assignment] ?? 1);
}

/**
 * Assignments whose grade runs many programs at once (a peers assignment starts 25 peers): the
 * suites grade those one at a time, so two clusters never compete for the same two cores.
 */
export function isHeavy(assignment: string): boolean {
  return assignments.find((a) => a.id === assignment)?.program.role === 'peers';
}


const running = new Map<string, number>();
const queued = new Map<string, Array<() => void>>();

/** Run one grade of `assignment`, waiting for a slot if its grades may overlap only so much. */
export async function gradeSlot<T>(assignment: string, fn: () => Promise<T>): Promise<T> {
  const limit = OVERLAP[assignment];
  if (!limit) return fn();
  while ((running.get(assignment) ?? 0) >= limit) await new Promise<void>((r) => queued.set(assignment, [...(queued.get(assignment) ?? []), r]));
  running.set(assignment, (running.get(assignment) ?? 0) + 1);
  try {
    return await fn();
  } finally {
    running.set(assignment, running.get(assignment)! - 1);
    queued.get(assignment)?.shift()?.();
  }
}

/**
 * Declare `declare(item)` for every item: light assignments' concurrently, heavy ones one at a
 * time, each in a describe of its own that exists only when it has tests (vitest fails an empty
 * one, and npm test runs the heavy and light assignments apart). `heavyPart` declares only every
 * `of`-th heavy item from `index`: a suite split over files, so the two test workers share the
 * heavy grades (one file is one worker's); `light: false` leaves the light ones to another file.
 */
export function describeByWeight<T extends { assignment: string }>(
  items: T[],
  titles: { light: string; heavy: string },
  declare: (item: T) => void,
  opts: { heavyPart?: { index: number; of: number }; lightPart?: { index: number; of: number }; light?: boolean } = {},
): void {
  const lp = opts.lightPart;
  const light = opts.light === false ? [] : items.filter((x) => phaseHere(x.assignment) === 'light').filter((_, i) => !lp || i % lp.of === lp.index);
  const part = opts.heavyPart;
  const heavy = items.filter((x) => phaseHere(x.assignment) !== 'light').filter((_, i) => !part || i % part.of === part.index);
  const alone = heavy.filter((x) => phaseHere(x.assignment) === 'alone');
  // Taken in turn from each assignment, as many at a time as its slots, so each has grades
  // running from the start (gradeSlot holds a test that finds its assignment's slots full, and
  // vitest's maxConcurrency counts the held one).
  const queues = [...new Set(heavy.map((x) => x.assignment))].filter((id) => phaseHere(id) === 'overlap').map((id) => ({ n: OVERLAP[id]!, items: heavy.filter((x) => x.assignment === id) }));
  const overlapping: T[] = [];
  while (queues.some((q) => q.items.length)) for (const q of queues) overlapping.push(...q.items.splice(0, q.n));
  if (light.length) describe.concurrent(titles.light, () => light.forEach(declare));
  if (alone.length) describe.sequential(titles.heavy, () => alone.forEach(declare));
  // Declared concurrent; gradeSlot bounds how many run at once.
  if (overlapping.length) describe.concurrent(`${titles.heavy} (a few at once)`, () => overlapping.forEach(declare));
}
