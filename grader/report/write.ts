// Write the chosen report files into a folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Results } from '../results/schema.js';
import { renderGradescope } from './gradescope.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderTerminal } from './terminal.js';

export type ReportFormat = 'html' | 'markdown' | 'json' | 'terminal' | 'junit' | 'gradescope';

export const REPORT_FORMATS: ReportFormat[] = ['html', 'markdown', 'json', 'terminal', 'junit', 'gradescope'];

export const REPORT_FILES: Record<ReportFormat, string> = {
  html: 'report.html',
  markdown: 'report.md',
  json: 'results.json',
  terminal: 'report.txt',
  junit: 'junit.xml',
  // Gradescope reads exactly /autograder/results/results.json.
  gradescope: 'results.json',
};

/** Formats that cannot go to one folder together: two of them would write the same file. */
export function checkFormats(formats: ReportFormat[]): void {
  const unique = [...new Set(formats)];
  for (const [i, a] of unique.entries()) {
    const b = unique.slice(i + 1).find((f) => REPORT_FILES[f] === REPORT_FILES[a]);
    if (b)
      throw new ConfigError(
        `--format: ${a} and ${b} both write ${REPORT_FILES[a]}, so they cannot go to the same report folder`,
        `Ask for one of them (Gradescope needs only gradescope), or run twice with different --report-dir.`,
      );
  }
}

export interface WrittenReport {
  format: ReportFormat;
  path: string;
}

export interface WriteOptions {
  /** For report.txt: include every test's details, not only the failures' (default false). */
  verbose?: boolean;
}

function renderFormat(r: Results, format: ReportFormat, opts: WriteOptions): string {
  switch (format) {
    case 'html':
      return renderHtml(r);
    case 'markdown':
      return renderMarkdown(r);
    case 'json':
      return renderJson(r);
    case 'terminal':
      return renderTerminal(r, { color: false, verbose: opts.verbose ?? false });
    case 'junit':
      return renderJunit(r);
    case 'gradescope':
      return renderGradescope(r);
    default:
      throw new Error(`sockgrade: unknown report format ${JSON.stringify(format)}`);
  }
}

/**
 * Render and write each format on its own, results.json first: a format that fails to render
 * must not cost the others, least of all the results themselves. Throws after writing what it
 * could, naming what failed; throws a ConfigError before writing anything when two formats
 * would write the same file.
 */
export async function writeReports(
  r: Results,
  dir: string,
  formats: ReportFormat[],
  opts: WriteOptions = {},
): Promise<WrittenReport[]> {
  checkFormats(formats);
  // The results themselves first (json, or gradescope's results.json in its place).
  const first = (f: ReportFormat) => Number(f === 'json' || f === 'gradescope');
  const unique = [...new Set(formats)].sort((a, b) => first(b) - first(a));
  await mkdir(dir, { recursive: true });
  const written: WrittenReport[] = [];
  const failed: string[] = [];
  for (const format of unique) {
    const path = join(dir, REPORT_FILES[format]);
    try {
      await writeFile(path, renderFormat(r, format, opts), 'utf8');
      written.push({ format, path });
    } catch (e) {
      failed.push(`${format}: ${(e as Error).message}`);
    }
  }
  if (failed.length) throw new Error(`could not write every report (${failed.join('; ')}); written: ${written.map((w) => w.path).join(', ') || 'none'}`);
  return written;
}
