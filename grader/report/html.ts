// The HTML report: one self-contained file (inline CSS, no scripts, no requests of any kind)
// that a student opens in a browser. Every value from the results goes through Handlebars'
// HTML escaping; the Content-Security-Policy in the page is a second wall behind it.
import Handlebars from 'handlebars';
import type { Results } from '../results/schema.js';
import { renderFigure } from './figures/index.js';
import { render } from './templates.js';
import { buildView, type Limits } from './view.js';

/** The HTML report shows everything the results hold; the grader already capped it. */
export const HTML_LIMITS: Limits = {
  dataChars: Infinity,
  hexRows: 32,
  diffChars: 160,
  transcriptEntries: Infinity,
  outputHeadLines: Infinity,
  outputTailLines: Infinity,
};

const LABEL_WIDTH = 'Expected: '.length;

export function renderHtml(r: Results): string {
  const view = buildView(r, HTML_LIMITS);
  // Figures are drawn as SVG markup in which every results string is already escaped
  // (grader/report/figures); SafeString lets exactly that markup through the template unescaped.
  const groups = view.groups.map((g, gi) => ({
    ...g,
    tests: g.tests.map((t, ti) => ({
      ...t,
      caretCol: t.diff ? LABEL_WIDTH + t.diff.caret : 0,
      figures: (r.groups[gi]?.tests[ti]?.figures ?? []).map((f) => new Handlebars.SafeString(renderFigure(f))),
    })),
  }));
  const attention = view.attention.length;
  return render('html-report', {
    ...view,
    groups,
    allPassed: attention === 0 && r.counts.skipped === 0,
    attentionCount: attention,
    buildClass: view.build.failed ? 'failed' : view.build.status === 'passed' ? 'passed' : 'skipped',
  });
}
