// The checks of an assignment that need no program run: its points add up, its handout names
// every stage, and its scenarios cover every test (a test no scenario fails is untested: nothing
// shows that it can fail at all).
import fs from 'node:fs';
import path from 'node:path';
import type { AssignmentDefinition } from '../assignment/definition.js';
import type { CatalogItem } from './catalog.js';

export interface StaticReport {
  totalPoints: number;
  problems: string[];
  /** Tests that no scenario failing fewer than all tests catches. */
  untested: string[];
}

/** A stage is named in the handout by its title (without a "Stage N:" prefix) or its id in backticks. */
function mentions(text: string, g: { id: string; title: string }): boolean {
  const lower = text.toLowerCase();
  const title = g.title.replace(/^stage\s+\d+\s*[:—-]\s*/i, '').toLowerCase();
  return lower.includes(title) || text.includes(`\`${g.id}\``);
}

export function staticChecks(def: AssignmentDefinition, assignmentDir: string, items: CatalogItem[]): StaticReport {
  const problems: string[] = [];
  const tests = def.groups.flatMap((g) => g.tests);
  const ids = tests.map((t) => t.id);
  const totalPoints = tests.reduce((s, t) => s + t.points, 0);

  if (def.points !== undefined && totalPoints !== def.points)
    problems.push(`points: the tests add up to ${totalPoints}, but assignment.json says "points": ${def.points} (${def.groups.map((g) => `${g.id} ${g.tests.reduce((s, t) => s + t.points, 0)}`).join(', ')})`);
  for (const t of tests) if (t.points === 0) problems.push(`points: test "${t.id}" is worth 0 points`);

  if (!def.handout) problems.push('handout: assignment.json names no handout');
  else {
    const file = path.join(assignmentDir, def.handout);
    if (!fs.existsSync(file)) problems.push(`handout: ${file} does not exist`);
    else {
      const text = fs.readFileSync(file, 'utf8');
      for (const g of def.groups) if (!mentions(text, g)) problems.push(`handout: stage "${g.title}" (${g.id}) is not mentioned in ${def.handout} (name it by its title or as \`${g.id}\`)`);
      const unnamed = ids.filter((id) => !text.includes(id));
      if (unnamed.length) problems.push(`handout: ${def.handout} never names test${unnamed.length > 1 ? 's' : ''} ${unnamed.join(', ')}: students cannot look up what a failing test checks`);
    }
  }

  const kinds = (k: CatalogItem['kind']) => items.filter((i) => i.kind === k);
  if (!kinds('solution').length) problems.push(`no reference solution (solutions/${def.id}/<language>/)`);
  if (!kinds('starter').length) problems.push(`no starter (starter/${def.id}/<language>/)`);
  const scenarios = kinds('scenario');
  for (const s of [...scenarios, ...kinds('counterpart')])
    for (const id of s.expectFailures ?? []) if (!ids.includes(id)) problems.push(`${s.kind} ${s.name}: expects a failure of "${id}", which is not a test of ${def.id}`);
  for (const s of scenarios) {
    for (const id of Object.keys(s.diagnoses ?? {}))
      if (!(s.expectFailures ?? []).includes(id)) problems.push(`scenario ${s.name}: gives a diagnosis for "${id}", which it does not declare to fail`);
    // Several bugs at once: every lost point must be charged to one of them, by name.
    const undiagnosed = s.bugs ? (s.expectFailures ?? []).filter((id) => !s.diagnoses?.[id]) : [];
    if (undiagnosed.length) problems.push(`scenario ${s.name}: has several bugs, so it must give a diagnosis (in "diagnoses") for each test it fails; none for ${undiagnosed.join(', ')}`);
  }
  for (const c of kinds('counterpart'))
    for (const id of c.expectFailures ?? []) if (!c.why?.[id]) problems.push(`counterpart ${c.name}: expected.json must say why it fails "${id}" (in "why")`);
  // A scenario that fails everything (it does not start) proves little about any one test.
  const targeted = scenarios.filter((s) => (s.expectFailures ?? []).length < ids.length);
  const caught = new Set(targeted.flatMap((s) => s.expectFailures ?? []));
  const untested = ids.filter((id) => !caught.has(id));
  if (untested.length)
    problems.push(
      `untested: no scenario fails ${untested.map((u) => `"${u}"`).join(', ')}: add a broken program under test/scenarios/${def.id}/ that only this test catches (or check that the test can fail at all)`,
    );
  return { totalPoints, problems, untested };
}
