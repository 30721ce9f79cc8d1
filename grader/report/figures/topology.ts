// The topology picture: peers where the topology put them, one arrow per directed link, as thick
// as its traffic, with its line count beside it; links with dropped lines red and dashed,
// crashed peers marked, and whatever the failure names (`n4->n5`, `n4`) in a strong colour.
import type { TopologyFigure } from '../../results/schema.js';
import { formatBytes, formatCount, pluralize } from '../format.js';
import { arrowhead, clip, cross, el, esc, finite, LabelSpace, svgRoot, text, textWidth, title } from './svg.js';
import type { Drawn } from './types.js';

interface Peer {
  id: string;
  x: number;
  y: number;
  crashed: boolean;
  hl: boolean;
}

interface Link {
  from: Peer;
  to: Peer;
  lines: number;
  bytes: number;
  dropped: number;
  hl: boolean;
  /** In the data (false: only named by a highlight). */
  seen: boolean;
}

const PAD = 44;
const MIN_W = 420;
const LABEL_FONT = 10;

export function drawTopology(fig: TopologyFigure): Drawn {
  const highlight = new Set((fig.highlight ?? []).map((h) => String(h).trim()));
  // Peers: the first entry of an id wins; positions clamped to the unit square.
  const peers = new Map<string, Peer>();
  for (const p of fig.peers) {
    if (peers.has(p.id)) continue;
    const unit = (v: number): number => Math.min(1, Math.max(0, finite(v, 0.5)));
    peers.set(p.id, { id: p.id, x: unit(p.x), y: unit(p.y), crashed: Boolean(p.crashed), hl: highlight.has(p.id) });
  }
  const list = [...peers.values()];
  const n = list.length;

  // Directed links, merged when the same one is listed twice; links to unknown peers are counted.
  const links = new Map<string, Link>();
  let unknown = 0;
  const key = (a: string, b: string): string => JSON.stringify([a, b]);
  for (const l of fig.links) {
    const from = peers.get(l.from);
    const to = peers.get(l.to);
    if (!from || !to) {
      unknown++;
      continue;
    }
    if (from === to) continue;
    const k = key(l.from, l.to);
    const prev = links.get(k);
    const lines = finite(l.lines);
    const bytes = finite(l.bytes);
    const dropped = finite(l.dropped);
    if (prev) {
      prev.lines += lines;
      prev.bytes += bytes;
      prev.dropped += dropped;
    } else links.set(k, { from, to, lines, bytes, dropped, hl: highlight.has(`${l.from}->${l.to}`), seen: true });
  }
  // A highlighted link that carried nothing is the point of the failure: draw it anyway.
  for (const h of highlight) {
    const m = /^(.+?)\s*->\s*(.+)$/.exec(h);
    if (!m) continue;
    const from = peers.get(m[1]);
    const to = peers.get(m[2]);
    if (!from || !to || from === to || links.has(key(from.id, to.id))) continue;
    links.set(key(from.id, to.id), { from, to, lines: 0, bytes: 0, dropped: 0, hl: true, seen: false });
  }

  // Geometry: the unit square scaled, cropped to the extent the peers use (a line is not a square).
  const side = n <= 8 ? 460 : n <= 30 ? 600 : 680;
  const xs = list.map((p) => p.x);
  const ys = list.map((p) => p.y);
  const minX = n ? Math.min(...xs) : 0;
  const minY = n ? Math.min(...ys) : 0;
  const spanX = n ? (Math.max(...xs) - minX) * side : 0;
  const spanY = n ? (Math.max(...ys) - minY) * side : 0;
  const width = Math.max(MIN_W, spanX + 2 * PAD);
  const plotH = spanY + 2 * PAD;
  const offX = (width - spanX) / 2;
  const px = (p: Peer): number => offX + (p.x - minX) * side;
  const py = (p: Peer): number => PAD + (p.y - minY) * side;

  // Node size: smaller with many peers, and never so big that neighbours touch.
  let closest = Infinity;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) closest = Math.min(closest, Math.hypot(px(list[i]) - px(list[j]), py(list[i]) - py(list[j])));
  const r = Math.max(6, Math.min(n <= 10 ? 18 : n <= 30 ? 14 : 11, closest * 0.22));

  // Thickness and labels by what the figure measures: lines, or bytes for a byte stream.
  const byBytes = fig.measure === 'bytes';
  const amount = (l: Link): number => (byBytes ? l.bytes : l.lines);
  const maxLines = Math.max(1, ...[...links.values()].map(amount));
  const strokeW = (l: Link): number => 1.2 + 4.3 * Math.sqrt(amount(l) / maxLines) + (l.hl ? 1.2 : 0);
  const cls = (l: Link): string =>
    ['lk', l.lines === 0 && l.dropped === 0 ? 'idle' : '', l.dropped > 0 ? 'drop' : '', l.hl ? 'hl' : ''].filter(Boolean).join(' ');

  // Draw order: quiet links first, highlighted ones last (on top).
  const rank = (l: Link): number => (l.hl ? 3 : l.dropped > 0 ? 2 : l.lines > 0 ? 1 : 0);
  const ordered = [...links.values()].sort(
    (a, b) => rank(a) - rank(b) || a.lines - b.lines || cmp(a.from.id, b.from.id) || cmp(a.to.id, b.to.id),
  );

  const space = new LabelSpace();
  // Nodes reserve their space first, so counts never sit on a peer.
  for (const p of list) space.take(px(p) - r, py(p) - r, px(p) + r, py(p) + r);

  const linkSvg: string[] = [];
  const labelSvg: string[] = [];
  let labelsLeftOut = 0;
  const pending: Array<{ l: Link; place: () => void }> = [];
  const segments: Segment[] = [];
  for (const l of ordered) {
    const x1 = px(l.from);
    const y1 = py(l.from);
    const x2 = px(l.to);
    const y2 = py(l.to);
    const d = Math.hypot(x2 - x1, y2 - y1) || 1;
    const ux = (x2 - x1) / d;
    const uy = (y2 - y1) / d;
    // Right-hand normal of the direction of travel: the two directions of a pair sit side by side.
    const nx = -uy;
    const ny = ux;
    const w = strokeW(l);
    const both = links.has(key(l.to.id, l.from.id));
    const off = both ? Math.max(2.6, w / 2 + 1.2) : 0;
    const gap = r + 2;
    const ax = x1 + ux * gap + nx * off;
    const ay = y1 + uy * gap + ny * off;
    const tipX = x2 - ux * (gap + 1) + nx * off;
    const tipY = y2 - uy * (gap + 1) + ny * off;
    // Short links (a ring of 50) get a smaller head, so the shaft stays visible.
    const avail = d - 2 * gap - 1;
    const headLen = Math.min(5 + 1.6 * w, avail * 0.45);
    const c = cls(l);
    const tip = `${l.from.id} → ${l.to.id}: ${pluralize(l.lines, 'line')}, ${formatBytes(l.bytes)}${l.dropped ? `, ${formatCount(l.dropped)} dropped` : ''}${l.seen ? '' : ' (nothing was sent)'}`;
    const shaft = el('line', {
      x1: ax,
      y1: ay,
      x2: tipX - ux * Math.max(0, headLen - 1),
      y2: tipY - uy * Math.max(0, headLen - 1),
      'stroke-width': w,
    });
    const head = headLen >= 4 ? arrowhead(tipX, tipY, ux, uy, headLen, Math.min(2.5 + w * 0.9, headLen * 0.75), 'ah') : '';
    linkSvg.push(el('g', { class: c }, title(tip) + shaft + head));
    segments.push({ pair: pairKey(l), x1: ax, y1: ay, x2: tipX, y2: tipY });

    // The count beside its arrow, on its own side: at the middle if that is free, else a little
    // towards either end (where chords cross in the middle), else (unless highlighted) left off.
    const label = byBytes ? formatBytes(l.bytes) : l.dropped > 0 ? `${formatCount(l.lines)} ✕${formatCount(l.dropped)}` : formatCount(l.lines);
    const lw = textWidth(label, LABEL_FONT);
    const lh = LABEL_FONT;
    const dist = off + w / 2 + 2 + Math.abs(nx) * (lw / 2) + Math.abs(ny) * (lh / 2);
    const along = lw * Math.abs(ux) + lh * Math.abs(uy);
    const idle = l.lines === 0 && l.dropped === 0;
    const room = avail > along + 8 && (!idle || l.hl);
    pending.push({
      l,
      place: () => {
        let at: [number, number] | undefined;
        for (const f of room ? [0.5, 0.36, 0.64, 0.26, 0.74] : []) {
          if (Math.abs(f - 0.5) * d + along / 2 > d / 2 - gap) continue;
          const cx = x1 + (x2 - x1) * f + nx * dist;
          const cy = y1 + (y2 - y1) * f + ny * dist;
          const box: Box = [cx - lw / 2 - 1, cy - lh / 2 - 1, cx + lw / 2 + 1, cy + lh / 2 + 1];
          // Not on another link's arrow (chords crossing in the middle of a ring), then free.
          if (segments.some((sg) => sg.pair !== pairKey(l) && crosses(sg, box))) continue;
          if (space.take(...box)) {
            at = [cx, cy];
            break;
          }
        }
        if (!at && l.hl) at = [(x1 + x2) / 2 + nx * dist, (y1 + y2) / 2 + ny * dist];
        // A dotted arrow already says "nothing": no 0 on it unless the failure names it.
        if (!at && idle && !l.hl) return;
        if (at) {
          const [mx, my] = at;
          const inner =
            l.dropped > 0
              ? `${esc(formatCount(l.lines))} ${el('tspan', { class: 'dropn' }, esc(`✕${formatCount(l.dropped)}`))}`
              : esc(label);
          labelSvg.push(el('text', { class: `cnt${l.hl ? ' hl' : ''}`, x: mx, y: my + lh * 0.35, 'text-anchor': 'middle' }, inner));
        } else labelsLeftOut++;
      },
    });
  }
  // Counts are placed most important first: highlighted, then dropped, then by traffic.
  pending.sort(
    (a, b) => rank(b.l) - rank(a.l) || b.l.lines - a.l.lines || cmp(a.l.from.id, b.l.from.id) || cmp(a.l.to.id, b.l.to.id),
  );
  for (const p of pending) p.place();

  // Peers: a circle with the id inside when it fits, below it otherwise.
  const fontSize = Math.max(7, Math.min(12, r * 0.75));
  const fits = Math.floor((2 * r - 3) / (fontSize * 0.6));
  const peerSvg: string[] = [];
  for (const p of [...list].sort((a, b) => Number(a.hl) - Number(b.hl))) {
    const x = px(p);
    const y = py(p);
    const c = ['pe', p.crashed ? 'crashed' : '', p.hl ? 'hl' : ''].filter(Boolean).join(' ');
    let inner = title(`${p.id}${p.crashed ? ' (crashed)' : ''}`);
    if (p.hl) inner += el('circle', { class: 'ring', cx: x, cy: y, r: r + 4 });
    inner += el('circle', { cx: x, cy: y, r });
    const shown = [...p.id].length <= fits ? p.id : undefined;
    if (shown !== undefined) inner += text(x, y + fontSize * 0.35, shown, { 'text-anchor': 'middle', 'font-size': fontSize });
    else inner += text(x, y + r + fontSize + 1, clip(p.id, 14), { class: 'below', 'text-anchor': 'middle', 'font-size': Math.min(fontSize, 10) });
    if (p.crashed) {
      const bx = x + r * 0.75;
      const by = y - r * 0.75;
      const br = Math.max(4, r * 0.38);
      inner += el('g', { class: 'badge' }, el('circle', { cx: bx, cy: by, r: br }) + cross(bx, by, br * 0.5));
    }
    peerSvg.push(el('g', { class: c }, inner));
  }

  const empty = n === 0 ? text(width / 2, plotH / 2, 'no peers', { class: 'mut', 'text-anchor': 'middle' }) : '';
  const legend = drawLegend(width, plotH, {
    links: links.size > 0,
    idle: [...links.values()].some((l) => l.lines === 0 && l.dropped === 0),
    dropped: [...links.values()].some((l) => l.dropped > 0),
    crashed: list.some((p) => p.crashed),
    hl: [...links.values()].some((l) => l.hl) || list.some((p) => p.hl),
    unit: byBytes ? 'bytes' : 'lines',
  });
  const height = plotH + legend.height;
  const svg = svgRoot(
    'topology',
    width,
    height,
    fig.title,
    el('g', {}, linkSvg.join('')) + el('g', {}, peerSvg.join('')) + el('g', {}, labelSvg.join('')) + empty + legend.svg,
  );

  const all = [...links.values()].filter((l) => l.seen);
  const totalLines = all.reduce((s, l) => s + l.lines, 0);
  const totalBytes = all.reduce((s, l) => s + l.bytes, 0);
  const totalDropped = all.reduce((s, l) => s + l.dropped, 0);
  const crashed = list.filter((p) => p.crashed).length;
  const notes = [
    `${pluralize(n, 'peer')}, ${pluralize(all.length, 'directed link')}, ${byBytes ? formatBytes(totalBytes) : `${pluralize(totalLines, 'line')} (${formatBytes(totalBytes)})`}` +
      (totalDropped ? `, ${formatCount(totalDropped)} dropped` : '') +
      (crashed ? `, ${pluralize(crashed, 'crashed peer')}` : '') +
      '.',
  ];
  if (labelsLeftOut > 0) notes.push(`${pluralize(labelsLeftOut, 'count')} left off where arrows are too short or crowded; hover an arrow for its numbers.`);
  if (unknown > 0) notes.push(`${pluralize(unknown, 'link')} to peers not on the map left out.`);
  return {
    kind: 'topology',
    title: fig.title,
    reading: byBytes
      ? 'Each circle is a peer, each arrow the bytes one peer sent (uploaded to) another through the grader’s network: thicker for more, with the amount beside it, dotted when nothing was sent; orange is what the failure names, a red ✕ badge marks a crashed peer.'
      : 'Each circle is a peer, each arrow the lines one peer sent another through the grader’s proxy: thicker for more lines, with the count beside it, dotted when nothing was sent; red dashed arrows had lines dropped (✕), orange is what the failure names, a red ✕ badge marks a crashed peer.',
    notes,
    svg,
  };
}

/** The legend under the picture, wrapped into rows; only the items this picture uses. */
function drawLegend(
  width: number,
  top: number,
  has: { links: boolean; idle: boolean; dropped: boolean; crashed: boolean; hl: boolean; unit: 'lines' | 'bytes' },
): { svg: string; height: number } {
  if (!has.links && !has.crashed && !has.hl) return { svg: '', height: 8 };
  const items: string[] = [];
  const rowH = 20;
  let x = 12;
  let y = top + 10;
  const item = (sample: (x: number, y: number) => string, label: string, w = 30): void => {
    const need = w + 14 + textWidth(label, 11);
    if (x > 12 && x + need > width - 8) {
      x = 12;
      y += rowH;
    }
    items.push(sample(x, y) + text(x + w + 6, y + 4, label, { class: 'mut' }));
    x += need;
  };
  const arrow =
    (cls: string, sw: number) =>
    (x: number, y: number): string =>
      el('g', { class: `lk ${cls}`.trim() }, el('line', { x1: x, y1: y, x2: x + 22, y2: y, 'stroke-width': sw }) + arrowhead(x + 30, y, 1, 0, 8, 2.5 + sw * 0.9, 'ah'));
  if (has.links) {
    item(arrow('', 1.2), `few ${has.unit}`);
    item(arrow('', 5.5), `many ${has.unit}`);
  }
  if (has.idle) item(arrow('idle', 1.2), 'nothing sent');
  if (has.dropped) item(arrow('drop', 2.5), 'lines dropped');
  if (has.hl) item(arrow('hl', 3), 'named by the failure');
  if (has.crashed)
    item((x, y) => el('g', { class: 'pe crashed' }, el('g', { class: 'badge' }, el('circle', { cx: x + 6, cy: y, r: 6 }) + cross(x + 6, y, 3))), 'crashed', 12);
  return { svg: el('g', { class: 'legend' }, items.join('')), height: y - top + rowH };
}

type Box = [number, number, number, number];
interface Segment {
  pair: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** The same for both directions of a pair of peers. */
function pairKey(l: Link): string {
  return JSON.stringify(l.from.id < l.to.id ? [l.from.id, l.to.id] : [l.to.id, l.from.id]);
}

/** Whether a segment passes through a box (Liang–Barsky clipping). */
function crosses(s: Segment, [x0, y0, x1, y1]: Box): boolean {
  const dx = s.x2 - s.x1;
  const dy = s.y2 - s.y1;
  let t0 = 0;
  let t1 = 1;
  for (const [p, q] of [
    [-dx, s.x1 - x0],
    [dx, x1 - s.x1],
    [-dy, s.y1 - y0],
    [dy, y1 - s.y1],
  ]) {
    if (p === 0) {
      if (q < 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return true;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
