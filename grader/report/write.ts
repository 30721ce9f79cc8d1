// Write the chosen report files into a folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Results } from '../results/schema.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderTerminal } from './terminal.js';

export type ReportFormat = 'html' | 'markdown' | 'json' | 'terminal';

export const REPORT_FILES: Record<ReportFormat, string> = {
  html: 'report.html',
  markdown: 'report.md',
  json: 'results.json',
  terminal: 'report.txt',
};

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
    default:
      throw new Error(`sockgrade: unknown report format ${JSON.stringify(format)}`);
  }
}

/**
 * Render each format (once, in the order given) and write it into `dir`, creating the folder.
 * Everything is rendered before anything is written, so a rendering error leaves no half report.
 */
export async function writeReports(
  r: Results,
  dir: string,
  formats: ReportFormat[],
  opts: WriteOptions = {},
): Promise<WrittenReport[]> {
  const unique = [...new Set(formats)];
  const rendered = unique.map((format) => ({ format, path: join(dir, REPORT_FILES[format]), text: renderFormat(r, format, opts) }));
  await mkdir(dir, { recursive: true });
  await Promise.all(rendered.map((f) => writeFile(f.path, f.text, 'utf8')));
  return rendered.map(({ format, path }) => ({ format, path }));
}
