// tftp-server starter: a TFTP server (RFC 1350) for the files of one folder.
//
//   Build:  npx tsc -p .          (run `npm install` once first)
//   Run:    node dist/server.js --port 6969 --root files --timeout-ms 1000
//   Try:    tftp -m binary 127.0.0.1 6969 -c get hello.txt copy.txt
//   Grade:  npx sockgrade grade .
//
// What is here already: the arguments, the listening UDP socket on 127.0.0.1:<port>, the
// request parser (opcode, file name, mode, options), a timer per transfer, and the simplest
// read that works on a perfect network: DATA blocks of 512 bytes, numbered from 1, each sent
// after the ACK of the one before. Node's event loop serves every transfer at once: one
// 'message' callback per datagram, one timer callback per timeout, all in one thread. Reading a
// file (read-small, sizes) passes as it is.
//
// What is missing (the TODOs), by stage of the handout:
//   1. a UDP socket of its own for every transfer (its transfer ID); writes (WRQ);
//   2. ERROR packets with the right codes (1, 2, 6), and no path that leaves the root;
//   3. retransmission on timeout (the timer counts timeouts and gives up after 5 already;
//      nothing is sent again yet); ERROR 5 to strangers;
//      a WRQ's duplicate DATA acknowledged again but written once;
//   4. many at once: the event loop already serves every transfer; keep it that way (never
//      wait for one client in a loop);
//   5. options (blksize, tsize, timeout) answered with an OACK; block numbers past 65535.
//
// Only node: modules.

import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const OP_RRQ = 1;
const OP_WRQ = 2;
const OP_DATA = 3;
const OP_ACK = 4;
const OP_ERROR = 5;

// ERROR codes (RFC 1350; the handout says which one when).
const ERR_UNDEFINED = 0;
const ERR_ILLEGAL_OP = 4;
// TODO (stages 2 and 3): the others, as you need them: 1 file not found, 2 access violation,
// 3 disk full, 5 unknown transfer ID, 6 file already exists.

const BLOCK_SIZE = 512;
/** The handout: give up after 5 retransmissions with no answer (stage 3). */
const MAX_RETRANSMITS = 5;

function log(message: string): void {
  process.stderr.write(`tftp-server: ${message}\n`);
}

// --- Packets: a 2-byte opcode, then fields; numbers are big-endian -----------------------------

function header(opcode: number, n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(opcode, 0);
  b.writeUInt16BE(n & 0xffff, 2); // the block field is 16 bits: only the low 16 bits fit
  return b;
}

function packData(block: number, payload: Buffer): Buffer {
  return Buffer.concat([header(OP_DATA, block), payload]);
}

function packError(code: number, message: string): Buffer {
  // The message is text ending in a NUL byte.
  return Buffer.concat([header(OP_ERROR, code), Buffer.from(message, 'ascii'), Buffer.from([0])]);
}

// An ACK (a write, stage 1) is header(OP_ACK, block). An OACK (stage 5) is the opcode 6 and then
// "name" NUL "value" NUL for every option accepted.

/** A request that is not TFTP: answered with ERROR 4. */
class BadRequest extends Error {}

interface Request {
  name: string;
  /** In lower case: modes are case-insensitive. */
  mode: string;
  /** Option names in lower case, values as sent (the first of a name wins). */
  options: Map<string, string>;
}

/** Split an RRQ or WRQ: opcode | file name NUL | mode NUL | (option name NUL value NUL)*. */
function parseRequest(msg: Buffer): Request {
  if (msg.length < 2 || msg[msg.length - 1] !== 0) throw new BadRequest('a string without its NUL byte');
  const fields: string[] = [];
  let start = 2;
  for (let i = 2; i < msg.length; i++) {
    if (msg[i] === 0) {
      fields.push(msg.toString(fields.length === 0 ? 'utf8' : 'latin1', start, i));
      start = i + 1;
    }
  }
  if (fields.length < 2 || fields[0] === '') throw new BadRequest('no file name or no mode');
  const options = new Map<string, string>();
  // Pairs after the mode; a name without a value at the end is ignored.
  for (let i = 2; i + 1 < fields.length; i += 2) {
    const opt = fields[i].toLowerCase();
    if (!options.has(opt)) options.set(opt, fields[i + 1]);
  }
  return { name: fields[0], mode: fields[1].toLowerCase(), options };
}

// --- A read (RRQ) --------------------------------------------------------------------------

interface Peer {
  address: string;
  port: number;
}

const key = (p: Peer) => `${p.address}:${p.port}`;

/**
 * One RRQ being served: its client, its file, the block in flight, and its timer.
 *
 * Lock-step: exactly one packet of ours is in flight (lastSent). Two things may send: the ACK of
 * that packet (then the next block goes out), or the timer (stage 3).
 */
class ReadTransfer {
  // PLACEHOLDER: the transfer talks through the listening socket, and the server hands it the
  // datagrams that come from its client (see Server.onMessage).
  // TODO (stage 1): a socket of its own: dgram.createSocket('udp4'), bound with
  //   sock.bind(0, '127.0.0.1', () => this.start()) so that the kernel picks a free port (the
  //   server's transfer ID); its 'message' events go to this.onDatagram, its 'error' events
  //   end the transfer. The listening socket then only receives requests.
  readonly sock: dgram.Socket;
  private block = 0; // the number of the block sent last
  private lastBlockSent = false;
  private lastSent: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined; // fires T after our last packet
  private timeouts = 0; // timeouts in a row with no answer to lastSent
  private position = 0; // the next byte of the file to read
  closed = false;

  constructor(
    private readonly server: Server,
    readonly peer: Peer, // the client's address *and port*: its transfer ID
    readonly name: string,
    private readonly fd: number,
    private readonly timeoutMs: number,
  ) {
    this.sock = server.listener;
  }

  start(): void {
    this.sendNextBlock();
  }

  /** Send a packet that moves the transfer on, and start the timer for its answer. */
  private send(packet: Buffer): void {
    this.lastSent = packet;
    this.timeouts = 0;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimer(), this.timeoutMs);
    this.sock.send(packet, this.peer.port, this.peer.address);
  }

  private sendNextBlock(): void {
    const buf = Buffer.alloc(BLOCK_SIZE);
    // Synchronous on purpose: one block of a local file takes microseconds, and the code stays
    // in the order of the protocol.
    const n = fs.readSync(this.fd, buf, 0, BLOCK_SIZE, this.position);
    this.position += n;
    this.block++;
    // A block shorter than 512 bytes ends the transfer, even an empty one: so a file of exactly
    // N x 512 bytes ends with an empty block.
    this.lastBlockSent = n < BLOCK_SIZE;
    this.send(packData(this.block, buf.subarray(0, n)));
  }

  onDatagram(msg: Buffer, from: Peer): void {
    if (this.closed) return;
    // TODO (stage 3): a datagram from any other address or port than this.peer (a stranger)
    //   gets ERROR 5 "Unknown transfer ID", sent to the stranger, and changes nothing here: not
    //   the block, not the timer. (As long as the listening socket is shared, the server never
    //   hands us a stranger's datagram.)
    if (msg.length < 4) return;
    const opcode = msg.readUInt16BE(0);
    const num = msg.readUInt16BE(2);
    if (opcode === OP_ERROR) {
      // The client gave up. An ERROR is never answered (two programs could bounce ERRORs forever).
      this.close();
      return;
    }
    // TODO (stage 5): block numbers are 16 bits: after block 65535 comes block 0. The ACK then
    //   carries 0 while this.block is 65536, and this comparison never matches.
    if (opcode !== OP_ACK || num !== this.block) {
      // Anything but the ACK of the block in flight is ignored. In particular an ACK of an
      // earlier block (a duplicate): answering it with DATA is the Sorcerer's Apprentice bug,
      // where every duplicate doubles the traffic from then on.
      return;
    }
    if (this.lastBlockSent) {
      log(`${key(this.peer)} RRQ '${this.name}': sent`);
      this.close();
    } else {
      this.sendNextBlock();
    }
  }

  /** No answer came within the timeout T of our last packet. */
  private onTimer(): void {
    if (++this.timeouts > MAX_RETRANSMITS) {
      // The client is gone: end the transfer without a word (it would not hear one).
      log(`${key(this.peer)} RRQ '${this.name}': no ACK for block ${this.block}, given up`);
      this.close();
      return;
    }
    this.timer = setTimeout(() => this.onTimer(), this.timeoutMs);
    // PLACEHOLDER: nothing is sent again, the transfer only waits on: a lost DATA block stalls
    // it until it is given up.
    // TODO (stage 3): retransmit: send this.lastSent again, here and only here (a timeout is the
    //   only reason to send a packet again).
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    fs.closeSync(this.fd);
    this.server.forget(this);
    // TODO (stage 1): with a socket of its own, close it (once its last packet has left:
    //   sock.send(packet, port, address, () => sock.close()) for a last ERROR).
  }
}

// --- A write (WRQ): all TODO ---------------------------------------------------------------

// TODO (stage 1): a WriteTransfer, built like ReadTransfer, the other way round:
//   - open the file with fs.openSync(p, 'wx') (O_CREAT|O_EXCL): it fails with EEXIST if the
//     file exists (error 6), so a write never overwrites;
//   - answer the WRQ with ACK 0, then each DATA block n (the next one) with ACK n; a block
//     shorter than 512 bytes is the last: write the file whole (close it) before its ACK;
//   - stage 3: a DATA block that arrives again (the number you acknowledged last) is
//     acknowledged again but not written again; after the last ACK, stay a little while to
//     acknowledge the last block again if it comes again (your ACK may have been lost); when
//     you give up, delete the partly written file; a full disk (ENOSPC) is error 3.

// --- The server: the listening socket ------------------------------------------------------

class Server {
  readonly listener = dgram.createSocket('udp4');
  // The transfers in progress, by their client's address and port.
  // PLACEHOLDER: needed only to hand a client's datagrams to its transfer while all of them share
  // the listening socket. With a socket per transfer, each gets its own datagrams.
  private readonly transfers = new Map<string, ReadTransfer>();

  constructor(
    private readonly root: string,
    private readonly timeoutMs: number,
  ) {}

  listen(port: number, onListening: () => void): void {
    this.listener.on('message', (msg, rinfo) => this.onMessage(msg, { address: rinfo.address, port: rinfo.port }));
    this.listener.on('error', (err) => {
      log(`cannot listen on 127.0.0.1:${port}: ${err.message}`);
      process.exit(1);
    });
    this.listener.bind(port, '127.0.0.1', onListening);
  }

  forget(t: ReadTransfer): void {
    if (this.transfers.get(key(t.peer)) === t) this.transfers.delete(key(t.peer));
  }

  private onMessage(msg: Buffer, from: Peer): void {
    const transfer = this.transfers.get(key(from));
    if (transfer) {
      // PLACEHOLDER: only because transfers share this socket (see ReadTransfer).
      transfer.onDatagram(msg, from);
      return;
    }
    this.onRequest(msg, from);
  }

  /** Refuse a request with an ERROR (ERRORs are sent once, never retransmitted). */
  private sendError(to: Peer, code: number, message: string): void {
    // PLACEHOLDER: sent from the listening socket.
    // TODO (stage 1): from a new socket bound to port 0 on 127.0.0.1, as a transfer would (then
    //   close it once sent): the listening socket only ever receives requests.
    this.listener.send(packError(code, message), to.port, to.address);
  }

  private onRequest(msg: Buffer, from: Peer): void {
    const opcode = msg.length >= 2 ? msg.readUInt16BE(0) : 0;
    if (opcode === OP_ERROR) return; // never answer an ERROR
    if (opcode !== OP_RRQ && opcode !== OP_WRQ) {
      // DATA, ACK and the rest belong to a transfer, never to the listening port.
      this.sendError(from, ERR_ILLEGAL_OP, 'Illegal TFTP operation');
      return;
    }
    let req: Request;
    try {
      req = parseRequest(msg);
    } catch (err) {
      log(`${key(from)}: malformed request: ${(err as Error).message}`);
      this.sendError(from, ERR_ILLEGAL_OP, 'Illegal TFTP operation');
      return;
    }
    if (req.mode !== 'octet' && req.mode !== 'netascii') {
      this.sendError(from, ERR_ILLEGAL_OP, `Illegal mode '${req.mode}'`);
      return;
    }
    // TODO (netascii): in netascii mode a line end travels as CR LF and a lone CR as CR NUL;
    //   octet sends the bytes as they are. Convert before cutting a read into blocks, and keep
    //   a CR that ends a written block until the next block says what it was (stage 6).
    const kind = opcode === OP_RRQ ? 'RRQ' : 'WRQ';
    log(`${key(from)} ${kind} '${req.name}' ${req.mode}${[...req.options].map(([k, v]) => ` ${k}=${v}`).join('')}`);

    // TODO (stage 5): options (RFC 2347-2349), ignored for now. Accept the ones you know and
    //   answer with an OACK naming each accepted option and the value you will use, instead of
    //   DATA 1 (a read, which then waits for ACK 0) or ACK 0 (a write); leave unknown ones out,
    //   and with none accepted, answer as if there were no options:
    //   blksize 8..65464 (use it as the block size), tsize (a read: 0, answer the file's size;
    //   a write: echo it), timeout 1..255 seconds (replaces --timeout-ms).

    if (opcode === OP_WRQ) {
      // PLACEHOLDER: writes are refused. TODO (stage 1): see WriteTransfer above.
      this.sendError(from, ERR_ILLEGAL_OP, 'writes are not implemented yet');
      return;
    }

    // PLACEHOLDER: the name is simply joined to the root.
    // TODO (stage 2): no path may leave the root: refuse with ERROR 2 an absolute name, a ".."
    //   and a symlink that leads out (fs.realpathSync, then check that the result is still
    //   inside this.root).
    const p = path.join(this.root, req.name);
    let fd: number;
    try {
      fd = fs.openSync(p, 'r');
    } catch (err) {
      // PLACEHOLDER: every failure is error 0 ("not defined"), in the system's words.
      // TODO (stage 2): the code the client needs: 1 for a missing file (err.code 'ENOENT'),
      //   2 for an access violation ('EACCES', ...).
      this.sendError(from, ERR_UNDEFINED, `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return;
    }
    if (!fs.fstatSync(fd).isFile()) {
      // A folder opens, but reading it fails: only regular files are sent.
      fs.closeSync(fd);
      this.sendError(from, ERR_UNDEFINED, 'not a file'); // TODO (stage 2): an access violation
      return;
    }
    const t = new ReadTransfer(this, from, req.name, fd, this.timeoutMs);
    // TODO (stage 3): a client that got no answer sends its request again, from the same port:
    //   that is the same transfer, not a new one. (For now the request goes to the transfer, as
    //   everything from its client does, and it ignores it.)
    this.transfers.set(key(from), t);
    t.start();
  }
}

// --- Command line ----------------------------------------------------------------------------

function main(): void {
  const usage = 'usage: server.js --port P --root DIR [--timeout-ms T]';
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
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    process.exit(2);
  }
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
