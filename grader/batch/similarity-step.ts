// The batch's similarity step: after grading, compare the code of the whole class (every
// submission folder, not only a shard's slice: copying crosses shards, and the comparison needs
// the code, not the grades). It never fails the batch: the grades matter more, so a missing
// library or a crash becomes a reason the summary shows instead of a report.
import path from 'node:path';
import type { SimilarityOutcome } from '../report/class-summary.js';
import { startersDir } from '../paths.js';
import { compareClass } from '../similarity/compare-class.js';
import { SimilarityUnavailable } from '../similarity/dolos.js';
import type { Submission } from './submissions.js';

export const SIMILARITY_HTML = 'similarity.html';
export const SIMILARITY_JSON = 'similarity.json';

export interface SimilarityStepOptions {
  /** 0..1; the analysis' default when absent. */
  threshold?: number;
}

export async function classSimilarity(subs: Submission[], assignment: { id: string; title: string }, opts: SimilarityStepOptions): Promise<SimilarityOutcome> {
  try {
    const report = await compareClass({
      assignment,
      submissions: subs.map((s) => ({ id: s.id, dir: s.dir })),
      starterDir: path.join(startersDir, assignment.id),
      threshold: opts.threshold,
    });
    // Relative to the summary, which sits beside it.
    return { report, href: `./${SIMILARITY_HTML}` };
  } catch (e) {
    if (e instanceof SimilarityUnavailable) return { skipped: e.reason };
    return { skipped: `the analysis failed: ${(e as Error).message.split('\n')[0]}` };
  }
}
