// `sockgrade grade [dir]`: grade, print live, write the reports, pick the exit code.
import path from 'node:path';
import { createColors } from 'picocolors';
import { ConfigError } from '../errors.js';
import { grade } from '../grade/grade.js';
import { appendFile } from 'node:fs/promises';
import { checkFormats, githubOutputs, lineWidths, renderGroupHeader, renderTerminalSummary, renderTestLine, writeReports, REPORT_FORMATS, type LineWidths, type ReportFormat } from '../report/index.js';
import type { Results } from '../results/schema.js';
import { EXIT } from './exit-codes.js';
import { interruptOnSignals, useColor } from './terminal.js';
import { rerunInOwnNetns } from './own-netns.js';
import { parseSandbox } from './sandbox-option.js';

export interface GradeCliOptions {
  assignment?: string;
  reportDir?: string;
  format: string;
  only?: string[];
  seed?: string;
  verbose?: boolean;
  failUnder?: string;
  official?: boolean;
  isolate?: boolean;
  sandbox: string;
  /** Grade again whenever the submission changes, until Ctrl-C (watch.ts). */
  watch?: boolean;
}

const FORMATS: ReportFormat[] = REPORT_FORMATS;

export function parseFormats(text: string): ReportFormat[] {
  const list = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).map((f) => (f === 'md' ? 'markdown' : f));
  const bad = list.filter((f) => !FORMATS.includes(f as ReportFormat));
  if (bad.length) throw new ConfigError(`--format: unknown format ${bad.map((b) => `"${b}"`).join(', ')}`, `Choose from ${FORMATS.join(', ')} (comma-separated).`);
  checkFormats(list as ReportFormat[]);
  return list as ReportFormat[];
}

function parseFailUnder(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new ConfigError(`--fail-under: "${text}" is not a percentage from 0 to 100`);
  return n;
}

export function exitCodeFor(r: Results, failUnder: number | undefined): number {
  if (r.completeness === 'interrupted') return EXIT.interrupted;
  if (failUnder !== undefined) return r.score.percent >= failUnder ? EXIT.passed : EXIT.failed;
  const all = r.groups.flatMap((g) => g.tests);
  return all.length > 0 && all.every((t) => t.status === 'passed') ? EXIT.passed : EXIT.failed;
}

export async function gradeCommand(dir: string, opts: GradeCliOptions): Promise<number> {
  const formats = parseFormats(opts.format);
  const failUnder = parseFailUnder(opts.failUnder);
  const sandbox = parseSandbox(opts.sandbox);
  if (opts.watch && failUnder !== undefined) throw new ConfigError('--fail-under cannot go with --watch', '--watch grades until Ctrl-C and has no pass/fail exit code; use --fail-under without --watch (in CI).');
  // The grade itself runs in a network namespace of its own where the machine offers one.
  if (sandbox !== 'off') {
    const code = await rerunInOwnNetns();
    if (code !== undefined) return code;
  }
  const only = opts.only?.flatMap((o) => o.split(',')).map((s) => s.trim()).filter(Boolean);
  const color = useColor();
  const reportDir = path.resolve(opts.reportDir ?? path.join(dir, 'sockgrade-report'));
  if (opts.watch) {
    // Inside the namespace, when there is one (above): the watch runs where the grades run.
    const { watchCommand } = await import('./watch.js');
    return watchCommand({ dir, assignment: opts.assignment, seed: opts.seed, only, official: !!opts.official, sandbox, reportDir, formats, verbose: !!opts.verbose });
  }
  const pc = createColors(color);
  const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

  // First Ctrl-C: stop after the current step and still write the partial report.
  const interrupt = interruptOnSignals('stopping the program and writing the partial report');
  let widths: LineWidths | undefined;
  let results: Results;
  try {
    results = await grade({
      dir,
      assignment: opts.assignment,
      seed: opts.seed,
      only,
      official: !!opts.official,
      ...(opts.isolate ? { isolate: true } : {}),
      sandbox,
      privateDirs: [reportDir],
      interrupt: interrupt.signal,
      events: {
        onStart: (info) => {
          widths = lineWidths(info.tests);
          out(pc.bold(`${info.assignment.id}: ${info.assignment.title}`) + pc.dim(`  (seed ${info.seed})`));
        },
        onSandbox: (s) => out(s.kind === 'none' ? pc.yellow(`note: ${s.description}`) : pc.dim(s.description)),
        onBuildStart: (cmd) => out(pc.dim(`building: ${cmd}`)),
        onBuildEnd: (b) => out(b.status === 'passed' ? pc.dim(`build passed in ${(b.durationMs / 1000).toFixed(1)} s`) : pc.red(`build ${b.status === 'timeout' ? 'timed out' : 'failed'} (exit code ${b.exitCode})`)),
        onGroupStart: (g) => out(renderGroupHeader(g, { color })),
        onTestEnd: (t) => out(renderTestLine(t, { color, widths })),
      },
    });
  } finally {
    interrupt.dispose();
  }
  out(renderTerminalSummary(results, { color, verbose: !!opts.verbose }));
  let written;
  try {
    written = await writeReports(results, reportDir, formats, { verbose: !!opts.verbose });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}`, `The results are shown above. Choose a folder you can write to with --report-dir.`);
  }
  for (const w of written) out(pc.dim(`${w.format} report: ${path.relative(process.cwd(), w.path) || w.path}`));
  // Under GitHub Actions: the Markdown report on the run's summary page, an annotation per failure.
  if (process.env.GITHUB_ACTIONS === 'true') {
    const gh = githubOutputs(results);
    if (process.env.GITHUB_STEP_SUMMARY) await appendFile(process.env.GITHUB_STEP_SUMMARY, gh.summary + '\n', 'utf8');
    for (const line of gh.annotations) out(line);
  }
  return exitCodeFor(results, failUnder);
}
