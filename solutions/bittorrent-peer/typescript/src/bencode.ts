// Bencode (BEP 3), decoding only: the peer reads metainfo files and tracker responses, and never
// has to write bencode.
//
//   i42e          integer (no leading zeros, no "-0")
//   4:spam        byte string: kept as a Buffer, since strings may be binary (pieces, peers)
//   l...e         list
//   d...e         dictionary: byte-string keys; kept as a Map keyed by the key's latin1 text
//                 (latin1 maps bytes to characters one to one, so no key is ever mangled)
//
// Every dictionary also records where each of its values starts and ends in the input: the
// info_hash is the SHA-1 of the `info` value's bytes exactly as they are in the file.

export type BValue = number | Buffer | BValue[] | BDict;

export class BDict {
  readonly map = new Map<string, BValue>();
  /** key -> [start, end) of the value's bytes in the decoded input. */
  readonly spans = new Map<string, [number, number]>();

  get(key: string): BValue | undefined {
    return this.map.get(key);
  }
}

export class BencodeError extends Error {}

/** Deeper nesting than this is not a real torrent or tracker response (and would overflow the stack). */
const MAX_DEPTH = 200;

const CH_I = 0x69; // 'i'
const CH_L = 0x6c; // 'l'
const CH_D = 0x64; // 'd'
const CH_E = 0x65; // 'e'
const CH_COLON = 0x3a;
const CH_MINUS = 0x2d;
const CH_0 = 0x30;
const CH_9 = 0x39;

/**
 * Decodes one bencoded value at the start of `buf`. Bytes after it are an error unless
 * allowTrailing (some trackers end their response with a newline).
 */
export function decode(buf: Buffer, allowTrailing = false): BValue {
  const [value, end] = decodeAt(buf, 0, 0);
  if (end !== buf.length && !allowTrailing) throw new BencodeError(`trailing data after the value at offset ${end}`);
  return value;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= CH_0 && c <= CH_9;
}

/** A run of decimal digits (with an optional minus) from `pos` to just before `stop`. */
function readNumber(buf: Buffer, pos: number, stop: number, allowNegative: boolean): [number, number] {
  const end = buf.indexOf(stop, pos);
  if (end < 0) throw new BencodeError(`unterminated number at offset ${pos}`);
  const text = buf.toString('latin1', pos, end);
  const ok = allowNegative ? /^(0|-?[1-9][0-9]*)$/.test(text) : /^(0|[1-9][0-9]*)$/.test(text);
  if (!ok) throw new BencodeError(`malformed number ${JSON.stringify(text.slice(0, 30))} at offset ${pos}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new BencodeError(`number too large at offset ${pos}`);
  return [n, end + 1];
}

function decodeAt(buf: Buffer, pos: number, depth: number): [BValue, number] {
  if (depth > MAX_DEPTH) throw new BencodeError('nesting too deep');
  const c = buf[pos];
  if (c === undefined) throw new BencodeError(`unexpected end of data at offset ${pos}`);
  if (c === CH_I) return readNumber(buf, pos + 1, CH_E, true);
  if (isDigit(c)) {
    const [len, start] = readNumber(buf, pos, CH_COLON, false);
    if (start + len > buf.length) throw new BencodeError(`byte string of ${len} bytes runs past the end at offset ${pos}`);
    return [buf.subarray(start, start + len), start + len];
  }
  if (c === CH_L) {
    const list: BValue[] = [];
    pos++;
    while (buf[pos] !== CH_E) {
      if (buf[pos] === undefined) throw new BencodeError('unterminated list');
      const [item, next] = decodeAt(buf, pos, depth + 1);
      list.push(item);
      pos = next;
    }
    return [list, pos + 1];
  }
  if (c === CH_D) {
    const dict = new BDict();
    pos++;
    while (buf[pos] !== CH_E) {
      if (buf[pos] === undefined) throw new BencodeError('unterminated dictionary');
      if (!isDigit(buf[pos])) throw new BencodeError(`dictionary key is not a byte string at offset ${pos}`);
      const [key, valueStart] = decodeAt(buf, pos, depth + 1);
      const [value, next] = decodeAt(buf, valueStart, depth + 1);
      const k = (key as Buffer).toString('latin1');
      dict.map.set(k, value);
      dict.spans.set(k, [valueStart, next]);
      pos = next;
    }
    return [dict, pos + 1];
  }
  if (c === CH_MINUS) throw new BencodeError(`unexpected '-' at offset ${pos}`);
  throw new BencodeError(`unexpected byte 0x${c.toString(16)} at offset ${pos}`);
}

// Typed accessors: each throws a BencodeError naming the key when the value is missing or of the wrong type.

export function asDict(v: BValue | undefined, what: string): BDict {
  if (!(v instanceof BDict)) throw new BencodeError(`${what}: expected a dictionary`);
  return v;
}

export function asInt(v: BValue | undefined, what: string): number {
  if (typeof v !== 'number') throw new BencodeError(`${what}: expected an integer`);
  return v;
}

export function asBytes(v: BValue | undefined, what: string): Buffer {
  if (!Buffer.isBuffer(v)) throw new BencodeError(`${what}: expected a byte string`);
  return v;
}

export function asList(v: BValue | undefined, what: string): BValue[] {
  if (!Array.isArray(v)) throw new BencodeError(`${what}: expected a list`);
  return v;
}
