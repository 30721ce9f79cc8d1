// Pictures of a distributed test, drawn as inline SVG for the HTML report. Pure functions of the
// figure data; every string from the results is escaped inside, so the markup returned here can
// be written into the page as is (and only this markup: it is the one place that may).
import type { Figure } from '../../results/schema.js';
import { drawSequence } from './sequence.js';
import { drawSpread } from './spread.js';
import { esc } from './svg.js';
import { drawTopology } from './topology.js';
import type { Drawn } from './types.js';

export type { Drawn } from './types.js';

/** The SVG and the caption parts of one figure. */
export function drawFigure(fig: Figure): Drawn {
  switch (fig.kind) {
    case 'topology':
      return drawTopology(fig);
    case 'spread':
      return drawSpread(fig);
    case 'sequence':
      return drawSequence(fig);
  }
}

/** One figure as HTML: `<figure>` with the SVG inline and a caption (title, how to read it, notes). */
export function renderFigure(fig: Figure): string {
  const d = drawFigure(fig);
  const notes = d.notes.map((n) => ` <span class="fig-note">${esc(n)}</span>`).join('');
  return (
    `<figure class="figure figure-${d.kind}">` +
    `<div class="fig-scroll">${d.svg}</div>` +
    `<figcaption><strong>${esc(d.title)}</strong> ${esc(d.reading)}${notes}</figcaption>` +
    `</figure>`
  );
}
