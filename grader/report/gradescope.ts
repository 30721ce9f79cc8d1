// Gradescope's results.json (the autograder specification's "Output format"): the score, the
// run's time in seconds, a top-level output, one entry per test with its score, status, output
// and visibility, and a leaderboard when the assignment ranks submissions. Test outputs are
// plain text ("text": Gradescope shows it in a <pre> box), so transcripts and the caret under a
// difference line up and nothing a student's program sent can turn into markup.
import type { Results, TestResult } from '../results/schema.js';
import { formatNumber, formatPercent, sanitizeLine, sanitizeText } from './format.js';
import { plainDetails } from './plain-details.js';
import { buildView, TERMINAL_LIMITS } from './view.js';

/** The spec's formats for output strings. */
export type GradescopeFormat = 'text' | 'html' | 'simple_format' | 'md' | 'ansi';
export type GradescopeVisibility = 'hidden' | 'after_due_date' | 'after_published' | 'visible';

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  output_format: GradescopeFormat;
  tags: string[];
  visibility: GradescopeVisibility;
}

export interface GradescopeResults {
  score: number;
  execution_time?: number;
  output: string;
  output_format: GradescopeFormat;
  stdout_visibility: GradescopeVisibility;
  extra_data?: Record<string, unknown>;
  tests: GradescopeTest[];
  leaderboard?: Array<{ name: string; value: number; order?: 'asc' }>;
}

/** Where Gradescope reads the results, relative to the autograder root. */
export const GRADESCOPE_RESULTS_FILE = 'results.json';

const STATUS_LINE: Record<TestResult['status'], string> = {
  passed: 'Passed',
  failed: 'Failed',
  timeout: 'Timed out',
  error: 'Error',
  skipped: 'Not run',
};

function testOutput(t: TestResult): string {
  const head = `${STATUS_LINE[t.status]}: ${formatNumber(t.pointsEarned)}/${formatNumber(t.pointsPossible)} points`;
  const details = t.status === 'passed' && t.pointsEarned >= t.pointsPossible ? '' : plainDetails(t);
  return details ? `${head}\n\n${details}\n` : `${head}\n`;
}

function topOutput(r: Results, showStderr: boolean): string {
  const v = buildView(r, TERMINAL_LIMITS);
  const lines: string[] = [];
  lines.push(`${v.assignmentId}: ${v.assignmentTitle}`);
  lines.push(`Score: ${formatNumber(r.score.earned)}/${formatNumber(r.score.possible)} points (${formatPercent(r.score.percent)}), ${v.score.countsText}`);
  lines.push(`Seed: ${v.seed} (run the same tests on your machine: npx sockgrade grade . --seed ${v.seed})`);
  if (v.completenessWarning) lines.push('', v.completenessWarning);
  if (v.build.failed) {
    lines.push('', `The build (${v.build.command ?? 'build'}) ${v.build.status === 'timeout' ? 'timed out' : `failed, ${v.build.exit}`}: no test could run.`);
    if (v.build.output.text) lines.push('Build output:', v.build.output.text);
  }
  for (const n of v.notes) lines.push('', n);
  if (showStderr && v.anyFailed && v.program.stderrTail.length > 0) {
    lines.push('', `Last lines your program wrote to stderr${v.program.stderrTailCut ? ' (earlier lines left out)' : ''}:`, ...v.program.stderrTail.map((l) => `  ${l}`));
  }
  lines.push('', `Graded by sockgrade ${v.toolVersion}.`);
  return lines.join('\n') + '\n';
}

/** The results.json value Gradescope reads. */
export function gradescopeResults(r: Results): GradescopeResults {
  const tests: GradescopeTest[] = [];
  r.groups.forEach((g, gi) =>
    g.tests.forEach((t, ti) => {
      tests.push({
        name: `${sanitizeLine(t.title)} (${sanitizeLine(t.id)})`,
        number: `${gi + 1}.${ti + 1}`,
        score: t.pointsEarned,
        max_score: t.pointsPossible,
        // Gradescope shows a test as passed or failed; a timeout, an error and a test that did
        // not run all mean the points were not earned.
        status: t.status === 'passed' ? 'passed' : 'failed',
        output: testOutput(t),
        output_format: 'text',
        tags: [sanitizeLine(g.id), t.status],
        visibility: t.visibility ?? 'visible',
      });
    }),
  );
  // Hidden tests ran: the program's stderr (and run_autograder's stdout, which prints every
  // test's name) may tell what they send, so students see neither.
  const secret = r.groups.some((g) => g.tests.some((t) => (t.visibility ?? 'visible') !== 'visible'));
  const out: GradescopeResults = {
    score: r.score.earned,
    execution_time: Math.max(0, Math.round(r.durationMs / 1000)),
    output: topOutput(r, !secret),
    output_format: 'text',
    stdout_visibility: secret ? 'hidden' : 'visible',
    extra_data: {
      tool: `sockgrade ${r.tool.version}`,
      assignment: r.assignment.id,
      seed: r.seed,
      official: r.official ?? false,
      completeness: r.completeness,
      percent: r.score.percent,
    },
    tests,
  };
  if (r.leaderboard && r.leaderboard.length > 0) {
    // The spec sorts descending unless "order": "asc" is given.
    out.leaderboard = r.leaderboard.map((l) => ({ name: sanitizeLine(l.name), value: l.value, ...(l.order === 'asc' ? { order: 'asc' as const } : {}) }));
  }
  return out;
}

export function renderGradescope(r: Results): string {
  return JSON.stringify(gradescopeResults(r), null, 2) + '\n';
}

/**
 * A results.json for a submission that could not be graded at all (no program found, the
 * grader failed): score 0 and the reason, so Gradescope never reports a missing results file.
 */
export function gradescopeFailure(reason: string, opts: { version?: string; assignment?: string } = {}): GradescopeResults {
  const lines = [sanitizeText(reason).trimEnd(), '', 'Score: 0 (the submission could not be graded).'];
  if (opts.version) lines.push('', `Graded by sockgrade ${opts.version}${opts.assignment ? ` for ${opts.assignment}` : ''}.`);
  return {
    score: 0,
    execution_time: 0,
    output: lines.join('\n') + '\n',
    output_format: 'text',
    stdout_visibility: 'visible',
    extra_data: { tool: opts.version ? `sockgrade ${opts.version}` : 'sockgrade', assignment: opts.assignment, graded: false },
    tests: [],
  };
}

/** A results.json value with a note for the student put before its top-level output. */
export function withNote(g: GradescopeResults, note: string): GradescopeResults {
  return { ...g, output: `${sanitizeText(note).trimEnd()}\n\n${g.output}` };
}

