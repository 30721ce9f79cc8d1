// Small helpers for drawing SVG as strings: escaping, byte-stable numbers, elements, axis ticks.
// Every string that comes from the results (peer ids, labels, titles, mark texts) goes through
// esc() before it is written, so a student program that names itself `</svg><script>` draws a
// harmless label. Numbers go through num(), so the same data always gives the same bytes.
import { formatCount, sanitizeLine } from '../format.js';

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text from the results, safe as SVG/HTML text and inside a quoted attribute (control characters made visible). */
export function esc(s: unknown): string {
  return sanitizeLine(String(s ?? '')).replace(/[&<>"']/g, (c) => ENTITY[c]);
}

/** At most `max` code points, with `…` when cut (never splits a surrogate pair). Escape afterwards. */
export function clip(s: string, max: number): string {
  const cps = [...sanitizeLine(s)];
  return cps.length <= max ? cps.join('') : cps.slice(0, Math.max(1, max - 1)).join('') + '…';
}

/** A coordinate or length: at most one decimal, never `-0`, never NaN. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return '0';
  const r = Math.round(x * 10) / 10;
  return r === 0 ? '0' : String(r);
}

/** A finite number, or the fallback. */
export function finite(x: unknown, fallback = 0): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : fallback;
}

export type Attrs = Record<string, string | number | undefined | false>;

/** Attributes in the given order; numbers through num(), strings escaped; undefined/false left out. */
export function attrs(a: Attrs): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined || v === false) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : esc(v)}"`;
  }
  return out;
}

/** An element; `inner` is markup the caller already escaped (use esc() or other el() calls). */
export function el(tag: string, a: Attrs, inner?: string): string {
  return inner === undefined ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${inner}</${tag}>`;
}

/** A text element holding results text (escaped here). */
export function text(x: number, y: number, s: string, a: Attrs = {}): string {
  return el('text', { x, y, ...a }, esc(s));
}

/** A tooltip (the first child of the element it describes). */
export function title(s: string): string {
  return `<title>${esc(clip(s, 300))}</title>`;
}

/** Points of a polygon or polyline. */
export function points(ps: Array<[number, number]>): string {
  return ps.map(([x, y]) => `${num(x)},${num(y)}`).join(' ');
}

/** A filled arrowhead whose tip is at (x, y), pointing along (dx, dy). */
export function arrowhead(x: number, y: number, dx: number, dy: number, length: number, halfWidth: number, cls: string): string {
  const d = Math.hypot(dx, dy) || 1;
  const ux = dx / d;
  const uy = dy / d;
  const bx = x - ux * length;
  const by = y - uy * length;
  return el('polygon', {
    class: cls,
    points: points([
      [x, y],
      [bx - uy * halfWidth, by + ux * halfWidth],
      [bx + uy * halfWidth, by - ux * halfWidth],
    ]),
  });
}

/** A small ✕ centred on (x, y). */
export function cross(x: number, y: number, size: number, cls?: string): string {
  return el('path', { class: cls, d: `M${num(x - size)} ${num(y - size)}L${num(x + size)} ${num(y + size)}M${num(x - size)} ${num(y + size)}L${num(x + size)} ${num(y - size)}` });
}

/** A 1-2-5 step that cuts `range` into about `target` pieces. */
export function niceStep(range: number, target: number): number {
  if (!(range > 0)) return 1;
  const raw = range / Math.max(1, target);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** 0, step, 2·step, … up to max (inclusive, within rounding). */
export function ticks(max: number, step: number): number[] {
  const out: number[] = [];
  for (let i = 0; i * step <= max * (1 + 1e-9) && out.length < 1000; i++) out.push(round(i * step, step));
  return out;
}

/** The smallest multiple of `step` that is ≥ x. */
export function ceilTo(x: number, step: number): number {
  return round(Math.ceil(x / step - 1e-9) * step, step);
}

/** Remove floating noise from a multiple of `step` (0.1 + 0.2 → 0.3). */
function round(x: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(x.toFixed(Math.min(10, decimals)));
}

/** Milliseconds for a label: `0 ms`, `250 ms`, `1.5 s`, `12 s`. */
export function msLabel(ms: number): string {
  const a = Math.abs(ms);
  if (a < 1000) return `${formatCount(Number(ms.toFixed(a < 10 ? 1 : 0)))} ms`;
  const s = ms / 1000;
  return `${Number(s.toFixed(Math.abs(s) < 10 ? 2 : 1))} s`;
}

/** Approximate width of a text in px (for layout only: digits and ids in a system font). */
export function textWidth(s: string, fontSize: number): number {
  return [...s].length * fontSize * 0.6;
}

/** Axis-aligned boxes already taken by labels; a new label goes only where it fits. */
export class LabelSpace {
  private boxes: Array<[number, number, number, number]> = [];
  /** Take the box if it overlaps none taken before; returns whether it was free. */
  take(x0: number, y0: number, x1: number, y1: number): boolean {
    for (const [a0, b0, a1, b1] of this.boxes) if (x0 < a1 && a0 < x1 && y0 < b1 && b0 < y1) return false;
    this.boxes.push([x0, y0, x1, y1]);
    return true;
  }
}

/** The root <svg> element: scales down to the page width, keeps its aspect. */
export function svgRoot(kind: string, width: number, height: number, label: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="fig fig-${esc(kind)}"${attrs({ viewBox: `0 0 ${num(width)} ${num(height)}`, width, height, role: 'img', 'aria-label': label })}>` +
    title(label) +
    body +
    '</svg>'
  );
}
