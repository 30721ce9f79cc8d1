// http-server reference solution: a static file server speaking HTTP/1.1, on node:net (not
// node:http).
//
// Run:  node dist/server.js --port 8080 --root ./www      (build first: npx tsc -p .)
//
// Design in one paragraph: Node's event loop serves every client. Each connection keeps a
// buffer of the bytes received and a pump that answers the complete requests in it, one after
// another, in order (a request ends at the empty line "\r\n\r\n"; a body announced by
// Content-Length is read and skipped). While a response waits for the client to take it
// (socket.write returned false), the pump stops and the socket stops reading: a client that
// does not read costs only its own buffers, never another client's time.
//
// Only node: modules.

import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** A request whose headers do not end within this many bytes is refused. */
const MAX_HEAD = 64 * 1024;

const REASONS: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

class BadRequest extends Error {}

interface Request {
  method: string;
  target: string;
  version: 'HTTP/1.0' | 'HTTP/1.1';
  /** Lower-cased names; the last of a name wins. */
  headers: Map<string, string>;
}

function tokens(req: Request, name: string): string[] {
  return (req.headers.get(name) ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

/** HTTP/1.1 keeps the connection unless asked to close; HTTP/1.0 closes unless asked to keep it. */
function keepAlive(req: Request): boolean {
  const conn = tokens(req, 'connection');
  return req.version === 'HTTP/1.1' ? !conn.includes('close') : conn.includes('keep-alive');
}

function parseHead(head: string): Request {
  const lines = head.split('\r\n');
  const parts = lines[0].split(' ');
  if (parts.length !== 3 || parts.some((p) => !p)) throw new BadRequest('the request line is not METHOD TARGET VERSION');
  const [method, target, version] = parts;
  if (!TOKEN.test(method)) throw new BadRequest('bad method');
  if (version !== 'HTTP/1.0' && version !== 'HTTP/1.1') throw new BadRequest('unsupported version');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) throw new BadRequest('a header line is not Name: value');
    headers.set(name.toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method, target, version, headers };
}

function bodyLength(req: Request): number {
  if (req.headers.has('transfer-encoding')) throw new BadRequest('chunked request bodies are not supported');
  const v = req.headers.get('content-length');
  if (v === undefined) return 0;
  if (!/^\d{1,15}$/.test(v)) throw new BadRequest('bad Content-Length');
  return Number(v);
}

/** Percent-decoding to bytes (a file name is bytes on disk, not necessarily UTF-8). */
function percentDecode(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

type Resolved = { status: 200; file: string } | { status: 400 | 403 | 404 };

async function resolve(root: string, target: string): Promise<Resolved> {
  // absolute-form ("http://host/path"): keep only the path
  const abs = /^https?:\/\/[^/]*(\/.*)?$/i.exec(target);
  if (abs) target = abs[1] ?? '/';
  const p = target.split('?')[0].split('#')[0];
  if (!p.startsWith('/')) return { status: 400 };
  const raw = percentDecode(p);
  if (raw.includes(0)) return { status: 404 };
  const parts: string[] = [];
  for (const seg of raw.toString('latin1').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (!parts.length) return { status: 403 }; // would climb above the document root
      parts.pop();
    } else parts.push(seg);
  }
  // Segments were split as latin1 bytes; the file system wants the original bytes back.
  const full = path.join(root, ...parts.map((s) => Buffer.from(s, 'latin1').toString()));
  let real: string;
  try {
    real = await fs.realpath(full); // symbolic links could point outside: judge the real path
  } catch {
    return { status: 404 };
  }
  if (real !== root && !real.startsWith(root + path.sep)) return { status: 403 };
  try {
    let st = await fs.stat(real);
    if (st.isDirectory()) {
      real = path.join(real, 'index.html');
      st = await fs.stat(real);
    }
    return st.isFile() ? { status: 200, file: real } : { status: 404 };
  } catch {
    return { status: 404 };
  }
}

function response(status: number, headers: Array<[string, string]>, body: Buffer, headOnly: boolean): Buffer {
  const lines = [`HTTP/1.1 ${status} ${REASONS[status]}`, ...headers.map(([k, v]) => `${k}: ${v}`), `Content-Length: ${body.length}`];
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return headOnly ? head : Buffer.concat([head, body]);
}

function error(status: number, close: boolean, headOnly = false, extra: Array<[string, string]> = []): Buffer {
  const headers: Array<[string, string]> = [['Content-Type', 'text/plain; charset=utf-8'], ...extra];
  if (close) headers.push(['Connection', 'close']);
  return response(status, headers, Buffer.from(`${status} ${REASONS[status]}\n`), headOnly);
}

async function answer(root: string, req: Request): Promise<Buffer> {
  const close = !keepAlive(req);
  const headOnly = req.method === 'HEAD';
  if (req.method !== 'GET' && req.method !== 'HEAD') return error(405, close, false, [['Allow', 'GET, HEAD']]);
  const r = await resolve(root, req.target);
  if (r.status !== 200) return error(r.status, close, headOnly);
  let data: Buffer;
  try {
    data = await fs.readFile(r.file);
  } catch {
    return error(404, close, headOnly);
  }
  const headers: Array<[string, string]> = [['Content-Type', TYPES[path.extname(r.file).toLowerCase()] ?? 'application/octet-stream']];
  if (close) headers.push(['Connection', 'close']);
  else if (req.version === 'HTTP/1.0') headers.push(['Connection', 'keep-alive']);
  return response(200, headers, data, headOnly);
}

function serve(root: string, socket: net.Socket): void {
  let buf: Buffer = Buffer.alloc(0);
  let pumping = false;
  let ended = false; // the client sent FIN: answer what came, then close
  let done = false;

  const finish = () => {
    done = true;
    socket.end();
  };

  /** Write, and wait for the client to take the bytes if it is slow (backpressure). */
  const write = (data: Buffer): Promise<void> =>
    new Promise((resolve) => {
      if (socket.write(data)) return resolve();
      socket.pause(); // stop reading new requests until this client catches up
      const go = () => {
        socket.off('close', go);
        socket.off('drain', go);
        if (!ended) socket.resume();
        resolve();
      };
      socket.once('drain', go);
      socket.once('close', go);
    });

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (!done && !socket.destroyed) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > MAX_HEAD) {
            await write(error(400, true));
            return finish();
          }
          if (ended) return finish();
          return; // wait for more bytes
        }
        let req: Request;
        let length: number;
        try {
          req = parseHead(buf.subarray(0, end).toString('latin1'));
          length = bodyLength(req);
        } catch (e) {
          if (!(e instanceof BadRequest)) throw e;
          await write(error(400, true));
          return finish(); // after garbage, where the next request starts is unknowable
        }
        // A body (POST, PUT) is skipped: its bytes are not the next request.
        if (buf.length < end + 4 + length) {
          if (ended) return finish();
          return;
        }
        buf = buf.subarray(end + 4 + length);
        await write(await answer(root, req));
        if (!keepAlive(req)) return finish();
      }
    } finally {
      pumping = false;
    }
  };

  socket.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    void pump().catch(() => socket.destroy());
  });
  socket.on('end', () => {
    ended = true;
    void pump().catch(() => socket.destroy());
  });
  // ECONNRESET, EPIPE: the client vanished; forget it.
  socket.on('error', () => socket.destroy());
}

function main(): void {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, root: { type: 'string', default: '.' } } });
  const port = Number(values.port);
  let root: string;
  try {
    if (!fsSync.statSync(values.root!).isDirectory()) throw new Error('not a folder');
    root = fsSync.realpathSync(values.root!);
  } catch (e) {
    process.stderr.write(`http-server: --root ${values.root}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  // allowHalfOpen: a client that sends FIN right after its last request still gets the answers.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => serve(root, socket));
  server.on('error', (e) => {
    process.stderr.write(`http-server: cannot listen on 127.0.0.1:${port}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => console.log(`http-server: serving ${root} on http://127.0.0.1:${port}/`));
}

process.on('SIGTERM', () => process.exit(0));
main();
