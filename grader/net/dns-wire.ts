// DNS messages built byte by byte, for what a library will not produce: compressed names
// (pointers, and a pointer to a pointer) and deliberately broken packets. Ordinary messages are
// encoded with dns-packet (see dns-server.ts).

const TYPE_CODES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 };
const CLASS_IN = 1;

export function typeCode(type: string): number {
  const code = TYPE_CODES[type];
  if (code === undefined) throw new Error(`dns-wire: no code for type ${type}`);
  return code;
}

/** A name as uncompressed labels: "a.example" -> 01 61 07 example 00. */
export function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l)])), Buffer.from([0])]);
}

/** A compression pointer to `offset` (two bytes, top bits 11). */
export function pointer(offset: number): Buffer {
  return Buffer.from([0xc0 | (offset >> 8), offset & 0xff]);
}

export interface HeaderFields {
  id: number;
  /** Response (QR=1) unless false. */
  response?: boolean;
  rd?: boolean;
  tc?: boolean;
  rcode?: number;
  qdcount: number;
  ancount: number;
}

export function header(h: HeaderFields): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(h.id, 0);
  const flags = ((h.response ?? true) ? 0x8000 : 0) | (h.tc ? 0x0200 : 0) | ((h.rd ?? true) ? 0x0100 : 0) | 0x0080 /* RA */ | ((h.rcode ?? 0) & 0xf);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(h.qdcount, 4);
  b.writeUInt16BE(h.ancount, 6);
  return b;
}

function question(name: string, type: string): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(typeCode(type), 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([encodeName(name), tail]);
}

function rrFixed(type: string, ttl: number, rdlength: number): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt16BE(typeCode(type), 0);
  b.writeUInt16BE(CLASS_IN, 2);
  b.writeUInt32BE(ttl, 4);
  b.writeUInt16BE(rdlength, 8);
  return b;
}

/**
 * A response whose answer owner names are all compressed: the first points at the question's
 * name (offset 12), each later one points at the previous answer's owner — itself a pointer — so
 * a client must follow a pointer to a pointer. `rdata` is raw (e.g. 4 bytes for A).
 */
export function responseWithPointers(id: number, name: string, type: string, answers: Array<{ ttl: number; rdata: Buffer }>): Buffer {
  const parts = [header({ id, qdcount: 1, ancount: answers.length }), question(name, type)];
  let offset = parts.reduce((n, p) => n + p.length, 0);
  let previousOwner = 12;
  for (const a of answers) {
    const owner = pointer(previousOwner);
    previousOwner = offset;
    parts.push(owner, rrFixed(type, a.ttl, a.rdata.length), a.rdata);
    offset += owner.length + 10 + a.rdata.length;
  }
  return Buffer.concat(parts);
}

/** Broken responses a client must survive (ignore, keep waiting) — never crash on, never loop on. */
export const malformed = {
  /** Only 6 of the 12 header bytes. */
  truncatedHeader(id: number): Buffer {
    return header({ id, qdcount: 1, ancount: 1 }).subarray(0, 6);
  },
  /** The question is fine, but the answer's owner label claims 40 bytes and the packet ends first. */
  labelPastEnd(id: number, name: string, type: string): Buffer {
    return Buffer.concat([header({ id, qdcount: 1, ancount: 1 }), question(name, type), Buffer.from([40]), Buffer.from('abc')]);
  },
  /** The answer's owner name is a pointer to itself: following it never ends. */
  pointerLoop(id: number, name: string, type: string): Buffer {
    const head = Buffer.concat([header({ id, qdcount: 1, ancount: 1 }), question(name, type)]);
    return Buffer.concat([head, pointer(head.length), rrFixed(type, 60, 4), Buffer.from([10, 0, 0, 1])]);
  },
};
