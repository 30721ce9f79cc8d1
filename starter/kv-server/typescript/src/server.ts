// kv-server starter: a key-value server that speaks the Redis protocol (RESP2).
//
//   Build:  npx tsc -p .          (run `npm install` once first)
//   Run:    node dist/server.js --port 6380
//   Try:    redis-cli -p 6380 ping
//   Grade:  npx sockgrade grade .
//
// What is here already: the networking. The server listens on 127.0.0.1, serves any
// number of clients at once (Node's event loop: one 'data' callback per chunk received,
// all in one thread), reads whatever bytes arrive and writes replies.
//
// What is missing (the TODOs): the RESP parser, the commands, and expiry. Read the
// handout first. Keep everything as Buffers: keys and values may hold any byte, so never
// .toString() them.

import net from 'node:net';
import { parseArgs } from 'node:util';

/** Throw this from the parser when the client's bytes are not valid RESP. */
class ProtocolError extends Error {}

// ---------------------------------------------------------------------------
// The RESP parser
// ---------------------------------------------------------------------------

/**
 * Turns the byte stream from one client into commands.
 *
 * TCP is a byte stream, not a sequence of messages: one 'data' event may carry half a
 * command, exactly one, or many commands and a half. feed() is called with whatever
 * arrived; next() must then return the complete commands one at a time, and keep an
 * incomplete one in the buffer until the rest arrives.
 */
class RespParser {
  private buf: Buffer = Buffer.alloc(0); // bytes received but not parsed yet

  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /**
   * Remove one complete command from the front of the buffer and return its arguments,
   * e.g. [SET, key, value] as Buffers. Return null if the buffer does not hold a complete
   * command (yet). Throw ProtocolError if the bytes are not RESP.
   *
   * A command is an array of bulk strings:  *2\r\n$3\r\nGET\r\n$1\r\nk\r\n
   * TODO: parse "*<count>\r\n", then <count> times "$<length>\r\n", <length> bytes of
   *       data (which may contain \r\n!) and "\r\n". If any part is not complete yet,
   *       leave the buffer as it is and return null.
   */
  next(): Buffer[] | null {
    // PLACEHOLDER, only so that the loop in serveClient() runs: it takes everything that
    // has arrived and pretends it is one command. It works only when a single 'data'
    // event happens to hold exactly one PING. Replace it.
    if (this.buf.length === 0) return null;
    const data = this.buf;
    this.buf = Buffer.alloc(0);
    if (data.toString('latin1').toUpperCase() === '*1\r\n$4\r\nPING\r\n') return [Buffer.from('PING')];
    return [data];
  }
}

// ---------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------

// TODO: the key space. A Map cannot use Buffers as keys (it compares them by identity, not
// by content): convert a key with key.toString('latin1'), which maps every byte to exactly
// one character and back. Keys with an expiry (SET ... EX/PX) also need to remember when
// they expire.
// const store = new Map<string, Buffer>();

/** Run one command and return its complete reply, e.g. +PONG\r\n. */
function execute(args: Buffer[]): Buffer {
  // Command names are case-insensitive. (Only short names can be a command.)
  const name = args[0].length <= 16 ? args[0].toString('latin1').toUpperCase() : '';
  if (name === 'PING') {
    // TODO: "PING message" replies with the message as a bulk string.
    return Buffer.from('+PONG\r\n');
  }
  // TODO: ECHO, SET (with EX/PX and NX/XX), GET, DEL, EXISTS, INCR.
  // TODO: an unknown command or a wrong number of arguments gets an error reply
  //       ("-ERR ...\r\n") and the connection stays open.
  return Buffer.from('-ERR not implemented\r\n');
}

// ---------------------------------------------------------------------------
// Networking (you should not need to change much below)
// ---------------------------------------------------------------------------

/** Called once per connected client. Its callbacks run interleaved with all the others. */
function serveClient(socket: net.Socket): void {
  const parser = new RespParser();

  // Without an 'error' listener, one client's ECONNRESET would be an uncaught exception
  // and crash the whole server. 'close' follows; there is nothing else to clean up.
  socket.on('error', () => {});

  socket.on('data', (chunk: Buffer) => {
    // Whatever has arrived: 1 byte or 64 KiB, part of a command or many.
    parser.feed(chunk);
    const replies: Buffer[] = [];
    try {
      for (let args = parser.next(); args !== null; args = parser.next()) replies.push(execute(args));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // After garbage we cannot know where the next command starts: report it and close
      // this connection (the others carry on).
      replies.push(Buffer.from(`-ERR Protocol error: ${err.message}\r\n`));
      socket.end(Buffer.concat(replies));
      socket.removeAllListeners('data');
      return;
    }
    if (replies.length > 0) socket.write(Buffer.concat(replies)); // one write for all of them
  });
  // When the client closes its side, Node closes ours after the pending replies are sent.
}

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '6380' } } });
  const port = Number(values.port);

  const server = net.createServer(serveClient);
  server.on('error', (err) => {
    console.error(`kv-server: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => console.log(`kv-server listening on 127.0.0.1:${port}`));
}

main();
