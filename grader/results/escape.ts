// Bytes as a student should see them: printable ASCII as is, the usual escapes for \r \n \t,
// everything else as \xNN. Shared by assertions (which compute the caret) and every report.

const NAMED: Record<number, string> = { 0x0d: '\\r', 0x0a: '\\n', 0x09: '\\t', 0x5c: '\\\\', 0x22: '\\"' };

/** Escape one byte. */
export function escapeByte(b: number): string {
  const named = NAMED[b];
  if (named) return named;
  if (b >= 0x20 && b < 0x7f) return String.fromCharCode(b);
  return '\\x' + b.toString(16).padStart(2, '0');
}

export interface EscapeOptions {
  /** Show at most this many bytes; the rest is summarised as "… N more bytes". */
  maxBytes?: number;
}

/** Escape a byte string without surrounding quotes. */
export function escapeBytes(data: Uint8Array, opts: EscapeOptions = {}): string {
  const max = opts.maxBytes ?? Infinity;
  const shown = Math.min(data.length, max);
  let out = '';
  for (let i = 0; i < shown; i++) out += escapeByte(data[i]);
  if (data.length > shown) out += `… ${data.length - shown} more bytes`;
  return out;
}

/** Escape and quote: `"+PONG\r\n"`. */
export function quoteBytes(data: Uint8Array, opts: EscapeOptions = {}): string {
  const max = opts.maxBytes ?? Infinity;
  if (data.length > max) return `"${escapeBytes(data.subarray(0, max))}"… (${data.length - max} more bytes)`;
  return `"${escapeBytes(data)}"`;
}

/** Where, in the escaped (unquoted) form of `data`, byte `index` starts. */
export function escapedOffset(data: Uint8Array, index: number): number {
  let off = 0;
  for (let i = 0; i < Math.min(index, data.length); i++) off += escapeByte(data[i]).length;
  return off;
}
