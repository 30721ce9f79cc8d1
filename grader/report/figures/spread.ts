// The spread picture: for every broadcast value, how many peers knew it how long after it was
// broadcast (a faint step line each, red for a value that never reached every peer), the median
// over all values (strong), and the bound the test allowed (a dashed vertical line).
import type { SpreadFigure } from '../../results/schema.js';
import { formatCount, pluralize } from '../format.js';
import { ceilTo, el, finite, msLabel, niceStep, num, svgRoot, text, textWidth, ticks, title } from './svg.js';
import type { Drawn } from './types.js';

const W = 720;
const LEFT = 54;
const RIGHT = 26;
const TOP = 22;
const PLOT_H = 300;
/** Curves drawn at most; the median is over every value. */
export const MAX_CURVES = 100;

interface Curve {
  /** Times since the broadcast at which the count went up by one, ascending, clamped at 0. */
  steps: number[];
  complete: boolean;
  index: number;
}

export function drawSpread(fig: SpreadFigure): Drawn {
  const peerCount = Math.max(1, Math.floor(finite(fig.peerCount, 1)));
  const bound = fig.boundMs !== undefined && Number.isFinite(fig.boundMs) && fig.boundMs >= 0 ? fig.boundMs : undefined;
  const curves: Curve[] = fig.values.map((v, index) => {
    const at = finite(v.broadcastAtMs);
    const steps = v.learnedAtMs
      .filter((t) => Number.isFinite(t))
      .map((t) => Math.max(0, t - at))
      .sort((a, b) => a - b)
      .slice(0, peerCount);
    return { steps, complete: steps.length >= peerCount, index };
  });

  // x axis: up to the last time any peer learned anything, and past the bound, unless the bound
  // is so far beyond that the curves would be squeezed into a corner: then it is named at the edge.
  const lastLearned = Math.max(0, ...curves.map((c) => c.steps[c.steps.length - 1] ?? 0));
  const boundBeyond = bound !== undefined && lastLearned > 0 && bound > lastLearned * 2.5;
  const rawMax = Math.max(lastLearned * 1.04, bound !== undefined && !boundBeyond ? bound * 1.1 : 0) || (bound ?? 1000) || 1000;
  const xStep = niceStep(rawMax, 7);
  const xMax = ceilTo(rawMax, xStep);
  const plotW = W - LEFT - RIGHT;
  const sx = (ms: number): number => LEFT + (Math.min(ms, xMax) / xMax) * plotW;
  const sy = (count: number): number => TOP + PLOT_H - (count / peerCount) * PLOT_H;
  const useSeconds = xMax >= 5000;

  // Which curves to draw: every incomplete one first, then in order, up to the cap; drawn in order.
  const chosen = new Set<number>();
  for (const c of curves) if (!c.complete && chosen.size < MAX_CURVES) chosen.add(c.index);
  for (const c of curves) if (chosen.size < MAX_CURVES) chosen.add(c.index);
  const shown = curves.filter((c) => chosen.has(c.index));
  const opacity = shown.length <= 10 ? 0.6 : shown.length <= 40 ? 0.4 : 0.25;

  const parts: string[] = [];
  // Grid and axes.
  const yStep = Math.max(1, niceStep(peerCount, 5));
  const yTicks = ticks(peerCount, yStep).filter((v) => Number.isInteger(v));
  if (yTicks[yTicks.length - 1] !== peerCount) yTicks.push(peerCount);
  const grid: string[] = [];
  for (const v of yTicks) {
    grid.push(el('line', { class: 'grid', x1: LEFT, y1: sy(v), x2: LEFT + plotW, y2: sy(v) }));
    grid.push(text(LEFT - 6, sy(v) + 4, formatCount(v), { class: 'tick', 'text-anchor': 'end' }));
  }
  for (const v of ticks(xMax, xStep)) {
    grid.push(el('line', { class: 'grid', x1: sx(v), y1: TOP, x2: sx(v), y2: TOP + PLOT_H }));
    grid.push(text(sx(v), TOP + PLOT_H + 15, useSeconds ? secondsLabel(v) : msTick(v), { class: 'tick', 'text-anchor': 'middle' }));
  }
  parts.push(el('g', {}, grid.join('')));
  parts.push(el('line', { class: 'all', x1: LEFT, y1: sy(peerCount), x2: LEFT + plotW, y2: sy(peerCount) }));
  parts.push(text(LEFT + plotW - 4, sy(peerCount) - 5, allPeers(peerCount), { class: 'mut', 'text-anchor': 'end' }));

  // One faint step line per value.
  const lines: string[] = [];
  for (const c of shown) {
    const v = fig.values[c.index];
    const tip = `${fig.words.item} ${v.value} from ${v.origin}: ${c.complete ? `at every peer after ${msLabel(c.steps[c.steps.length - 1] ?? 0)}` : `reached ${formatCount(c.steps.length)} of ${formatCount(peerCount)} peers`}`;
    lines.push(el('path', { class: `sv${c.complete ? '' : ' inc'}`, d: stepPath(c.steps, sx, sy, xMax) }, title(tip)));
  }
  parts.push(el('g', { 'stroke-opacity': opacity }, lines.join('')));

  // The median over all values, evaluated at every pixel column where some count changes.
  const med = medianSteps(curves, xMax, plotW);
  if (med) {
    let d = `M${num(sx(med[0][0]))} ${num(sy(med[0][1]))}`;
    for (const [t, count] of med.slice(1)) d += `H${num(sx(t))}V${num(sy(count))}`;
    parts.push(el('path', { class: 'med', d: d + `H${num(sx(xMax))}` }));
  }

  // The bound.
  if (bound !== undefined && boundBeyond) {
    const label = `bound ${msLabel(bound)} →`;
    parts.push(text(LEFT + plotW - 4, TOP + PLOT_H - 8, label, { class: 'boundt', 'text-anchor': 'end' }));
  } else if (bound !== undefined) {
    const x = sx(bound);
    parts.push(el('line', { class: 'bound', x1: x, y1: TOP - 4, x2: x, y2: TOP + PLOT_H }));
    const label = `bound ${msLabel(bound)}`;
    const right = x + 6 + textWidth(label, 11) < LEFT + plotW;
    parts.push(text(right ? x + 5 : x - 5, TOP + PLOT_H - 8, label, { class: 'boundt', 'text-anchor': right ? 'start' : 'end' }));
  }
  if (curves.length === 0)
    parts.push(text(LEFT + plotW / 2, TOP + PLOT_H / 2, fig.words.none, { class: 'mut', 'text-anchor': 'middle' }));

  // Axes and their titles.
  parts.push(el('path', { class: 'ax', d: `M${num(LEFT)} ${num(TOP)}V${num(TOP + PLOT_H)}H${num(LEFT + plotW)}` }));
  parts.push(text(LEFT + plotW / 2, TOP + PLOT_H + 33, `${useSeconds ? 's' : 'ms'} ${fig.words.since}`, { class: 'axt', 'text-anchor': 'middle' }));
  const yMid = TOP + PLOT_H / 2;
  parts.push(text(14, yMid, fig.words.axis, { class: 'axt', 'text-anchor': 'middle', transform: `rotate(-90 14 ${num(yMid)})` }));

  // Legend.
  const ly = TOP + PLOT_H + 54;
  const legend: string[] = [];
  let lx = LEFT;
  const item = (sample: string, label: string): void => {
    legend.push(sample + text(lx + 28, ly + 4, label, { class: 'mut' }));
    lx += 40 + textWidth(label, 11);
  };
  const sample = (cls: string, extra: Record<string, number> = {}): string => el('line', { class: cls, x1: lx, y1: ly, x2: lx + 22, y2: ly, ...extra });
  item(sample('sv', { 'stroke-opacity': 0.8 }), `one ${fig.words.item}`);
  if (curves.some((c) => !c.complete)) item(sample('sv inc', { 'stroke-opacity': 0.8 }), 'did not reach every peer');
  if (med) item(sample('med'), `median of all ${fig.words.item}s`);
  if (bound !== undefined && !boundBeyond) item(sample('bound'), 'the bound');
  parts.push(el('g', { class: 'legend' }, legend.join('')));

  const height = ly + 16;
  const svg = svgRoot('spread', W, height, fig.title, parts.join(''));

  const complete = curves.filter((c) => c.complete).length;
  const notes: string[] = [];
  if (curves.length > 0) {
    const times = curves.filter((c) => c.complete).map((c) => c.steps[c.steps.length - 1]);
    let fact = `${formatCount(complete)} of ${pluralize(curves.length, fig.words.item)} reached ${allPeers(peerCount)}`;
    if (times.length > 0) {
      const sorted = [...times].sort((a, b) => a - b);
      fact += `; median time to reach all: ${msLabel(sorted[Math.floor((sorted.length - 1) / 2)])}, slowest: ${msLabel(sorted[sorted.length - 1])}`;
      if (bound !== undefined) {
        const late = times.filter((t) => t > bound).length;
        if (late > 0) fact += `; ${formatCount(late)} later than the bound`;
      }
    }
    notes.push(fact + '.');
  }
  if (shown.length < curves.length)
    notes.push(`${formatCount(shown.length)} of ${formatCount(curves.length)} ${fig.words.item}s drawn (every ${fig.words.item} that missed a peer among them); the median is over all.`);
  return {
    kind: 'spread',
    title: fig.title,
    reading: `Each faint step line is one ${fig.words.item}: the count of ${fig.words.axis}, ${useSeconds ? 'seconds' : 'milliseconds'} ${fig.words.since} (red: it never reached every peer); the strong line is the median over all ${fig.words.item}s${bound === undefined ? '' : boundBeyond ? '; the bound the test allowed lies beyond the right edge' : ', the dashed line the bound the test allowed'}.`,
    notes,
    svg,
  };
}

/** M x0 y0 H x1 V y1 … : a step line that rises by one at each time, then runs to the right edge. */
function stepPath(steps: number[], sx: (ms: number) => number, sy: (n: number) => number, xMax: number): string {
  let d = `M${num(sx(0))} ${num(sy(0))}`;
  steps.forEach((t, i) => (d += `H${num(sx(t))}V${num(sy(i + 1))}`));
  return d + `H${num(sx(xMax))}`;
}

/** The median count over every value, as (time, count) steps at pixel resolution; undefined without values. */
function medianSteps(curves: Curve[], xMax: number, plotW: number): Array<[number, number]> | undefined {
  if (curves.length === 0) return undefined;
  const px = xMax / plotW;
  // Times where some count changes, rounded up to their pixel column.
  const cols = new Set<number>([0]);
  for (const c of curves) for (const t of c.steps) cols.add(Math.min(plotW, Math.ceil(t / px - 1e-9)));
  const out: Array<[number, number]> = [];
  const counts = new Array<number>(curves.length);
  for (const col of [...cols].sort((a, b) => a - b)) {
    const t = col * px;
    curves.forEach((c, i) => (counts[i] = upperBound(c.steps, t + px * 1e-6)));
    const sorted = [...counts].sort((a, b) => a - b);
    const m = sorted.length;
    const median = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    if (out.length === 0 || out[out.length - 1][1] !== median) out.push([t, median]);
  }
  return out;
}

/** How many entries of the ascending array are ≤ x. */
function upperBound(a: number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function allPeers(n: number): string {
  return n === 1 ? 'the one peer' : `all ${formatCount(n)} peers`;
}

function msTick(ms: number): string {
  return formatCount(ms);
}

function secondsLabel(ms: number): string {
  return String(Number((ms / 1000).toFixed(3)));
}
