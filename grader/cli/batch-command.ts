// `sockgrade batch <folder>` and `sockgrade merge <outs...>`: wiring, progress and exit codes.
import os from 'node:os';
import path from 'node:path';
import { runBatch } from '../batch/batch.js';
import { parseSandbox } from './sandbox-option.js';
import type { IsolationMode } from '../run/netns.js';
import { mergeBatches } from '../batch/merge.js';
import { parseShard } from '../batch/submissions.js';
import { ConfigError } from '../errors.js';
import type { Batch } from '../results/batch.js';
import { median } from '../report/class-summary.js';
import { formatDuration, formatNumber } from '../report/format.js';
import { similarityPercent } from '../report/similarity-page.js';
import { EXIT } from './exit-codes.js';
import { Progress } from './progress.js';
import { colors, interruptOnSignals } from './terminal.js';

export interface BatchCliOptions {
  out: string;
  assignment?: string;
  jobs?: string;
  roster?: string;
  shard?: string;
  seed?: string;
  official?: boolean;
  force?: boolean;
  isolation: string;
  sandbox: string;
  /** false with --no-similarity. */
  similarity?: boolean;
  similarityThreshold?: string;
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');
const rel = (p: string) => path.relative(process.cwd(), p) || p;

export function defaultJobs(): number {
  // Grading is mostly waiting on sockets and deadlines: a few grades per core keep it busy.
  return Math.max(1, Math.min(8, os.availableParallelism() * 2));
}

function parseJobs(text: string | undefined): number {
  if (text === undefined) return defaultJobs();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new ConfigError(`--jobs: "${text}" is not a whole number from 1 to 64`);
  return n;
}

export function parseThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new ConfigError(`--similarity-threshold: "${text}" is not a number from 0 to 1`, 'Give a share of the code, e.g. 0.5 for half (a percent like 50 is not accepted).');
  return n;
}

function parseIsolation(text: string): IsolationMode {
  if (text === 'auto' || text === 'netns' || text === 'none') return text;
  throw new ConfigError(`--isolation: unknown value "${text}"`, 'Choose auto (a network namespace when the machine offers one), netns (insist on it) or none.');
}

function summaryLine(b: Batch): string {
  const graded = b.entries.filter((e) => e.status === 'graded');
  const errors = b.entries.length - graded.length;
  const full = graded.filter((e) => e.score && e.score.earned >= e.score.possible).length;
  const pcts = graded.map((e) => e.score!.percent).sort((x, y) => x - y);
  return `${b.entries.length} submissions: ${graded.length} graded (${full} with full marks${pcts.length ? `, median ${formatNumber(median(pcts))}%` : ''}), ${errors} errors`;
}

export async function batchCommand(folder: string, opts: BatchCliOptions): Promise<number> {
  const pc = colors();
  const jobs = parseJobs(opts.jobs);
  const shard = opts.shard ? parseShard(opts.shard) : undefined;
  const isolation = parseIsolation(opts.isolation);
  const sandbox = parseSandbox(opts.sandbox);
  const threshold = parseThreshold(opts.similarityThreshold);
  const progress = new Progress({ tty: process.stdout.isTTY === true, write: (s) => process.stdout.write(s), color: pc });

  const interrupt = interruptOnSignals('stopping the grades in progress (what finished is kept; run the same command to resume)');
  let outcome;
  try {
    outcome = await runBatch({
      folder,
      out: opts.out,
      assignment: opts.assignment,
      jobs,
      sandbox,
      roster: opts.roster,
      shard,
      seed: opts.seed,
      official: !!opts.official,
      force: !!opts.force,
      isolation,
      interrupt: interrupt.signal,
      similarity: opts.similarity === false ? undefined : { threshold },
      events: {
        onPlan: (p) => {
          out(pc.bold(`${p.assignment.id}: ${p.assignment.title}`) + pc.dim(`  (seed ${p.seed}${shard ? `, shard ${shard.index}/${shard.count}` : ''})`));
          out(pc.dim(`isolation: ${p.isolation}`));
          out(
            `${p.total} submission${p.total === 1 ? '' : 's'}` +
              (p.alreadyDone ? `: ${p.alreadyDone} already graded (kept; --force grades them again), ${p.toGrade} to grade` : '') +
              `, ${p.jobs} at a time`,
          );
          if (p.cappedBy) out(pc.yellow(`--jobs ${jobs} lowered to ${p.jobs}: ${p.cappedBy} (more at once would make timing verdicts depend on --jobs)`));
          progress.plan(p.total, p.alreadyDone, p.toGrade);
        },
        onSubmissionStart: () => progress.started(),
        onSubmissionEnd: (e) => progress.finished(e),
        onSimilarityStart: () => {
          progress.stop();
          out(pc.dim('comparing the class\'s code for the similarity report...'));
        },
      },
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const { batch, interrupted, files, similarity } = outcome;
  out(summaryLine(batch));
  if (similarity && 'report' in similarity) {
    const r = similarity.report;
    out(`similarity: ${r.pairsAbove} pair${r.pairsAbove === 1 ? '' : 's'} of submissions at or above ${similarityPercent(r.threshold)} (starter code excluded; ${formatDuration(similarity.durationMs)})`);
  } else if (similarity) out(pc.yellow(`similarity report not written: ${similarity.skipped}`));
  for (const f of files) out(pc.dim(`written: ${rel(f)}`));
  out(pc.dim(`per-student reports: ${rel(path.join(path.resolve(opts.out), 'submissions'))}/<id>/report.html`));
  if (interrupted) {
    out(pc.yellow('Interrupted: run the same command again to grade the rest.'));
    return EXIT.interrupted;
  }
  return batch.entries.some((e) => e.status === 'error') ? EXIT.failed : EXIT.passed;
}

export function mergeCommand(inputs: string[], opts: { out: string }): number {
  const pc = colors();
  const { batch, files, missingShards } = mergeBatches(inputs, opts.out);
  out(summaryLine(batch));
  for (const f of files) out(pc.dim(`written: ${rel(f)}`));
  if (missingShards.length) {
    // Not a grade outcome: the inputs are incomplete, and a pipeline must not pass on them.
    process.stderr.write(`sockgrade: shard${missingShards.length === 1 ? '' : 's'} ${missingShards.join(', ')} missing from the inputs: the merged gradebook lacks their submissions (written anyway).\n`);
    return EXIT.config;
  }
  return batch.entries.some((e) => e.status === 'error') ? EXIT.failed : EXIT.passed;
}
