// The BitTorrent peer wire protocol (BEP 3), the grader's side: the handshake and the
// length-prefixed messages, built and parsed. Hand-written on purpose, beside the bencode
// library the metainfo and tracker use: the grader must see every message a student's peer
// sends, in order and as sent (bittorrent-protocol's Wire drops a request that arrives while
// the peer is choked, exactly the bug a test must catch), and must be able to send what a
// correct library would refuse to (a corrupted piece, a wrong info_hash).
import type { ParseStep } from './tcp-client.js';

export const PROTOCOL = 'BitTorrent protocol';
export const HANDSHAKE_BYTES = 68;
/** The block size every client uses and the contract asks for. */
export const BLOCK = 16 * 1024;
/** A message longer than this is refused: the largest legal one is a 128 KiB block and its header. */
export const MAX_MESSAGE = 1024 * 1024 + 13;

export const MESSAGE_NAMES = ['choke', 'unchoke', 'interested', 'not interested', 'have', 'bitfield', 'request', 'piece', 'cancel', 'port'] as const;

export interface Handshake {
  protocol: string;
  reserved: Buffer;
  infoHash: Buffer;
  peerId: Buffer;
}

export type WireMessage =
  | { kind: 'keep-alive' }
  | { kind: 'choke' | 'unchoke' | 'interested' | 'not interested' }
  | { kind: 'have'; index: number }
  | { kind: 'bitfield'; bits: Buffer }
  | { kind: 'request' | 'cancel'; index: number; begin: number; length: number }
  | { kind: 'piece'; index: number; begin: number; block: Buffer }
  | { kind: 'other'; id: number; payload: Buffer };

export function handshake(infoHash: Buffer, peerId: Buffer, reserved: Buffer = Buffer.alloc(8)): Buffer {
  return Buffer.concat([Buffer.from([PROTOCOL.length]), Buffer.from(PROTOCOL, 'latin1'), reserved, infoHash, peerId]);
}

/** The handshake at the front of `buf`: the first 68 bytes, or why they are not one. */
export function parseHandshake(buf: Buffer): ParseStep<Handshake> {
  if (buf.length < 1) return { status: 'incomplete' };
  if (buf[0] !== PROTOCOL.length) return { status: 'invalid', reason: `the handshake starts with the length byte ${buf[0]}, not 19`, offset: 0 };
  if (buf.length < HANDSHAKE_BYTES) {
    const have = buf.subarray(1, Math.min(buf.length, 20)).toString('latin1');
    if (!PROTOCOL.startsWith(have)) return { status: 'invalid', reason: `the handshake does not name "${PROTOCOL}"`, offset: 1 };
    return { status: 'incomplete' };
  }
  const protocol = buf.subarray(1, 20).toString('latin1');
  if (protocol !== PROTOCOL) return { status: 'invalid', reason: `the handshake names ${JSON.stringify(protocol)}, not "${PROTOCOL}"`, offset: 1 };
  return {
    status: 'complete',
    value: { protocol, reserved: Buffer.from(buf.subarray(20, 28)), infoHash: Buffer.from(buf.subarray(28, 48)), peerId: Buffer.from(buf.subarray(48, 68)) },
    length: HANDSHAKE_BYTES,
  };
}

function frame(id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + 1, 0);
  head[4] = id;
  return Buffer.concat([head, payload]);
}

const ints = (...n: number[]) => {
  const b = Buffer.alloc(4 * n.length);
  n.forEach((v, i) => b.writeUInt32BE(v, 4 * i));
  return b;
};

export const encode = {
  keepAlive: () => Buffer.alloc(4),
  choke: () => frame(0),
  unchoke: () => frame(1),
  interested: () => frame(2),
  notInterested: () => frame(3),
  have: (index: number) => frame(4, ints(index)),
  bitfield: (bits: Buffer) => frame(5, bits),
  request: (index: number, begin: number, length: number) => frame(6, ints(index, begin, length)),
  piece: (index: number, begin: number, block: Buffer) => frame(7, Buffer.concat([ints(index, begin), block])),
  cancel: (index: number, begin: number, length: number) => frame(8, ints(index, begin, length)),
};

/** One message at the front of `buf` (after the handshake). */
export function parseMessage(buf: Buffer): ParseStep<WireMessage> {
  if (buf.length < 4) return { status: 'incomplete' };
  const len = buf.readUInt32BE(0);
  if (len > MAX_MESSAGE) return { status: 'invalid', reason: `a message length of ${len} bytes (at most ${MAX_MESSAGE} make sense)`, offset: 0 };
  if (buf.length < 4 + len) return { status: 'incomplete' };
  const length = 4 + len;
  if (len === 0) return { status: 'complete', value: { kind: 'keep-alive' }, length };
  const id = buf[4];
  const p = buf.subarray(5, 4 + len);
  const need = (n: number, exact = true): ParseStep<WireMessage> | undefined =>
    (exact ? p.length !== n : p.length < n) ? { status: 'invalid', reason: `a ${MESSAGE_NAMES[id]} message with ${p.length} payload bytes (${exact ? '' : 'at least '}${n} expected)`, offset: 4 } : undefined;
  switch (id) {
    case 0:
    case 1:
    case 2:
    case 3:
      return need(0) ?? { status: 'complete', value: { kind: MESSAGE_NAMES[id] as 'choke' }, length };
    case 4:
      return need(4) ?? { status: 'complete', value: { kind: 'have', index: p.readUInt32BE(0) }, length };
    case 5:
      return { status: 'complete', value: { kind: 'bitfield', bits: Buffer.from(p) }, length };
    case 6:
    case 8:
      return need(12) ?? { status: 'complete', value: { kind: id === 6 ? 'request' : 'cancel', index: p.readUInt32BE(0), begin: p.readUInt32BE(4), length: p.readUInt32BE(8) }, length };
    case 7:
      return need(8, false) ?? { status: 'complete', value: { kind: 'piece', index: p.readUInt32BE(0), begin: p.readUInt32BE(4), block: Buffer.from(p.subarray(8)) }, length };
    default:
      return { status: 'complete', value: { kind: 'other', id, payload: Buffer.from(p) }, length };
  }
}

/** One line for a transcript: "request 3 +16384 (16384 bytes)". */
export function describeMessage(m: WireMessage): string {
  switch (m.kind) {
    case 'have':
      return `have ${m.index}`;
    case 'bitfield':
      return `bitfield (${m.bits.length} bytes, ${countBits(m.bits)} pieces)`;
    case 'request':
    case 'cancel':
      return `${m.kind} piece ${m.index} from byte ${m.begin}, ${m.length} bytes`;
    case 'piece':
      return `piece ${m.index} from byte ${m.begin}, ${m.block.length} bytes`;
    case 'other':
      return `message id ${m.id} (${m.payload.length} bytes)`;
    default:
      return m.kind;
  }
}

export function countBits(bits: Buffer): number {
  let n = 0;
  for (const b of bits) for (let x = b; x; x &= x - 1) n++;
  return n;
}

/** A bitfield of `pieces` pieces with the given ones set (spare bits at the end clear). */
export function bitfieldOf(pieces: number, have: (i: number) => boolean): Buffer {
  const bits = Buffer.alloc(Math.ceil(pieces / 8));
  for (let i = 0; i < pieces; i++) if (have(i)) bits[i >> 3] |= 0x80 >> (i & 7);
  return bits;
}

export const hasPiece = (bits: Buffer, i: number) => (i >> 3 < bits.length ? (bits[i >> 3] & (0x80 >> (i & 7))) !== 0 : false);

/**
 * Splits a byte stream into the handshake and then messages as they complete. `push` returns
 * what completed; after an invalid frame it stops (the connection is to be closed).
 */
export class WireReader {
  private buf: Buffer = Buffer.alloc(0);
  private shookHands: boolean;
  invalid: string | undefined;

  constructor(expectHandshake = true) {
    this.shookHands = !expectHandshake;
  }

  push(chunk: Buffer): Array<{ handshake: Handshake } | { message: WireMessage; raw: Buffer }> {
    if (this.invalid) return [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Array<{ handshake: Handshake } | { message: WireMessage; raw: Buffer }> = [];
    for (;;) {
      if (!this.shookHands) {
        const h = parseHandshake(this.buf);
        if (h.status === 'incomplete') break;
        if (h.status === 'invalid') {
          this.invalid = h.reason;
          break;
        }
        this.shookHands = true;
        this.buf = this.buf.subarray(h.length);
        out.push({ handshake: h.value });
        continue;
      }
      const m = parseMessage(this.buf);
      if (m.status === 'incomplete') break;
      if (m.status === 'invalid') {
        this.invalid = m.reason;
        break;
      }
      out.push({ message: m.value, raw: this.buf.subarray(0, m.length) });
      this.buf = this.buf.subarray(m.length);
    }
    return out;
  }
}
