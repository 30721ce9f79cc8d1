// The file being shared, and which of its pieces we have.
//
// All file access is synchronous: a block is at most 128 KiB and a piece is written once, so each
// call takes microseconds (the page cache), and synchronous calls keep the state simple: a piece
// counts as ours only once its bytes are in the file.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Metainfo } from './metainfo.js';

export class Storage {
  readonly file: string;
  readonly numPieces: number;
  readonly have: Uint8Array;
  haveCount = 0;
  private fd = -1;
  private writable = true;

  constructor(
    readonly meta: Metainfo,
    dir: string,
  ) {
    this.file = path.join(dir, meta.name);
    this.numPieces = meta.hashes.length;
    this.have = new Uint8Array(this.numPieces);
  }

  /** Size of piece i in bytes (the last piece may be shorter). */
  pieceSize(i: number): number {
    const { pieceLength, length } = this.meta;
    return Math.min(pieceLength, length - i * pieceLength);
  }

  get complete(): boolean {
    return this.haveCount === this.numPieces;
  }

  /** Bytes of the pieces we do not have yet (the tracker's `left`). */
  get left(): number {
    let n = 0;
    for (let i = 0; i < this.numPieces; i++) if (!this.have[i]) n += this.pieceSize(i);
    return n;
  }

  /**
   * Opens the file. A file already there is checked piece by piece (a seeder starts with the whole
   * file; a restarted download keeps what it had); otherwise an empty file of the full length is
   * created.
   */
  open(): void {
    const { length } = this.meta;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(this.file);
    } catch {
      st = null;
    }
    if (st && !st.isFile()) throw new Error(`${this.file} exists and is not a regular file`);
    if (!st) {
      this.fd = fs.openSync(this.file, 'w+');
      fs.ftruncateSync(this.fd, length);
      return;
    }
    try {
      this.fd = fs.openSync(this.file, 'r+');
    } catch (err) {
      // A read-only copy is fine for a seeder.
      if (st.size !== length) throw err;
      this.fd = fs.openSync(this.file, 'r');
      this.writable = false;
    }
    const oldSize = st.size;
    if (oldSize !== length && this.writable) fs.ftruncateSync(this.fd, length);
    const buf = Buffer.allocUnsafe(this.meta.pieceLength);
    for (let i = 0; i < this.numPieces; i++) {
      const size = this.pieceSize(i);
      if (i * this.meta.pieceLength + size > oldSize) break; // not all there before: cannot be right
      const piece = buf.subarray(0, size);
      this.readInto(piece, i * this.meta.pieceLength);
      if (this.verify(i, piece)) {
        this.have[i] = 1;
        this.haveCount++;
      }
    }
    if (!this.writable && !this.complete) throw new Error(`${this.file} is read-only and not complete`);
  }

  verify(i: number, data: Buffer): boolean {
    return data.length === this.pieceSize(i) && crypto.createHash('sha1').update(data).digest().equals(this.meta.hashes[i]);
  }

  private readInto(buf: Buffer, position: number): void {
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(this.fd, buf, done, buf.length - done, position + done);
      if (n === 0) {
        buf.fill(0, done); // past the end of the file
        return;
      }
      done += n;
    }
  }

  /** Reads a block of a piece we have into `into` at `offset`. */
  readBlock(index: number, begin: number, length: number, into: Buffer, offset: number): void {
    this.readInto(into.subarray(offset, offset + length), index * this.meta.pieceLength + begin);
  }

  /** Writes a verified piece and marks it as ours. */
  writePiece(index: number, data: Buffer): void {
    let done = 0;
    const position = index * this.meta.pieceLength;
    while (done < data.length) done += fs.writeSync(this.fd, data, done, data.length - done, position + done);
    if (!this.have[index]) {
      this.have[index] = 1;
      this.haveCount++;
    }
  }

  flush(): void {
    if (this.fd >= 0 && this.writable) fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } catch {
      // closing anyway
    }
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Our bitfield message payload: piece 0 is the high bit of the first byte. */
  bitfield(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.numPieces / 8));
    for (let i = 0; i < this.numPieces; i++) if (this.have[i]) out[i >> 3] |= 0x80 >> (i & 7);
    return out;
  }
}
