// The similarity page (similarity.html): for course staff only, one self-contained page (inline
// CSS, no scripts, no requests) listing the pairs of submissions whose code is alike beyond the
// starter, with their shared fragments side by side. A pure function of a SimilarityReport;
// everything the students control (ids, file names, code) is sanitized here and HTML-escaped by
// the template (templates/similarity.html.hbs never uses triple mustaches).
import type { FragmentSide, SimilarityReport } from '../results/similarity.js';
import { formatCount, pluralize, sanitizeLine, sanitizeText } from './format.js';
import { render } from './templates.js';

/** Pairs whose fragments are open when the page loads; the rest are one click away. */
const OPEN_PAIRS = 5;

export interface SideView {
  file: string;
  range: string;
  lines: { n: number; text: string }[];
  moreLines: number;
}

export interface PairView {
  rank: number;
  anchor: string;
  left: string;
  right: string;
  language: string;
  percentText: string;
  width: string;
  sharedText: string;
  longest: number;
  fragments: { fingerprints: number; left: SideView; right: SideView }[];
  moreFragments: number;
  open: boolean;
}

export interface SimilarityView {
  assignmentId: string;
  assignmentTitle: string;
  thresholdText: string;
  minShared: number;
  engine: string;
  counts: { submissions: number; withCode: number; pairsAbove: number; shown: number; clusters: number };
  clusters: { size: number; ids: string[] }[];
  pairs: PairView[];
  starter: { language: string; files: string[] }[];
  notes: string[];
  submissions: { id: string; code: string; skipped: string }[];
  schemaVersion: number;
}

/** 0.9412 → `94.1%`. */
export function similarityPercent(x: number): string {
  return `${Number((x * 100).toFixed(1))}%`;
}

function sideView(s: FragmentSide): SideView {
  return {
    file: sanitizeLine(s.file),
    range: s.startLine === s.endLine ? `line ${s.startLine}` : `lines ${s.startLine}–${s.endLine}`,
    lines: sanitizeText(s.code)
      .split('\n')
      .map((text, i) => ({ n: s.startLine + i, text })),
    moreLines: s.moreLines,
  };
}

export function similarityView(report: SimilarityReport): SimilarityView {
  const pairs = report.pairs.map((p, i) => ({
    rank: i + 1,
    anchor: `pair-${i + 1}`,
    left: sanitizeLine(p.left),
    right: sanitizeLine(p.right),
    language: sanitizeLine(p.language),
    percentText: similarityPercent(p.similarity),
    width: `${(p.similarity * 100).toFixed(2)}%`,
    sharedText: `${formatCount(p.shared.left)} / ${formatCount(p.shared.right)}`,
    longest: p.longest,
    fragments: p.fragments.map((f) => ({ fingerprints: f.fingerprints, left: sideView(f.left), right: sideView(f.right) })),
    moreFragments: p.moreFragments,
    open: i < OPEN_PAIRS,
  }));
  return {
    assignmentId: sanitizeLine(report.assignment.id),
    assignmentTitle: sanitizeLine(report.assignment.title),
    thresholdText: similarityPercent(report.threshold),
    minShared: report.minShared,
    engine: sanitizeLine(`${report.engine.name} ${report.engine.version} (k-grams of ${report.engine.kgramLength} syntax-tree tokens, winnowing window ${report.engine.kgramsInWindow})`),
    counts: {
      submissions: report.submissions.length,
      withCode: report.submissions.filter((s) => s.languages.length > 0).length,
      pairsAbove: report.pairsAbove,
      shown: report.pairs.length,
      clusters: report.clusters.length,
    },
    clusters: report.clusters.map((ids) => ({ size: ids.length, ids: ids.map(sanitizeLine) })),
    pairs,
    starter: report.starter.map((s) => ({ language: sanitizeLine(s.language), files: s.files.map(sanitizeLine) })),
    notes: report.notes.map(sanitizeLine),
    submissions: report.submissions.map((s) => ({
      id: sanitizeLine(s.id),
      code: s.languages.length ? s.languages.map((l) => `${l.language}: ${pluralize(l.files, 'file')}`).join(', ') : 'no source code found',
      skipped: s.skipped.map((k) => `${pluralize(k.files, 'file')}: ${k.reason}`).join('; '),
    })),
    schemaVersion: report.schemaVersion,
  };
}

export function renderSimilarityPage(report: SimilarityReport): string {
  return render('similarity', similarityView(report));
}
