// tftp-server reference solution: a TFTP server (RFC 1350, with RFC 2347/2348/2349 options),
// on node:dgram.
//
// Run:  node dist/server.js --port 6969 --root ./files [--timeout-ms 1000]   (build: npx tsc -p .)
//
// Design in one paragraph: Node's event loop serves everything. The listening socket only ever
// receives requests; every accepted request gets a Transfer with a UDP socket of its own, bound
// to a fresh ephemeral port (its transfer ID, TID), so the kernel already sorts datagrams by
// transfer. Each transfer is lock-step: exactly one packet of ours is "in flight", remembered
// together with a timer. Only two things make a transfer send: a datagram that moves it forward
// (the ACK of the current block, the next DATA block), or its timer firing (then the remembered
// packet is sent again, at most MAX_RETRANSMITS times). Everything else -- duplicates, strangers,
// junk -- is answered or dropped *without touching the timer*, which is what keeps the
// Sorcerer's Apprentice bug out (RFC 1123 4.2.3.1).
//
// File I/O is synchronous on purpose: a transfer reads or writes one block (at most 64 KiB of a
// local file) per round trip, which takes microseconds, and the code stays in the same order as
// the protocol. A server for slow disks would use fs/promises and keep the same structure.
//
// Only node: modules.

import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

// --- Protocol constants ---------------------------------------------------------------------

const OP_RRQ = 1;
const OP_WRQ = 2;
const OP_DATA = 3;
const OP_ACK = 4;
const OP_ERROR = 5;
const OP_OACK = 6;

// RFC 1350 error codes (and 8 from RFC 2347, sent by clients here).
const ERR_UNDEFINED = 0;
const ERR_NOT_FOUND = 1;
const ERR_ACCESS = 2;
const ERR_DISK_FULL = 3;
const ERR_ILLEGAL_OP = 4;
const ERR_UNKNOWN_TID = 5;
const ERR_EXISTS = 6;

const DEFAULT_BLKSIZE = 512;
const MIN_BLKSIZE = 8; // RFC 2348
const MAX_BLKSIZE = 65464;
const MIN_TIMEOUT_S = 1; // RFC 2349
const MAX_TIMEOUT_S = 255;
/**
 * RFC 7440 allows a window of up to 65535 blocks; we grant at most 64. A read keeps its whole
 * window in memory (64 x 65464 bytes at most, ~4 MiB) and sends it in one burst, which must fit
 * in the socket buffers on both sides or the burst itself becomes the loss.
 */
const MAX_WINDOWSIZE = 64;

/** One original send plus this many re-sends; then the transfer is abandoned silently. */
const MAX_RETRANSMITS = 5;

/**
 * After the last ACK of a write we keep the socket this many timeouts: if that ACK was lost, the
 * client re-sends its last DATA and must get the ACK again, or it would report a failure for a
 * file we actually have.
 */
const DALLY_TIMEOUTS = 3;

function log(message: string): void {
  process.stderr.write(`tftp-server: ${message}\n`);
}

// --- Packets --------------------------------------------------------------------------------

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff);
  return b;
}

function packData(block: number, payload: Buffer): Buffer {
  return Buffer.concat([u16(OP_DATA), u16(block), payload]);
}

function packAck(block: number): Buffer {
  return Buffer.concat([u16(OP_ACK), u16(block)]);
}

function packError(code: number, message: string): Buffer {
  // Plain ASCII text; the NUL terminator is part of the format.
  return Buffer.concat([u16(OP_ERROR), u16(code), Buffer.from(message, 'ascii'), Buffer.from([0])]);
}

function packOack(options: Map<string, string>): Buffer {
  const parts: Buffer[] = [u16(OP_OACK)];
  for (const [name, value] of options) parts.push(Buffer.from(`${name}\0${value}\0`, 'ascii'));
  return Buffer.concat(parts);
}

/** A request we cannot even parse: answered with ERROR 4. */
class BadRequest extends Error {}

/** A request we answer with an ERROR packet of this code. */
class Refused extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Request {
  filename: string;
  mode: string;
  options: Array<[string, string]>;
}

/**
 * Split an RRQ/WRQ: opcode | filename NUL | mode NUL | (option NUL value NUL)*.
 * Every string must be NUL-terminated; a trailing half option (a name with no value) is ignored
 * rather than refused, as some boot ROMs pad requests.
 */
function parseRequest(msg: Buffer): Request {
  if (msg[msg.length - 1] !== 0) throw new BadRequest('request not NUL-terminated');
  const fields: Buffer[] = [];
  let start = 2;
  for (let i = 2; i < msg.length; i++) {
    if (msg[i] === 0) {
      fields.push(msg.subarray(start, i));
      start = i + 1;
    }
  }
  if (fields.length < 2) throw new BadRequest('request without a mode');
  if (fields[0].length === 0) throw new BadRequest('empty file name');
  const options: Array<[string, string]> = [];
  for (let i = 2; i + 1 < fields.length; i += 2) {
    // Option names are case-insensitive (RFC 2347).
    options.push([fields[i].toString('latin1').toLowerCase(), fields[i + 1].toString('latin1')]);
  }
  return {
    filename: fields[0].toString('utf8'),
    mode: fields[1].toString('latin1').toLowerCase(), // modes are case-insensitive too
    options,
  };
}

/** Option values are plain decimal numbers; anything else is not one. */
function parseIntStrict(text: string): number | null {
  return /^[0-9]{1,10}$/.test(text) ? Number(text) : null;
}

// --- netascii (RFC 764): a text file's network form ends each line with CR LF, and a CR that
// is not part of a line end travels as CR NUL. ------------------------------------------------

function netasciiEncode(chunk: Buffer): Buffer {
  let extra = 0;
  for (const b of chunk) if (b === 0x0a || b === 0x0d) extra++;
  const out = Buffer.alloc(chunk.length + extra);
  let j = 0;
  for (const b of chunk) {
    if (b === 0x0a) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
    } else if (b === 0x0d) {
      out[j++] = 0x0d;
      out[j++] = 0x00;
    } else {
      out[j++] = b;
    }
  }
  return out;
}

/** Turns the network form back into local text, across DATA block boundaries. */
class NetasciiDecoder {
  private pendingCr = false; // the previous block ended in a CR

  feed(chunk: Buffer, final: boolean): Buffer {
    const out: number[] = [];
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk.length > 0 && (chunk[0] === 0x0a || chunk[0] === 0x00)) {
        out.push(chunk[0] === 0x0a ? 0x0a : 0x0d);
        i = 1;
      } else {
        out.push(0x0d);
      }
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== 0x0d) {
        out.push(b);
      } else if (i + 1 < chunk.length) {
        const next = chunk[i + 1];
        if (next === 0x0a || next === 0x00) {
          out.push(next === 0x0a ? 0x0a : 0x0d);
          i++;
        } else {
          out.push(0x0d); // not valid netascii: keep the CR as it is
        }
      } else if (final) {
        out.push(0x0d);
      } else {
        // A CR at the very end may be the first half of CR LF or CR NUL: decide with the next block.
        this.pendingCr = true;
      }
    }
    return Buffer.from(out);
  }
}

// --- File names: never leave the root --------------------------------------------------------

function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root + path.sep);
}

function refusalFor(err: NodeJS.ErrnoException): Refused {
  switch (err.code) {
    case 'ENOENT':
      return new Refused(ERR_NOT_FOUND, 'File not found');
    case 'EEXIST':
      return new Refused(ERR_EXISTS, 'File already exists');
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return new Refused(ERR_DISK_FULL, 'Disk full or allocation exceeded');
    case 'EACCES':
    case 'EPERM':
    case 'EISDIR':
    case 'ENOTDIR':
    case 'EROFS':
    case 'ELOOP':
      return new Refused(ERR_ACCESS, 'Access violation');
    default:
      return new Refused(ERR_UNDEFINED, err.message.slice(0, 100));
  }
}

/**
 * Map a requested name to a real path inside root, or throw Refused.
 *
 * Two checks, because each alone has a hole. As text: no absolute name and no ".." component (so
 * "../x" never even reaches the file system). Then as the OS sees it: the folder the name lives
 * in is resolved through every symlink and must still be inside the root, and so must the target
 * of the name itself if it is a symlink (a dangling one is refused: creating a file through it
 * would create it wherever it points).
 */
function resolveName(root: string, name: string): string {
  if (name.startsWith('/') || name.split('/').includes('..')) {
    throw new Refused(ERR_ACCESS, 'Access violation');
  }
  const joined = path.join(root, name);
  let folder: string;
  try {
    folder = fs.realpathSync(name.endsWith('/') ? joined : path.dirname(joined));
  } catch (err) {
    throw refusalFor(err as NodeJS.ErrnoException); // e.g. a subfolder that does not exist
  }
  if (!isInside(root, folder)) throw new Refused(ERR_ACCESS, 'Access violation');
  if (name.endsWith('/')) return folder; // names a folder: refused by the caller
  let p = path.join(folder, path.basename(joined));
  let isLink = false;
  try {
    isLink = fs.lstatSync(p).isSymbolicLink();
  } catch {
    // does not exist (yet): fine for a WRQ, "not found" for an RRQ when it is opened
  }
  if (isLink) {
    try {
      p = fs.realpathSync(p);
    } catch {
      throw new Refused(ERR_ACCESS, 'Access violation');
    }
    if (!isInside(root, p)) throw new Refused(ERR_ACCESS, 'Access violation');
  }
  return p;
}

// --- Transfers ------------------------------------------------------------------------------

interface Peer {
  address: string;
  port: number;
}

abstract class Transfer {
  abstract readonly kind: string;
  readonly sock = dgram.createSocket('udp4');
  blksize = DEFAULT_BLKSIZE;
  windowsize = 1; // RFC 7440: blocks per window; 1 is lock-step
  closed = false;
  protected lastSent: Buffer = Buffer.alloc(0);
  protected retransmits = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    protected readonly server: Server,
    readonly peer: Peer, // the client's address *and port*: its TID
    readonly request: Buffer,
    readonly name: string,
    protected readonly timeoutMs: number,
  ) {
    this.sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.sock.on('error', (err) => {
      log(`${this.describe()}: socket error: ${err.message}`);
      this.abort();
    });
  }

  /** Bind to a fresh ephemeral port (our TID), then send the first packet. */
  open(oack: Map<string, string> | null): void {
    this.sock.bind(0, '127.0.0.1', () => {
      if (!this.closed) this.start(oack);
    });
  }

  protected abstract start(oack: Map<string, string> | null): void;
  protected abstract onPacket(opcode: number, num: number, payload: Buffer): void;

  // -- sending

  /** Send a packet that moves the transfer on, and (re)start its timer. */
  protected send(packet: Buffer): void {
    this.progress(packet);
    this.sendTo(packet, this.peer);
  }

  /** The transfer moved on: `resend` is what the timer will send again; the count starts over. */
  protected progress(resend: Buffer): void {
    this.lastSent = resend;
    this.retransmits = 0;
    this.arm(this.timeoutMs);
  }

  protected sendTo(packet: Buffer, to: Peer): void {
    if (this.closed) return;
    this.sock.send(packet, to.port, to.address, (err) => {
      if (err) log(`${to.address}:${to.port}: send failed: ${err.message}`);
    });
  }

  protected arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimer(), ms);
  }

  /** Nothing useful arrived in time: send the same packet again, or give up. */
  protected onTimer(): void {
    if (this.retransmits >= MAX_RETRANSMITS) {
      log(`${this.describe()}: no answer after ${MAX_RETRANSMITS} retransmissions, giving up`);
      this.abort();
      return;
    }
    this.retransmits++;
    this.arm(this.timeoutMs);
    this.resend();
  }

  /** What a timeout sends again: the one packet in flight (a windowed read: its whole window). */
  protected resend(): void {
    this.sendTo(this.lastSent, this.peer);
  }

  // -- receiving

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    if (rinfo.address !== this.peer.address || rinfo.port !== this.peer.port) {
      // RFC 1350: a packet from a wrong TID is answered with ERROR 5 to its sender, and the
      // transfer goes on as if nothing happened (its timer included). Except an ERROR: if the
      // stranger is itself a TFTP endpoint that answers strangers, ERROR for ERROR would bounce
      // forever.
      const isError = msg.length >= 2 && msg.readUInt16BE(0) === OP_ERROR;
      if (!isError) this.sendTo(packError(ERR_UNKNOWN_TID, 'Unknown transfer ID'), rinfo);
      return;
    }
    if (msg.length < 4) return; // too short to be anything: ignore
    const opcode = msg.readUInt16BE(0);
    const num = msg.readUInt16BE(2);
    if (opcode === OP_ERROR) {
      // The client gave up (or refused our OACK with ERROR 8). Never answer an ERROR.
      log(`${this.describe()}: client sent ERROR ${num}, transfer ended`);
      this.abort();
      return;
    }
    this.onPacket(opcode, num, msg.subarray(4));
  }

  // -- ending

  /** End the transfer with an ERROR to the client (ERRORs are never retransmitted). */
  protected fail(code: number, message: string): void {
    if (this.closed) return;
    this.cleanUp();
    this.closed = true;
    clearTimeout(this.timer);
    this.releaseFile();
    this.server.forget(this);
    // Close the socket only once the ERROR has left.
    const sock = this.sock;
    sock.send(packError(code, message), this.peer.port, this.peer.address, () => sock.close());
  }

  abort(): void {
    this.cleanUp();
    this.close();
  }

  /** What an unfinished transfer must undo (a WRQ removes its partial file). */
  protected cleanUp(): void {}

  protected closeFile(): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.releaseFile();
    this.server.forget(this);
    this.sock.close();
  }

  /** Close the file, whatever happens: one transfer's I/O error must not take the server down. */
  private releaseFile(): void {
    try {
      this.closeFile();
    } catch (err) {
      log(`${this.describe()}: close failed: ${(err as Error).message}`);
    }
  }

  describe(): string {
    return `${this.peer.address}:${this.peer.port} ${this.kind} '${this.name}'`;
  }
}

/** RRQ: we send DATA blocks, the client ACKs each one. */
class ReadTransfer extends Transfer {
  readonly kind = 'RRQ';
  private fd: number;
  private position = 0; // next byte of the file to read
  private encoded = Buffer.alloc(0); // netascii: converted bytes not yet sent
  private block = 0; // the block we sent last (0: the OACK, or nothing yet)
  private lastBlockSent = false;

  constructor(
    server: Server,
    peer: Peer,
    request: Buffer,
    name: string,
    timeoutMs: number,
    fd: number,
    private readonly netascii: boolean,
  ) {
    super(server, peer, request, name, timeoutMs);
    this.fd = fd;
  }

  protected start(oack: Map<string, string> | null): void {
    if (oack) this.send(packOack(oack)); // the client answers with ACK 0
    else this.sendNextBlock();
  }

  private read(size: number): Buffer {
    const buf = Buffer.alloc(size);
    let n = 0;
    while (n < size) {
      const got = fs.readSync(this.fd, buf, n, size - n, this.position);
      if (got === 0) break; // end of file
      n += got;
      this.position += got;
    }
    return buf.subarray(0, n);
  }

  protected nextPayload(): Buffer {
    if (!this.netascii) return this.read(this.blksize);
    // netascii grows the data, so convert ahead until a whole block is ready.
    while (this.encoded.length < this.blksize) {
      const chunk = this.read(8192);
      if (chunk.length === 0) break;
      this.encoded = Buffer.concat([this.encoded, netasciiEncode(chunk)]);
    }
    const payload = this.encoded.subarray(0, this.blksize);
    this.encoded = this.encoded.subarray(this.blksize);
    return payload;
  }

  /** The next block's bytes, or null when reading failed (the transfer is then over). */
  protected nextPayloadOrFail(): Buffer | null {
    try {
      return this.nextPayload();
    } catch (err) {
      const refusal = refusalFor(err as NodeJS.ErrnoException);
      this.fail(refusal.code, refusal.message);
      return null;
    }
  }

  private sendNextBlock(): void {
    const payload = this.nextPayloadOrFail();
    if (payload === null) return;
    // Block numbers are 16 bits; past 65535 they roll over to 0, as tftp-hpa, atftp and curl
    // all expect.
    this.block = (this.block + 1) & 0xffff;
    // A block shorter than blksize (possibly empty) tells the client it is the last one; so a
    // file of exactly N blocks ends with an empty block.
    this.lastBlockSent = payload.length < this.blksize;
    this.send(packData(this.block, payload));
  }

  protected onPacket(opcode: number, num: number): void {
    // A duplicate ACK (of a block acknowledged before) or anything else: ignored. Answering a
    // duplicate ACK with DATA is the Sorcerer's Apprentice bug: every delayed ACK would double
    // the traffic from then on.
    if (opcode !== OP_ACK || num !== this.block) return;
    if (this.lastBlockSent) this.close(); // the last block is acknowledged: done
    else this.sendNextBlock();
  }

  protected closeFile(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/**
 * RRQ with windowsize W > 1 (RFC 7440): up to W DATA blocks go out back to back, and one ACK
 * moves the window. The blocks sent but not yet acknowledged are kept (the packets themselves),
 * because an ACK in the middle of a window or a timeout makes us send them again, and the file
 * (netascii: the encoder) only moves forward.
 */
class WindowedReadTransfer extends ReadTransfer {
  private window: Buffer[] = []; // DATA packets sent and not acknowledged: blocks base, base+1, ...
  private base = 1; // the block number of window[0] (16-bit, wraps like the block numbers)
  private started = false; // ACK 0 (of the OACK) has come: we are past negotiation
  private lastRead = false; // the last block (short, possibly empty) is in the window

  protected start(oack: Map<string, string> | null): void {
    // windowsize is an option, so there is always an OACK; ACK 0 opens the first window.
    if (oack) this.send(packOack(oack));
    else this.sendWindow();
  }

  protected onPacket(opcode: number, num: number): void {
    if (opcode !== OP_ACK) return;
    if (!this.started) {
      if (num !== 0) return;
      this.started = true;
      this.sendWindow();
      return;
    }
    // How far into the window the ACK reaches; an old or duplicate ACK lands outside it (the
    // 16-bit distance is then ~65535) and is ignored, like in lock-step: answering it would be
    // the Sorcerer's Apprentice.
    const acked = ((num - this.base) & 0xffff) + 1;
    if (acked > this.window.length) return;
    this.window = this.window.slice(acked);
    this.base = (this.base + acked) & 0xffff;
    if (this.window.length === 0 && this.lastRead) this.close(); // the last block is acknowledged: done
    else this.sendWindow(); // blocks after num that were already sent go again, as part of the new window
  }

  /** Top the window up to W blocks (fewer at the end of the file), then send all of it. */
  private sendWindow(): void {
    while (this.window.length < this.windowsize && !this.lastRead) {
      const payload = this.nextPayloadOrFail();
      if (payload === null) return;
      this.lastRead = payload.length < this.blksize; // a short block ends the file, and the window
      this.window.push(packData((this.base + this.window.length) & 0xffff, payload));
    }
    this.progress(this.window[0]);
    this.resend();
  }

  protected resend(): void {
    if (!this.started) super.resend(); // still the OACK
    else for (const packet of this.window) this.sendTo(packet, this.peer);
  }
}

/** WRQ: the client sends DATA blocks, we ACK each one. */
class WriteTransfer extends Transfer {
  readonly kind = 'WRQ';
  private fd: number;
  private readonly decoder: NetasciiDecoder | null;
  protected block = 0; // the last block written and acknowledged
  protected finished = false; // the last block is in: we are only dallying

  constructor(
    server: Server,
    peer: Peer,
    request: Buffer,
    name: string,
    timeoutMs: number,
    fd: number,
    netascii: boolean,
    private readonly filePath: string,
  ) {
    super(server, peer, request, name, timeoutMs);
    this.fd = fd;
    this.decoder = netascii ? new NetasciiDecoder() : null;
  }

  protected start(oack: Map<string, string> | null): void {
    // An OACK takes the place of ACK 0; either way DATA 1 comes next.
    this.send(oack ? packOack(oack) : packAck(0));
  }

  protected onPacket(opcode: number, num: number, payload: Buffer): void {
    if (opcode !== OP_DATA) return;
    if (num === this.block) {
      // The client did not get our ACK and sent this block again: ACK it again, but its bytes
      // are already written. The timer is left alone.
      this.sendTo(packAck(this.block), this.peer);
      return;
    }
    if (this.finished || num !== ((this.block + 1) & 0xffff)) return; // not the block we wait for
    const last = payload.length < this.blksize;
    if (!this.store(payload, last)) return;
    this.block = num;
    this.send(packAck(num));
    if (last) this.finish();
  }

  /** Write the next block (netascii: decoded); false when that failed and ended the transfer. */
  protected store(payload: Buffer, last: boolean): boolean {
    if (payload.length > this.blksize) {
      this.fail(ERR_ILLEGAL_OP, 'Block larger than block size');
      return false;
    }
    const bytes = this.decoder ? this.decoder.feed(payload, last) : payload;
    try {
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
      if (last) this.closeFile(); // the file is complete before the client hears so
    } catch (err) {
      const refusal = refusalFor(err as NodeJS.ErrnoException);
      log(`${this.describe()}: write failed: ${(err as Error).message}`);
      this.fail(refusal.code, refusal.message);
      return false;
    }
    return true;
  }

  /** The last block is written and its ACK sent. */
  protected finish(): void {
    this.finished = true;
    log(`${this.describe()}: received`);
    // Dally: stay a while only to re-ACK a re-sent last block.
    this.arm(DALLY_TIMEOUTS * this.timeoutMs);
  }

  protected onTimer(): void {
    if (this.finished) this.close(); // dallying is over
    else super.onTimer();
  }

  protected closeFile(): void {
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      fs.closeSync(fd);
    }
  }

  /** A write that did not complete leaves no half file behind. */
  protected cleanUp(): void {
    if (this.finished) return;
    try {
      this.closeFile();
    } catch {
      // already reported by the failed write
    }
    try {
      fs.unlinkSync(this.filePath);
    } catch {
      // already gone
    }
  }
}

/**
 * WRQ with windowsize W > 1 (RFC 7440): the client sends up to W blocks back to back; we write
 * each in-order block and ACK only every W-th one since our last ACK, and the last one. Blocks
 * are written exactly once, in order: a duplicate is dropped, and a block past a gap is dropped
 * too (the client sends it again after our ACK).
 */
class WindowedWriteTransfer extends WriteTransfer {
  private sinceAck = 0; // in-order blocks written since the last ACK (or the OACK) we sent
  private gapAcked = false; // a gap was reported; until the next in-order block we keep quiet

  protected onPacket(opcode: number, num: number, payload: Buffer): void {
    if (opcode !== OP_DATA) return;
    const ahead = (num - this.block) & 0xffff; // 1: the next block; 0 or "negative": already written
    if (this.finished) {
      // Dallying: only the last block coming again means our final ACK was lost; ACK it again.
      if (ahead === 0) this.sendTo(packAck(this.block), this.peer);
      return;
    }
    if (ahead === 0 || ahead >= 0x8000) return; // already written (a resent window): nothing to do
    if (ahead > 1) {
      // A gap: the block before this one was lost. Tell the client where we are, once: the rest of
      // its window is behind the same gap, and an ACK for each would be a storm.
      if (!this.gapAcked) this.ack();
      this.gapAcked = true;
      this.lastSent = packAck(this.block); // the client is past the OACK: a timeout re-sends this ACK
      return;
    }
    const last = payload.length < this.blksize;
    if (!this.store(payload, last)) return;
    this.block = num;
    this.gapAcked = false;
    this.sinceAck++;
    // Progress: a timeout from now on re-sends the ACK of this block, the count starts over.
    this.progress(packAck(num));
    if (last || this.sinceAck >= this.windowsize) this.ack();
    if (last) this.finish();
  }

  private ack(): void {
    this.sinceAck = 0;
    this.sendTo(packAck(this.block), this.peer);
  }

  protected resend(): void {
    // A timeout ACK counts as an ACK sent: the client's next window is counted from it.
    this.sinceAck = 0;
    super.resend();
  }
}

// --- The server: the listening socket --------------------------------------------------------

class Server {
  private readonly transfers = new Set<Transfer>();
  private readonly listener = dgram.createSocket('udp4');

  constructor(
    private readonly root: string,
    private readonly timeoutMs: number,
  ) {}

  listen(port: number, onListening: () => void): void {
    this.listener.on('message', (msg, rinfo) => this.onRequest(msg, rinfo));
    this.listener.on('error', (err) => {
      log(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
      process.exit(1);
    });
    this.listener.bind(port, '127.0.0.1', onListening);
  }

  forget(t: Transfer): void {
    this.transfers.delete(t);
  }

  /** Refuse a request: from a fresh socket too, since the listening socket only listens. */
  private replyError(to: Peer, code: number, message: string): void {
    const s = dgram.createSocket('udp4');
    s.on('error', () => s.close());
    s.bind(0, '127.0.0.1', () => s.send(packError(code, message), to.port, to.address, () => s.close()));
  }

  private onRequest(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const from: Peer = { address: rinfo.address, port: rinfo.port };
    if (msg.length < 2) {
      this.replyError(from, ERR_ILLEGAL_OP, 'Illegal TFTP operation');
      return;
    }
    const opcode = msg.readUInt16BE(0);
    if (opcode === OP_ERROR) return; // never answer an ERROR with an ERROR
    if (opcode !== OP_RRQ && opcode !== OP_WRQ) {
      // DATA, ACK, OACK or an unknown opcode belong to no transfer here.
      this.replyError(from, ERR_ILLEGAL_OP, 'Illegal TFTP operation');
      return;
    }
    // A client that got no answer re-sends its request from the same port. Its transfer already
    // exists and has its own timer: a second transfer would be a second TID talking to the same
    // client (and, for a WRQ, an ERROR 6 for the file the first one just created).
    for (const t of this.transfers) {
      if (t.peer.address === from.address && t.peer.port === from.port && t.request.equals(msg)) return;
    }
    try {
      const t = this.accept(opcode, msg, from);
      this.transfers.add(t);
      const window = t.windowsize > 1 ? `, window ${t.windowsize}` : '';
      log(`${t.describe()} (${t.blksize}-byte blocks${window})`);
    } catch (err) {
      if (err instanceof BadRequest) {
        log(`${from.address}:${from.port}: malformed request: ${err.message}`);
        this.replyError(from, ERR_ILLEGAL_OP, 'Illegal TFTP operation');
      } else if (err instanceof Refused) {
        log(`${from.address}:${from.port}: refused: ${err.message}`);
        this.replyError(from, err.code, err.message);
      } else {
        log(`${from.address}:${from.port}: cannot start a transfer: ${(err as Error).message}`);
        this.replyError(from, ERR_UNDEFINED, 'Server error');
      }
    }
  }

  private accept(opcode: number, msg: Buffer, from: Peer): Transfer {
    const req = parseRequest(msg);
    if (req.mode !== 'octet' && req.mode !== 'netascii') {
      // "mail" is obsolete and anything else is not TFTP: the request as a whole is illegal,
      // so 4 rather than the catch-all 0.
      throw new Refused(ERR_ILLEGAL_OP, 'Illegal mode');
    }
    const netascii = req.mode === 'netascii';
    const filePath = resolveName(this.root, req.filename);

    let fd: number;
    let size = 0;
    if (opcode === OP_RRQ) {
      try {
        // O_NONBLOCK so that a FIFO cannot hang the whole server in open().
        fd = fs.openSync(filePath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      } catch (err) {
        throw refusalFor(err as NodeJS.ErrnoException);
      }
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        fs.closeSync(fd); // a directory, device or FIFO is not a file to send
        throw new Refused(ERR_ACCESS, 'Access violation');
      }
      size = st.size;
    } else {
      try {
        // O_EXCL: an existing file (or symlink) is never overwritten, and two WRQs for the same
        // new name cannot both win.
        fd = fs.openSync(filePath, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
      } catch (err) {
        throw refusalFor(err as NodeJS.ErrnoException);
      }
    }

    // Option negotiation (RFC 2347): accept what we understand, with the value we will use;
    // ignore the rest. The first of a name wins.
    const accepted = new Map<string, string>();
    let blksize = DEFAULT_BLKSIZE;
    let timeoutMs = this.timeoutMs;
    let windowsize = 1; // 1: lock-step, RFC 1350
    for (const [opt, value] of req.options) {
      if (accepted.has(opt)) continue;
      const n = parseIntStrict(value);
      if (n === null) continue;
      if (opt === 'blksize' && n >= MIN_BLKSIZE) {
        blksize = Math.min(n, MAX_BLKSIZE); // RFC 2348 lets the server answer a larger request with less
        accepted.set(opt, String(blksize));
      } else if (opt === 'timeout' && n >= MIN_TIMEOUT_S && n <= MAX_TIMEOUT_S) {
        timeoutMs = n * 1000;
        accepted.set(opt, String(n));
      } else if (opt === 'windowsize' && n >= 1 && n <= 65535) {
        windowsize = Math.min(n, MAX_WINDOWSIZE); // like blksize, the server may answer with less
        accepted.set(opt, String(windowsize));
      } else if (opt === 'tsize') {
        if (opcode === OP_WRQ) accepted.set(opt, String(n)); // the client tells us the size
        // (The netascii size would need a pass over the file to count line ends; like tftpd-hpa
        // we offer tsize for octet only.)
        else if (!netascii) accepted.set(opt, String(size));
      }
    }

    // windowsize 1 is lock-step: the same classes as without the option.
    const Read = windowsize > 1 ? WindowedReadTransfer : ReadTransfer;
    const Write = windowsize > 1 ? WindowedWriteTransfer : WriteTransfer;
    const t =
      opcode === OP_RRQ
        ? new Read(this, from, msg, req.filename, timeoutMs, fd, netascii)
        : new Write(this, from, msg, req.filename, timeoutMs, fd, netascii, filePath);
    t.blksize = blksize;
    t.windowsize = windowsize;
    // Options sent but none accepted: plain RFC 1350, no OACK.
    t.open(accepted.size > 0 ? accepted : null);
    return t;
  }
}

// --- Command line ---------------------------------------------------------------------------

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        root: { type: 'string' },
        'timeout-ms': { type: 'string', default: '1000' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const usage = 'usage: server.js --port P --root DIR [--timeout-ms T]';
  const port = Number(values.port);
  const timeoutMs = Number(values['timeout-ms']);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !values.root) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    process.stderr.write(`--timeout-ms must be a positive integer\n${usage}\n`);
    process.exit(2);
  }
  let root: string;
  try {
    root = fs.realpathSync(values.root);
    if (!fs.statSync(root).isDirectory()) throw new Error('not a folder');
  } catch (err) {
    process.stderr.write(`--root ${values.root}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const server = new Server(root, timeoutMs);
  server.listen(port, () => {
    process.stdout.write(`tftp-server listening on 127.0.0.1:${port}, serving ${root}\n`);
  });
}

main();
