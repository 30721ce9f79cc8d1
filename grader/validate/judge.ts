// What each kind of shipped program must do when graded (official, hidden tests included):
// a reference solution earns everything without being restarted; a starter builds, starts and
// leaves work to do; a scenario or a real counterpart fails exactly the tests it declares. And
// every failure message a student would read passes the lint (failure-lint.ts).
import type { Results, TestResult } from '../results/schema.js';
import type { CatalogItem } from './catalog.js';
import { lintFailure } from './failure-lint.js';

const allTests = (r: Results): TestResult[] => r.groups.flatMap((g) => g.tests);
const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0].slice(0, 200);
const show = (t: TestResult) => `${t.id} (${t.status}: ${firstLine(t.message)})`;
const showWhole = (t: TestResult) => `${t.id} (${t.status}: ${(t.message ?? '').split('\n').slice(0, 12).join('\n').slice(0, 1500)})`;

export function failedIds(r: Results): string[] {
  return allTests(r)
    .filter((t) => t.status !== 'passed')
    .map((t) => t.id)
    .sort();
}

function judgeSolution(r: Results): string[] {
  const problems: string[] = [];
  const notPassed = allTests(r).filter((t) => t.status !== 'passed');
  if (notPassed.length) problems.push(`must pass every test; did not pass: ${notPassed.map(show).join('; ')}`);
  else if (r.score.percent !== 100) problems.push(`must score full marks; scored ${r.score.percent}%`);
  if (r.completeness !== 'complete') problems.push(`the grade did not complete (${r.completeness})`);
  if (r.program.role === 'server' && r.program.starts.length > 1) problems.push(`the server had to be restarted ${r.program.starts.length - 1} time(s)`);
  if (r.program.role === 'peers') {
    const died = r.program.starts.filter((p) => p.exit && !p.exit.stoppedByGrader);
    if (died.length) problems.push(`${died.length} peer(s) died by themselves (${died.map((p) => `${p.peer ?? p.pid} during ${p.exit?.duringTest ?? 'startup'}`).join(', ')})`);
  }
  return problems;
}

function judgeStarter(r: Results): string[] {
  const problems: string[] = [];
  if (r.build.status === 'failed' || r.build.status === 'timeout') problems.push(`its build fails: ${(r.build.output.tail || r.build.output.head).trim().split('\n').slice(-3).join(' | ').slice(0, 300)}`);
  const errors = allTests(r).filter((t) => t.status === 'error');
  if (errors.length) problems.push(`tests could not run (a starter must start cleanly): ${errors.map(show).join('; ')}`);
  if (r.score.percent >= 100) problems.push('it already scores full marks: a starter must leave the work to the student');
  if (r.program.role === 'server' && r.program.starts.length > 1) problems.push(`the starter server died and was restarted ${r.program.starts.length - 1} time(s)`);
  if (r.program.role === 'peers' && r.program.starts.some((p) => p.exit && !p.exit.stoppedByGrader)) problems.push('a starter peer died by itself');
  if (r.program.role === 'client' && r.program.starts.some((p) => !p.exit || p.exit.stoppedByGrader || p.exit.signal !== null))
    problems.push('a starter client must exit by itself, without a crash, every time');
  return problems;
}

function judgeExactFailures(item: CatalogItem, r: Results): string[] {
  const expected = [...(item.expectFailures ?? [])].sort();
  const failed = failedIds(r);
  const tests = new Map(allTests(r).map((t) => [t.id, t]));
  const problems: string[] = [];
  const missed = expected.filter((id) => !failed.includes(id));
  const extra = failed.filter((id) => !expected.includes(id));
  if (missed.length) problems.push(`declared to fail, but passed: ${missed.join(', ')}${item.kind === 'scenario' ? ' (the test no longer catches this bug)' : ''}`);
  // The whole message (a peer's exit and its stderr, say): an undeclared failure is what someone must debug from this line.
  if (extra.length) problems.push(`failed, but not declared: ${extra.map((id) => showWhole(tests.get(id)!)).join('; ')}`);
  // The diagnosis: a failure must name the bug that caused it, not only happen in the right test.
  for (const [id, phrase] of Object.entries(item.diagnoses ?? {})) {
    const t = tests.get(id);
    if (!t || t.status === 'passed') continue;
    const text = `${t.message ?? ''}\n${t.hint ?? ''}`.toLowerCase();
    if (!text.includes(phrase.toLowerCase())) problems.push(`${id} failed, but its message and hint do not say "${phrase}" (the declared diagnosis): ${firstLine(t.message)} | hint: ${firstLine(t.hint)}`);
  }
  return problems;
}

/** Every failure a student would read (a starter's, a scenario's, a counterpart's) must pass the lint. */
function lintFailures(r: Results): string[] {
  return allTests(r)
    .filter((t) => t.status !== 'passed')
    .flatMap((t) => lintFailure(t).map((p) => `the failure message of ${t.id}: ${p}`));
}

function judgeKind(item: CatalogItem, r: Results): string[] {
  switch (item.kind) {
    case 'solution':
      return judgeSolution(r);
    case 'starter':
      return judgeStarter(r);
    case 'scenario':
    case 'counterpart':
      return judgeExactFailures(item, r);
  }
}

export function judge(item: CatalogItem, r: Results): string[] {
  return [...judgeKind(item, r), ...lintFailures(r)];
}
