// The class-level files of a batch output folder: batch.json, gradebook.csv, summary.html.
import fs from 'node:fs';
import path from 'node:path';
import type { Batch } from '../results/batch.js';
import { renderClassSummary } from '../report/class-summary.js';
import { renderGradebookCsv } from '../report/gradebook.js';

export function writeBatchOutputs(out: string, batch: Batch): string[] {
  const files: Array<[string, string]> = [
    ['batch.json', JSON.stringify(batch, null, 2) + '\n'],
    ['gradebook.csv', renderGradebookCsv(batch)],
    ['summary.html', renderClassSummary(batch)],
  ];
  return files.map(([name, text]) => {
    const file = path.join(out, name);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    return file;
  });
}
