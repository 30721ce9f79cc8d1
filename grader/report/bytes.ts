// Bytes as the reports show them: decoded from the transcript's base64, escaped with the same
// rules as the assertions (grader/results/escape.ts), quoted, and cut to a readable length with
// an honest count of what was not shown.
import { escapeByte } from '../results/escape.js';
import { formatCount } from './format.js';

export interface ShownBytes {
  /** Escaped and quoted: `"+PONG\r\n"`. */
  quoted: string;
  /** Bytes not shown: cut here for length, or never stored in the results (size > stored). */
  more: number;
  /** Total size of the data this stands for. */
  size: number;
}

/**
 * Escape and quote at most `maxChars` characters' worth of `data` (whole escapes only: a cut
 * never splits `\r` or `\x00`). `size` is the true size when `data` holds only the first bytes.
 */
export function showBytes(data: Uint8Array, maxChars = Infinity, size = data.length): ShownBytes {
  let out = '';
  let shown = 0;
  for (; shown < data.length; shown++) {
    const e = escapeByte(data[shown]);
    if (out.length + e.length > maxChars) break;
    out += e;
  }
  const total = Math.max(size, data.length);
  return { quoted: `"${out}"`, more: total - shown, size: total };
}

/** showBytes for the base64 `data` of a transcript entry. */
export function showBase64(data: string | undefined, maxChars = Infinity, size?: number): ShownBytes {
  const bytes = data ? Buffer.from(data, 'base64') : Buffer.alloc(0);
  return showBytes(bytes, maxChars, size ?? bytes.length);
}

/** `"abc" … 1,024 more bytes`: the quoted bytes with the cut spelled out. */
export function bytesText(shown: ShownBytes): string {
  return shown.more > 0 ? `${shown.quoted} … ${formatCount(shown.more)} more ${shown.more === 1 ? 'byte' : 'bytes'}` : shown.quoted;
}
