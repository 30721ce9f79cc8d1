// TFTP packets (RFC 1350, with RFC 2347 option negotiation): encoding what the grader sends and
// parsing, strictly, what a server sends back, with a reason for anything malformed. The grader's
// side only; the student writes their own.

export const OP = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** RFC 1350's error codes (and RFC 2347's 8), with the names the handout uses. */
export const ERROR_NAMES: Record<number, string> = {
  0: 'not defined',
  1: 'file not found',
  2: 'access violation',
  3: 'disk full',
  4: 'illegal TFTP operation',
  5: 'unknown transfer ID',
  6: 'file already exists',
  7: 'no such user',
  8: 'option negotiation refused',
};

export type TftpPacket =
  | { kind: 'RRQ' | 'WRQ'; filename: string; mode: string; options: Record<string, string> }
  | { kind: 'DATA'; block: number; data: Buffer }
  | { kind: 'ACK'; block: number }
  | { kind: 'ERROR'; code: number; message: string }
  | { kind: 'OACK'; options: Record<string, string> };

export type Parsed = TftpPacket | { kind: 'invalid'; reason: string };

const z = Buffer.from([0]);

function strings(parts: string[]): Buffer {
  return Buffer.concat(parts.flatMap((p) => [Buffer.from(p, 'latin1'), z]));
}

function op(code: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return b;
}

export function request(kind: 'RRQ' | 'WRQ', filename: string, mode = 'octet', options: Record<string, string> = {}): Buffer {
  return Buffer.concat([op(OP[kind]), strings([filename, mode, ...Object.entries(options).flat()])]);
}

export function data(block: number, bytes: Buffer): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(OP.DATA);
  b.writeUInt16BE(block & 0xffff, 2);
  return Buffer.concat([b, bytes]);
}

export function ack(block: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(OP.ACK);
  b.writeUInt16BE(block & 0xffff, 2);
  return b;
}

export function error(code: number, message: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(OP.ERROR);
  b.writeUInt16BE(code, 2);
  return Buffer.concat([b, strings([message])]);
}

export function oack(options: Record<string, string>): Buffer {
  return Buffer.concat([op(OP.OACK), strings(Object.entries(options).flat())]);
}

/** NUL-terminated strings from `offset` to the end; a reason when the last one is unterminated. */
function cStrings(buf: Buffer, offset: number): string[] | string {
  const out: string[] = [];
  let at = offset;
  while (at < buf.length) {
    const end = buf.indexOf(0, at);
    if (end < 0) return `the text at byte ${at} has no NUL terminator`;
    out.push(buf.subarray(at, end).toString('latin1'));
    at = end + 1;
  }
  return out;
}

function optionPairs(list: string[]): Record<string, string> | string {
  if (list.length % 2) return `option "${list[list.length - 1]}" has no value`;
  const o: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) o[list[i].toLowerCase()] = list[i + 1];
  return o;
}

export function parse(buf: Buffer): Parsed {
  if (buf.length < 2) return { kind: 'invalid', reason: `${buf.length} byte${buf.length === 1 ? '' : 's'}: too short for an opcode` };
  const code = buf.readUInt16BE(0);
  switch (code) {
    case OP.RRQ:
    case OP.WRQ: {
      const s = cStrings(buf, 2);
      if (typeof s === 'string') return { kind: 'invalid', reason: s };
      if (s.length < 2) return { kind: 'invalid', reason: 'a request needs a filename and a mode' };
      const options = optionPairs(s.slice(2));
      if (typeof options === 'string') return { kind: 'invalid', reason: options };
      return { kind: code === OP.RRQ ? 'RRQ' : 'WRQ', filename: s[0], mode: s[1].toLowerCase(), options };
    }
    case OP.DATA:
      if (buf.length < 4) return { kind: 'invalid', reason: 'a DATA packet shorter than its 4-byte header' };
      return { kind: 'DATA', block: buf.readUInt16BE(2), data: buf.subarray(4) };
    case OP.ACK:
      if (buf.length !== 4) return { kind: 'invalid', reason: `an ACK of ${buf.length} bytes (an ACK is exactly 4)` };
      return { kind: 'ACK', block: buf.readUInt16BE(2) };
    case OP.ERROR: {
      if (buf.length < 5) return { kind: 'invalid', reason: 'an ERROR packet without its message' };
      // The message ends at its NUL; bytes after it (a whole zeroed buffer sent, as some servers do) are padding.
      const end = buf.indexOf(0, 4);
      if (end < 0) return { kind: 'invalid', reason: 'an ERROR message without its NUL terminator' };
      return { kind: 'ERROR', code: buf.readUInt16BE(2), message: buf.subarray(4, end).toString('latin1') };
    }
    case OP.OACK: {
      const s = cStrings(buf, 2);
      if (typeof s === 'string') return { kind: 'invalid', reason: s };
      const options = optionPairs(s);
      if (typeof options === 'string') return { kind: 'invalid', reason: options };
      return { kind: 'OACK', options };
    }
    default:
      return { kind: 'invalid', reason: `opcode ${code} (TFTP's are 1 to 6)` };
  }
}

/** A packet as the ladder and the transcript show it: "DATA 3 (512 bytes)", "ERROR 1 (file not found)". */
export function describe(buf: Buffer): string {
  const p = parse(buf);
  const opts = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => ` ${k}=${v}`).join('');
  switch (p.kind) {
    case 'RRQ':
    case 'WRQ':
      return `${p.kind} "${p.filename}" ${p.mode}${opts(p.options)}`;
    case 'DATA':
      return `DATA ${p.block} (${p.data.length} bytes)`;
    case 'ACK':
      return `ACK ${p.block}`;
    case 'ERROR':
      return `ERROR ${p.code} (${ERROR_NAMES[p.code] ?? 'unknown code'})`;
    case 'OACK':
      return `OACK${opts(p.options)}`;
    default:
      return `not TFTP: ${p.reason}`;
  }
}

/**
 * netascii, as RFC 1350 takes it from RFC 764: on the wire a line end (the local LF) travels as
 * CR LF, and a CR that is not part of one as CR NUL. `toNetascii` converts a local (Unix) text to
 * that form; `fromNetascii` converts it back (a CR followed by anything else is kept as it is).
 */
export function toNetascii(local: Buffer): Buffer {
  const out: number[] = [];
  for (const b of local) {
    if (b === 0x0d) out.push(0x0d, 0x00);
    else if (b === 0x0a) out.push(0x0d, 0x0a);
    else out.push(b);
  }
  return Buffer.from(out);
}

export function fromNetascii(wire: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < wire.length; i++) {
    const b = wire[i]!;
    if (b === 0x0d && (wire[i + 1] === 0x0a || wire[i + 1] === 0x00)) out.push(wire[++i] === 0x0a ? 0x0a : 0x0d);
    else out.push(b);
  }
  return Buffer.from(out);
}
