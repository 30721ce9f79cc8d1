// Small, pure formatting helpers shared by every report format: durations, points, percents,
// counts, and making student-controlled text safe to show (no terminal escapes, no invisible
// direction overrides). None of these know about HTML or Markdown; those escape on top.

/** `0 ms`, `<1 ms`, `12 ms`, `1.4 s`, `12.3 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms === 0) return '0 ms';
  if (ms < 1) return '<1 ms';
  const rounded = Math.round(ms);
  if (rounded < 1000) return `${rounded} ms`;
  const s = ms / 1000;
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const totalSeconds = Math.round(s);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  if (minutes < 60) return `${minutes} min ${seconds} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A number of points: `4`, `2.5`, `0.33`. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(2).replace(/\.?0+$/, '');
}

/** `4/4`, `2.5/4`. */
export function formatPoints(earned: number, possible: number): string {
  return `${formatNumber(earned)}/${formatNumber(possible)}`;
}

/** A percent that never claims 100% or 0% unless it is exactly that. */
export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return '—';
  if (p >= 100) return '100%';
  if (p <= 0) return '0%';
  return `${Math.min(99, Math.max(1, Math.round(p)))}%`;
}

/** 1234567 → `1,234,567` (locale-independent, so reports are the same everywhere). */
export function formatCount(n: number): string {
  const [int, frac] = String(n).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** `1 test`, `2 tests`, `1 entry` / `2 entries` (pass the plural when it is not singular + s). */
export function pluralize(n: number, singular: string, plural?: string): string {
  return `${formatCount(n)} ${n === 1 ? singular : (plural ?? singular + 's')}`;
}

/** `512 B`, `1.5 KiB`, `2.0 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
}

/** An ISO timestamp as `2025-11-23 22:31:05 UTC`; anything unparseable is shown as given. */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return sanitizeLine(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

// C0 controls other than \t and \n, DEL, C1 controls, and the Unicode bidi overrides/isolates
// ("Trojan Source"). A program's output may contain any of these; shown raw, they would move
// the cursor, recolour or clear a terminal, or reorder what a reader sees.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeUnsafe(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\r') return '\\r';
  if (code <= 0xff) return '\\x' + code.toString(16).padStart(2, '0');
  return '\\u' + code.toString(16).padStart(4, '0');
}

/**
 * Student-controlled, multi-line text made safe to show: CRLF becomes a newline, every other
 * control character (ESC, a lone CR, NUL, ...) becomes a visible escape like `\x1b`.
 */
export function sanitizeText(s: string): string {
  return s.replace(/\r\n/g, '\n').replace(UNSAFE, escapeUnsafe);
}

/** Like sanitizeText, for text that must stay on one line (ids, titles, table cells). */
export function sanitizeLine(s: string): string {
  return sanitizeText(s).replace(/\n/g, ' ');
}

/** Display width in columns, counting code points (everything we align is escaped ASCII). */
export function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Pad on the right to `w` columns; cut with `…` when longer. */
export function fit(s: string, w: number): string {
  const cps = [...s];
  if (cps.length > w) return cps.slice(0, Math.max(0, w - 1)).join('') + '…';
  return s + ' '.repeat(w - cps.length);
}

/** Pad on the left to `w` columns. */
export function padStart(s: string, w: number): string {
  return ' '.repeat(Math.max(0, w - width(s))) + s;
}

/** Split text into lines, dropping one trailing empty line (text that ends with a newline). */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
