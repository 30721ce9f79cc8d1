// gossip-peer reference solution: a peer that gossips every value to every peer.
//
// Run:  node dist/peer.js --id n1 --port 7001 --peers 127.0.0.1:7002,127.0.0.1:7003
//       (build first: npx tsc -p .)
//
// Node's event loop does everything, in one thread. The peer is a server and a client at once:
//
// * It listens on 127.0.0.1:PORT. Anyone may connect: the grader's clients (broadcast / read)
//   and our neighbours (gossip). Every connection carries newline-delimited JSON in both
//   directions, and every line is handled the same way whoever sent it.
// * For every address in --peers it keeps one outgoing connection (a `Link`), reconnecting
//   forever with backoff (100 ms doubling to 1 s). Our gossip to that neighbour goes out on this
//   connection and its acknowledgements come back on it.
//
// Gossip, for one link:
//
// * known     values the neighbour is known to have: it acknowledged them or sent them to us.
//             They are never sent to it again.
// * pending   values to send: everything we have that it is not known to have.
// * in flight values sent in a batch ({"type":"gossip","id":7,...}) and not yet acknowledged
//             ({"type":"gossip_ok","ids":[7]}). A batch not acknowledged within RETRANSMIT_MS was
//             lost (a partition or a cut drops lines silently while the connection stays open):
//             its values go back to pending.
//
// New values are forwarded after a short batch interval (BATCH_MS), so values that arrive
// together travel together, one line per link. On every new outgoing connection the link forgets
// what the neighbour has (it may have restarted empty) and resends everything. Once everyone has
// everything, nothing is pending or in flight, and the peer sends nothing at all.
//
// Not sending a value back where it came from: each peer says who it is (a hello line on every
// new outgoing connection, answered with hello_ok, and a "from" in every gossip line). hello_ok
// tells us which neighbour id sits behind each address in --peers; so when values arrive from
// n3, on whatever connection, they count as known by n3's link.
//
// Peer-to-peer lines:
//   {"type":"hello","from":"n1"}                           -> {"type":"hello_ok","from":"n2"}
//   {"type":"gossip","from":"n1","id":7,"messages":[1,2]}  -> {"type":"gossip_ok","ids":[7]}
// (a gossip_ok acknowledges every batch that arrived on that connection within ACK_DELAY_MS)
//
// Only node: modules.

import net from 'node:net';
import { parseArgs } from 'node:util';

/**
 * Batch interval: new values wait this long so that those arriving together leave in one line.
 * Each hop on the grader's grid costs 100 ms already; 30 ms more per hop is cheap, and it lets a
 * value that arrives from two neighbours at (almost) the same time be recognised as known by
 * both before we forward it.
 */
const BATCH_MS = 30;
/**
 * Acknowledgements wait this long, so that the batches arriving on a connection meanwhile are
 * acknowledged in one line. Far below RETRANSMIT_MS, so no batch is resent for want of its ack.
 */
const ACK_DELAY_MS = 50;
/**
 * A batch not acknowledged after this long is sent again. It must exceed a round trip (2 x 100 ms
 * of proxy latency) with room to spare, and stay well under the "converge within a couple of
 * seconds after a heal" bound.
 */
const RETRANSMIT_MS = 700;
/** Reconnect backoff for an outgoing link: 100 ms doubling to 1 s. */
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;
/** Most values in one gossip line (keeps lines, and the receiver's work per line, bounded). */
const MAX_PER_LINE = 2000;
/** A line longer than this is garbage: drop what we buffered rather than grow forever. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/**
 * Do not queue more gossip on a link whose socket buffer holds this much already (the neighbour
 * or its proxy is not reading); try again a little later.
 */
const MAX_WRITE_BUFFER = 1024 * 1024;

type Json = Record<string, unknown>;

/** One JSON object as one line, compact (bytes on a link are counted). */
function encode(obj: Json): string {
  return JSON.stringify(obj) + '\n';
}

/** Write without ever throwing: a dead connection is noticed by its 'close' event. */
function send(socket: net.Socket | null, text: string): void {
  if (socket && !socket.destroyed && socket.writable) socket.write(text);
}

const isValue = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/** Fatal: a line that is not UTF-8 is an error, not silently replaced characters. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Calls onLine for every complete line of a connection, however the bytes are split: one 'data'
 * event may hold part of a line, one line, or many lines and a part; the part stays buffered
 * until its newline arrives.
 */
function onLines(socket: net.Socket, onLine: (line: Buffer) => void): void {
  let pending: Buffer[] = [];
  let pendingLen = 0;
  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      const line = pendingLen ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingLen = 0;
      start = nl + 1;
      onLine(line);
      if (socket.destroyed) return;
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingLen += chunk.length - start;
      if (pendingLen > MAX_LINE_BYTES) {
        pending = [];
        pendingLen = 0;
      }
    }
  });
  // A last line without its newline still counts.
  socket.on('end', () => {
    if (pendingLen) onLine(Buffer.concat(pending));
    pending = [];
    pendingLen = 0;
  });
}

/** Our outgoing connection to one neighbour address, and what it knows. */
class Link {
  socket: net.Socket | null = null;
  /** While waiting out a reconnect backoff: call it to retry at once. */
  retryNow: (() => void) | null = null;
  /** Learned from hello_ok. */
  neighbourId: string | null = null;
  known = new Set<number>();
  pending = new Set<number>();
  /** value -> id of the batch carrying it. */
  inFlight = new Map<number, number>();
  /** batch id -> when it was sent and its values not yet acknowledged; a Map keeps insertion order, so the first entry is the oldest. */
  batches = new Map<number, { sentAt: number; values: Set<number> }>();

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** A new connection: the neighbour may have restarted empty, so assume it knows nothing and send everything again. */
  reset(values: Set<number>): void {
    this.known.clear();
    this.inFlight.clear();
    this.batches.clear();
    this.pending = new Set(values);
  }

  markKnown(v: number): void {
    this.known.add(v);
    this.pending.delete(v);
    const bid = this.inFlight.get(v);
    if (bid !== undefined) {
      this.inFlight.delete(v);
      this.batches.get(bid)?.values.delete(v);
    }
  }

  acked(bid: unknown): void {
    if (!isValue(bid)) return;
    const batch = this.batches.get(bid);
    if (!batch) return; // a late ack for a batch already given up on: harmless
    this.batches.delete(bid);
    for (const v of batch.values) {
      this.inFlight.delete(v);
      this.known.add(v);
    }
  }

  /** Unacknowledged batches older than RETRANSMIT_MS were lost: resend their values. */
  expire(now: number): void {
    for (const [bid, batch] of this.batches) {
      if (batch.sentAt + RETRANSMIT_MS > now) break;
      this.batches.delete(bid);
      for (const v of batch.values) {
        if (this.inFlight.get(v) === bid) {
          this.inFlight.delete(v);
          this.pending.add(v);
        }
      }
    }
  }
}

/** Per-connection state for the line handler. */
interface Conn {
  socket: net.Socket;
  /** Set on our outgoing connections. */
  link: Link | null;
  /** Who is on the other end, from its hello or gossip. */
  senderId: string | null;
  /** Batch ids received and not acknowledged yet, and the timer that will acknowledge them. */
  acks: unknown[];
  ackTimer: NodeJS.Timeout | null;
}

class Peer {
  readonly values = new Set<number>();
  readonly links: Link[];
  private readonly linkById = new Map<string, Link>();
  private nextBatch = 1;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(
    readonly id: string,
    neighbours: Array<[string, number]>,
  ) {
    this.links = neighbours.map(([h, p]) => new Link(h, p));
  }

  // ---- values -------------------------------------------------------------------------------

  /**
   * Add values (from a client or a neighbour) and queue the new ones for every link not known to
   * have them. `source`: the link of the neighbour that sent them, if we can tell; it has them.
   */
  learn(values: number[], source: Link | null): void {
    let fresh = false;
    for (const v of values) {
      source?.markKnown(v);
      if (this.values.has(v)) continue;
      this.values.add(v);
      fresh = true;
      for (const link of this.links) if (!link.known.has(v)) link.pending.add(v);
    }
    if (fresh) this.wake(BATCH_MS);
  }

  // ---- the one timer: batching and retransmission -------------------------------------------

  /** Make sure tick() runs within `delayMs`. */
  wake(delayMs: number): void {
    const at = performance.now() + delayMs;
    if (this.timer) {
      if (this.timerAt <= at) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => this.tick(), delayMs);
    this.timerAt = at;
  }

  private tick(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = performance.now();
    let nextAt = Infinity;
    for (const link of this.links) {
      if (!link.socket) continue; // pending waits for the connection; connecting wakes us
      link.expire(now);
      if (link.pending.size) {
        if (link.socket.writableLength > MAX_WRITE_BUFFER) nextAt = Math.min(nextAt, now + 50);
        else this.sendPending(link, now);
      }
      const oldest = link.batches.values().next();
      if (!oldest.done) nextAt = Math.min(nextAt, oldest.value.sentAt + RETRANSMIT_MS);
    }
    if (nextAt !== Infinity) this.wake(Math.max(0, nextAt - now));
  }

  private sendPending(link: Link, now: number): void {
    const vals = [...link.pending].sort((a, b) => a - b);
    link.pending.clear();
    let out = '';
    for (let i = 0; i < vals.length; i += MAX_PER_LINE) {
      const chunk = vals.slice(i, i + MAX_PER_LINE);
      const bid = this.nextBatch++;
      link.batches.set(bid, { sentAt: now, values: new Set(chunk) });
      for (const v of chunk) link.inFlight.set(v, bid);
      out += encode({ type: 'gossip', from: this.id, id: bid, messages: chunk });
    }
    send(link.socket, out);
  }

  // ---- lines, from anyone -------------------------------------------------------------------

  /** Handle one line; return the reply object, if any. */
  handleLine(raw: Buffer, conn: Conn): Json | null {
    let msg: unknown;
    try {
      const text = utf8.decode(raw);
      if (!text.trim()) return null;
      msg = JSON.parse(text);
    } catch {
      return { type: 'error', text: 'not a JSON line' };
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { type: 'error', text: 'expected a JSON object' };
    const m = msg as Json;

    switch (m.type) {
      case 'broadcast': {
        if (!isValue(m.message)) return { type: 'error', text: 'broadcast needs an integer "message"', in_reply_to: m.msg_id };
        this.learn([m.message], null);
        return { type: 'broadcast_ok', in_reply_to: m.msg_id };
      }
      case 'read':
        return { type: 'read_ok', messages: [...this.values].sort((a, b) => a - b), in_reply_to: m.msg_id };
      case 'gossip': {
        if (typeof m.from === 'string') conn.senderId = m.from;
        const source = conn.link ?? (conn.senderId !== null ? (this.linkById.get(conn.senderId) ?? null) : null);
        if (Array.isArray(m.messages)) this.learn(m.messages.filter(isValue), source);
        // Acknowledge on the same connection, a little later, together with what else arrives.
        conn.acks.push(m.id);
        conn.ackTimer ??= setTimeout(() => {
          conn.ackTimer = null;
          send(conn.socket, encode({ type: 'gossip_ok', ids: conn.acks }));
          conn.acks = [];
        }, ACK_DELAY_MS);
        return null;
      }
      case 'gossip_ok':
        if (conn.link && Array.isArray(m.ids)) for (const id of m.ids) conn.link.acked(id);
        return null;
      case 'hello':
        if (typeof m.from === 'string') {
          conn.senderId = m.from;
          this.neighbourIsUp(m.from);
        }
        return { type: 'hello_ok', from: this.id };
      case 'hello_ok':
        if (conn.link && typeof m.from === 'string') {
          conn.link.neighbourId = m.from;
          this.linkById.set(m.from, conn.link);
        }
        return null;
      case 'error':
        return null; // never answer an error with an error: that could ping-pong forever
      default:
        return { type: 'error', text: `unknown type ${JSON.stringify(m.type) ?? 'undefined'}` };
    }
  }

  /**
   * A neighbour just connected to us: if our link to it is waiting out a backoff, retry at once.
   * That is how a restarted peer gets its catch-up promptly, not up to a second later. Until
   * hello_ok has told us which link `sender` is, try every link that is down and not known to be
   * someone else.
   */
  private neighbourIsUp(sender: string): void {
    const link = this.linkById.get(sender);
    const candidates = link ? [link] : this.links.filter((l) => l.neighbourId === null);
    for (const l of candidates) l.retryNow?.();
  }

  /** Handle every line of a connection; calls onLine(true) when the first line arrives. */
  private serveLines(conn: Conn, onFirstLine?: () => void): void {
    const { socket } = conn;
    // Without an 'error' listener, an ECONNRESET would be an uncaught exception and crash the
    // whole peer. 'close' follows.
    socket.on('error', () => {});
    let first = true;
    onLines(socket, (raw) => {
      if (first) {
        first = false;
        onFirstLine?.();
      }
      const reply = this.handleLine(raw, conn);
      if (reply === null) return;
      if (!socket.destroyed && socket.writable && !socket.write(encode(reply)) && !conn.link) {
        // A client that does not read its replies only slows itself down.
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    });
  }

  // ---- connections --------------------------------------------------------------------------

  serveIncoming(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.serveLines({ socket, link: null, senderId: null, acks: [], ackTimer: null });
  }

  /** Keep one connection to the neighbour open, forever. */
  runLink(link: Link, backoffMs = BACKOFF_MIN_MS): void {
    const socket = net.connect({ host: link.host, port: link.port, noDelay: true });
    let worked = false;
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy()); // connecting took too long
    socket.once('connect', () => {
      socket.setTimeout(0);
      link.socket = socket;
      link.reset(this.values);
      send(socket, encode({ type: 'hello', from: this.id }));
      if (link.pending.size) this.wake(0);
    });
    // When the neighbour is down, the grader's proxy accepts and then resets at once: only a
    // connection that carried a line "worked".
    this.serveLines({ socket, link, senderId: null, acks: [], ackTimer: null }, () => (worked = true));
    socket.once('close', () => {
      if (link.socket === socket) link.socket = null;
      const wait = worked ? BACKOFF_MIN_MS : backoffMs;
      const retry = () => {
        clearTimeout(timer);
        link.retryNow = null;
        this.runLink(link, Math.min(BACKOFF_MAX_MS, wait * 2));
      };
      const timer = setTimeout(retry, wait);
      link.retryNow = retry;
    });
  }
}

/** "127.0.0.1:7002,127.0.0.1:7003" -> [[host, port], ...]; "" -> []. */
function parsePeers(text: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const colon = item.lastIndexOf(':');
    const port = Number(item.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad neighbour address ${JSON.stringify(item)} (expected host:port)`);
    out.push([item.slice(0, colon).replace(/^\[|\]$/g, '') || '127.0.0.1', port]);
  }
  return out;
}

function main(): void {
  let id: string;
  let port: number;
  let neighbours: Array<[string, number]>;
  try {
    const { values } = parseArgs({
      options: { id: { type: 'string' }, port: { type: 'string' }, peers: { type: 'string', default: '' } },
    });
    if (!values.id) throw new Error('--id is required');
    id = values.id;
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port: ${values.port}`);
    neighbours = parsePeers(values.peers ?? '');
  } catch (err) {
    console.error(`gossip-peer: ${(err as Error).message}\nusage: node dist/peer.js --id n1 --port 7001 --peers host:port,...`);
    process.exit(2);
  }

  const peer = new Peer(id, neighbours);
  const server = net.createServer((socket) => peer.serveIncoming(socket));
  server.on('error', (err) => {
    // e.g. EADDRINUSE: the port is taken
    console.error(`gossip-peer: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen({ port, host: '127.0.0.1', backlog: 1024 }, () => {
    console.log(`gossip-peer ${id} listening on 127.0.0.1:${port}, ${neighbours.length} neighbour(s)`);
    for (const link of peer.links) peer.runLink(link);
  });
}

main();
