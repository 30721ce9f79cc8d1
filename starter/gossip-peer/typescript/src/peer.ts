// gossip-peer starter: a peer that should gossip every value to every other peer.
//
//   Build:  npx tsc -p .          (run `npm install` once first)
//   Run:    node dist/peer.js --id n1 --port 7001 --peers ""
//   Try:    printf '{"type":"broadcast","message":5,"msg_id":1}\n' | nc 127.0.0.1 7001
//   Grade:  npx sockgrade grade .
//
// What is here already: one peer answering its clients. It listens on 127.0.0.1, serves any
// number of connections at once (Node's event loop: one 'data' callback per chunk received, all
// in one thread), splits the byte stream into lines, and answers broadcast and read. With no
// neighbours (--peers "") that is all a peer has to do: stage 1 of the grader passes.
//
// What is missing (the TODOs): talking to the neighbours in --peers. Read the handout first.
// In order:
//   1. connect to every neighbour and keep retrying (with backoff) when it is down;
//   2. send each new value to every neighbour, and handle the neighbours' lines;
//   3. make it cheap: remember what each neighbour already has, batch values;
//   4. make it reliable: acknowledgements and resending (lines get lost silently in a
//      partition), and a full catch-up when a neighbour (re)connects.
//
// Only node: modules.

import net from 'node:net';
import { parseArgs } from 'node:util';

/** A line longer than this is garbage: drop what we buffered rather than grow forever. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

type Json = Record<string, unknown>;

/** Every value this peer has learned, from a client or (once you write it) a neighbour. A Set: read_ok lists each value exactly once. */
const values = new Set<number>();

/** This peer's id (--id), e.g. "n1". Handy in your own lines, so that the receiver can tell which neighbour a value came from. */
let myId = '';

/** One JSON object as one line. */
function encode(obj: Json): string {
  return JSON.stringify(obj) + '\n';
}

const isValue = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/** Fatal: a line that is not UTF-8 is an error, not silently replaced characters. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Calls onLine for every complete line of a connection, however the bytes are split. TCP is a
 * byte stream: one 'data' event may hold part of a line, one line, or many lines and a part; the
 * part stays buffered until its newline arrives.
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

// ---------------------------------------------------------------------------
// Lines, from clients (and from neighbours, once you add your own types)
// ---------------------------------------------------------------------------

/** Handle one line from any connection; return the reply object, if any. */
function handleLine(raw: Buffer): Json | null {
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
      if (!values.has(m.message)) {
        values.add(m.message);
        // TODO: a new value must reach every neighbour. Do not write to the neighbours from
        //       here, one line per value: queue it for each neighbour (a Set of values to send
        //       per neighbour) and let the sender send what is queued, e.g. every 20-50 ms, in
        //       ONE line.
      }
      return { type: 'broadcast_ok', in_reply_to: m.msg_id };
    }
    case 'read':
      return { type: 'read_ok', messages: [...values].sort((a, b) => a - b), in_reply_to: m.msg_id };

    // TODO: your own peer-to-peer lines, of your own design. For example:
    //   {"type":"gossip","from":"n1","id":7,"messages":[1,2,3]}
    //       -> add the values; the NEW ones go on to your other neighbours (not back to the one
    //          that sent them: it has them). Reply on the same connection:
    //   {"type":"gossip_ok","id":7}
    //       -> the neighbour got batch 7: never send those values to it again.
    //   A line on a connection that a neighbour opened to you comes from the proxy, so its
    //   address does not tell you who sent it: put your id in your lines.

    case 'error':
      return null; // never answer an error with an error: two peers could ping-pong forever
    default:
      return { type: 'error', text: `unknown type ${JSON.stringify(m.type) ?? 'undefined'}` };
  }
}

/** Called once per incoming connection (a client, or a neighbour that connected to us). */
function serveConnection(socket: net.Socket): void {
  // Without an 'error' listener, one connection's ECONNRESET would be an uncaught exception and
  // crash the whole peer. 'close' follows; there is nothing else to clean up.
  socket.on('error', () => {});
  onLines(socket, (raw) => {
    const reply = handleLine(raw);
    if (reply !== null && !socket.destroyed && socket.writable) socket.write(encode(reply));
  });
}

// ---------------------------------------------------------------------------
// Neighbours: all TODO
// ---------------------------------------------------------------------------

/**
 * Keep a connection to one neighbour open, forever, and gossip over it.
 *
 * TODO, step by step:
 *   1. Connect: const socket = net.connect({ host, port }). The neighbour may not be up yet, or
 *      die later: the grader's proxy then accepts and immediately resets the connection. Add an
 *      'error' listener (or the peer crashes), and on 'close' try again, forever, with backoff:
 *      100 ms, doubling to 1 s; back to 100 ms after a connection that worked.
 *   2. On every new connection ('connect'), send the neighbour everything it may lack: it may
 *      have restarted EMPTY (a restarted peer must catch up).
 *   3. While connected, send what is queued for this neighbour in one line every 20-50 ms (a
 *      hop costs 100 ms on the grader's grid, so do not wait long), and read the neighbour's
 *      replies (acknowledgements) on the same connection with onLines(socket, ...).
 *   4. Lines get lost without an error while a link is cut (partitions): keep what was sent but
 *      not acknowledged, and resend it after ~0.5-1 s.
 *   5. Once every neighbour has every value, send nothing (or a small line at most once a
 *      second): the grader measures lines and bytes per link.
 */
function talkToNeighbour(host: string, port: number): void {
  void host;
  void port;
}

// ---------------------------------------------------------------------------
// Start-up (you should not need to change much below)
// ---------------------------------------------------------------------------

/** "127.0.0.1:7002,127.0.0.1:7003" -> [[host, port], ...]; "" -> []. */
function parsePeers(text: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const colon = item.lastIndexOf(':');
    const port = Number(item.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad neighbour address ${JSON.stringify(item)} (expected host:port)`);
    out.push([item.slice(0, colon) || '127.0.0.1', port]);
  }
  return out;
}

function main(): void {
  let port: number;
  let neighbours: Array<[string, number]>;
  try {
    const { values: args } = parseArgs({
      options: { id: { type: 'string' }, port: { type: 'string' }, peers: { type: 'string', default: '' } },
    });
    if (!args.id) throw new Error('--id is required');
    myId = args.id;
    port = Number(args.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port: ${args.port}`);
    // The neighbours' addresses, as [host, port]. Each one is the grader's proxy for one link
    // (this peer -> that neighbour). --peers "" means none.
    neighbours = parsePeers(args.peers ?? '');
  } catch (err) {
    console.error(`gossip-peer: ${(err as Error).message}\nusage: node dist/peer.js --id n1 --port 7001 --peers host:port,...`);
    process.exit(2);
  }

  const server = net.createServer(serveConnection);
  server.on('error', (err) => {
    // e.g. EADDRINUSE: the port is taken
    console.error(`gossip-peer: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen({ port, host: '127.0.0.1', backlog: 1024 }, () => {
    console.log(`gossip-peer ${myId} listening on 127.0.0.1:${port}, ${neighbours.length} neighbour(s)`);
    for (const [host, p] of neighbours) talkToNeighbour(host, p);
  });
}

main();
