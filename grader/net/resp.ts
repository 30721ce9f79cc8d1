// RESP2 (the Redis protocol): encoding commands, and an incremental reply parser that tells
// "not all here yet" from "this can never be valid", with the offset of the offending byte.
import type { ParseStep } from './tcp-client.js';

export type RespValue =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: bigint }
  | { type: 'bulk'; value: Buffer | null }
  | { type: 'array'; value: RespValue[] | null };

/** Encode a command as Redis clients do: an array of bulk strings. */
export function encodeCommand(args: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Encode a reply value (the wire form a correct server would send). */
export function encodeResp(v: RespValue): Buffer {
  switch (v.type) {
    case 'simple':
      return Buffer.from(`+${v.value}\r\n`);
    case 'error':
      return Buffer.from(`-${v.value}\r\n`);
    case 'integer':
      return Buffer.from(`:${v.value}\r\n`);
    case 'bulk':
      return v.value === null ? Buffer.from('$-1\r\n') : Buffer.concat([Buffer.from(`$${v.value.length}\r\n`), v.value, Buffer.from('\r\n')]);
    case 'array':
      return v.value === null ? Buffer.from('*-1\r\n') : Buffer.concat([Buffer.from(`*${v.value.length}\r\n`), ...v.value.map(encodeResp)]);
  }
}

export const resp = {
  simple: (value: string): RespValue => ({ type: 'simple', value }),
  error: (value: string): RespValue => ({ type: 'error', value }),
  integer: (value: number | bigint): RespValue => ({ type: 'integer', value: BigInt(value) }),
  bulk: (value: string | Buffer | null): RespValue => ({ type: 'bulk', value: typeof value === 'string' ? Buffer.from(value) : value }),
  nil: (): RespValue => ({ type: 'bulk', value: null }),
  ok: (): RespValue => ({ type: 'simple', value: 'OK' }),
};

// What one reply may hold: the grader's memory is not the program's to spend (a reply of
// "*1000000000" is refused at once, not collected item by item).
const MAX_BULK = 16 * 1024 * 1024;
const MAX_ITEMS = 100_000;

const CR = 0x0d;
const LF = 0x0a;

type Step = ParseStep<RespValue>;

/** Find the end of the line starting at `start`: index of "\r" in "\r\n", or an error for a bare "\n". */
function lineEnd(buf: Buffer, start: number): number | { invalid: string; offset: number } | null {
  for (let i = start; i < buf.length; i++) {
    if (buf[i] === LF) return { invalid: '"\\n" without "\\r" before it', offset: i };
    if (buf[i] === CR) {
      if (i + 1 >= buf.length) return null;
      if (buf[i + 1] !== LF) return { invalid: '"\\r" not followed by "\\n"', offset: i + 1 };
      return i;
    }
  }
  return null;
}

function parseInteger(text: string): bigint | null {
  return /^-?\d+$/.test(text) ? BigInt(text) : null;
}

function parseAt(buf: Buffer, pos: number, depth: number): Step {
  if (pos >= buf.length) return { status: 'incomplete' };
  if (depth > 32) return { status: 'invalid', reason: 'arrays nested more than 32 deep', offset: pos };
  const type = buf[pos];
  const end = lineEnd(buf, pos + 1);
  if (end === null) {
    if (![0x2b, 0x2d, 0x3a, 0x24, 0x2a].includes(type)) return invalidType(type, pos);
    return { status: 'incomplete' };
  }
  if (typeof end !== 'number') return { status: 'invalid', reason: end.invalid, offset: end.offset };
  const line = buf.toString('latin1', pos + 1, end);
  const next = end + 2;
  switch (type) {
    case 0x2b: // +
      return { status: 'complete', value: { type: 'simple', value: buf.toString('utf8', pos + 1, end) }, length: next - pos };
    case 0x2d: // -
      return { status: 'complete', value: { type: 'error', value: buf.toString('utf8', pos + 1, end) }, length: next - pos };
    case 0x3a: {
      // :
      const n = parseInteger(line);
      if (n === null) return { status: 'invalid', reason: `integer reply ":${line}" is not a number`, offset: pos + 1 };
      return { status: 'complete', value: { type: 'integer', value: n }, length: next - pos };
    }
    case 0x24: {
      // $
      const n = parseInteger(line);
      if (n === null || n < -1n) return { status: 'invalid', reason: `bulk string length "$${line}" is not a valid length`, offset: pos + 1 };
      if (n === -1n) return { status: 'complete', value: { type: 'bulk', value: null }, length: next - pos };
      if (n > BigInt(MAX_BULK)) return { status: 'invalid', reason: `bulk string length "$${line}" is more than the grader reads (${MAX_BULK} bytes)`, offset: pos + 1 };
      const len = Number(n);
      if (buf.length < next + len + 2) {
        // A terminator can be checked before everything arrived only if the data is all here.
        return { status: 'incomplete' };
      }
      if (buf[next + len] !== CR || buf[next + len + 1] !== LF) {
        return { status: 'invalid', reason: `bulk string of ${len} bytes is not followed by "\\r\\n" (the length does not match the data?)`, offset: next + len };
      }
      return { status: 'complete', value: { type: 'bulk', value: Buffer.from(buf.subarray(next, next + len)) }, length: next + len + 2 - pos };
    }
    case 0x2a: {
      // *
      const n = parseInteger(line);
      if (n === null || n < -1n) return { status: 'invalid', reason: `array length "*${line}" is not a valid length`, offset: pos + 1 };
      if (n === -1n) return { status: 'complete', value: { type: 'array', value: null }, length: next - pos };
      if (n > BigInt(MAX_ITEMS)) return { status: 'invalid', reason: `array length "*${line}" is more than the grader reads (${MAX_ITEMS} items)`, offset: pos + 1 };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < Number(n); i++) {
        const step = parseAt(buf, at, depth + 1);
        if (step.status !== 'complete') return step;
        items.push(step.value);
        at += step.length;
      }
      return { status: 'complete', value: { type: 'array', value: items }, length: at - pos };
    }
    default:
      return invalidType(type, pos);
  }
}

function invalidType(type: number, pos: number): Step {
  const shown = type >= 0x20 && type < 0x7f ? `"${String.fromCharCode(type)}"` : `byte 0x${type.toString(16).padStart(2, '0')}`;
  return { status: 'invalid', reason: `a reply must start with one of + - : $ *, not ${shown}`, offset: pos };
}

/** Parse one reply from the front of `buf`. */
export function parseReply(buf: Buffer): Step {
  return parseAt(buf, 0, 0);
}

/** A reply as redis-cli would print it: "PONG", (nil), (integer) 3, (error) ERR ..., "bytes". */
export function describeReply(v: RespValue): string {
  switch (v.type) {
    case 'simple':
      return `simple string "${v.value}"`;
    case 'error':
      return `error "${v.value}"`;
    case 'integer':
      return `integer ${v.value}`;
    case 'bulk':
      return v.value === null ? 'nil (null bulk string)' : `bulk string of ${v.value.length} bytes`;
    case 'array':
      return v.value === null ? 'nil array' : `array of ${v.value.length} items`;
  }
}
