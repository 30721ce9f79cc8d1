// The sequence picture (a few peers): one lifeline per peer, time running downwards, each line
// between peers an arrow from where it was sent to where it was delivered; dropped lines end in
// a red ✕ halfway. Partitions are shaded bands until the heal, cuts are lines across the peers
// they concern, a crash is a ✕ on the lifeline (dashed until the restart), broadcasts and reads
// are small markers.
//
// Time is monotone but not linear: every event gets a little room even in a burst, and long quiet
// stretches are shortened (marked ≈ on the time axis); the labels on the axis are real times.
import type { SequenceFigure } from '../../results/schema.js';
import { formatCount, pluralize } from '../format.js';
import { arrowhead, clip, cross, el, finite, LabelSpace, msLabel, niceStep, num, svgRoot, text, textWidth, title } from './svg.js';
import type { Drawn } from './types.js';

/** Arrows drawn at most; the rest are added to the omitted count. */
export const MAX_ARROWS = 400;
export const MAX_MARKS = 200;
/** Lifelines drawn at most (the picture is meant for a handful of peers). */
export const MAX_LIFELINES = 12;

const W = 720;
const LEFT = 70;
const RIGHT = 16;
const HEAD_H = 26;
const TOP = 12 + HEAD_H + 14;
const TARGET_H = 520;
const MAX_GAP = 70;
const LABEL_FONT = 9.5;

type Mark = SequenceFigure['marks'][number];
type Message = SequenceFigure['messages'][number];

export function drawSequence(fig: SequenceFigure): Drawn {
  const ids: string[] = [];
  for (const p of fig.peers) if (!ids.includes(p) && ids.length < MAX_LIFELINES) ids.push(p);
  const col = new Map(ids.map((p, i) => [p, i]));
  const n = ids.length;
  const colW = (W - LEFT - RIGHT) / Math.max(1, n);
  const lx = (p: string): number => LEFT + colW * ((col.get(p) ?? 0) + 0.5);

  // Messages between known peers, in time order (stable), capped.
  const known = fig.messages.filter((m) => col.has(m.from) && col.has(m.to) && Number.isFinite(m.sentAtMs));
  const unknownPeers = fig.messages.length - known.length;
  const sorted = known
    .map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.sentAtMs - b.m.sentAtMs || a.i - b.i)
    .map((x) => x.m);
  const messages = sorted.slice(0, MAX_ARROWS);
  const omitted = finite(fig.messagesOmitted) + (sorted.length - messages.length);
  const marks = fig.marks
    .filter((k) => Number.isFinite(k.atMs))
    .map((k, i) => ({ k, i }))
    .sort((a, b) => a.k.atMs - b.k.atMs || a.i - b.i)
    .map((x) => x.k)
    .slice(0, MAX_MARKS);
  const marksLeftOut = fig.marks.length - marks.length;

  // The time axis: every event time gets at least `minGap` px after the previous one.
  const delivered = (m: Message): number | undefined =>
    m.deliveredAtMs !== undefined && Number.isFinite(m.deliveredAtMs) && !m.dropped ? Math.max(m.sentAtMs, m.deliveredAtMs) : undefined;
  const times = new Set<number>();
  for (const m of messages) {
    times.add(m.sentAtMs);
    const d = delivered(m);
    if (d !== undefined) times.add(d);
  }
  for (const k of marks) times.add(k.atMs);
  const ts = [...times].sort((a, b) => a - b);
  const t0 = ts[0] ?? 0;
  const span = (ts[ts.length - 1] ?? 0) - t0;
  const minGap = ts.length > 300 ? 2 : ts.length > 120 ? 3.5 : 6;
  // At most 1.5 px per ms, so a few events close together do not stretch to the full height.
  const scale = span > 0 ? Math.min(1.5, TARGET_H / span) : 1;
  const ys: number[] = [];
  const breaks: Array<[number, number]> = [];
  ts.forEach((t, i) => {
    if (i === 0) return void ys.push(TOP + 10);
    const linear = (t - ts[i - 1]) * scale;
    const gap = Math.min(MAX_GAP, Math.max(minGap, linear));
    if (linear > MAX_GAP * 1.5) breaks.push([ys[i - 1], ys[i - 1] + gap]);
    ys.push(ys[i - 1] + gap);
  });
  const yOf = (t: number): number => {
    if (ts.length === 0) return TOP + 10;
    if (t <= ts[0]) return ys[0];
    if (t >= ts[ts.length - 1]) return ys[ys.length - 1];
    let lo = 0;
    let hi = ts.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (ts[mid] <= t) lo = mid;
      else hi = mid;
    }
    return ys[lo] + ((t - ts[lo]) / (ts[hi] - ts[lo])) * (ys[hi] - ys[lo]);
  };
  const bottom = (ys[ys.length - 1] ?? TOP + 10) + 24;

  const space = new LabelSpace();
  const back: string[] = [];
  const front: string[] = [];

  // Partition bands (until the next heal), heal and cut lines.
  const spanOf = (k: Mark): [number, number] => {
    const cols = k.peers.filter((p) => col.has(p)).map((p) => lx(p));
    if (cols.length < 2) return [LEFT, W - RIGHT];
    return [Math.min(...cols) - colW * 0.35, Math.max(...cols) + colW * 0.35];
  };
  const lastTime = ts[ts.length - 1] ?? 0;
  marks.forEach((k, i) => {
    const y = yOf(k.atMs);
    if (k.kind === 'partition') {
      const heal = marks.slice(i + 1).find((h) => h.kind === 'heal');
      const y2 = heal ? yOf(heal.atMs) : bottom - 8;
      const [x1, x2] = spanOf(k);
      back.push(el('g', { class: 'band' }, title(`partition at ${msLabel(k.atMs)}: ${k.text}`) + el('rect', { x: x1, y, width: x2 - x1, height: Math.max(2, y2 - y) })));
      back.push(el('line', { class: 'mk-line part', x1, y1: y, x2, y2: y }));
      front.push(markLabel(space, x1 + 3, y - 3, kindText(k), 'mk-t part'));
    } else if (k.kind === 'heal' || k.kind === 'cut') {
      const [x1, x2] = spanOf(k);
      back.push(el('g', { class: `mk-line ${k.kind}` }, title(`${k.kind} at ${msLabel(k.atMs)}: ${k.text}`) + el('line', { x1, y1: y, x2, y2: y })));
      front.push(markLabel(space, x1 + 3, y - 3, kindText(k), `mk-t ${k.kind}`));
    }
  });

  // Lifelines: solid while up, dashed from a crash until the restart.
  const down = new Map<string, Array<[number, number]>>();
  for (const p of ids) {
    const spans: Array<[number, number]> = [];
    let from: number | undefined;
    for (const k of marks) {
      if (!concerns(k, p)) continue;
      if (k.kind === 'crash' && from === undefined) from = yOf(k.atMs);
      if (k.kind === 'restart' && from !== undefined) {
        spans.push([from, yOf(k.atMs)]);
        from = undefined;
      }
    }
    if (from !== undefined) spans.push([from, bottom]);
    down.set(p, spans);
  }
  const lifelines: string[] = [];
  for (const p of ids) {
    const x = lx(p);
    let y = TOP;
    let d = '';
    let dd = '';
    for (const [a, b] of down.get(p) ?? []) {
      if (a > y) d += `M${num(x)} ${num(y)}V${num(a)}`;
      dd += `M${num(x)} ${num(a)}V${num(b)}`;
      y = b;
    }
    if (bottom > y) d += `M${num(x)} ${num(y)}V${num(bottom)}`;
    if (d) lifelines.push(el('path', { class: 'll', d }));
    if (dd) lifelines.push(el('path', { class: 'll down', d: dd }));
  }
  back.push(el('g', {}, lifelines.join('')));

  // Markers on lifelines (crash ✕, restart ○, broadcast ◆, read □) and their labels take their
  // room before the arrows' labels do.
  const markers: string[] = [];
  for (const k of marks) {
    if (k.kind === 'partition' || k.kind === 'heal' || k.kind === 'cut') continue;
    const y = yOf(k.atMs);
    const on = k.peers.length ? k.peers.filter((p) => col.has(p)) : ids;
    for (const p of on) {
      const x = lx(p);
      let shape: string;
      if (k.kind === 'crash') shape = el('circle', { class: 'bg', cx: x, cy: y, r: 7 }) + cross(x, y, 5, 'x');
      else if (k.kind === 'restart') shape = el('circle', { class: 'rs', cx: x, cy: y, r: 5 });
      else if (k.kind === 'broadcast') shape = el('rect', { class: 'bc', x: x - 4.5, y: y - 4.5, width: 9, height: 9, transform: `rotate(45 ${num(x)} ${num(y)})` });
      else shape = el('rect', { class: 'rd', x: x - 4, y: y - 4, width: 8, height: 8 });
      markers.push(el('g', {}, title(`${k.kind} ${p} at ${msLabel(k.atMs)}: ${k.text}`) + shape));
      space.take(x - 7, y - 7, x + 7, y + 7);
      // The label right of the marker, or left of it at the right edge.
      const label = clip(k.text || k.kind, 22);
      const w = textWidth(label, LABEL_FONT);
      const right = x + 10 + w <= W - 2;
      const x0 = right ? x + 8 : x - 10 - w;
      if (space.take(x0, y - LABEL_FONT / 2 - 1, x0 + w + 2, y + LABEL_FONT / 2 + 1))
        front.push(text(right ? x + 9 : x - 9, y + 3.5, label, { class: `mk-t ${k.kind}`, 'text-anchor': right ? undefined : 'end' }));
    }
  }

  // Arrows.
  const arrows: string[] = [];
  const labels: string[] = [];
  let labelsLeftOut = 0;
  for (const m of messages) {
    const x1 = lx(m.from);
    const y1 = yOf(m.sentAtMs);
    const d = delivered(m);
    const tip = `${m.from} → ${m.to} at ${msLabel(m.sentAtMs)}${d !== undefined ? `, delivered at ${msLabel(d)}` : m.dropped ? ', dropped by the grader' : ', not delivered'}: ${m.label}`;
    let body: string;
    let cls: string;
    let mid: [number, number];
    if (m.from === m.to) {
      const y2 = d !== undefined ? Math.max(yOf(d), y1 + 6) : y1 + 10;
      cls = m.dropped ? 'msg drop' : 'msg';
      body = el('path', { d: `M${num(x1)} ${num(y1)}h16V${num(y2)}h-10` }) + arrowhead(x1 + 1, y2, -1, 0, 6, 3, 'ah');
      mid = [x1 + 18, (y1 + y2) / 2];
    } else if (d !== undefined) {
      const x2 = lx(m.to);
      const y2 = Math.max(yOf(d), y1);
      const len = Math.hypot(x2 - x1, y2 - y1) || 1;
      const ux = (x2 - x1) / len;
      const uy = (y2 - y1) / len;
      const tipX = x2 - ux * 1.5;
      const tipY = y2 - uy * 1.5;
      cls = 'msg';
      body = el('line', { x1, y1, x2: tipX - ux * 6, y2: tipY - uy * 6 }) + arrowhead(tipX, tipY, ux, uy, 7, 3, 'ah');
      mid = [(x1 + x2) / 2, (y1 + y2) / 2];
    } else {
      // Dropped (red ✕) or never delivered (grey, open end): halfway to the receiver.
      const xm = (x1 + lx(m.to)) / 2;
      const ym = y1 + 10;
      cls = m.dropped ? 'msg drop' : 'msg lost';
      body = el('line', { x1, y1, x2: xm, y2: ym }) + (m.dropped ? cross(xm, ym, 4, 'x') : el('circle', { class: 'end', cx: xm, cy: ym, r: 2.5 }));
      mid = [(x1 + xm) / 2, (y1 + ym) / 2];
    }
    arrows.push(el('g', { class: cls }, title(tip) + body));
    // The line's text above the middle of its arrow, where it does not cover another label.
    const label = clip(m.label, Math.max(6, Math.floor(Math.min(colW * 0.8, 170) / (LABEL_FONT * 0.6))));
    if (label !== '') {
      const w = textWidth(label, LABEL_FONT);
      const [mx, my] = mid;
      if (space.take(mx - w / 2 - 1, my - LABEL_FONT - 2, mx + w / 2 + 1, my)) labels.push(text(mx, my - 3, label, { class: `ml${m.dropped ? ' drop' : ''}`, 'text-anchor': 'middle' }));
      else labelsLeftOut++;
    }
  }

  // Peer names at the top (and at the bottom of a tall picture).
  const heads: string[] = [];
  const head = (y: number): void => {
    for (const p of ids) {
      const x = lx(p);
      const w = Math.min(colW - 8, Math.max(40, textWidth(p, 12) + 16));
      const shown = clip(p, Math.floor((w - 8) / 7.2));
      heads.push(el('g', { class: 'lh' }, title(p) + el('rect', { x: x - w / 2, y, width: w, height: HEAD_H, rx: 5 }) + text(x, y + HEAD_H / 2 + 4.5, shown, { 'text-anchor': 'middle' })));
    }
  };
  head(12);
  const tall = bottom > 700;
  if (tall) head(bottom + 2);

  // Time axis labels at round times, where there is room; ≈ where quiet time was shortened.
  const axis: string[] = [];
  if (ts.length > 0) {
    const step = niceStep(Math.max(span, 1), Math.max(4, Math.round((bottom - TOP) / 70)));
    let lastY = -Infinity;
    for (let t = Math.ceil(t0 / step) * step; t <= lastTime + 1e-9; t += step) {
      const y = yOf(t);
      if (y - lastY < 18) continue;
      lastY = y;
      axis.push(el('line', { class: 'tk', x1: LEFT - 4, y1: y, x2: LEFT, y2: y }) + text(LEFT - 7, y + 3.5, msLabel(Number(t.toFixed(6))), { class: 'tick', 'text-anchor': 'end' }));
    }
    for (const [a, b] of breaks) axis.push(text(LEFT - 8, (a + b) / 2 + 4, '≈', { class: 'brk', 'text-anchor': 'end' }));
  }
  if (n === 0) axis.push(text(W / 2, TOP + 30, 'no peers', { class: 'mut', 'text-anchor': 'middle' }));
  else if (messages.length === 0 && marks.length === 0) axis.push(text(W / 2, TOP + 30, 'no lines between peers', { class: 'mut', 'text-anchor': 'middle' }));

  const height = (tall ? bottom + HEAD_H + 14 : bottom + 8) + (n === 0 || ts.length === 0 ? 40 : 0);
  const svg = svgRoot(
    'sequence',
    W,
    height,
    fig.title,
    back.join('') + el('g', {}, arrows.join('')) + el('g', {}, labels.join('')) + el('g', {}, markers.join('')) + front.join('') + heads.join('') + axis.join(''),
  );

  const notes: string[] = [];
  const droppedN = messages.filter((m) => m.dropped).length;
  notes.push(`${pluralize(messages.length, 'line')} drawn${droppedN ? `, ${formatCount(droppedN)} dropped` : ''}.`);
  if (omitted > 0) notes.push(`${pluralize(omitted, 'more line')} left out to keep the picture readable.`);
  if (labelsLeftOut > 0) notes.push(`${pluralize(labelsLeftOut, 'label')} left off where arrows crowd; hover an arrow for its line.`);
  if (fig.peers.length > ids.length) notes.push(`Only the first ${formatCount(MAX_LIFELINES)} of ${pluralize(fig.peers.length, 'peer')} drawn.`);
  if (unknownPeers > 0) notes.push(`${pluralize(unknownPeers, 'line')} to or from peers without a lifeline left out.`);
  if (marksLeftOut > 0) notes.push(`${pluralize(marksLeftOut, 'event')} left out.`);
  return {
    kind: 'sequence',
    title: fig.title,
    reading:
      'Time runs downwards along each peer’s lifeline; an arrow is one line sent by a peer (tail) and delivered to another (head), a red ✕ a line the grader dropped; shaded bands are partitions, a ✕ on a lifeline a crash (dashed until the restart), ◆ a broadcast and □ a read; quiet stretches are shortened (≈).',
    notes,
    svg,
  };
}

/** `partition: {n0,n1} | {n2}`, but `healed` rather than `heal: healed`. */
function kindText(k: Mark): string {
  const t = k.text.trim();
  if (t === '') return k.kind;
  return t.toLowerCase().startsWith(k.kind) ? t : `${k.kind}: ${t}`;
}

function concerns(k: Mark, peer: string): boolean {
  return k.peers.length === 0 || k.peers.includes(peer);
}

function markLabel(space: LabelSpace, x: number, y: number, s: string, cls: string): string {
  const label = clip(s, 60);
  space.take(x, y - LABEL_FONT, x + textWidth(label, LABEL_FONT), y + 2);
  return text(x, y, label, { class: cls });
}
