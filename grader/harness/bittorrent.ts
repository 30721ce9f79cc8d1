// The grader's side of a BitTorrent swarm: single-file torrents (bencoded with the bencode
// library), the HTTP tracker (it hands each peer the addresses of its links' proxies, so every
// byte between peers crosses the network and is counted), scripted peers that seed (or
// misbehave: a corrupted piece, a choke that never lifts, a wrong info_hash) and record every
// message the student's peer sends them, and a scripted leecher that downloads from a student's
// peer and checks every piece. The student's peer is judged by what these saw and by the file
// it wrote.
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import bencode from 'bencode';
import type { Cluster } from '../peers/cluster.js';
import { neighbours } from '../peers/topology.js';
import { resetSocket } from '../net/reset.js';
import { bitfieldOf, BLOCK, describeMessage, encode, handshake, hasPiece, WireReader, type Handshake, type WireMessage } from '../net/bt-wire.js';
import type { TestContext } from './context.js';

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest();

// ---- torrents -----------------------------------------------------------------------------

export interface Torrent {
  name: string;
  data: Buffer;
  pieceLength: number;
  hashes: Buffer[];
  infoHash: Buffer;
  /** The .torrent file's bytes. */
  metainfo: Buffer;
  announce: string;
}

export function makeTorrent(o: { name: string; data: Buffer; pieceLength: number; announce: string }): Torrent {
  const hashes: Buffer[] = [];
  for (let i = 0; i < o.data.length; i += o.pieceLength) hashes.push(sha1(o.data.subarray(i, i + o.pieceLength)));
  const info = { length: o.data.length, name: Buffer.from(o.name), 'piece length': o.pieceLength, pieces: Buffer.concat(hashes) };
  const infoBytes = Buffer.from(bencode.encode(info));
  return { name: o.name, data: o.data, pieceLength: o.pieceLength, hashes, infoHash: sha1(infoBytes), metainfo: Buffer.from(bencode.encode({ announce: Buffer.from(o.announce), info })), announce: o.announce };
}

export const pieceCount = (t: Torrent) => t.hashes.length;
export const pieceBytes = (t: Torrent, i: number) => t.data.subarray(i * t.pieceLength, Math.min(t.data.length, (i + 1) * t.pieceLength));

/** Which piece of `t` a byte range lies in, and whether it is one the contract allows (at most 16 KiB, inside the piece). */
export function checkRequest(t: Torrent, r: { index: number; begin: number; length: number }): string | undefined {
  if (r.index >= pieceCount(t)) return `piece ${r.index} does not exist (the torrent has ${pieceCount(t)})`;
  const size = pieceBytes(t, r.index).length;
  if (r.length === 0) return 'a request for 0 bytes';
  if (r.begin + r.length > size) return `bytes ${r.begin}–${r.begin + r.length - 1} run past the end of piece ${r.index} (${size} bytes)`;
  if (r.length > BLOCK) return `a block of ${r.length} bytes (blocks are at most 16 KiB = 16384 bytes)`;
  return undefined;
}

// ---- the tracker --------------------------------------------------------------------------

export interface Announce {
  at: number;
  /** The cluster's peer that announced, found by the port it gave (undefined: no peer listens there). */
  peer?: string;
  query: string;
  infoHash?: Buffer;
  peerId?: Buffer;
  port?: number;
  uploaded?: number;
  downloaded?: number;
  left?: number;
  compact?: string;
  event: string;
  /** What the tracker answered: the peers it gave, or its failure reason. */
  answer: string;
}

/** Percent-decoding to bytes (info_hash and peer_id are binary; either case of hex digits). */
function percentBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (s[i] === '+') out.push(0x20);
    else out.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

function parseQuery(q: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const part of q.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = percentBytes(eq < 0 ? part : part.slice(0, eq)).toString('latin1');
    if (!m.has(k)) m.set(k, percentBytes(eq < 0 ? '' : part.slice(eq + 1)));
  }
  return m;
}

const int = (b: Buffer | undefined) => (b && /^\d{1,15}$/.test(b.toString('latin1')) ? Number(b.toString('latin1')) : undefined);

function compactPeers(addresses: string[]): Buffer {
  return Buffer.concat(
    addresses.map((a) => {
      const [host, port] = a.split(':');
      const b = Buffer.alloc(6);
      host.split('.').forEach((x, i) => (b[i] = Number(x)));
      b.writeUInt16BE(Number(port), 4);
      return b;
    }),
  );
}

export interface TrackerOptions {
  /** Seconds between regular announces, as the tracker says it. */
  interval?: number;
  /** Answer the first `n` announces with a failure reason. */
  failFirst?: number;
  /** Who to give an announcing peer (default: its neighbours in the topology, through their links). */
  peersFor?: (peer: string) => string[];
}

export class Tracker {
  readonly announces: Announce[] = [];
  private readonly waiters = new Set<() => void>();
  private torrent: Torrent | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly cluster: () => Cluster | undefined,
    private readonly opts: TrackerOptions,
    private readonly t: TestContext,
  ) {}

  /** Listening before the torrent exists: its announce URL names the tracker. `cluster()` is the swarm, once it is up. */
  static async start(t: TestContext, cluster: () => Cluster | undefined, opts: TrackerOptions = {}): Promise<Tracker> {
    let tracker!: Tracker;
    const server = http.createServer((req, res) => tracker.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    tracker = new Tracker(server, `http://127.0.0.1:${port}/announce`, cluster, opts, t);
    t.defer(() => tracker.close());
    return tracker;
  }

  serve(torrent: Torrent): void {
    this.torrent = torrent;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '';
    const [pathPart, query = ''] = url.split('?', 2);
    const reply = (body: Record<string, unknown>) => {
      const b = Buffer.from(bencode.encode(body));
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': b.length });
      res.end(b);
    };
    if (pathPart !== '/announce') {
      // A scrape or anything else: a tracker may refuse it.
      res.writeHead(404, { 'Content-Length': 0 });
      res.end();
      return;
    }
    const q = parseQuery(query);
    const port = int(q.get('port'));
    const c = this.cluster();
    const a: Announce = {
      at: performance.now(),
      ...(port !== undefined && c?.peerOnPort(port) ? { peer: c.peerOnPort(port) } : {}),
      query: query.slice(0, 600),
      ...(q.get('info_hash') ? { infoHash: q.get('info_hash') } : {}),
      ...(q.get('peer_id') ? { peerId: q.get('peer_id') } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(int(q.get('uploaded')) !== undefined ? { uploaded: int(q.get('uploaded')) } : {}),
      ...(int(q.get('downloaded')) !== undefined ? { downloaded: int(q.get('downloaded')) } : {}),
      ...(int(q.get('left')) !== undefined ? { left: int(q.get('left')) } : {}),
      ...(q.has('compact') ? { compact: q.get('compact')!.toString('latin1') } : {}),
      event: q.get('event')?.toString('latin1') ?? '',
      answer: '',
    };
    this.announces.push(a);
    if (this.announces.length <= (this.opts.failFirst ?? 0)) {
      a.answer = 'failure reason: the tracker is busy';
      reply({ 'failure reason': 'the tracker is busy (the grader says so on purpose: announce again later)', interval: 1 });
    } else if (!this.torrent || !a.infoHash?.equals(this.torrent.infoHash)) {
      a.answer = 'failure reason: unknown info_hash';
      reply({ 'failure reason': 'unknown info_hash (this tracker serves one torrent)' });
    } else {
      const given = a.peer && c ? (this.opts.peersFor?.(a.peer) ?? neighbours(c.topology, a.peer).map((n) => c.address(a.peer!, n))) : [];
      a.answer = `${given.length} ${given.length === 1 ? 'peer' : 'peers'}`;
      const compact = a.compact === '1' || a.compact === undefined;
      // No "min interval": aria2 re-announces at the minimum when one is given.
      reply({ interval: this.opts.interval ?? 30, complete: 0, incomplete: given.length, peers: compact ? compactPeers(given) : given.map((g) => ({ ip: g.split(':')[0], port: Number(g.split(':')[1]) })) });
    }
    this.t.transcript.note(`tracker: ${a.peer ?? `a peer on port ${a.port ?? '?'}`} announced${a.event ? ` event=${a.event}` : ''} (left=${a.left ?? '?'}); answered ${a.answer}`);
    for (const w of this.waiters) w();
  }

  /** The first announce (from now on, or in all) that `pred` accepts, waiting up to `ms`. */
  async waitFor(pred: (a: Announce) => boolean, ms: number, from = 0): Promise<Announce | undefined> {
    const until = performance.now() + ms;
    for (;;) {
      const found = this.announces.slice(from).find(pred);
      if (found) return found;
      const left = until - performance.now();
      if (left <= 0 || this.t.signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

// ---- scripted peers -----------------------------------------------------------------------

/** What a scripted peer saw on one connection from a student's peer. */
export interface ConnectionLog {
  /** Which student's peer (by the peer_id it announced), if known. */
  from?: string;
  openedAt: number;
  handshake?: Handshake;
  /** Every message it sent, in order, with when it arrived and whether we were choking it then. */
  messages: Array<{ at: number; m: WireMessage; whileChoked: boolean; sinceChokeMs: number }>;
  /** Why the connection's bytes stopped making sense (it was closed then). */
  invalid?: string;
  closedAt?: number;
  closedBy?: 'them' | 'us';
  /** Bytes of blocks we sent. */
  uploaded: number;
  /** Every choke (true) and unchoke (false) we sent, with when. */
  chokes: Array<{ at: number; on: boolean }>;
}

export interface SeederOptions {
  /** Pieces it has (default: all). */
  has?: (i: number) => boolean;
  /** Pieces it sends with bytes flipped (their SHA-1 fails). */
  corrupt?: Set<number>;
  /** Never unchokes. */
  neverUnchoke?: boolean;
  /** Unchokes an interested peer only this long after its connection opened. */
  unchokeAfterMs?: number;
  /** Chokes again after sending this many blocks, for `chokeForMs`, then unchokes. */
  chokeAfterBlocks?: number;
  chokeForMs?: number;
  /** Answers the handshake with another torrent's info_hash. */
  wrongInfoHash?: boolean;
}

/**
 * A peer the test plays (in the cluster's topology, listening on the port the cluster gave it):
 * a seeder by default, unchoking whoever is interested; every message from the student's peers
 * is logged per connection.
 */
export class ScriptedPeer {
  readonly connections: ConnectionLog[] = [];
  readonly peerId: Buffer;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private closed = false;

  private constructor(
    readonly id: string,
    private readonly torrent: Torrent,
    private readonly opts: SeederOptions,
    private readonly t: TestContext,
    private readonly whoIs: (peerId: Buffer) => string | undefined,
  ) {
    this.peerId = Buffer.from(`-SG0001-${id.padEnd(12, '-')}`.slice(0, 20));
    this.server = net.createServer((s) => this.accept(s));
  }

  static async listen(t: TestContext, c: Cluster, id: string, torrent: Torrent, opts: SeederOptions = {}, whoIs: (peerId: Buffer) => string | undefined = () => undefined): Promise<ScriptedPeer> {
    const p = new ScriptedPeer(id, torrent, opts, t, whoIs);
    await new Promise<void>((resolve, reject) => {
      p.server.once('error', reject);
      p.server.listen(c.portOf(id), '127.0.0.1', () => resolve());
    });
    t.defer(() => p.close());
    return p;
  }

  get uploaded(): number {
    return this.connections.reduce((a, c) => a + c.uploaded, 0);
  }

  /** Stop at once, as a crash would: every connection reset, nothing listening. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) resetSocket(s);
    this.server.close();
  }

  private accept(s: net.Socket): void {
    this.sockets.add(s);
    s.setNoDelay(true);
    const log: ConnectionLog = { openedAt: performance.now(), messages: [], uploaded: 0, chokes: [] };
    this.connections.push(log);
    const name = `${this.id}#${this.connections.length}`;
    const reader = new WireReader();
    let choking = true;
    let chokedAt = performance.now();
    let blocksSent = 0;
    let unchokePending = false;
    const inFlight = new Map<string, { index: number; begin: number; length: number }>();
    const send = (b: Buffer, what: string) => {
      if (s.destroyed) return;
      s.write(b);
      this.t.transcript.message(name, 'send', b.subarray(0, 64), { binary: true, decoded: what });
    };
    const setChoke = (on: boolean) => {
      choking = on;
      if (on) chokedAt = performance.now();
      log.chokes.push({ at: performance.now(), on });
      send(on ? encode.choke() : encode.unchoke(), on ? 'choke' : 'unchoke');
    };
    const serve = (r: { index: number; begin: number; length: number }) => {
      const key = `${r.index}:${r.begin}:${r.length}`;
      if (!inFlight.has(key) || choking || s.destroyed) return;
      inFlight.delete(key);
      // Served like a real client would: any length up to 128 KiB inside a piece it has (the tests judge sizes themselves).
      if (r.index >= pieceCount(this.torrent) || r.length > 128 * 1024 || r.begin + r.length > pieceBytes(this.torrent, r.index).length) return;
      let block = Buffer.from(pieceBytes(this.torrent, r.index).subarray(r.begin, r.begin + r.length));
      if (this.opts.corrupt?.has(r.index)) block = Buffer.from(block.map((x) => x ^ 0x5a));
      log.uploaded += block.length;
      blocksSent++;
      send(encode.piece(r.index, r.begin, block), `piece ${r.index} from byte ${r.begin}, ${block.length} bytes${this.opts.corrupt?.has(r.index) ? ' (corrupted on purpose)' : ''}`);
      if (this.opts.chokeAfterBlocks !== undefined && blocksSent === this.opts.chokeAfterBlocks) {
        setChoke(true);
        // Requests they sent before the choke reached them are dropped, as BEP 3 says.
        inFlight.clear();
        const timer = setTimeout(() => !s.destroyed && setChoke(false), this.opts.chokeForMs ?? 500);
        s.once('close', () => clearTimeout(timer));
      }
    };
    s.on('data', (chunk: Buffer) => {
      for (const item of reader.push(chunk)) {
        if ('handshake' in item) {
          log.handshake = item.handshake;
          log.from = this.whoIs(item.handshake.peerId);
          this.t.transcript.message(name, 'recv', handshake(item.handshake.infoHash, item.handshake.peerId, item.handshake.reserved), { binary: true, decoded: `handshake${log.from ? ` from ${log.from}` : ''}` });
          if (!item.handshake.infoHash.equals(this.torrent.infoHash) && !this.opts.wrongInfoHash) {
            log.closedBy = 'us';
            s.destroy();
            return;
          }
          const hash = this.opts.wrongInfoHash ? sha1(Buffer.concat([this.torrent.infoHash, Buffer.from('other')])) : this.torrent.infoHash;
          send(handshake(hash, this.peerId), this.opts.wrongInfoHash ? 'handshake with another torrent\'s info_hash (on purpose)' : 'handshake');
          const has = this.opts.has ?? (() => true);
          send(encode.bitfield(bitfieldOf(pieceCount(this.torrent), has)), 'bitfield');
          continue;
        }
        const m = item.message;
        const now = performance.now();
        log.messages.push({ at: now, m, whileChoked: choking, sinceChokeMs: now - chokedAt });
        if (log.messages.length <= 40 || m.kind !== 'request') this.t.transcript.message(name, 'recv', item.raw.subarray(0, 64), { binary: true, decoded: describeMessage(m) });
        if (m.kind === 'interested' && choking && !this.opts.neverUnchoke && blocksSent === 0 && !unchokePending) {
          const wait = (this.opts.unchokeAfterMs ?? 0) - (now - log.openedAt);
          if (wait <= 0) setChoke(false);
          else {
            unchokePending = true;
            const timer = setTimeout(() => !s.destroyed && choking && setChoke(false), wait);
            s.once('close', () => clearTimeout(timer));
          }
        }
        else if (m.kind === 'request') {
          inFlight.set(`${m.index}:${m.begin}:${m.length}`, m);
          // Served on the next turn: a burst of requests is seen whole (in flight together) first.
          setImmediate(() => serve(m));
        } else if (m.kind === 'cancel') inFlight.delete(`${m.index}:${m.begin}:${m.length}`);
      }
      if (reader.invalid) {
        log.invalid = reader.invalid;
        log.closedBy = 'us';
        s.destroy();
      }
    });
    s.on('error', () => undefined);
    s.once('close', () => {
      this.sockets.delete(s);
      log.closedAt = performance.now();
      log.closedBy ??= 'them';
    });
  }
}

/** What a scripted leecher got from a student's peer. */
export interface LeechResult {
  ok: boolean;
  /** Pieces that arrived and matched their SHA-1. */
  verified: number;
  /** When each of them did (performance.now()). */
  verifiedAt: number[];
  bad: number[];
  bytes: number;
  /** Why it stopped before having every piece it asked for. */
  problem?: string;
  /** Pieces the student's peer said it has (bitfield and have). */
  advertised: number;
}

/**
 * Connect to a student's peer `to` as `from` (a played peer, through their link), handshake,
 * say interested, and download the pieces in `want` (or, without it, every piece it has and
 * announces until `timeoutMs`), checking each one's SHA-1.
 */
export async function leech(t: TestContext, c: Cluster, from: string, to: string, torrent: Torrent, o: { want?: number[]; timeoutMs: number; pipeline?: number }): Promise<LeechResult> {
  const [host, port] = c.address(from, to).split(':');
  const s = net.connect({ host, port: Number(port), noDelay: true });
  const name = `${from}→${to}`;
  const reader = new WireReader();
  const have = new Set<number>();
  const pieces = new Map<number, Buffer[]>();
  const res: LeechResult = { ok: false, verified: 0, verifiedAt: [], bad: [], bytes: 0, advertised: 0 };
  const done = new Set<number>();
  let unchoked = false;
  let outstanding = 0;
  const queue: Array<{ index: number; begin: number; length: number }> = [];
  const planned = new Set<number>();
  const pipeline = o.pipeline ?? 8;
  const send = (b: Buffer, what: string) => {
    if (s.destroyed) return;
    s.write(b);
    t.transcript.message(name, 'send', b.subarray(0, 64), { binary: true, decoded: what });
  };
  return new Promise<LeechResult>((resolve) => {
    let finished = false;
    const finish = (problem?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (problem && !res.problem) res.problem = problem;
      res.ok = !res.problem && !res.bad.length;
      s.destroy();
      resolve(res);
    };
    // With `want`, running out of time is a failure; without, the leecher takes what comes until then.
    const timer = setTimeout(() => finish(o.want ? `after ${o.timeoutMs / 1000} s it had ${done.size} of the ${o.want.length} pieces it was to get` : undefined), o.timeoutMs);
    t.signal.addEventListener('abort', () => finish('the test ended'), { once: true });
    const plan = () => {
      for (const i of o.want ?? [...have]) {
        if (planned.has(i) || done.has(i) || !have.has(i)) continue;
        planned.add(i);
        const size = pieceBytes(torrent, i).length;
        pieces.set(i, []);
        for (let b = 0; b < size; b += BLOCK) queue.push({ index: i, begin: b, length: Math.min(BLOCK, size - b) });
      }
      while (unchoked && outstanding < pipeline && queue.length) {
        const r = queue.shift()!;
        outstanding++;
        send(encode.request(r.index, r.begin, r.length), `request piece ${r.index} from byte ${r.begin}, ${r.length} bytes`);
      }
      const target = o.want ?? (have.size === pieceCount(torrent) ? [...have] : []);
      if (target.length && target.every((i) => done.has(i))) finish();
    };
    s.once('connect', () => send(handshake(torrent.infoHash, Buffer.from(`-SG0001-${from.padEnd(12, '-')}`.slice(0, 20))), 'handshake'));
    s.on('data', (chunk: Buffer) => {
      for (const item of reader.push(chunk)) {
        if ('handshake' in item) {
          t.transcript.message(name, 'recv', handshake(item.handshake.infoHash, item.handshake.peerId, item.handshake.reserved), { binary: true, decoded: 'handshake' });
          if (!item.handshake.infoHash.equals(torrent.infoHash)) return finish(`its handshake named info_hash ${item.handshake.infoHash.toString('hex')}, not this torrent's ${torrent.infoHash.toString('hex')}`);
          send(encode.interested(), 'interested');
          continue;
        }
        const m = item.message;
        if (m.kind !== 'piece') t.transcript.message(name, 'recv', item.raw.subarray(0, 64), { binary: true, decoded: describeMessage(m) });
        if (m.kind === 'bitfield') for (let i = 0; i < pieceCount(torrent); i++) if (hasPiece(m.bits, i)) have.add(i);
        if (m.kind === 'have') have.add(m.index);
        if (m.kind === 'unchoke') unchoked = true;
        if (m.kind === 'choke') {
          unchoked = false;
          // Outstanding requests are void once choked: ask again later.
          for (const i of planned) if (!done.has(i)) planned.delete(i);
          queue.length = 0;
          outstanding = 0;
        }
        if (m.kind === 'piece') {
          outstanding = Math.max(0, outstanding - 1);
          res.bytes += m.block.length;
          const parts = pieces.get(m.index);
          if (parts && !done.has(m.index)) {
            parts.push(Buffer.concat([Buffer.alloc(4), m.block]));
            parts[parts.length - 1].writeUInt32BE(m.begin, 0);
            const got = parts.reduce((a, p) => a + p.length - 4, 0);
            if (got >= pieceBytes(torrent, m.index).length) {
              const whole = Buffer.concat(parts.sort((a, b) => a.readUInt32BE(0) - b.readUInt32BE(0)).map((p) => p.subarray(4)));
              if (sha1(whole).equals(torrent.hashes[m.index])) {
                res.verified++;
                res.verifiedAt.push(performance.now());
              }
              else res.bad.push(m.index);
              done.add(m.index);
            }
          }
        }
      }
      res.advertised = have.size;
      if (reader.invalid) return finish(`its messages stopped making sense: ${reader.invalid}`);
      plan();
    });
    s.on('error', () => undefined);
    s.once('close', () => finish(`it closed the connection after sending ${res.bytes} bytes of blocks`));
  });
}
