// bittorrent-peer reference solution: a BitTorrent peer for one single-file torrent.
//
// Run:  node dist/peer.js --torrent file.torrent --dir downloads --port 6881
//       (build first: npx tsc -p .)
//
// Node's event loop does everything, in one thread:
//
// * It listens on 127.0.0.1:PORT first of all, then reads the metainfo file and opens
//   <dir>/<name>: a file already there is checked piece by piece (a seeder starts that way),
//   otherwise an empty one is created.
// * It announces to the HTTP tracker (event=started, then every `interval` seconds, then
//   event=completed once the download is done), connects to the peers the tracker lists, and
//   accepts connections from any peer, for as long as it runs. Once complete it keeps seeding.
//
// Downloading. Pieces are cut into 16 KiB blocks; about PIPELINE requests stay outstanding on each
// peer that unchokes us. A peer that needs work continues the piece it started, else adopts a
// piece someone else left half done, else starts the rarest piece it has that nobody is fetching
// (random among equally rare ones), else helps with a piece another peer is fetching. So peers
// fetch different pieces, and a piece usually comes whole from one peer. A choke drops a peer's
// outstanding requests (BEP 3: the peer discards them); a peer that sends no block for
// SNUB_TIMEOUT_MS while requests are outstanding has them cancelled; either way the blocks go to
// other peers, and the stalled peer gets one request at a time until it delivers again. Every
// piece's SHA-1 is checked before it is written. A piece that fails the check is discarded: if
// one peer sent it all, that peer is banned (disconnected; its address is never dialled again and
// its peer id never accepted again); if several did, the piece is fetched again from a single
// peer so the next failure names the culprit. After each verified piece every peer gets a have.
//
// Uploading. Interested peers are unchoked, up to MAX_UNCHOKED at a time (every
// ROTATE_MS the longest-unchoked one makes room for one that has been waiting, if any). Requests
// are queued per connection and served as the socket drains, so a cancel can still reach a queued
// request. A request that is malformed (beyond the piece, longer than 128 KiB) closes the
// connection; one for a piece we do not have, or sent while we choke the peer, is ignored.
//
// Connections: the peers the tracker lists are dialled (again after a backoff when a connection
// fails, while we still need pieces). When a peer and we dialled each other, the newer of the two
// connections is closed.
//
// Robustness: a malformed or abusive message closes that one connection; an exception while
// handling a connection closes that connection; tracker trouble is retried forever.
//
// Progress goes to stderr, a few lines. Only node: modules.

import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { parseMetainfo, type Metainfo } from './metainfo.js';
import { Storage } from './storage.js';
import { announce, type AnnounceEvent, type PeerAddress } from './tracker.js';
import * as wire from './wire.js';

/** Block size of every request (the last block of a piece may be shorter). */
const BLOCK = 16 * 1024;
/** Requests kept outstanding on each peer that unchokes us. */
const PIPELINE = 10;
/** The largest block we serve (BEP 3 clients ask for 16 KiB; 128 KiB is the usual upper bound). */
const MAX_SERVED_BLOCK = 128 * 1024;
/** Requests a peer may have queued with us before we call it abuse. */
const MAX_QUEUED_REQUESTS = 2000;
/** Stop queueing piece data on a socket whose send buffer holds this much; resume on 'drain'. */
const MAX_WRITE_BUFFER = 256 * 1024;
/** A peer with requests outstanding that sends no block for this long has them given to others. */
const SNUB_TIMEOUT_MS = 5000;
const MAX_UNCHOKED = 8;
const ROTATE_MS = 10_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5000;
/** Nothing at all received for this long (not even a keep-alive): the peer is gone. */
const IDLE_TIMEOUT_MS = 180_000;
const KEEPALIVE_MS = 60_000;
const MAX_CONNECTIONS = 100;
/** Backoff before reconnecting to a listed peer whose connection failed or closed. */
const RECONNECT_MIN_MS = 2000;
const RECONNECT_MAX_MS = 60_000;
const TRACKER_TIMEOUT_MS = 15_000;
/** Retry delay after a tracker error: RETRY_MIN_MS, growing by a second per failure up to RETRY_MAX_MS. */
const TRACKER_RETRY_MIN_MS = 2000;
const TRACKER_RETRY_MAX_MS = 5000;
/** When the tracker gives no interval. */
const DEFAULT_INTERVAL_S = 30;

function log(msg: string): void {
  process.stderr.write(`bittorrent-peer: ${msg}\n`);
}

/** Azureus-style peer id: "-SG0100-" and 12 random alphanumerics. */
function makePeerId(): Buffer {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let id = '-SG0100-';
  for (const b of crypto.randomBytes(12)) id += alphabet[b % alphabet.length];
  return Buffer.from(id, 'latin1');
}

interface BlockRequest {
  index: number;
  begin: number;
  length: number;
}

/** A piece being downloaded: its bytes so far, and who is fetching which block. */
class PieceJob {
  readonly data: Buffer;
  readonly blocks: number;
  readonly received: Uint8Array;
  receivedCount = 0;
  /** Which connection has an outstanding request for each block, if any. */
  readonly requester: Array<Conn | null>;
  /** Connections that sent blocks of this piece (the suspects if it fails its hash), and who sent each block. */
  readonly contributors = new Set<Conn>();
  readonly senders: Array<Conn | null>;
  /** The connection that fetches most of it; null when that one choked, stalled or left. */
  owner: Conn | null;

  constructor(
    readonly index: number,
    readonly size: number,
    owner: Conn,
    /** After a failure with several contributors: only the owner may fetch it, so a second failure has one culprit. */
    readonly exclusive: boolean,
  ) {
    this.data = Buffer.alloc(size);
    this.blocks = Math.ceil(size / BLOCK);
    this.received = new Uint8Array(this.blocks);
    this.requester = new Array<Conn | null>(this.blocks).fill(null);
    this.senders = new Array<Conn | null>(this.blocks).fill(null);
    this.owner = owner;
  }

  blockLength(b: number): number {
    return Math.min(BLOCK, this.size - b * BLOCK);
  }

  /** A block nobody has and nobody is fetching, or -1. */
  freeBlock(): number {
    for (let b = 0; b < this.blocks; b++) if (!this.received[b] && !this.requester[b]) return b;
    return -1;
  }

  /** Forget everything received (an exclusive piece whose owner went away starts over). */
  reset(): void {
    this.received.fill(0);
    this.receivedCount = 0;
    this.contributors.clear();
    this.senders.fill(null);
  }
}

/** One peer connection, incoming or outgoing. */
class Conn {
  state: 'handshake' | 'active' | 'closed' = 'handshake';
  readonly inbuf = new wire.ByteQueue();
  peerId: Buffer | null = null;
  peerHave: Uint8Array;
  peerHaveCount = 0;
  /** We choke them / they choke us; we are interested in them / they in us. */
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  /** Our requests to them not yet answered, by block key. */
  readonly outstanding = new Map<number, BlockRequest>();
  /** When they last sent a block, or when our requests to them last went from none to some. */
  lastProgress = Date.now();
  /** Stalled once: fetch one block at a time from them until they deliver again. */
  snubbed = false;
  /** Their requests, waiting to be served. */
  uploadQueue: BlockRequest[] = [];
  flushScheduled = false;
  readonly createdAt = Date.now();
  lastRecv = Date.now();
  lastSend = Date.now();
  /** When we last unchoked them / when they last became interested while choked. */
  unchokedAt = 0;
  waitingSince = 0;

  constructor(
    readonly socket: net.Socket,
    readonly outgoing: boolean,
    /** host:port: the listening address for outgoing connections, the remote address for incoming ones. */
    readonly addr: string,
    numPieces: number,
  ) {
    this.peerHave = new Uint8Array(numPieces);
  }

  /** For log lines: the address, and the peer id as text if it is printable, else in hex. */
  get label(): string {
    if (!this.peerId) return this.addr;
    const text = this.peerId.toString('latin1');
    return `${this.addr} (${/^[\x20-\x7e]+$/.test(text) ? text : this.peerId.toString('hex')})`;
  }

  send(buf: Buffer): void {
    if (this.state === 'closed' || this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(buf);
    this.lastSend = Date.now();
  }
}

/** A peer address the tracker listed, and when we may try it again. */
interface Known {
  host: string;
  port: number;
  nextTry: number;
  backoff: number;
  /** The peer id seen behind this address, so we need not connect while it is connected to us already. */
  peerId: string | null;
}

class Client {
  readonly storage: Storage;
  readonly meta: Metainfo;
  readonly peerId = makePeerId();
  readonly conns = new Set<Conn>();
  /** Pieces being downloaded. */
  readonly jobs = new Map<number, PieceJob>();
  /** How many connected peers have each piece. */
  readonly availability: Uint32Array;
  /**
   * Pieces that failed their hash with several contributors: the bytes and who sent each block.
   * They are fetched again from one peer; once a copy passes, the blocks that differ from it name
   * the culprits.
   */
  readonly failedPieces = new Map<number, { data: Buffer; senders: Array<Conn | null> }>();
  readonly bannedIds = new Set<string>();
  readonly bannedAddrs = new Set<string>();
  readonly known = new Map<string, Known>();
  /** Addresses that turned out to be ourselves. */
  readonly selfAddrs = new Set<string>();
  readonly blocksPerPiece: number;
  uploaded = 0;
  downloaded = 0;
  private lastLoggedQuarter = 0;
  private tracker: Announcer;
  private ticker: NodeJS.Timeout | null = null;
  private lastRotate = Date.now();
  private fillAllScheduled = false;

  constructor(
    meta: Metainfo,
    dir: string,
    readonly port: number,
  ) {
    this.meta = meta;
    this.storage = new Storage(meta, dir);
    this.availability = new Uint32Array(this.storage.numPieces);
    this.blocksPerPiece = Math.ceil(meta.pieceLength / BLOCK);
    this.tracker = new Announcer(this);
    for (const host of ['127.0.0.1', 'localhost', '0.0.0.0']) this.selfAddrs.add(`${host}:${port}`);
  }

  start(): void {
    const t0 = Date.now();
    this.storage.open();
    const s = this.storage;
    this.lastLoggedQuarter = Math.floor((4 * s.haveCount) / Math.max(1, s.numPieces));
    log(
      `${this.meta.name}: ${this.meta.length} bytes, ${s.numPieces} pieces of ${this.meta.pieceLength}; ` +
        `have ${s.haveCount}/${s.numPieces}${s.complete ? ' (seeding)' : ''} (checked in ${Date.now() - t0} ms); ` +
        `info_hash ${this.meta.infoHash.toString('hex')}`,
    );
    this.ticker = setInterval(() => this.guard('tick', () => this.tick()), 500);
    this.tracker.start();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.tracker.stop();
    for (const c of this.conns) c.socket.destroy();
    this.storage.close();
  }

  /** Runs fn; an exception is logged and swallowed (the process never dies of one peer or the tracker). */
  guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      log(`${what}: unexpected error: ${(err as Error).stack ?? err}`);
    }
  }

  // ---------------------------------------------------------------- connections

  accept(socket: net.Socket): void {
    if (this.conns.size >= MAX_CONNECTIONS) {
      socket.destroy();
      return;
    }
    const conn = new Conn(socket, false, `${socket.remoteAddress}:${socket.remotePort}`, this.storage.numPieces);
    this.attach(conn);
  }

  connect(k: Known): void {
    const socket = net.connect({ host: k.host, port: k.port });
    const conn = new Conn(socket, true, `${k.host}:${k.port}`, this.storage.numPieces);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy());
    socket.once('connect', () => {
      socket.setTimeout(0);
      conn.send(wire.handshake(this.meta.infoHash, this.peerId));
    });
    this.attach(conn);
  }

  private attach(conn: Conn): void {
    this.conns.add(conn);
    const { socket } = conn;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (conn.state === 'closed') return;
      try {
        conn.lastRecv = Date.now();
        conn.inbuf.push(chunk);
        this.process(conn);
      } catch (err) {
        this.drop(conn, `error: ${(err as Error).message}`);
      }
    });
    socket.on('drain', () => this.guard('drain', () => this.flushUploads(conn)));
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => this.guard('close', () => this.onClose(conn)));
  }

  /** Closes a connection (the 'close' handler cleans up). */
  drop(conn: Conn, why: string | null): void {
    if (why && conn.state === 'active') log(`closing ${conn.label}: ${why}`);
    conn.socket.destroy();
    this.onClose(conn);
  }

  private onClose(conn: Conn): void {
    if (conn.state === 'closed') return;
    const wasActive = conn.state === 'active';
    conn.state = 'closed';
    this.conns.delete(conn);
    conn.inbuf.clear();
    conn.uploadQueue = [];
    if (wasActive) for (let i = 0; i < conn.peerHave.length; i++) if (conn.peerHave[i]) this.availability[i]--;
    this.release(conn, false);
    // (it stays among the contributors of the pieces it sent blocks of: still a suspect if one fails)
    if (conn.outgoing) {
      const k = this.known.get(conn.addr);
      if (k) {
        k.nextTry = Date.now() + k.backoff;
        k.backoff = Math.min(RECONNECT_MAX_MS, k.backoff * 2);
      }
    }
    if (!conn.amChoking) this.unchokeWaiting();
  }

  /** Connects to listed peers we are not connected to (respecting each one's backoff). */
  connectKnown(): void {
    const now = Date.now();
    const connectedAddrs = new Set<string>();
    const connectedIds = new Set<string>();
    for (const c of this.conns) {
      if (c.outgoing) connectedAddrs.add(c.addr);
      if (c.peerId) connectedIds.add(c.peerId.toString('hex'));
    }
    for (const [key, k] of this.known) {
      if (this.conns.size >= MAX_CONNECTIONS) return;
      if (connectedAddrs.has(key) || this.selfAddrs.has(key) || this.bannedAddrs.has(key) || k.nextTry > now) continue;
      if (k.peerId && (connectedIds.has(k.peerId) || this.bannedIds.has(k.peerId))) continue;
      k.nextTry = now + k.backoff; // until the attempt resolves
      this.connect(k);
    }
  }

  addPeers(peers: PeerAddress[]): void {
    for (const p of peers) {
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) continue;
      if (p.peerId && p.peerId.equals(this.peerId)) continue;
      const key = `${p.host}:${p.port}`;
      if (this.selfAddrs.has(key) || this.known.has(key)) continue;
      this.known.set(key, { host: p.host, port: p.port, nextTry: 0, backoff: RECONNECT_MIN_MS, peerId: null });
    }
    this.connectKnown();
  }

  // ---------------------------------------------------------------- parsing

  private process(conn: Conn): void {
    const q = conn.inbuf;
    while (conn.state !== 'closed') {
      if (conn.state === 'handshake') {
        // Check each part as soon as it is there, so garbage is refused at once.
        if (q.length >= 1 && q.byteAt(0) !== wire.PSTR.length) return this.drop(conn, 'bad handshake');
        if (q.length >= 20 && !q.peek(20).subarray(1).equals(wire.PSTR)) return this.drop(conn, 'bad handshake');
        if (q.length >= 48 && !q.peek(48).subarray(28).equals(this.meta.infoHash)) return this.drop(conn, 'wrong info_hash');
        if (q.length < wire.HANDSHAKE_LEN) return;
        this.onHandshake(conn, q.take(wire.HANDSHAKE_LEN).subarray(48));
        continue;
      }
      if (q.length < 4) return;
      const len = q.peek(4).readUInt32BE(0);
      if (len > wire.MAX_MESSAGE_LEN) return this.drop(conn, `message of ${len} bytes`);
      if (q.length < 4 + len) return;
      const msg = q.take(4 + len).subarray(4);
      if (len > 0) this.onMessage(conn, msg);
    }
  }

  private onHandshake(conn: Conn, peerId: Buffer): void {
    const idHex = peerId.toString('hex');
    if (peerId.equals(this.peerId)) {
      if (conn.outgoing) this.selfAddrs.add(conn.addr);
      return this.drop(conn, null);
    }
    if (this.bannedIds.has(idHex)) return this.drop(conn, null);
    if (conn.outgoing) {
      const k = this.known.get(conn.addr);
      if (k) {
        k.peerId = idHex;
        k.backoff = RECONNECT_MIN_MS;
      }
    }
    // Both of us dialled (it connected to us and we to it): keep the older connection. Only that
    // case: two connections in the same direction with one peer id are left alone.
    for (const other of this.conns) {
      if (other.state === 'active' && other.outgoing !== conn.outgoing && other.peerId?.equals(peerId)) return this.drop(conn, null);
    }
    conn.peerId = Buffer.from(peerId);
    conn.state = 'active';
    if (!conn.outgoing) conn.send(wire.handshake(this.meta.infoHash, this.peerId));
    if (this.storage.haveCount > 0) conn.send(wire.bitfield(this.storage.bitfield()));
  }

  private onMessage(conn: Conn, msg: Buffer): void {
    const id = msg[0];
    const n = this.storage.numPieces;
    const fixed = (len: number) => {
      if (msg.length !== len) throw new Error(`message ${id} of ${msg.length} bytes (expected ${len})`);
    };
    switch (id) {
      case wire.CHOKE:
        fixed(1);
        if (!conn.peerChoking) {
          conn.peerChoking = true;
          this.release(conn, false);
        }
        return;
      case wire.UNCHOKE:
        fixed(1);
        if (conn.peerChoking) {
          conn.peerChoking = false;
          this.fill(conn);
        }
        return;
      case wire.INTERESTED:
        fixed(1);
        if (!conn.peerInterested) {
          conn.peerInterested = true;
          conn.waitingSince = Date.now();
          if (conn.amChoking && this.unchokedCount() < MAX_UNCHOKED) this.unchoke(conn);
        }
        return;
      case wire.NOT_INTERESTED:
        fixed(1);
        if (conn.peerInterested) {
          conn.peerInterested = false;
          if (!conn.amChoking) {
            this.choke(conn);
            this.unchokeWaiting();
          }
        }
        return;
      case wire.HAVE: {
        fixed(5);
        const index = msg.readUInt32BE(1);
        if (index >= n) throw new Error(`have ${index} of ${n} pieces`);
        if (!conn.peerHave[index]) {
          conn.peerHave[index] = 1;
          conn.peerHaveCount++;
          this.availability[index]++;
          if (!this.storage.have[index] && !conn.amInterested) this.setInterest(conn, true);
          this.fill(conn);
        }
        return;
      }
      case wire.BITFIELD: {
        fixed(1 + Math.ceil(n / 8));
        for (let i = n; i < 8 * (msg.length - 1); i++) {
          if (msg[1 + (i >> 3)] & (0x80 >> (i & 7))) throw new Error('bitfield has spare bits set');
        }
        for (let i = 0; i < n; i++) {
          const has = msg[1 + (i >> 3)] & (0x80 >> (i & 7)) ? 1 : 0;
          if (has === conn.peerHave[i]) continue;
          conn.peerHave[i] = has;
          conn.peerHaveCount += has ? 1 : -1;
          this.availability[i] += has ? 1 : -1;
        }
        this.updateInterest(conn);
        this.fill(conn);
        return;
      }
      case wire.REQUEST: {
        fixed(13);
        const r = { index: msg.readUInt32BE(1), begin: msg.readUInt32BE(5), length: msg.readUInt32BE(9) };
        if (r.index >= n || r.length === 0 || r.length > MAX_SERVED_BLOCK || r.begin + r.length > this.storage.pieceSize(r.index)) {
          throw new Error(`bad request ${r.index}/${r.begin}/${r.length}`);
        }
        if (conn.amChoking || !this.storage.have[r.index]) return; // BEP 3: ignored
        if (conn.uploadQueue.length >= MAX_QUEUED_REQUESTS) throw new Error('too many queued requests');
        conn.uploadQueue.push(r);
        this.scheduleFlush(conn);
        return;
      }
      case wire.PIECE: {
        if (msg.length < 9) throw new Error('short piece message');
        const index = msg.readUInt32BE(1);
        const begin = msg.readUInt32BE(5);
        const data = msg.subarray(9);
        if (index >= n || begin + data.length > this.storage.pieceSize(index)) throw new Error(`block ${index}/${begin}/${data.length} outside the torrent`);
        this.onBlock(conn, index, begin, data);
        return;
      }
      case wire.CANCEL: {
        fixed(13);
        const index = msg.readUInt32BE(1);
        const begin = msg.readUInt32BE(5);
        const length = msg.readUInt32BE(9);
        conn.uploadQueue = conn.uploadQueue.filter((r) => !(r.index === index && r.begin === begin && r.length === length));
        return;
      }
      default:
        return; // port (9), extended (20), anything newer: not ours to understand
    }
  }

  // ---------------------------------------------------------------- downloading

  private setInterest(conn: Conn, want: boolean): void {
    if (conn.amInterested === want) return;
    conn.amInterested = want;
    conn.send(wire.simple(want ? wire.INTERESTED : wire.NOT_INTERESTED));
  }

  /** Interested exactly when they have a piece we lack. */
  private updateInterest(conn: Conn): void {
    if (conn.state !== 'active') return;
    let want = false;
    if (!this.storage.complete && conn.peerHaveCount > 0) {
      const have = this.storage.have;
      for (let i = 0; i < have.length && !want; i++) want = conn.peerHave[i] === 1 && have[i] === 0;
    }
    this.setInterest(conn, want);
  }

  private blockKey(index: number, b: number): number {
    return index * this.blocksPerPiece + b;
  }

  /** Keeps PIPELINE requests outstanding on a peer that unchokes us. */
  fill(conn: Conn): void {
    if (conn.state !== 'active' || conn.peerChoking || !conn.amInterested || this.storage.complete) return;
    const depth = conn.snubbed ? 1 : PIPELINE;
    while (conn.outstanding.size < depth) {
      const pick = this.pickBlock(conn);
      if (!pick) return;
      const [job, b] = pick;
      const r = { index: job.index, begin: b * BLOCK, length: job.blockLength(b) };
      job.requester[b] = conn;
      if (conn.outstanding.size === 0) conn.lastProgress = Date.now();
      conn.outstanding.set(this.blockKey(job.index, b), r);
      conn.send(wire.blockMessage(wire.REQUEST, r.index, r.begin, r.length));
    }
  }

  private pickBlock(conn: Conn): [PieceJob, number] | null {
    // 1. a piece it is fetching; 2. a piece left half done by a peer that choked, stalled or left
    // (not by a peer that stalled itself: those blocks should go to peers that answer)
    let orphan: PieceJob | null = null;
    for (const job of this.jobs.values()) {
      if (!conn.peerHave[job.index]) continue;
      if (job.owner === conn) {
        const b = job.freeBlock();
        if (b >= 0) return [job, b];
      } else if (!job.owner && !orphan && job.freeBlock() >= 0) {
        orphan = job;
      }
    }
    if (orphan && !conn.snubbed) {
      orphan.owner = conn;
      return [orphan, orphan.freeBlock()];
    }
    // 3. a new piece: the rarest it has, random among equally rare ones
    const n = this.storage.numPieces;
    const have = this.storage.have;
    const start = Math.floor(Math.random() * n);
    let best = -1;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (have[i] || !conn.peerHave[i] || this.jobs.has(i)) continue;
      if (best < 0 || this.availability[i] < this.availability[best]) best = i;
    }
    if (best >= 0) {
      const job = new PieceJob(best, this.storage.pieceSize(best), conn, this.failedPieces.has(best));
      this.jobs.set(best, job);
      return [job, 0];
    }
    // 4. help with a piece another peer is fetching (not one reserved to a single peer)
    for (const job of this.jobs.values()) {
      if (!conn.peerHave[job.index] || job.exclusive) continue;
      const b = job.freeBlock();
      if (b >= 0) return [job, b];
    }
    // 5. a stalled peer, when nothing else is left for it
    if (orphan) {
      orphan.owner = conn;
      return [orphan, orphan.freeBlock()];
    }
    return null;
  }

  /** Forgets a peer's outstanding requests (choked, stalled or gone), so other peers can fetch those blocks. */
  private release(conn: Conn, sendCancel: boolean): void {
    let freed = conn.outstanding.size > 0;
    for (const r of conn.outstanding.values()) {
      const job = this.jobs.get(r.index);
      const b = r.begin / BLOCK;
      if (job && job.requester[b] === conn) job.requester[b] = null;
      if (sendCancel) conn.send(wire.blockMessage(wire.CANCEL, r.index, r.begin, r.length));
    }
    conn.outstanding.clear();
    for (const job of this.jobs.values()) {
      if (job.owner !== conn) continue;
      job.owner = null;
      freed = true;
      if (job.exclusive) {
        // nobody else may have requested blocks of it: start it over with whoever takes it
        for (let b = 0; b < job.blocks; b++) job.requester[b] = null;
        job.reset();
      }
    }
    if (freed) this.scheduleFillAll();
  }

  /** Gives work to every peer that can take some (after blocks were released or a piece failed). */
  private scheduleFillAll(): void {
    if (this.fillAllScheduled) return;
    this.fillAllScheduled = true;
    setImmediate(() => {
      this.fillAllScheduled = false;
      // peers that answer first: released blocks should go to them
      const order = [...this.conns].sort((a, b) => Number(a.snubbed) - Number(b.snubbed));
      for (const c of order) this.guard('fill', () => this.fill(c));
    });
  }

  private onBlock(conn: Conn, index: number, begin: number, data: Buffer): void {
    conn.lastProgress = Date.now();
    conn.snubbed = false;
    const b = Math.floor(begin / BLOCK);
    const key = this.blockKey(index, b);
    const mine = conn.outstanding.get(key);
    if (mine && mine.begin === begin && mine.length === data.length) conn.outstanding.delete(key);
    const job = this.jobs.get(index);
    const usable =
      job &&
      !this.storage.have[index] &&
      begin % BLOCK === 0 &&
      data.length === job.blockLength(b) &&
      !job.received[b] &&
      (!job.exclusive || job.requester[b] === conn);
    if (job && usable) {
      const other = job.requester[b];
      if (other && other !== conn) {
        // a late answer from a peer we had given up on: the peer now asked need not send it
        other.outstanding.delete(key);
        other.send(wire.blockMessage(wire.CANCEL, index, begin, data.length));
      }
      job.requester[b] = null;
      data.copy(job.data, begin);
      job.received[b] = 1;
      job.receivedCount++;
      job.contributors.add(conn);
      job.senders[b] = conn;
      if (job.receivedCount === job.blocks) this.finishPiece(job);
    }
    this.fill(conn);
  }

  private finishPiece(job: PieceJob): void {
    this.jobs.delete(job.index);
    if (!this.storage.verify(job.index, job.data)) {
      const suspects = [...job.contributors];
      log(`piece ${job.index} failed its SHA-1 check (from ${suspects.map((c) => c.label).join(', ')}); fetching it again`);
      if (suspects.length === 1) this.ban(suspects[0]);
      else this.failedPieces.set(job.index, { data: job.data, senders: [...job.senders] });
      this.scheduleFillAll();
      return;
    }
    try {
      this.storage.writePiece(job.index, job.data);
    } catch (err) {
      log(`cannot write piece ${job.index}: ${(err as Error).message}`);
      this.scheduleFillAll();
      return;
    }
    const failed = this.failedPieces.get(job.index);
    if (failed) {
      this.failedPieces.delete(job.index);
      const culprits = new Set<Conn>();
      for (let b = 0; b < job.blocks; b++) {
        const [from, to] = [b * BLOCK, b * BLOCK + job.blockLength(b)];
        const sender = failed.senders[b];
        if (sender && !failed.data.subarray(from, to).equals(job.data.subarray(from, to))) culprits.add(sender);
      }
      for (const c of culprits) {
        log(`piece ${job.index}: ${c.label} had sent corrupt blocks of it`);
        this.ban(c);
      }
    }
    this.downloaded += job.size;
    const s = this.storage;
    const quarter = Math.floor((4 * s.haveCount) / s.numPieces);
    if (quarter > this.lastLoggedQuarter && !s.complete) {
      this.lastLoggedQuarter = quarter;
      log(`have ${s.haveCount}/${s.numPieces} pieces (${Math.floor((100 * s.haveCount) / s.numPieces)}%)`);
    }
    const have = wire.have(job.index);
    for (const c of this.conns) {
      if (c.state !== 'active') continue;
      c.send(have);
      if (c.amInterested && c.peerHave[job.index]) this.updateInterest(c);
    }
    if (s.complete) this.onComplete();
  }

  /** A peer sent corrupt data (a piece that failed its hash all by itself, or blocks that differ from the good copy): never trust it again. */
  private ban(conn: Conn): void {
    if (conn.peerId) this.bannedIds.add(conn.peerId.toString('hex'));
    if (conn.outgoing) this.bannedAddrs.add(conn.addr);
    // whatever else it sent us is suspect too
    for (const job of this.jobs.values()) {
      if (!job.contributors.has(conn)) continue;
      job.reset();
      for (let b = 0; b < job.blocks; b++) if (job.requester[b] === conn) job.requester[b] = null;
    }
    this.drop(conn, 'sent a piece that failed its hash; banned');
  }

  private onComplete(): void {
    try {
      this.storage.flush();
    } catch (err) {
      log(`flush failed: ${(err as Error).message}`);
    }
    log(`download complete: ${this.storage.file} (${this.meta.length} bytes); seeding`);
    for (const c of this.conns) {
      c.outstanding.clear();
      this.setInterest(c, false);
    }
    this.jobs.clear();
    this.tracker.completed();
  }

  // ---------------------------------------------------------------- uploading

  private unchokedCount(): number {
    let n = 0;
    for (const c of this.conns) if (!c.amChoking) n++;
    return n;
  }

  private unchoke(conn: Conn): void {
    conn.amChoking = false;
    conn.unchokedAt = Date.now();
    conn.send(wire.simple(wire.UNCHOKE));
  }

  private choke(conn: Conn): void {
    conn.amChoking = true;
    conn.uploadQueue = []; // BEP 3: a choke discards pending requests
    conn.waitingSince = Date.now();
    conn.send(wire.simple(wire.CHOKE));
  }

  /** Fills free unchoke slots with interested peers, longest waiting first. */
  private unchokeWaiting(): void {
    const waiting = [...this.conns].filter((c) => c.state === 'active' && c.amChoking && c.peerInterested).sort((a, b) => a.waitingSince - b.waitingSince);
    let free = MAX_UNCHOKED - this.unchokedCount();
    for (const c of waiting) {
      if (free-- <= 0) break;
      this.unchoke(c);
    }
  }

  /** With peers waiting for a slot, the peer unchoked longest makes room for the one waiting longest. */
  private rotate(): void {
    const waiting = [...this.conns].some((c) => c.state === 'active' && c.amChoking && c.peerInterested);
    if (!waiting || this.unchokedCount() < MAX_UNCHOKED) return this.unchokeWaiting();
    let oldest: Conn | null = null;
    for (const c of this.conns) if (!c.amChoking && (!oldest || c.unchokedAt < oldest.unchokedAt)) oldest = c;
    if (oldest && Date.now() - oldest.unchokedAt >= ROTATE_MS) {
      this.choke(oldest);
      this.unchokeWaiting();
    }
  }

  private scheduleFlush(conn: Conn): void {
    if (conn.flushScheduled) return;
    conn.flushScheduled = true;
    // Later in this turn of the event loop: a cancel read in the same TCP segment still counts.
    setImmediate(() => {
      conn.flushScheduled = false;
      this.guard('upload', () => this.flushUploads(conn));
    });
  }

  /** Serves queued requests while the socket takes data without buffering too much. */
  private flushUploads(conn: Conn): void {
    while (conn.state === 'active' && conn.uploadQueue.length && conn.socket.writableLength < MAX_WRITE_BUFFER) {
      const r = conn.uploadQueue.shift()!;
      if (!this.storage.have[r.index]) continue;
      const msg = wire.pieceMessage(r.index, r.begin, r.length);
      this.storage.readBlock(r.index, r.begin, r.length, msg, 13);
      conn.send(msg);
      this.uploaded += r.length;
    }
  }

  // ---------------------------------------------------------------- timers

  private tick(): void {
    const now = Date.now();
    for (const c of [...this.conns]) {
      if (c.state === 'handshake') {
        if (now - c.createdAt > HANDSHAKE_TIMEOUT_MS) this.drop(c, null);
        continue;
      }
      if (c.state !== 'active') continue;
      if (now - c.lastRecv > IDLE_TIMEOUT_MS) {
        this.drop(c, 'silent for too long');
        continue;
      }
      if (now - c.lastSend > KEEPALIVE_MS) c.send(wire.KEEP_ALIVE);
      if (c.outstanding.size > 0 && now - c.lastProgress > SNUB_TIMEOUT_MS) {
        log(`${c.label} sent nothing for ${SNUB_TIMEOUT_MS / 1000} s: asking other peers for its ${c.outstanding.size} block(s)`);
        c.snubbed = true;
        this.release(c, true);
      }
    }
    if (now - this.lastRotate >= ROTATE_MS) {
      this.lastRotate = now;
      this.rotate();
    }
    if (!this.storage.complete) this.connectKnown();
  }
}

/** The tracker conversation: started, then regular announces, and completed once. */
class Announcer {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  private stopped = false;
  private startedDone = false;
  private completedPending = false;
  /** Announces in a row that failed, and the last problem logged (the same one is logged only every tenth time). */
  private failures = 0;
  private lastFailure = '';

  constructor(private readonly client: Client) {}

  start(): void {
    this.run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The download just completed: tell the tracker now (or right after the announce in flight). */
  completed(): void {
    this.completedPending = true;
    if (!this.inFlight) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, ms);
  }

  private run(): void {
    if (this.inFlight || this.stopped) return;
    const c = this.client;
    const event: AnnounceEvent = !this.startedDone ? 'started' : this.completedPending ? 'completed' : '';
    this.inFlight = true;
    const params = { infoHash: c.meta.infoHash, peerId: c.peerId, port: c.port, uploaded: c.uploaded, downloaded: c.downloaded, left: c.storage.left, event };
    announce(c.meta.announce, params, TRACKER_TIMEOUT_MS).then(
      (res) => {
        this.inFlight = false;
        if (this.stopped) return;
        const interval = Math.min(3600, Math.max(1, typeof res.interval === 'number' ? res.interval : DEFAULT_INTERVAL_S));
        if (res.failure !== undefined) {
          this.failures++;
          if (res.failure !== this.lastFailure || this.failures % 10 === 0) log(`tracker: failure reason: ${res.failure}`);
          this.lastFailure = res.failure;
          this.schedule(res.interval !== undefined ? interval * 1000 : TRACKER_RETRY_MIN_MS);
          return;
        }
        if (res.warning) log(`tracker: warning: ${res.warning}`);
        if (this.failures > 0) log('tracker: answering again');
        this.failures = 0;
        this.lastFailure = '';
        if (event === 'started') this.startedDone = true;
        if (event === 'completed') this.completedPending = false;
        c.guard('peers', () => c.addPeers(res.peers));
        this.schedule(this.completedPending ? 0 : interval * 1000);
      },
      (err: Error) => {
        this.inFlight = false;
        if (this.stopped) return;
        this.failures++;
        if (err.message !== this.lastFailure || this.failures % 10 === 0) log(`tracker: ${err.message} (attempt ${this.failures}); retrying`);
        this.lastFailure = err.message;
        this.schedule(Math.min(TRACKER_RETRY_MAX_MS, TRACKER_RETRY_MIN_MS + 1000 * (this.failures - 1)));
      },
    );
  }
}

function main(): void {
  let torrent: string;
  let dir: string;
  let port: number;
  try {
    const { values } = parseArgs({ options: { torrent: { type: 'string' }, dir: { type: 'string' }, port: { type: 'string' } } });
    if (!values.torrent) throw new Error('--torrent is required');
    if (!values.dir) throw new Error('--dir is required');
    torrent = values.torrent;
    dir = values.dir;
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port: ${values.port}`);
  } catch (err) {
    log(`${(err as Error).message}\nusage: node dist/peer.js --torrent FILE.torrent --dir FOLDER --port PORT`);
    process.exit(2);
  }

  let client: Client | null = null;
  /** Connections that arrive before the torrent is loaded wait here (in practice none: loading is synchronous). */
  const early: net.Socket[] = [];
  const server = net.createServer((socket) => {
    if (client) client.accept(socket);
    else early.push(socket);
  });
  server.on('error', (err) => {
    log(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    try {
      server.close();
      client?.stop();
    } catch (err) {
      log(`while stopping: ${(err as Error).message}`);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Last line of defence: whatever a peer or the tracker did, the peer keeps running.
  process.on('uncaughtException', (err) => log(`unexpected error: ${err.stack ?? err}`));
  process.on('unhandledRejection', (err) => log(`unexpected error: ${(err as Error)?.stack ?? err}`));

  server.listen({ port, host: '127.0.0.1', backlog: 511 }, () => {
    try {
      const meta = parseMetainfo(fs.readFileSync(torrent));
      client = new Client(meta, dir, port);
      client.start();
    } catch (err) {
      log(`cannot start: ${(err as Error).message}`);
      process.exit(1);
    }
    for (const s of early.splice(0)) client.accept(s);
  });
}

main();
