// Review material for failure messages: grades every broken scenario of an assignment (official
// grading, hidden tests included) and prints, for every test it failed, what a student would
// read: the message, the hint, the diff and the timing, then runs the failure lint
// (grader/validate/failure-lint.ts) over each one. `npm run build` first: this runs dist/.
//
//   node bench/failure-messages.js [--assignment id[,id]] [--scenario name[,name]] [--dir <folder>]...
//                                  [--jobs N] [--json <file>] [--from <file>] [--full]
//
// --scenario  only these scenarios (folder names); gossip-peer is slow (clusters of peers)
// --dir       grade these submission folders instead (a starter, a counterpart such as
//             test/counterparts/dig): students read their failures too; their declared
//             failures (scenario.json, expected.json) are checked when there are any
// --jobs      scenarios graded at once (default 1; at most 2 on a shared machine)
// --json      save the failed tests (whole TestResults) to re-read them later without grading
// --from      print and lint a file saved with --json instead of grading
// --full      print whole messages and hints (default: each line cut at 300 characters)
// Exit code: 0 every failure passes the lint; 1 some failure has a lint problem, or a scenario
// failed other tests than it declares (verdicts must not change while messages are edited);
// 2 bad options.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { grade } from '../dist/grader/grade/grade.js';
import { listAssignments } from '../dist/grader/assignment/load.js';
import { lintFailure } from '../dist/grader/validate/failure-lint.js';
import { fastPython, sharedCode } from '../test/setup/programs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: node bench/failure-messages.js [--assignment id[,id]] [--scenario name[,name]] [--dir <folder>]... [--jobs N] [--json <file>] [--from <file>] [--full]';

function usage(message) {
  console.error(`failure-messages: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseOptions(argv) {
  const o = { assignments: undefined, scenarios: undefined, dirs: undefined, jobs: 1, json: undefined, from: undefined, full: false };
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) usage(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--assignment': o.assignments = [...(o.assignments ?? []), ...list(value())]; break;
      case '--scenario': o.scenarios = [...(o.scenarios ?? []), ...list(value())]; break;
      case '--dir': o.dirs = [...(o.dirs ?? []), value()]; break;
      case '--jobs': {
        const v = value();
        if (!/^[12]$/.test(v)) usage(`--jobs: "${v}" is not 1 or 2 (the machine is shared)`);
        o.jobs = Number(v);
        break;
      }
      case '--json': o.json = value(); break;
      case '--from': o.from = value(); break;
      case '--full': o.full = true; break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: usage(`unknown option "${a}"`);
    }
  }
  if (o.from && !fs.existsSync(o.from)) usage(`--from: no file ${o.from}`);
  return o;
}

/** Failures a folder declares: scenario.json's expectFailures, or a counterpart's expected.json ({ "failures": { id: why } } or a list). */
function declared(dir) {
  const scenario = path.join(dir, 'scenario.json');
  if (fs.existsSync(scenario)) return JSON.parse(fs.readFileSync(scenario, 'utf8')).expectFailures;
  const expected = path.join(dir, 'expected.json');
  if (!fs.existsSync(expected)) return undefined;
  const e = JSON.parse(fs.readFileSync(expected, 'utf8'));
  const f = e.expectFailures ?? e.failures ?? e;
  return Array.isArray(f) ? f : Object.keys(f);
}

function catalog(o) {
  if (o.dirs) {
    return o.dirs.map((d) => {
      const dir = path.resolve(d);
      if (!fs.existsSync(path.join(dir, 'sockgrade.json'))) usage(`--dir: ${dir} has no sockgrade.json (not a submission folder)`);
      const assignment = JSON.parse(fs.readFileSync(path.join(dir, 'sockgrade.json'), 'utf8')).assignment;
      return { assignment, name: path.relative(root, dir), dir, expectFailures: declared(dir) };
    });
  }
  const all = listAssignments().map((a) => a.id);
  const bad = (o.assignments ?? []).filter((id) => !all.includes(id));
  if (bad.length) usage(`--assignment: unknown ${bad.join(', ')} (known: ${all.join(', ')})`);
  const out = [];
  for (const id of o.assignments ?? all) {
    const dir = path.join(root, 'test', 'scenarios', id);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const sdir = path.join(dir, name);
      if (!fs.existsSync(path.join(sdir, 'scenario.json'))) continue;
      if (o.scenarios && !o.scenarios.includes(name)) continue;
      out.push({ assignment: id, name, dir: sdir, expectFailures: JSON.parse(fs.readFileSync(path.join(sdir, 'scenario.json'), 'utf8')).expectFailures });
    }
  }
  const found = new Set(out.map((s) => s.name));
  const missing = (o.scenarios ?? []).filter((n) => !found.has(n));
  if (missing.length) usage(`--scenario: no scenario named ${missing.join(', ')}`);
  return out;
}

const cut = (s, full) => (full ? s : s.split('\n').map((l) => (l.length > 300 ? `${l.slice(0, 300)}…(${l.length} chars)` : l)).join('\n'));
const indent = (s, pad) => s.split('\n').join(`\n${pad}`);

function show(s, t, full) {
  const lines = [`── ${s.assignment} / ${s.name} / ${t.id} [${t.status}]`];
  lines.push(`   message: ${indent(cut(t.message ?? '(none)', full), '            ')}`);
  lines.push(`   hint:    ${indent(cut(t.hint ?? '(none)', full), '            ')}`);
  if (t.diff) lines.push(`   expected: ${cut(t.diff.expected, full)}`, `   received: ${cut(t.diff.received, full)}`);
  if (t.timing)
    lines.push(
      `   timing (${t.timing.onlyTiming ? 'only timing' : 'wrong too'}): ` +
        t.timing.measurements.map((m) => `${m.label} ${m.measured} ${m.unit}, ${m.comparison} ${m.bound}${m.why ? ` (${m.why})` : ''}`).join('; '),
    );
  const problems = lintFailure(t);
  for (const p of problems) lines.push(`   LINT: ${p}`);
  return { text: lines.join('\n'), problems };
}

async function main() {
  const o = parseOptions(process.argv.slice(2));
  let records;
  if (o.from) records = JSON.parse(fs.readFileSync(o.from, 'utf8'));
  else {
    sharedCode();
    fastPython();
    const queue = catalog(o);
    if (!queue.length) usage('no scenario to grade');
    records = [];
    const total = queue.length;
    let done = 0;
    const worker = async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        const t0 = performance.now();
        const r = await grade({ dir: s.dir, official: true });
        const tests = r.groups.flatMap((g) => g.tests);
        const failed = tests.filter((t) => t.status !== 'passed' || t.pointsEarned < t.pointsPossible);
        // A folder that declares nothing (a starter) is only read, not held to a list.
        const extra = s.expectFailures ? failed.map((t) => t.id).filter((id) => !s.expectFailures.includes(id)) : [];
        const missed = (s.expectFailures ?? []).filter((id) => !failed.some((t) => t.id === id));
        records.push({ assignment: s.assignment, name: s.name, expectFailures: s.expectFailures, extra, missed, failed });
        console.error(`[${++done}/${total}] ${s.assignment}/${s.name}: ${failed.length} failed, ${((performance.now() - t0) / 1000).toFixed(1)} s` + (extra.length || missed.length ? ` — VERDICTS CHANGED: extra ${extra.join(',') || '-'}, missed ${missed.join(',') || '-'}` : ''));
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.jobs, queue.length) }, worker));
    records.sort((a, b) => `${a.assignment}/${a.name}`.localeCompare(`${b.assignment}/${b.name}`));
    if (o.json) fs.writeFileSync(o.json, JSON.stringify(records, null, 1));
  }
  let failures = 0;
  let flagged = 0;
  let verdictsChanged = 0;
  for (const s of records) {
    for (const t of s.failed) {
      const { text, problems } = show(s, t, o.full);
      console.log(text);
      failures++;
      if (problems.length) flagged++;
    }
    if (s.extra.length || s.missed.length) {
      verdictsChanged++;
      console.log(`!! ${s.assignment}/${s.name}: failed undeclared [${s.extra.join(', ')}], passed declared [${s.missed.join(', ')}]`);
    }
  }
  console.log(`\n${records.length} scenarios, ${failures} failed tests, ${flagged} with lint problems, ${verdictsChanged} scenarios with changed verdicts`);
  process.exitCode = flagged || verdictsChanged ? 1 : 0;
}

await main();
