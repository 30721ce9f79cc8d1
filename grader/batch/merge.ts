// `sockgrade merge`: join the outputs of shards (graded on many machines) into one: every
// submission's reports, one batch.json, one gradebook and one class summary.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { Batch, BATCH_SCHEMA_VERSION, type BatchEntry } from '../results/batch.js';
import { SimilarityReport } from '../results/similarity.js';
import { readBatchFile } from './batch.js';
import { writeBatchOutputs } from './outputs.js';
import { SIMILARITY_HTML, SIMILARITY_JSON } from './similarity-step.js';

export interface MergeOutcome {
  batch: Batch;
  files: string[];
  /** Shards that are missing from the inputs (by index), when the inputs are shards. */
  missingShards: number[];
}

export function mergeBatches(inputs: string[], out: string): MergeOutcome {
  if (!inputs.length) throw new ConfigError('nothing to merge', 'Name the output folders of the shards: sockgrade merge out-1 out-2 ... --out class');
  const absOut = path.resolve(out);
  const parts = inputs.map((dir) => {
    const abs = path.resolve(dir);
    if (abs === absOut) throw new ConfigError(`--out ${out} is also an input`, 'Merge into a new folder.');
    const batch = readBatchFile(abs);
    if (!batch) throw new ConfigError(`${abs} holds no batch.json`, 'Name the --out folders that `sockgrade batch` wrote.');
    return { abs, batch };
  });
  const first = parts[0].batch;
  for (const { abs, batch } of parts.slice(1)) {
    const clash =
      batch.assignment.id !== first.assignment.id
        ? `grades ${batch.assignment.id}, not ${first.assignment.id}`
        : batch.seed !== first.seed
          ? `used seed ${batch.seed}, not ${first.seed} (grade every shard with the same --seed)`
          : batch.official !== first.official
            ? `official is ${batch.official}, not ${first.official}`
            : undefined;
    if (clash) throw new ConfigError(`${abs} does not belong with ${parts[0].abs}: it ${clash}`, 'Merge the shards of one batch only.');
  }
  const entries = new Map<string, BatchEntry>();
  const from = new Map<string, string>();
  for (const { abs, batch } of parts) {
    // What each batch.json lists: it is written at the end of every run, interrupted or not,
    // with the roster's current names (a shard killed outright is resumed before merging).
    for (const e of batch.entries) {
      if (from.has(e.id)) throw new ConfigError(`submission ${e.id} is in both ${from.get(e.id)} and ${abs}`, 'Each shard must grade its own slice (--shard i/n with the same n).');
      entries.set(e.id, e);
      from.set(e.id, abs);
    }
  }
  fs.mkdirSync(absOut, { recursive: true });
  for (const [id, dir] of from) {
    const src = path.join(dir, 'submissions', id);
    if (fs.existsSync(src)) fs.cpSync(src, path.join(absOut, 'submissions', id), { recursive: true });
  }
  const counts = new Set(parts.map((p) => p.batch.shard?.count).filter((c): c is number => c !== undefined));
  const present = new Set(parts.map((p) => p.batch.shard?.index));
  const missingShards = counts.size === 1 ? Array.from({ length: [...counts][0] }, (_, i) => i + 1).filter((i) => !present.has(i)) : [];
  const isolations = [...new Set(parts.map((p) => p.batch.isolation))];
  const batch = Batch.parse({
    schemaVersion: BATCH_SCHEMA_VERSION,
    assignment: first.assignment,
    seed: first.seed,
    official: first.official,
    isolation: isolations.join('; '),
    tests: first.tests,
    entries: [...entries.keys()].sort().map((id) => entries.get(id)!),
    startedAt: parts.map((p) => p.batch.startedAt).sort()[0],
    // Shards run side by side: the merged batch took as long as its slowest shard.
    durationMs: Math.max(...parts.map((p) => p.batch.durationMs)),
  });
  return { batch, files: writeBatchOutputs(absOut, batch, { similarity: shardsSimilarity(parts.map((p) => p.abs)) }), missingShards };
}

/**
 * Every shard compared the whole class folder, so their similarity reports agree; the one that
 * saw the most submissions is kept (late submissions may have arrived between shard runs).
 */
function shardsSimilarity(dirs: string[]): { report: SimilarityReport; href: string } | undefined {
  let best: SimilarityReport | undefined;
  for (const dir of dirs) {
    const file = path.join(dir, SIMILARITY_JSON);
    if (!fs.existsSync(file)) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      continue; // a damaged report is not merged; the grades are
    }
    const parsed = SimilarityReport.safeParse(raw);
    if (parsed.success && (!best || parsed.data.submissions.length > best.submissions.length)) best = parsed.data;
  }
  return best && { report: best, href: `./${SIMILARITY_HTML}` };
}
