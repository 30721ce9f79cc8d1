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
  if (name === '.' || name === '') return Buffer.from([0]);
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
  nscount?: number;
  arcount?: number;
}

export function header(h: HeaderFields): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(h.id, 0);
  const flags = ((h.response ?? true) ? 0x8000 : 0) | (h.tc ? 0x0200 : 0) | ((h.rd ?? true) ? 0x0100 : 0) | 0x0080 /* RA */ | ((h.rcode ?? 0) & 0xf);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(h.qdcount, 4);
  b.writeUInt16BE(h.ancount, 6);
  b.writeUInt16BE(h.nscount ?? 0, 8);
  b.writeUInt16BE(h.arcount ?? 0, 10);
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

/** A name on the wire: a string is written as plain labels (its case kept), a Buffer as it is (pointers). */
export type WireName = string | Buffer;
const nameBytes = (n: WireName) => (Buffer.isBuffer(n) ? n : encodeName(n));

/** A record as raw fields: any type code, any TTL (all 32 bits), rdata as bytes. */
export interface WireRecord {
  owner: WireName;
  /** A type code, or one of the contract's type names. */
  type: number | string;
  class?: number;
  ttl: number;
  rdata: Buffer;
  /** RDLENGTH as claimed, when it must not be rdata's length (a broken record). */
  rdlength?: number;
}

export function wireRecord(r: WireRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(typeof r.type === 'number' ? r.type : typeCode(r.type), 0);
  fixed.writeUInt16BE(r.class ?? CLASS_IN, 2);
  fixed.writeUInt32BE(r.ttl >>> 0, 4);
  fixed.writeUInt16BE(r.rdlength ?? r.rdata.length, 8);
  return Buffer.concat([nameBytes(r.owner), fixed, r.rdata]);
}

/**
 * A whole message byte by byte, for what dns-packet will not write: types outside the contract,
 * TTLs with the top bit set, names in the case chosen, counts that lie, bytes after the end.
 * Counts are the sections' lengths unless `counts` overrides them.
 */
export function wireMessage(m: {
  id: number;
  response?: boolean;
  tc?: boolean;
  rcode?: number;
  questions: Array<{ name: WireName; type: number | string; class?: number }>;
  answers?: WireRecord[];
  authority?: WireRecord[];
  additional?: WireRecord[];
  counts?: { qd?: number; an?: number; ns?: number; ar?: number };
  /** Bytes appended after the last section (e.g. half a record). */
  tail?: Buffer;
}): Buffer {
  const [an, ns, ar] = [m.answers ?? [], m.authority ?? [], m.additional ?? []];
  const head = header({
    id: m.id,
    response: m.response ?? true,
    tc: m.tc ?? false,
    rcode: m.rcode ?? 0,
    qdcount: m.counts?.qd ?? m.questions.length,
    ancount: m.counts?.an ?? an.length,
    nscount: m.counts?.ns ?? ns.length,
    arcount: m.counts?.ar ?? ar.length,
  });
  const qs = m.questions.map((q) => {
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(typeof q.type === 'number' ? q.type : typeCode(q.type), 0);
    tail.writeUInt16BE(q.class ?? CLASS_IN, 2);
    return Buffer.concat([nameBytes(q.name), tail]);
  });
  return Buffer.concat([head, ...qs, ...[...an, ...ns, ...ar].map(wireRecord), m.tail ?? Buffer.alloc(0)]);
}

/** TXT rdata: each string as a length byte and its bytes (UTF-8). */
export function txtRdata(strings: string[]): Buffer {
  return Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])));
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
  /**
   * Two answers whose owner names are pointers to each other: the first points forward at the
   * second, the second back at the first. A check that a pointer is not its own target misses it.
   */
  pointerPair(id: number, name: string, type: string): Buffer {
    const head = Buffer.concat([header({ id, qdcount: 1, ancount: 2 }), question(name, type)]);
    const first = head.length;
    const second = first + 2 + 10 + 4;
    return Buffer.concat([head, pointer(second), rrFixed(type, 60, 4), Buffer.from([10, 0, 0, 1]), pointer(first), rrFixed(type, 60, 4), Buffer.from([10, 0, 0, 2])]);
  },
};

export interface WireProblem {
  offset: number;
  reason: string;
}

/**
 * Walk a DNS message the way a careful client must, and say where the first problem is: the
 * offset of the byte where decoding goes wrong (for the hex dump), and why. Undefined when the
 * structure is sound (header, questions, records, names with pointers, rdata lengths).
 */
export function findWireProblem(buf: Buffer): WireProblem | undefined {
  if (buf.length < 12) return { offset: buf.length, reason: `the header needs 12 bytes, the message has ${buf.length}` };
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let at = 12;
  const name = (start: number): number | WireProblem => {
    let pos = start;
    let end = -1; // where the name ends in the record (after the first pointer)
    let wire = 1;
    for (let jumps = 0; ; ) {
      if (pos >= buf.length) return { offset: pos, reason: 'a name runs past the end of the message' };
      const len = buf[pos];
      if ((len & 0xc0) === 0xc0) {
        if (pos + 1 >= buf.length) return { offset: pos, reason: 'a compression pointer is cut off' };
        const target = ((len & 0x3f) << 8) | buf[pos + 1];
        if (end < 0) end = pos + 2;
        if (target >= pos || ++jumps > 64) return { offset: pos, reason: `a compression pointer to offset ${target} ${target >= pos ? 'does not point backwards (a loop)' : 'starts a chain of pointers that never ends'}` };
        pos = target;
        continue;
      }
      if (len & 0xc0) return { offset: pos, reason: `label length byte 0x${len.toString(16)} uses reserved bits` };
      if (len === 0) return end < 0 ? pos + 1 : end;
      if (pos + 1 + len > buf.length) return { offset: pos, reason: `a label of ${len} bytes runs past the end of the message` };
      wire += 1 + len;
      if (wire > 255) return { offset: pos, reason: 'a name longer than 255 bytes' };
      pos += 1 + len;
    }
  };
  for (let i = 0; i < counts[0]; i++) {
    const n = name(at);
    if (typeof n !== 'number') return n;
    if (n + 4 > buf.length) return { offset: n, reason: 'a question is cut off before its type and class' };
    at = n + 4;
  }
  for (let i = 0; i < counts[1] + counts[2] + counts[3]; i++) {
    const n = name(at);
    if (typeof n !== 'number') return n;
    if (n + 10 > buf.length) return { offset: n, reason: 'a record is cut off before its type, class, TTL and length' };
    const rdlength = buf.readUInt16BE(n + 8);
    if (n + 10 + rdlength > buf.length) return { offset: n + 8, reason: `a record's data claims ${rdlength} bytes, fewer are left` };
    at = n + 10 + rdlength;
  }
  return undefined;
}
