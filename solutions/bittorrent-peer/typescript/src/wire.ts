// The peer wire protocol (BEP 3): the handshake, then length-prefixed messages.
//
//   handshake  <19><"BitTorrent protocol"><8 reserved bytes><info_hash 20><peer_id 20>   (68 bytes)
//   message    <length: uint32 BE><id: 1 byte><payload: length - 1 bytes>   (length 0: keep-alive)

export const PSTR = Buffer.from('BitTorrent protocol', 'latin1');
export const HANDSHAKE_LEN = 1 + PSTR.length + 8 + 20 + 20;

export const CHOKE = 0;
export const UNCHOKE = 1;
export const INTERESTED = 2;
export const NOT_INTERESTED = 3;
export const HAVE = 4;
export const BITFIELD = 5;
export const REQUEST = 6;
export const PIECE = 7;
export const CANCEL = 8;

/** The largest message we accept: a 1 MiB block plus the piece header, with a little room. */
export const MAX_MESSAGE_LEN = 1024 * 1024 + 13;

export function handshake(infoHash: Buffer, peerId: Buffer): Buffer {
  const out = Buffer.alloc(HANDSHAKE_LEN);
  out[0] = PSTR.length;
  PSTR.copy(out, 1);
  // 8 reserved bytes stay zero: we implement no extension.
  infoHash.copy(out, 28);
  peerId.copy(out, 48);
  return out;
}

/** A message with no payload (choke, unchoke, interested, not interested). */
export function simple(id: number): Buffer {
  const out = Buffer.alloc(5);
  out.writeUInt32BE(1, 0);
  out[4] = id;
  return out;
}

export const KEEP_ALIVE = Buffer.alloc(4);

export function have(index: number): Buffer {
  const out = Buffer.alloc(9);
  out.writeUInt32BE(5, 0);
  out[4] = HAVE;
  out.writeUInt32BE(index, 5);
  return out;
}

export function bitfield(bits: Buffer): Buffer {
  const out = Buffer.alloc(5 + bits.length);
  out.writeUInt32BE(1 + bits.length, 0);
  out[4] = BITFIELD;
  bits.copy(out, 5);
  return out;
}

/** request or cancel: index, begin, length. */
export function blockMessage(id: number, index: number, begin: number, length: number): Buffer {
  const out = Buffer.alloc(17);
  out.writeUInt32BE(13, 0);
  out[4] = id;
  out.writeUInt32BE(index, 5);
  out.writeUInt32BE(begin, 9);
  out.writeUInt32BE(length, 13);
  return out;
}

/** The 13-byte header of a piece message carrying `length` bytes, in a buffer with room for them after it. */
export function pieceMessage(index: number, begin: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(13 + length);
  out.writeUInt32BE(9 + length, 0);
  out[4] = PIECE;
  out.writeUInt32BE(index, 5);
  out.writeUInt32BE(begin, 9);
  return out;
}

/**
 * The bytes received on one connection, not yet parsed. TCP hands them over in arbitrary pieces:
 * one read may hold half a message, or three and a bit. Chunks are kept as a list and joined only
 * when a whole message is there, so a large message arriving in small reads costs no quadratic
 * copying.
 */
export class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The byte at offset i (i < length). */
  byteAt(i: number): number {
    for (const c of this.chunks) {
      if (i < c.length) return c[i];
      i -= c.length;
    }
    throw new RangeError('ByteQueue.byteAt past the end');
  }

  /** The first n bytes (n <= length), without removing them. */
  peek(n: number): Buffer {
    if (this.chunks[0] && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const out = Buffer.allocUnsafe(n);
    let done = 0;
    for (const c of this.chunks) {
      if (done >= n) break;
      const take = Math.min(c.length, n - done);
      c.copy(out, done, 0, take);
      done += take;
    }
    return out;
  }

  /** Removes and returns the first n bytes (n <= length). */
  take(n: number): Buffer {
    const out = this.peek(n);
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0];
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.length = 0;
  }
}
