// Compare every submission of a class with every other, per language, with the assignment's
// starter code excluded, and keep the pairs that are alike: what a TA checks for copying. The
// fingerprinting and pairing are @dodona/dolos-lib's; what is decided here is what counts (see
// source-files.ts), the similarity figure (below), and which pairs are worth a TA's time.
import fs from 'node:fs';
import path from 'node:path';
import { SIMILARITY_SCHEMA_VERSION, SimilarityReport, type SimilarPair, type SimilaritySubmission } from '../results/similarity.js';
import { joinFiles, type Document } from './documents.js';
import { DOLOS_PACKAGE, loadDolos, SimilarityUnavailable, type DolosFile, type DolosFileEntry, type DolosPair, type LoadedDolos } from './dolos.js';
import { describeFragments } from './fragments.js';
import { scanSources, type SourceFile } from './source-files.js';

/**
 * Half of both programs' code (starter excluded) in common. Measured on kv-server: the reference
 * solution against a copy with renamed variables and reordered functions scores 0.94, against an
 * independently written server 0.03; copying one part (the parser) of a program lands near 0.3.
 */
export const DEFAULT_THRESHOLD = 0.5;
/** Pairs listed with their fragments; the rest are counted (and still join clusters). */
export const DEFAULT_MAX_PAIRS = 100;
/**
 * Fingerprints a pair must share on each side, whatever its similarity: about 20 lines of code
 * (kv-server's Python solution has about 2 per line). Two submissions that add only a line or
 * two to the starter look alike by necessity (the same obvious fix), and their tiny denominators
 * make it look like copying: one identical added line measured 12 shared fingerprints and a
 * similarity of 1.
 */
export const DEFAULT_MIN_SHARED = 40;

export interface ClassSubmission {
  id: string;
  dir: string;
}

export interface CompareOptions {
  assignment: { id: string; title: string };
  submissions: ClassSubmission[];
  /** starter/<assignment>/: one folder per language, whose code never counts. */
  starterDir?: string;
  threshold?: number;
  maxPairs?: number;
  minShared?: number;
}

interface Candidate {
  pair: DolosPair;
  language: string;
  similarity: number;
  docs: Map<string, Document>;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Group files by language, each group joined into one document. */
function documentsByLanguage(files: SourceFile[]): Map<string, { doc: Document; files: number }> {
  const by = new Map<string, SourceFile[]>();
  for (const f of files) by.set(f.language, [...(by.get(f.language) ?? []), f]);
  return new Map([...by].map(([lang, group]) => [lang, { doc: joinFiles(group), files: group.length }]));
}

/** The starter's code per language: every language folder's files, named `<folder>/<path>`. */
function starterDocuments(starterDir: string | undefined): Map<string, { doc: Document; files: string[] }> {
  const all: SourceFile[] = [];
  if (starterDir && fs.existsSync(starterDir))
    for (const lang of fs.readdirSync(starterDir).sort()) {
      const dir = path.join(starterDir, lang);
      if (!fs.statSync(dir).isDirectory()) continue;
      for (const f of scanSources(dir).files) all.push({ ...f, path: `${lang}/${f.path}` });
    }
  const by = documentsByLanguage(all);
  return new Map([...by].map(([lang, { doc }]) => [lang, { doc, files: doc.segments.map((s) => s.file) }]));
}

/** Occurrences of a file's fingerprints that are not the starter's: the denominator's share. */
function countable(entry: DolosFileEntry): number {
  let n = 0;
  for (const fp of entry.shared) n += fp.occurrencesOf(entry.file).length;
  return n;
}

/**
 * The share of both documents' fingerprints (starter excluded) that the other one has too.
 * dolos-lib's own Pair.similarity subtracts the left file's ignored count on both sides (a slip
 * in 3.5.1), which makes a pair's figure depend on its order; this uses each side's own count,
 * so the figure is symmetric and never above 1.
 */
function similarityOf(pair: DolosPair, counts: Map<DolosFileEntry, number>): number {
  const total = (counts.get(pair.leftEntry) ?? 0) + (counts.get(pair.rightEntry) ?? 0);
  if (total === 0) return 0;
  return Math.min(1, (pair.leftCovered + pair.rightCovered) / total);
}

/** Connected groups of ids, largest first, each sorted. */
function clustersOf(links: Array<[string, string]>): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (const [a, b] of links) {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
  const groups = new Map<string, string[]>();
  for (const id of parent.keys()) groups.set(find(id), [...(groups.get(find(id)) ?? []), id]);
  return [...groups.values()].map((g) => g.sort(cmp)).sort((a, b) => b.length - a.length || cmp(a[0], b[0]));
}

function describePair(c: Candidate): SimilarPair {
  const p = c.pair;
  // Ids in order, left < right: the same pair reads the same way on every run.
  const swap = p.leftFile.path > p.rightFile.path;
  const [l, r] = swap ? [p.rightFile.path, p.leftFile.path] : [p.leftFile.path, p.rightFile.path];
  const frags = p.buildFragments().map((f) => (swap ? { pairs: f.pairs, leftSelection: f.rightSelection, rightSelection: f.leftSelection } : f));
  const { fragments, more } = describeFragments(frags, c.docs.get(l)!, c.docs.get(r)!);
  return {
    left: l,
    right: r,
    language: c.language,
    similarity: c.similarity,
    shared: swap ? { left: p.rightCovered, right: p.leftCovered } : { left: p.leftCovered, right: p.rightCovered },
    longest: p.longest,
    fragments,
    moreFragments: more,
  };
}

export async function compareClass(opts: CompareOptions): Promise<SimilarityReport> {
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const maxPairs = opts.maxPairs ?? DEFAULT_MAX_PAIRS;
  const minShared = opts.minShared ?? DEFAULT_MIN_SHARED;
  const dolos: LoadedDolos = await loadDolos();
  const { api } = dolos;

  const submissions: SimilaritySubmission[] = [];
  const byLanguage = new Map<string, Array<{ id: string; doc: Document }>>();
  for (const sub of [...opts.submissions].sort((a, b) => cmp(a.id, b.id))) {
    const scan = scanSources(sub.dir);
    const docs = documentsByLanguage(scan.files);
    for (const [lang, { doc }] of docs) byLanguage.set(lang, [...(byLanguage.get(lang) ?? []), { id: sub.id, doc }]);
    submissions.push({
      id: sub.id,
      languages: [...docs].map(([language, d]) => ({ language, files: d.files })).sort((a, b) => cmp(a.language, b.language)),
      skipped: [...scan.skipped].map(([reason, files]) => ({ reason, files })).sort((a, b) => cmp(a.reason, b.reason)),
    });
  }
  const starter = starterDocuments(opts.starterDir);
  const notes: string[] = [];
  if (!starter.size) notes.push(`No starter code was found for ${opts.assignment.id}: code every student was given counts as shared.`);

  const candidates: Candidate[] = [];
  const failures: string[] = [];
  let compared = 0;
  for (const language of [...byLanguage.keys()].sort(cmp)) {
    const group = byLanguage.get(language)!;
    if (group.length < 2) {
      notes.push(`${language}: only ${group[0].id} has ${language} code, so it was compared with no one.`);
      continue;
    }
    // Submission ids are folder names, so they are unique and never contain a slash; the
    // starter's document name does.
    const docs = new Map(group.map((g) => [g.id, g.doc]));
    const files: DolosFile[] = group.map((g) => new api.File(g.id, g.doc.text));
    const starterDoc = starter.get(language);
    const ignored = starterDoc ? new api.File(`starter/${language}`, starterDoc.doc.text) : undefined;
    try {
      const report = await new api.Dolos({ language }).analyze(files, opts.assignment.id, ignored);
      const counts = new Map(report.entries().map((e) => [e, countable(e)]));
      for (const pair of report.allPairs()) {
        // Rounded as shown, so that the threshold cuts where the reader sees it cut.
        const similarity = Math.round(similarityOf(pair, counts) * 10_000) / 10_000;
        if (similarity >= threshold && Math.min(pair.leftCovered, pair.rightCovered) >= minShared) candidates.push({ pair, language, similarity, docs });
      }
      compared++;
    } catch (e) {
      // Most often a parser whose native code was not built; the other languages may still work.
      const why = (e as Error).message.split('\n')[0];
      failures.push(why);
      notes.push(`${language}: not compared: ${why}`);
    }
  }
  // Nothing could be compared at all: a report of "no pairs" would read as a clean class.
  if (failures.length && compared === 0) throw new SimilarityUnavailable(`no language could be compared (${failures[0]}); the parsers of ${DOLOS_PACKAGE} may not be built: install g++, make and python3, then run npm install again`);

  const order = (c: Candidate) => [c.pair.leftFile.path, c.pair.rightFile.path].sort(cmp).join('\0');
  candidates.sort((a, b) => b.similarity - a.similarity || cmp(order(a), order(b)) || cmp(a.language, b.language));
  return SimilarityReport.parse({
    schemaVersion: SIMILARITY_SCHEMA_VERSION,
    assignment: opts.assignment,
    threshold,
    minShared,
    engine: { name: DOLOS_PACKAGE, version: dolos.version, kgramLength: api.Options.defaultKgramLength, kgramsInWindow: api.Options.defaultKgramsInWindow },
    starter: [...starter].map(([language, s]) => ({ language, files: s.files })).sort((a, b) => cmp(a.language, b.language)),
    submissions,
    pairsAbove: candidates.length,
    pairs: candidates.slice(0, maxPairs).map(describePair),
    clusters: clustersOf(candidates.map((c) => [c.pair.leftFile.path, c.pair.rightFile.path])),
    notes,
  });
}
