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
 * Render and write each format on its own, results.json first: a format that fails to render
 * must not cost the others, least of all the results themselves. Throws after writing what it
 * could, naming what failed.
 */
export async function writeReports(
  r: Results,
  dir: string,
  formats: ReportFormat[],
  opts: WriteOptions = {},
): Promise<WrittenReport[]> {
  const unique = [...new Set(formats)].sort((a, b) => Number(b === 'json') - Number(a === 'json'));
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
