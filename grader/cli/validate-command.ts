// `sockgrade validate [<id>...]`: the instructor's check before releasing an assignment, printed
// as one line per program graded and a verdict per assignment. Exit 0 when everything holds,
// 1 when something does not (each problem says what to fix), 2 on bad input, 130 on Ctrl-C.
import { listAssignments, readDefinition } from '../assignment/load.js';
import { ConfigError } from '../errors.js';
import { SANDBOX_READONLY_VAR } from '../run/sandbox.js';
import type { CatalogItem } from '../validate/catalog.js';
import { shortDir, validateAssignment, type ItemReport, type ValidationReport } from '../validate/validate.js';
import { EXIT } from './exit-codes.js';
import { colors, interruptOnSignals } from './terminal.js';

const KINDS: Record<string, CatalogItem['kind']> = { solutions: 'solution', starters: 'starter', scenarios: 'scenario', counterparts: 'counterpart' };

export interface ValidateCommandOptions {
  jobs?: string;
  only?: string;
  json?: boolean;
  /** commander's --no-alone: false skips the alone-vs-full check. */
  alone?: boolean;
}

function parseOptions(opts: ValidateCommandOptions): { jobs?: number; kinds?: CatalogItem['kind'][] } {
  let jobs: number | undefined;
  if (opts.jobs !== undefined) {
    jobs = Number(opts.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 32) throw new ConfigError(`--jobs: "${opts.jobs}" is not a whole number from 1 to 32`);
  }
  let kinds: CatalogItem['kind'][] | undefined;
  if (opts.only !== undefined) {
    const words = opts.only.split(',').map((w) => w.trim()).filter(Boolean);
    const unknown = words.filter((w) => !KINDS[w]);
    if (unknown.length || !words.length) throw new ConfigError(`--only: ${unknown.length ? `unknown kind ${unknown.map((u) => `"${u}"`).join(', ')}` : 'name at least one kind'}`, `Kinds: ${Object.keys(KINDS).join(', ')}`);
    kinds = words.map((w) => KINDS[w]);
  }
  return { ...(jobs ? { jobs } : {}), ...(kinds ? { kinds } : {}) };
}

/** The command that grades the program again as validate did (its shared code shown to the sandbox too). */
function replay(r: ItemReport): string {
  const shared = r.item.shared.length ? `${SANDBOX_READONLY_VAR}=${r.item.shared.join(":")} ` : '';
  return `${shared}sockgrade grade ${shortDir(r.item.dir)} --official --seed ${r.seed}${r.item.unsandboxed ? ' --sandbox off' : ''}`;
}

function itemLine(r: ItemReport, c: ReturnType<typeof colors>): string {
  const what = `${r.item.kind} ${r.item.name}`.padEnd(40);
  const score = r.score ? `${r.score.earned}/${r.score.possible}`.padStart(8) : ''.padStart(8);
  const time = `${(r.durationMs / 1000).toFixed(1)} s`.padStart(7);
  const head = `${r.problems.length ? c.red('✗') : c.green('✓')} ${what} ${score} ${time}  ${c.dim(shortDir(r.item.dir))}`;
  return [head, ...r.problems.map((p) => `    ${c.red('→')} ${p}`), ...(r.problems.length && r.seed ? [c.dim(`    replay: ${replay(r)}`)] : [])].join('\n');
}

function summary(v: ValidationReport, c: ReturnType<typeof colors>): string {
  const lines = [`${c.bold(v.assignment)}: ${v.static.totalPoints} points`];
  for (const p of v.static.problems) lines.push(`  ${c.red('✗')} ${p}`);
  const bad = v.items.filter((i) => i.problems.length).length;
  const count = (k: CatalogItem['kind']) => v.items.filter((i) => i.item.kind === k).length;
  lines.push(
    `  ${v.ok ? c.green('ready') : c.red('not ready')}: ${v.items.length - bad} of ${v.items.length} programs as expected (${count('solution')} solutions, ${count('starter')} starters, ${count('scenario')} scenarios, ${count('counterpart')} counterparts)` +
      (v.static.problems.length ? `; ${v.static.problems.length} problem(s) in the definition` : ''),
  );
  return lines.join('\n');
}

export async function validateCommand(ids: string[], opts: ValidateCommandOptions): Promise<number> {
  const o = parseOptions(opts);
  const chosen = ids.length ? ids : listAssignments().map((a) => a.id);
  if (!chosen.length) throw new ConfigError('there are no assignments to validate', 'Create one with: sockgrade new <id>');
  for (const id of chosen) readDefinition(id); // unknown ids fail before anything runs
  const c = colors();
  const interrupt = interruptOnSignals('finishing the programs being graded');
  const reports: ValidationReport[] = [];
  try {
    for (const id of chosen) {
      if (!opts.json) process.stdout.write(`${c.bold(`validating ${id}`)}\n`);
      const v = await validateAssignment(id, { ...o, aloneVsFull: opts.alone !== false, interrupt: interrupt.signal, onItem: (r) => !opts.json && process.stdout.write(itemLine(r, c) + '\n') });
      reports.push(v);
      if (!opts.json) process.stdout.write(summary(v, c) + '\n\n');
      if (interrupt.signal.aborted) break;
    }
  } finally {
    interrupt.dispose();
  }
  if (opts.json)
    process.stdout.write(
      JSON.stringify(
        reports.map((v) => ({ ...v, items: v.items.map((i) => ({ kind: i.item.kind, name: i.item.name, dir: i.item.dir, problems: i.problems, score: i.score, failed: i.failed, seed: i.seed, durationMs: i.durationMs, disagreements: i.disagreements ?? [] })) })),
        null,
        2,
      ) + '\n',
    );
  if (interrupt.signal.aborted) return EXIT.interrupted;
  return reports.every((v) => v.ok) ? EXIT.passed : EXIT.failed;
}
