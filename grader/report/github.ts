// GitHub Actions: the job summary (the Markdown report, appended to $GITHUB_STEP_SUMMARY) and
// one `::error` workflow command per test that did not pass, which GitHub shows as an
// annotation on the run. Pure: grade-command writes what these return.
import type { Results } from '../results/schema.js';
import { sanitizeLine, sanitizeText } from './format.js';
import { renderMarkdown } from './markdown.js';
import { timingView } from './view.js';

/** A command's message: %, CR and LF escaped (the runner decodes them back). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A command's property value: also `:` and `,`, which would end the property list. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const WORD: Record<string, string> = { failed: 'failed', timeout: 'timed out', error: 'error', skipped: 'not run' };

/**
 * `::error title=…::message` for every test that is not a full pass. Tests that are not
 * visible to students (hidden, after the due date) are named only as such: CI logs are public
 * to whoever sees the repository.
 */
export function githubAnnotations(r: Results): string[] {
  const lines: string[] = [];
  for (const g of r.groups) {
    for (const t of g.tests) {
      const full = t.status === 'passed' && t.pointsEarned >= t.pointsPossible;
      if (full) continue;
      const points = `${t.pointsEarned}/${t.pointsPossible} points`;
      let title: string;
      let message: string;
      if ((t.visibility ?? 'visible') !== 'visible') {
        title = `sockgrade: a hidden test did not pass (${points})`;
        message = 'A hidden test did not pass; its details are not shown here.';
      } else {
        const how = t.status === 'passed' ? 'partial credit' : WORD[t.status];
        title = `sockgrade ${sanitizeLine(t.id)}: ${how} (${points})`;
        // Time alone leads with its numbers; beside a wrong answer it follows the message.
        const timing = t.timing && t.status !== 'passed' ? timingView(t.timing) : undefined;
        message = [
          sanitizeLine(t.title),
          timing?.onlyTiming ? timing.lines.join('\n') : undefined,
          t.message ? sanitizeText(t.message) : undefined,
          timing && !timing.onlyTiming ? timing.lines.join('\n') : undefined,
          t.hint ? `Hint: ${sanitizeText(t.hint)}` : undefined,
        ]
          .filter(Boolean)
          .join('\n');
      }
      lines.push(`::error title=${escapeProperty(title)}::${escapeData(message)}`);
    }
  }
  return lines;
}

/** What a grade under GitHub Actions adds: the step summary's Markdown and the annotation lines. */
export function githubOutputs(r: Results): { summary: string; annotations: string[] } {
  return { summary: renderMarkdown(r), annotations: githubAnnotations(r) };
}
