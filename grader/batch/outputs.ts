// The class-level files of a batch output folder: batch.json, gradebook.csv, summary.html, and
// the similarity report (similarity.json, similarity.html) when the batch made one. All sit at
// the top of the output folder, for course staff; the students' folders (submissions/<id>/) hold
// only each student's own reports.
import fs from 'node:fs';
import path from 'node:path';
import type { Batch } from '../results/batch.js';
import { renderClassSummary, type SimilarityOutcome } from '../report/class-summary.js';
import { renderGradebookCsv } from '../report/gradebook.js';
import { renderSimilarityPage } from '../report/similarity-page.js';
import { SIMILARITY_HTML, SIMILARITY_JSON } from './similarity-step.js';

export interface BatchOutputOptions {
  similarity?: SimilarityOutcome;
}

export function writeBatchOutputs(out: string, batch: Batch, opts: BatchOutputOptions = {}): string[] {
  const files: Array<[string, string]> = [
    ['batch.json', JSON.stringify(batch, null, 2) + '\n'],
    ['gradebook.csv', renderGradebookCsv(batch)],
  ];
  const similarity = opts.similarity;
  if (similarity && 'report' in similarity)
    files.push([SIMILARITY_JSON, JSON.stringify(similarity.report, null, 2) + '\n'], [SIMILARITY_HTML, renderSimilarityPage(similarity.report)]);
  // Last, so that its link to the similarity page never points at a file not written yet.
  files.push(['summary.html', renderClassSummary(batch, { similarity })]);
  return files.map(([name, text]) => {
    const file = path.join(out, name);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    return file;
  });
}
