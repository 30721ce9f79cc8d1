// http-server starter: a static file server that speaks HTTP/1.1.
//
//   Build:  npx tsc -p .          (run `npm install` once first)
//   Run:    node dist/server.js --port 8080 --root www
//   Try:    curl -v http://127.0.0.1:8080/
//   Grade:  npx sockgrade grade .
//
// What is here already: the networking. The server listens on 127.0.0.1, serves any number
// of clients at once (Node's event loop: one 'data' callback per chunk received, all in one
// thread), reads whatever bytes arrive and writes responses.
//
// What is missing (the TODOs): the request parser, mapping a path to a file, the status
// codes and headers, HEAD, and persistent connections. Read the handout first. Keep file
// contents as Buffers: never .toString() them.
//
// As it comes, it answers every request with the document root's index.html.
//
// Only node: modules (and not node:http: the point is to write it yourself).

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** Throw this from the parser when the bytes are not an HTTP request (answer 400). */
class BadRequest extends Error {}

interface Request {
  method: string; // "GET"
  target: string; // "/hello%20world.txt?x=1", as sent
  version: string; // "HTTP/1.1"
  headers: Map<string, string>; // TODO: lower-case the names: they are case-insensitive
}

// ---------------------------------------------------------------------------
// The request parser
// ---------------------------------------------------------------------------

/**
 * Turns the byte stream from one client into requests.
 *
 * TCP is a byte stream: one 'data' event may carry half a request, exactly one, or several
 * requests (pipelining). feed() is called with whatever arrived; next() must then return the
 * complete requests one at a time, and keep an incomplete one in the buffer until the rest
 * arrives.
 */
class RequestParser {
  private buf: Buffer = Buffer.alloc(0); // bytes received but not parsed yet

  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /**
   * Remove one complete request from the front of the buffer and return it. Return null if
   * the buffer does not hold a complete request (yet). Throw BadRequest if the bytes are not
   * a request.
   *
   * A request is a request line, header lines and an empty line, each ending with "\r\n":
   *   GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n
   * TODO: find the empty line ("\r\n\r\n"); if it has not arrived yet, return null. Split the
   *       request line into exactly three parts (method, target, version) and each header
   *       line at its first ":". Anything else is a BadRequest. If there is a Content-Length
   *       header, that many body bytes follow: skip them too.
   */
  next(): Request | null {
    // PLACEHOLDER, only so that the loop in serveClient() runs: it takes everything that has
    // arrived and pretends it is one GET /. Replace it.
    if (this.buf.length === 0) return null;
    this.buf = Buffer.alloc(0);
    return { method: 'GET', target: '/', version: 'HTTP/1.1', headers: new Map() };
  }
}

// ---------------------------------------------------------------------------
// Answering a request
// ---------------------------------------------------------------------------

/** A complete response: status line, headers, empty line, body. */
function response(status: number, reason: string, headers: Array<[string, string]>, body: Buffer): Buffer {
  const lines = [`HTTP/1.1 ${status} ${reason}`, ...headers.map(([k, v]) => `${k}: ${v}`), `Content-Length: ${body.length}`];
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

/** The response to one request. */
function answer(req: Request, root: string): Buffer {
  void req;
  // TODO: methods other than GET and HEAD: 405 with "Allow: GET, HEAD".
  // TODO: turn req.target into a file under root: cut off "?query", decode %XX escapes,
  //       resolve "." and "..", and refuse (403 or 404) anything that would end up outside
  //       root. A folder means its index.html.
  // TODO: a missing file is 404; Content-Type from the extension (handout).
  // TODO: HEAD gets the same headers as GET, and no body.
  const body = fs.readFileSync(path.join(root, 'index.html')); // PLACEHOLDER: always the index page
  return response(200, 'OK', [['Content-Type', 'text/html']], body);
}

/** Whether the connection stays open after answering req. */
function keepAlive(req: Request): boolean {
  void req;
  // TODO: HTTP/1.1 keeps it open unless "Connection: close"; HTTP/1.0 closes it.
  return false;
}

// ---------------------------------------------------------------------------
// Networking (you should not need to change much below)
// ---------------------------------------------------------------------------

function serveClient(socket: net.Socket, root: string): void {
  const parser = new RequestParser();
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
    parser.feed(chunk);
    try {
      for (let req = parser.next(); req; req = parser.next()) {
        // TODO: a client that does not read makes write() return false: wait for 'drain'
        //       before writing more (and pause reading meanwhile).
        socket.write(answer(req, root));
        if (!keepAlive(req)) {
          closed = true;
          socket.end();
          return;
        }
      }
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      // TODO: answer 400 Bad Request before closing.
      closed = true;
      socket.end();
    }
  });
  // ECONNRESET, EPIPE: the client vanished. Without this handler the error would crash the server.
  socket.on('error', () => socket.destroy());
}

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, root: { type: 'string', default: '.' } } });
  const port = Number(values.port);
  const root = path.resolve(values.root!);
  const server = net.createServer((socket) => serveClient(socket, root));
  server.on('error', (e) => {
    process.stderr.write(`http-server: cannot listen on 127.0.0.1:${port}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => console.log(`http-server listening on http://127.0.0.1:${port}/, serving ${root}`));
}

main();
