// kv-server reference solution: a key-value server that speaks RESP2 like Redis.
//
// Run:  node dist/server.js --port 6380      (build first: npx tsc -p .)
//
// Design in one paragraph: Node's event loop serves every client. On each 'data'
// event we feed the bytes to that client's incremental RESP parser, execute every
// *complete* command the buffer holds, and write all the replies for that chunk
// in one go. Bytes of an unfinished command stay in the parser until the rest
// arrives. Keys and values are Buffers from end to end; nothing is decoded as text.
//
// Only node: modules.

import net from 'node:net';
import { parseArgs } from 'node:util';

// ---------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------

/** A "*<n>" or "$<n>" header is a handful of bytes; this many without a CRLF is not RESP (Redis uses 64 KiB too). */
const MAX_HEADER_LINE = 64 * 1024;
/** Largest bulk string we accept (Redis's default proto-max-bulk-len). */
const MAX_BULK_LEN = 512 * 1024 * 1024;
/** Most arguments in one command. Redis allows more; a bigger count is garbage. */
const MAX_ARGS = 1024 * 1024;
/** Write replies out once this many bytes have piled up, even in the middle of a chunk. */
const FLUSH_AT = 1024 * 1024;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ---------------------------------------------------------------------------
// Integers, parsed the way Redis does (its string2ll)
// ---------------------------------------------------------------------------

/** Exactly a base-10 integer: no "+", no spaces, no leading zeros, no "-0". */
const INT_RE = /^(?:0|-?[1-9][0-9]*)$/;

/**
 * The signed 64-bit integer `raw` spells, or null if it is not one.
 * BigInt, because a JS number is exact only up to 2^53 and 64-bit overflow must be detected exactly.
 */
function parseInt64(raw: Buffer): bigint | null {
  if (raw.length > 20) return null;
  // latin1 maps each byte to one char, so a non-ASCII byte cannot sneak past the regex.
  const text = raw.toString('latin1');
  if (!INT_RE.test(text)) return null;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

/**
 * A command name or option, upper-cased for comparison: ASCII letters only, like Redis's
 * strcasecmp ('ß'.toUpperCase() is 'SS'!). Those words are short, so a long argument gives ''
 * rather than being converted just to find out it matches nothing.
 */
function keyword(raw: Buffer): string {
  if (raw.length > 16) return '';
  let out = '';
  for (const byte of raw) out += String.fromCharCode(byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte);
  return out;
}

// ---------------------------------------------------------------------------
// RESP replies. Every reply is a Buffer (or a few Buffers pushed in a row).
// ---------------------------------------------------------------------------

const CRLF = Buffer.from('\r\n');
const OK = Buffer.from('+OK\r\n');
const PONG = Buffer.from('+PONG\r\n');
/** "No value". Not the same as the empty string $0\r\n\r\n. */
const NIL = Buffer.from('$-1\r\n');

/** The replies produced by one batch of commands, written to the socket in one go. */
class Out {
  private parts: Buffer[] = [];
  /** Total size of the parts. */
  bytes = 0;

  push(...parts: Buffer[]): void {
    for (const part of parts) {
      this.parts.push(part);
      this.bytes += part.length;
    }
  }

  /** Everything pushed so far as one Buffer; empties this. */
  take(): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return all;
  }
}

function pushBulk(out: Out, value: Buffer): void {
  // Three pieces, so a 512 KiB value is copied once (into the final write), not twice.
  out.push(Buffer.from(`$${value.length}\r\n`), value, CRLF);
}

function integer(n: number | bigint): Buffer {
  return Buffer.from(`:${n}\r\n`);
}

function error(message: string | Buffer): Buffer {
  // An error reply is one line: a CR or LF inside it would end it early and the client
  // would read the rest as the next reply. Messages can contain client bytes (an unknown
  // command's name), so scrub them.
  const bytes = Buffer.from(message); // a copy, safe to modify
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0d || bytes[i] === 0x0a) bytes[i] = 0x20;
  return Buffer.concat([Buffer.from('-ERR '), bytes, CRLF]);
}

function wrongArity(name: string): Buffer {
  return error(`wrong number of arguments for '${name.toLowerCase()}' command`);
}

const SYNTAX_ERROR = error('syntax error');
const NOT_AN_INTEGER = error('value is not an integer or out of range');

// ---------------------------------------------------------------------------
// Incremental RESP parser
// ---------------------------------------------------------------------------

class ProtocolError extends Error {}

/**
 * Turns a byte stream into commands (arrays of bulk strings).
 *
 * TCP delivers a stream, not messages: one 'data' event may hold half a command, exactly
 * one, or a thousand and a half. feed() appends whatever arrived; next() returns one
 * complete command at a time, or null when the buffer holds only part of the next one.
 * The parser remembers how far it got (arguments still missing, the length of the bulk
 * string being read), so bytes already parsed are never parsed again.
 *
 * A request looks like  *2\r\n$3\r\nGET\r\n$1\r\nk\r\n : an array header "*<count>",
 * then <count> bulk strings "$<len>\r\n<data>\r\n".
 */
class RespParser {
  // Unparsed bytes are buf[start, end). The buffer grows by doubling, so receiving a large
  // value in many small pieces costs linear time. (Buffer.concat on every chunk would copy
  // everything received so far each time: quadratic, and a 512 KiB value sent one byte per
  // write would copy ~137 GB.)
  private buf = Buffer.allocUnsafe(16 * 1024);
  private start = 0;
  private end = 0;

  private args: Buffer[] = []; // arguments of the command being read
  private missing = 0; // arguments still to read; 0 = expecting a "*" header
  private bulkLen = -1; // length of the bulk string being read; -1 = its header is not read yet

  feed(chunk: Buffer): void {
    if (this.start === this.end) {
      this.start = this.end = 0;
      // Don't keep a big buffer (from a large value) around for the life of the connection.
      if (this.buf.length > 1024 * 1024 && chunk.length <= 16 * 1024) this.buf = Buffer.allocUnsafe(16 * 1024);
    }
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      const needed = live + chunk.length;
      // Move the live bytes to the front, into a bigger buffer if they do not fit.
      const target = needed <= this.buf.length ? this.buf : Buffer.allocUnsafe(Math.max(needed, 2 * this.buf.length));
      this.buf.copy(target, 0, this.start, this.end);
      this.buf = target;
      this.start = 0;
      this.end = live;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  next(): Buffer[] | null {
    for (;;) {
      if (this.missing === 0) {
        const line = this.readLine();
        if (line === null) return null;
        if (line[0] !== 0x2a /* '*' */) throw new ProtocolError(`expected '*', got ${describe(line)}`);
        const count = parseInt64(line.subarray(1));
        if (count === null || count > MAX_ARGS) throw new ProtocolError('invalid multibulk length');
        if (count <= 0n) continue; // "*0" and "*-1" are empty requests; Redis ignores them
        this.missing = Number(count);
      }

      while (this.missing > 0) {
        if (this.bulkLen < 0) {
          const line = this.readLine();
          if (line === null) return null;
          if (line[0] !== 0x24 /* '$' */) throw new ProtocolError(`expected '$', got ${describe(line)}`);
          const length = parseInt64(line.subarray(1));
          if (length === null || length < 0n || length > MAX_BULK_LEN) throw new ProtocolError('invalid bulk length');
          this.bulkLen = Number(length);
        }
        // The data is counted, not delimited: it may contain \r\n or any other byte.
        // Wait until all of it plus the CRLF is here.
        const dataEnd = this.start + this.bulkLen;
        if (this.end < dataEnd + 2) return null;
        if (this.buf[dataEnd] !== 0x0d || this.buf[dataEnd + 1] !== 0x0a) {
          throw new ProtocolError('bulk string not followed by CRLF');
        }
        // Copy: our buffer is reused for the next chunks, and a stored value must not
        // change under our feet (nor pin a whole 16 KiB+ buffer in memory).
        this.args.push(Buffer.from(this.buf.subarray(this.start, dataEnd)));
        this.start = dataEnd + 2;
        this.bulkLen = -1;
        this.missing--;
      }

      const args = this.args;
      this.args = [];
      return args;
    }
  }

  /** Consume and return one header line without its CRLF, or null if it is not complete yet. */
  private readLine(): Buffer | null {
    const at = this.buf.subarray(this.start, this.end).indexOf(CRLF);
    if (at < 0) {
      if (this.end - this.start > MAX_HEADER_LINE) throw new ProtocolError('header line too long');
      return null;
    }
    const line = this.buf.subarray(this.start, this.start + at); // only looked at, never kept
    this.start += at + 2;
    return line;
  }
}

/** A byte for an error message: printable ASCII as itself, anything else as its code. */
function describe(line: Buffer): string {
  if (line.length === 0) return 'an empty line';
  const b = line[0];
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte ${b}`;
}

// ---------------------------------------------------------------------------
// The key space
// ---------------------------------------------------------------------------

/**
 * Keys and values, with optional expiry times.
 *
 * A Map compares Buffer keys by identity, not content, so keys are stored as 'latin1'
 * strings: latin1 maps every byte 0-255 to exactly one char and back, so this is a lossless
 * encoding of the bytes, not a text decoding (utf8 would turn invalid sequences into U+FFFD
 * and merge different keys). Values stay Buffers.
 *
 * Like Redis, expiry times live in a second Map holding only the keys that have one. A key
 * whose time has passed is deleted the moment anyone looks at it ("lazy" expiry); sweep()
 * also removes expired keys nobody looks at any more, so they do not use memory forever.
 */
class Store {
  private data = new Map<string, Buffer>();
  private expires = new Map<string, number>(); // key -> deadline on the now() clock

  /** Milliseconds on a monotonic clock: a TTL must not jump when someone changes the wall clock. */
  static now(): number {
    return performance.now();
  }

  private expireIfDue(k: string): void {
    const deadline = this.expires.get(k);
    if (deadline !== undefined && deadline <= Store.now()) {
      this.expires.delete(k);
      this.data.delete(k);
    }
  }

  get(key: Buffer): Buffer | undefined {
    const k = key.toString('latin1');
    this.expireIfDue(k);
    return this.data.get(k);
  }

  exists(key: Buffer): boolean {
    return this.get(key) !== undefined;
  }

  /** Store a value. Without a deadline the key becomes persistent. */
  set(key: Buffer, value: Buffer, deadline?: number): void {
    const k = key.toString('latin1');
    this.data.set(k, value);
    if (deadline === undefined) this.expires.delete(k);
    else this.expires.set(k, deadline);
  }

  /** Change the value but keep any expiry (what INCR does). */
  replaceValue(key: Buffer, value: Buffer): void {
    this.data.set(key.toString('latin1'), value);
  }

  delete(key: Buffer): boolean {
    const k = key.toString('latin1');
    this.expireIfDue(k);
    this.expires.delete(k);
    return this.data.delete(k);
  }

  sweep(): void {
    const now = Store.now();
    for (const [k, deadline] of this.expires) {
      if (deadline <= now) {
        this.expires.delete(k); // deleting the current entry while iterating a Map is safe
        this.data.delete(k);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

type Handler = (store: Store, args: Buffer[], out: Out) => void;

function cmdPing(_store: Store, args: Buffer[], out: Out): void {
  if (args.length > 2) out.push(wrongArity('ping'));
  else if (args.length === 2) pushBulk(out, args[1]);
  else out.push(PONG);
}

function cmdEcho(_store: Store, args: Buffer[], out: Out): void {
  pushBulk(out, args[1]);
}

function cmdGet(store: Store, args: Buffer[], out: Out): void {
  const value = store.get(args[1]);
  if (value === undefined) out.push(NIL);
  else pushBulk(out, value);
}

/** SET key value [EX seconds | PX milliseconds] [NX | XX] */
function cmdSet(store: Store, args: Buffer[], out: Out): void {
  const [, key, value] = args;
  let nx = false;
  let xx = false;
  let unit: 'EX' | 'PX' | undefined;
  let amount: Buffer | undefined;

  // Options may come in any order and any case. Like Redis: NX with XX, or EX with PX,
  // is a syntax error; repeating the same one is allowed.
  for (let i = 3; i < args.length; i++) {
    const opt = keyword(args[i]);
    if (opt === 'NX' && !xx) nx = true;
    else if (opt === 'XX' && !nx) xx = true;
    else if ((opt === 'EX' || opt === 'PX') && (unit === undefined || unit === opt) && i + 1 < args.length) {
      unit = opt;
      amount = args[++i];
    } else {
      out.push(SYNTAX_ERROR);
      return;
    }
  }

  let deadline: number | undefined;
  if (amount !== undefined) {
    const n = parseInt64(amount);
    if (n === null) {
      out.push(NOT_AN_INTEGER);
      return;
    }
    const ms = unit === 'EX' ? n * 1000n : n;
    // Must be positive, and (as in Redis) the absolute expiry time in Unix milliseconds
    // must still fit in 64 bits.
    if (n <= 0n || ms > INT64_MAX - BigInt(Date.now())) {
      out.push(error("invalid expire time in 'set' command"));
      return;
    }
    deadline = Store.now() + Number(ms);
  }

  // The condition is checked after the options are validated: a bad option is an error
  // even when NX/XX would not have set anything.
  if ((nx && store.exists(key)) || (xx && !store.exists(key))) {
    out.push(NIL);
    return;
  }
  store.set(key, value, deadline); // no EX/PX: an undefined deadline clears any old expiry
  out.push(OK);
}

function cmdDel(store: Store, args: Buffer[], out: Out): void {
  // "DEL k k" removes k once: the second time it is already gone.
  let removed = 0;
  for (let i = 1; i < args.length; i++) if (store.delete(args[i])) removed++;
  out.push(integer(removed));
}

function cmdExists(store: Store, args: Buffer[], out: Out): void {
  // Counts names, not distinct keys: "EXISTS k k" is 2 when k exists.
  let count = 0;
  for (let i = 1; i < args.length; i++) if (store.exists(args[i])) count++;
  out.push(integer(count));
}

function cmdIncr(store: Store, args: Buffer[], out: Out): void {
  const key = args[1];
  const current = store.get(key);
  const n = current === undefined ? 0n : parseInt64(current);
  if (n === null) {
    out.push(NOT_AN_INTEGER); // and the value stays as it was
    return;
  }
  if (n === INT64_MAX) {
    out.push(error('increment or decrement would overflow'));
    return;
  }
  const next = Buffer.from(String(n + 1n));
  if (current === undefined) store.set(key, next);
  else store.replaceValue(key, next);
  out.push(integer(n + 1n));
}

/**
 * Name -> handler and arity. Arity counts the command name, as in Redis's command table:
 * N means exactly N arguments, -N means at least N.
 */
const COMMANDS = new Map<string, { handler: Handler; arity: number }>([
  ['PING', { handler: cmdPing, arity: -1 }],
  ['ECHO', { handler: cmdEcho, arity: 2 }],
  ['GET', { handler: cmdGet, arity: 2 }],
  ['SET', { handler: cmdSet, arity: -3 }],
  ['DEL', { handler: cmdDel, arity: -2 }],
  ['EXISTS', { handler: cmdExists, arity: -2 }],
  ['INCR', { handler: cmdIncr, arity: 2 }],
]);

/** Run one command and push its reply. Never throws for bad input. */
function execute(store: Store, args: Buffer[], out: Out): void {
  const name = keyword(args[0]);
  const command = COMMANDS.get(name);
  if (command === undefined) {
    out.push(error(Buffer.concat([Buffer.from("unknown command '"), args[0].subarray(0, 128), Buffer.from("'")])));
    return;
  }
  const { handler, arity } = command;
  if ((arity >= 0 && args.length !== arity) || args.length < -arity) {
    out.push(wrongArity(name));
    return;
  }
  handler(store, args, out);
}

// ---------------------------------------------------------------------------
// Networking
// ---------------------------------------------------------------------------

function serveClient(store: Store, socket: net.Socket): void {
  const parser = new RespParser();
  const out = new Out();
  let closing = false;

  // Without an 'error' listener, an ECONNRESET from one client would be an uncaught
  // exception and take the whole server down. 'close' always follows; nothing else to do.
  socket.on('error', () => {});
  // We batch replies ourselves; Nagle's algorithm would only hold small replies back
  // waiting for an ACK. (Redis sets TCP_NODELAY too; asyncio does it by default.)
  socket.setNoDelay(true);

  socket.on('data', (chunk: Buffer) => {
    if (closing) return; // after a protocol error, ignore whatever else arrives
    parser.feed(chunk);
    run();
  });
  // When the client ends its side ('end', e.g. after a half-close), Node ends ours once
  // the replies written so far are flushed (allowHalfOpen is false by default).

  /** Execute every complete command the parser holds, and write their replies. */
  function run(): void {
    try {
      for (let args = parser.next(); args !== null; args = parser.next()) {
        execute(store, args, out);
        // A few bytes of commands can ask for a lot of output (64 KiB of "GET big" is
        // 2,700 copies of a 512 KiB value). Hand it to the socket now; if the client is
        // not reading it, continue after it has (the rest waits in the parser) rather than
        // build gigabytes in memory while every other client waits.
        if (out.bytes >= FLUSH_AT && !socket.write(out.take())) {
          waitForDrain();
          return;
        }
      }
    } catch (err) {
      // We can no longer tell where the next command starts: answer what came before,
      // report the error, and close this connection (only this one). Anything else that
      // is thrown is a bug in this server; it too costs only this connection.
      closing = true;
      if (!(err instanceof ProtocolError)) console.error('kv-server: unexpected error', err);
      out.push(error(err instanceof ProtocolError ? `Protocol error: ${err.message}` : 'internal error'));
      socket.end(out.take(), () => socket.destroy());
      return;
    }
    // Usually this is the only write for this chunk: one write for all its replies, not
    // one per command. If the client is not reading its replies fast enough, stop reading
    // its commands until they have drained, so they cannot pile up in our memory.
    if (out.bytes > 0 && !socket.write(out.take())) waitForDrain();
  }

  function waitForDrain(): void {
    socket.pause();
    socket.once('drain', () => {
      socket.resume(); // 'data' events restart on a later tick, after run() below
      run(); // commands left in the parser, if we stopped in the middle
    });
  }
}

function main(): void {
  let port: number;
  try {
    const { values } = parseArgs({ options: { port: { type: 'string', default: '6380' } } });
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port: ${values.port}`);
  } catch (err) {
    console.error(`kv-server: ${(err as Error).message}\nusage: node dist/server.js [--port 6380]`);
    process.exit(2);
  }

  const store = new Store();
  setInterval(() => store.sweep(), 1000).unref();

  const server = net.createServer((socket) => serveClient(store, socket));
  server.on('error', (err) => {
    // e.g. EADDRINUSE: the port is taken
    console.error(`kv-server: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => console.log(`kv-server listening on 127.0.0.1:${port}`));
}

main();
