// The http-server tests, written only against the public authoring API (grader/authoring.ts) and
// this folder's http.ts. Each checks what the handout states, never one server's quirks: header
// names in any case, extra headers (Date, Server, ...) allowed, any reason phrase, HTTP/1.0 or
// HTTP/1.1 in the status line. Every request goes to the grade's own copy of files/www.
import net from 'node:net';
import { TestFailure, allClients, quoteBytes, defineTests, type TcpClient, type TestContext } from '../../grader/authoring.js';
import {
  buildRequest,
  exchange,
  expectBody,
  expectFile,
  expectLength,
  expectStatus,
  fileBytes,
  header,
  mediaType,
  readResponse,
  showReceived,
  statusLine,
  type HttpResponse,
  type RequestSpec,
} from './http.js';

const HINT_STREAM =
  'TCP is a byte stream: one recv() may hold part of a request, or several requests. Keep the bytes of each connection in a buffer, answer every complete request in it (one ends at the empty line "\\r\\n\\r\\n"), and keep the rest for the next read.';
const HINT_CONCURRENT =
  'Serve every connection at the same time (an event loop with select/poll/asyncio, Node\'s net module, or a thread per client): never wait for one client before serving another.';
const HINT_KEEPALIVE =
  'In HTTP/1.1 a connection stays open after a response: keep reading requests from it until the client closes it or asks for "Connection: close".';
const HINT_SURVIVE = 'Catch errors per connection (a parse error, ECONNRESET, EPIPE/SIGPIPE) and close just that connection: one client must never take the server down.';

/** One request on a connection of its own. */
async function once(t: TestContext, req: RequestSpec, opts: { hint?: string; timeoutMs?: number } = {}): Promise<{ c: TcpClient; res: HttpResponse; what: string }> {
  const c = await t.connect();
  const { res, what } = await exchange(t, c, req, { hint: opts.hint, timeoutMs: opts.timeoutMs });
  return { c, res, what };
}

/** GET a file on a connection of its own; check 200 and the body byte for byte. */
async function getFile(t: TestContext, target: string, file: string, hint?: string): Promise<HttpResponse> {
  const c = await t.connect();
  const res = await expectFile(t, c, target, file, { hint });
  // Closed at once: a server that serves one connection at a time is judged by the concurrency
  // tests, not by every test that happens to open a second connection.
  c.close();
  return res;
}

/**
 * After a response that must have no body (HEAD), the next bytes on the connection are the next
 * response's status line, or the end of the connection: never body bytes.
 */
async function expectNothingAfter(t: TestContext, c: TcpClient, what: string): Promise<void> {
  const next = buildRequest(t, { target: '/hello.txt' });
  await c.write(next);
  const out = await c.read((buf) => (buf.length >= 5 ? { status: 'complete' as const, value: buf.subarray(0, 5).toString('latin1'), length: 0 } : { status: 'incomplete' as const }), Math.min(3000, t.remainingMs() - 150));
  if (out.status === 'closed' && !out.raw.length) {
    t.log(`${c.name}: the server closed the connection after ${what} (allowed here; keep-alive is judged elsewhere)`);
    return;
  }
  if ((out.status === 'complete' && out.value === 'HTTP/') || (out.status !== 'complete' && !out.raw.length)) {
    // The GET's response (or nothing yet): read it whole, so it is checked to be the right one.
    if (out.status === 'complete') {
      const res = await readResponse(t, c, `GET /hello.txt (after ${what})`, { hint: HINT_KEEPALIVE });
      expectStatus(t, c, `GET /hello.txt (after ${what})`, res, 200, HINT_KEEPALIVE);
      expectBody(t, c, `GET /hello.txt (after ${what})`, res, fileBytes(t, 'www/hello.txt'), 'A response to HEAD has no body: the next response starts right after its empty line.');
    }
    return;
  }
  t.fail(`${c.name}: ${what}: the response was followed by bytes that are not a response: ${showReceived(c.buffered.length ? c.buffered : out.raw, 80)}.`, {
    hint: 'A response to HEAD has the headers GET would have (Content-Length included) and no body at all: write the headers and stop.',
  });
}

export default defineTests({
  // ------------------------------------------------------------------------------------------
  // Stage 1: serve files

  async index(t) {
    const res = await getFile(t, '/', 'index.html', 'GET / is the file index.html of the document root (--root): answer "HTTP/1.1 200 OK", a Content-Length, an empty line, and the file\'s bytes.');
    t.log(`GET / answered "${statusLine(res)}" with index.html (${res.body.length} bytes)`);
    await getFile(t, '/index.html', 'index.html');
  },

  async 'text-files'(t) {
    for (const f of ['hello.txt', 'style.css', 'data.json', 'docs/page.html']) {
      const res = await getFile(t, `/${f}`, f);
      t.log(`GET /${f}: ${res.body.length} bytes, intact`);
    }
  },

  async 'binary-file'(t) {
    const hint = 'Open the file in binary mode and send its bytes as they are: never decode them as text or convert line endings. Content-Length is the number of bytes. Check that every byte is written (sendall, or loop on partial writes).';
    const res = await getFile(t, '/data.bin', 'data.bin', hint);
    t.log(`GET /data.bin: ${res.body.length.toLocaleString('en-US')} bytes, every byte value, intact`);
  },

  async 'content-type'(t) {
    const table: Array<[string, string[]]> = [
      ['index.html', ['text/html']],
      ['hello.txt', ['text/plain']],
      ['style.css', ['text/css']],
      ['app.js', ['text/javascript', 'application/javascript']],
      ['data.json', ['application/json']],
      ['pixel.png', ['image/png']],
      ['photo.jpg', ['image/jpeg']],
      ['data.bin', ['application/octet-stream']],
    ];
    for (const [file, types] of table) {
      const c = await t.connect();
      const res = await expectFile(t, c, `/${file}`, file);
      const got = mediaType(res);
      if (got === undefined || !types.includes(got))
        t.fail(`${c.name}: GET /${file}: expected Content-Type ${types.join(' or ')}, got ${got === undefined ? 'no Content-Type header' : `"${header(res, 'content-type')}"`}.`, {
          hint: 'Choose Content-Type from the extension, with the handout\'s table (a parameter such as "; charset=utf-8" is allowed); any other extension is application/octet-stream.',
        });
      c.close();
    }
    t.log('8 extensions, 8 right Content-Types');
  },

  async directories(t) {
    await getFile(t, '/docs/', 'docs/index.html', 'A request for a folder ("/docs/") is answered with that folder\'s index.html.');
    await getFile(t, '/docs/page.html', 'docs/page.html');
    // "/docs" without the slash: the index itself, or a redirect to "/docs/".
    const { c, res, what } = await once(t, { target: '/docs' });
    if ([301, 302, 307, 308].includes(res.status)) {
      const loc = header(res, 'location');
      const locPath = loc === undefined ? undefined : loc.replace(/^https?:\/\/[^/]*/i, '');
      if (locPath !== '/docs/')
        t.fail(`${c.name}: ${what}: answered ${res.status} with ${loc === undefined ? 'no Location header' : `Location: ${loc}`}; a redirect must point to "/docs/".`, {
          hint: 'Either answer "/docs" with docs/index.html directly, or redirect (301) with "Location: /docs/".',
        });
      t.log(`${what}: redirected to ${loc}`);
    } else {
      expectStatus(t, c, what, res, 200, 'A folder named without its trailing slash ("/docs") is served as its index.html too (or redirected to "/docs/").');
      expectBody(t, c, what, res, fileBytes(t, 'www/docs/index.html'), 'A folder is served as its index.html.');
    }
  },

  async 'percent-decoding'(t) {
    const hint = 'Decode %XX escapes in the path (after cutting off any "?query") before looking up the file: "%20" is a space, "%68" is "h".';
    await getFile(t, '/hello%20world.txt', 'hello world.txt', hint);
    await getFile(t, '/%68%65llo.txt', 'hello.txt', hint);
    await getFile(t, '/hello.txt?version=2&x=%20', 'hello.txt', 'The query string ("?..." after the path) is not part of the file name: cut it off before decoding.');
    await getFile(t, '/docs/page.html?', 'docs/page.html', 'An empty query string ("?" at the end) is not part of the file name either.');
  },

  // ------------------------------------------------------------------------------------------
  // Stage 2: methods and status codes

  async 'not-found'(t) {
    const hint = 'A path with no file behind it gets "404 Not Found", with a Content-Length (the body may be a short message, or empty).';
    for (const target of ['/missing.html', '/docs/missing.txt', '/no/such/folder/', '/hello.txt/more']) {
      const { c, res, what } = await once(t, { target }, { hint });
      expectStatus(t, c, what, res, 404, hint);
      c.close();
    }
    t.log('4 missing paths: 404 each, with a Content-Length');
  },

  async head(t) {
    const hint = 'HEAD is GET without the body: the same status and headers (Content-Length is the size of the file), then nothing.';
    for (const [target, file] of [['/hello.txt', 'www/hello.txt'], ['/data.bin', 'www/data.bin']] as const) {
      const c = await t.connect();
      const { res, what } = await exchange(t, c, { method: 'HEAD', target }, { hint });
      expectStatus(t, c, what, res, 200, hint);
      expectLength(t, c, what, res, fileBytes(t, file).length, hint);
      await expectNothingAfter(t, c, what);
      c.close();
    }
    const c = await t.connect();
    const { res, what } = await exchange(t, c, { method: 'HEAD', target: '/missing.txt' }, { hint });
    expectStatus(t, c, what, res, 404, 'HEAD of a missing file is 404, like GET, without a body.');
    await expectNothingAfter(t, c, what);
  },

  async 'method-not-allowed'(t) {
    const hint = 'A method other than GET and HEAD gets "405 Method Not Allowed" with a header "Allow: GET, HEAD" (and a Content-Length).';
    const reqs: RequestSpec[] = [
      { method: 'DELETE', target: '/hello.txt' },
      { method: 'POST', target: '/index.html', body: 'name=value', headers: [['Content-Type', 'application/x-www-form-urlencoded']] },
      { method: 'PUT', target: '/new.txt', body: 'new file\n' },
      { method: 'PATCH', target: '/hello.txt', body: 'x' },
      { method: 'OPTIONS', target: '/' },
    ];
    for (const req of reqs) {
      const { c, res, what } = await once(t, req, { hint });
      expectStatus(t, c, what, res, 405, hint);
      const allow = header(res, 'allow');
      const methods = (allow ?? '').split(',').map((m) => m.trim().toUpperCase());
      if (!methods.includes('GET') || !methods.includes('HEAD'))
        t.fail(`${c.name}: ${what}: the 405 response must say which methods are allowed; got ${allow === undefined ? 'no Allow header' : `"Allow: ${allow}"`}.`, { hint });
      c.close();
    }
    t.log('DELETE, POST, PUT, PATCH, OPTIONS: 405 with Allow: GET, HEAD');
  },

  async 'bad-request'(t) {
    const before = t.program.startNumber;
    const hint = 'A request line that is not "METHOD /path HTTP/1.x" (three parts, one space apart) or a header line without a colon is malformed: answer "400 Bad Request" (with a Content-Length) and close that connection.';
    const bad: Array<[string, Buffer]> = [
      ['one word', Buffer.from('HELLO\r\n\r\n')],
      ['four parts', Buffer.from('GET /index.html HTTP/1.1 extra\r\nHost: x\r\n\r\n')],
      ['not HTTP', Buffer.from('GET /index.html HTTX/1.1\r\nHost: x\r\n\r\n')],
      ['a header without a colon', Buffer.from('GET /index.html HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n')],
      ['binary garbage', Buffer.concat([Buffer.from([0x00, 0xff, 0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), Buffer.from('\r\n\r\n')])],
    ];
    for (const [name, bytes] of bad) {
      const c = await t.connect();
      await c.write(bytes);
      const res = await readResponse(t, c, `${quoteBytes(bytes, { maxBytes: 60 })} (${name})`, { hint: `Nothing came back for a malformed request. ${hint}` });
      expectStatus(t, c, `${quoteBytes(bytes, { maxBytes: 60 })} (${name})`, res, 400, hint);
      c.close();
    }
    t.log('5 malformed requests: 400 each');
    await getFile(t, '/hello.txt', 'hello.txt', HINT_SURVIVE);
    if (t.program.startNumber !== before || !t.program.running) t.fail('your server did not survive the malformed requests: it exited, and a new process answered.', { hint: HINT_SURVIVE });
  },

  async 'path-traversal'(t) {
    const secret = fileBytes(t, 'secret.txt');
    const marker = secret.subarray(0, 28);
    const abs = `${t.files}/secret.txt`;
    const targets = [
      '/../secret.txt',
      '/docs/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/docs/..%2f..%2fsecret.txt',
      abs,
      '/' + abs.split('/').map(encodeURIComponent).join('%2F'),
    ];
    const hint =
      'Decode the path, then resolve it (normalise "." and "..") and refuse it with 403 or 404 unless the result is still inside the document root. Never join an absolute path onto the root: os.path.join(root, "/etc/passwd") is "/etc/passwd".';
    for (const target of targets) {
      const c = await t.connect();
      const req = buildRequest(t, { target });
      await c.write(req);
      const what = `GET ${target}`;
      let res: HttpResponse;
      try {
        res = await readResponse(t, c, what, { hint });
      } catch (e) {
        // Not a valid response, but the secret may be in what came (a failed read keeps its bytes).
        if (c.buffered.includes(marker))
          t.fail(`${c.name}: ${what}: the server sent the contents of secret.txt, a file outside the document root.\nReceived: ${showReceived(c.buffered, 200)}`, { hint });
        throw e;
      }
      if (res.body.includes(marker) || res.head.includes(marker))
        t.fail(`${c.name}: ${what}: answered ${res.status} with the contents of secret.txt, a file outside the document root.\nReceived: ${showReceived(Buffer.concat([res.head, res.body]), 200)}`, { hint });
      expectStatus(t, c, what, res, [400, 403, 404], `${hint} (400 is accepted too.)`);
      c.close();
    }
    // "/.." may also be taken as "/" (URL normalisation stops at the root): its index, or a redirect.
    {
      const { c, res, what } = await once(t, { target: '/..' }, { hint });
      if (res.body.includes(marker)) t.fail(`${c.name}: ${what}: answered ${res.status} with the contents of secret.txt.`, { hint });
      if (res.status === 200) expectBody(t, c, what, res, fileBytes(t, 'www/index.html'), `"/.." is either refused (403, 404) or taken as "/" (the root's index.html). ${hint}`);
      else if (!(res.status >= 300 && res.status < 400)) expectStatus(t, c, what, res, [400, 403, 404], hint);
      c.close();
    }
    t.log(`${targets.length + 1} attempts to leave the document root: refused, nothing leaked`);
    await getFile(t, '/hello.txt', 'hello.txt', HINT_SURVIVE);
  },

  // ------------------------------------------------------------------------------------------
  // Stage 3: persistent connections

  async 'keep-alive'(t) {
    const c = await t.connect();
    const files = ['index.html', 'hello.txt', 'style.css', 'data.json', 'docs/page.html', 'hello world.txt', 'app.js', 'docs/index.html', 'photo.jpg', 'pixel.png'];
    for (const [i, f] of files.entries()) {
      const target = f === 'hello world.txt' ? '/hello%20world.txt' : `/${f}`;
      const res = await expectFile(t, c, target, f, {
        hint: i ? `${HINT_KEEPALIVE} This was request ${i + 1} of 10 on one connection.` : undefined,
      });
      const conn = header(res, 'connection');
      if (conn !== undefined && conn.toLowerCase().split(',').map((s) => s.trim()).includes('close') && i < files.length - 1)
        t.fail(`${c.name}: GET ${target}: the response says "Connection: ${conn}", but the client asked to keep the connection (HTTP/1.1, no Connection: close).`, { hint: HINT_KEEPALIVE });
    }
    t.log('10 requests, one after another, on one connection');
  },

  async pipelining(t) {
    const c = await t.connect();
    const plan: Array<{ req: RequestSpec; file: string }> = [];
    const files = ['hello.txt', 'index.html', 'style.css', 'docs/page.html', 'data.json'];
    for (let i = 0; i < 20; i++) {
      const file = files[i % files.length];
      const method = i % 4 === 3 ? 'HEAD' : 'GET';
      const headers: Array<[string, string]> = i % 3 === 0 ? [['User-Agent', 'sockgrade'], ['Accept', '*/*']] : [];
      plan.push({ req: { method, target: `/${file}`, headers }, file });
    }
    await c.write(Buffer.concat(plan.map((p) => buildRequest(t, p.req))));
    t.log('20 requests (GET and HEAD) sent in one write');
    for (const [i, p] of plan.entries()) {
      const what = `request #${i + 1} of 20 in one write (${p.req.method} /${p.file})`;
      let res: HttpResponse;
      try {
        res = await readResponse(t, c, what, { head: p.req.method === 'HEAD', hint: HINT_STREAM });
      } catch (e) {
        if (e instanceof TestFailure && i > 0) t.log(`${i} responses were right before this one`);
        throw e;
      }
      expectStatus(t, c, what, res, 200, HINT_STREAM);
      const bytes = fileBytes(t, `www/${p.file}`);
      if (p.req.method === 'HEAD') expectLength(t, c, what, res, bytes.length, 'HEAD gets the Content-Length GET would get, and no body.');
      else expectBody(t, c, what, res, bytes, `${HINT_STREAM} Responses go out in the order of the requests.`);
    }
    // Anything extra after the 20 responses would come before the answer to this one.
    await expectFile(t, c, '/hello%20world.txt', 'hello world.txt', { hint: 'The 20 responses must be followed by nothing else: extra bytes arrived before the response to the next request.' });
    t.log('20 responses in order, nothing extra');
  },

  async 'split-request'(t) {
    const req = buildRequest(t, { target: '/hello.txt', headers: [['Accept', '*/*']] });
    const end = req.indexOf('\r\n\r\n');
    // Cuts inside the request line, inside a header, and around the final empty line.
    const cuts = [1, 4, 9, req.indexOf('\r\n') + 1, end - 3, end + 1, end + 2, end + 3];
    for (const cut of cuts) {
      const c = await t.connect();
      t.log(`GET /hello.txt in two writes, cut after byte ${cut} of ${req.length}`);
      await c.write(req, { chunking: { mode: 'at', offsets: [cut] }, pauseMs: 5 });
      const res = await readResponse(t, c, `GET /hello.txt sent in two writes, cut after byte ${cut} (${quoteBytes(req.subarray(0, cut).subarray(-12))} | ...)`, { hint: HINT_STREAM });
      expectStatus(t, c, 'GET /hello.txt in two pieces', res, 200, HINT_STREAM);
      expectBody(t, c, 'GET /hello.txt in two pieces', res, fileBytes(t, 'www/hello.txt'), HINT_STREAM);
      c.close();
    }
    const c = await t.connect();
    t.log(`GET /hello.txt sent one byte per write (${req.length} writes)`);
    await c.write(req, { chunking: { mode: 'bytes' }, pauseMs: 1 });
    const res = await readResponse(t, c, `GET /hello.txt sent one byte at a time`, { hint: HINT_STREAM });
    expectStatus(t, c, 'GET /hello.txt one byte at a time', res, 200, HINT_STREAM);
    expectBody(t, c, 'GET /hello.txt one byte at a time', res, fileBytes(t, 'www/hello.txt'), HINT_STREAM);
    c.close();
    for (let i = 0; i < 2; i++) {
      const r = await t.connect();
      await r.write(req, { chunking: { mode: 'random', random: t.random, maxPiece: 7 }, pauseMs: 1 });
      const got = await readResponse(t, r, 'GET /hello.txt in random pieces of 1-7 bytes', { hint: HINT_STREAM });
      expectBody(t, r, 'GET /hello.txt in random pieces', got, fileBytes(t, 'www/hello.txt'), HINT_STREAM);
      r.close();
    }
  },

  async 'connection-close'(t) {
    const cases: Array<[string, RequestSpec, string]> = [
      ['HTTP/1.1 with "Connection: close"', { target: '/hello.txt', headers: [['Connection', 'close']] }, 'A request with "Connection: close" is the last on its connection: send the response, then close the connection.'],
      ['HTTP/1.1 with "connection: Close"', { target: '/hello.txt', headers: [['connection', 'Close']] }, 'Header names and the "close" token are case-insensitive.'],
      ['HTTP/1.0', { target: '/hello.txt', version: 'HTTP/1.0' }, 'An HTTP/1.0 request (without "Connection: keep-alive") is the only one on its connection: send the response, then close.'],
    ];
    for (const [name, req, hint] of cases) {
      const c = await t.connect();
      const res = await expectFile(t, c, req.target, 'hello.txt', { req });
      const how = await c.waitClosed(Math.min(2000, t.remainingMs() - 150));
      if (how === 'timeout')
        t.fail(`${c.name}: ${name}: the response came (${statusLine(res)}), but the connection was still open 2,000 ms later; it should be closed after the response.${c.buffered.length ? `\nExtra bytes after the response: ${showReceived(c.buffered, 60)}` : ''}`, { hint });
      if (c.buffered.length) t.fail(`${c.name}: ${name}: extra bytes after the response: ${showReceived(c.buffered, 80)}`, { hint: 'Send exactly Content-Length bytes of body, then nothing.' });
      t.log(`${name}: response, then the server closed the connection`);
      c.close();
    }
  },

  async 'errors-keep-connection'(t) {
    const c = await t.connect();
    const hint = 'After a 404 or a 405, keep reading requests from the same connection (only a 400 closes it). A request with a Content-Length body must have its body read and skipped.';
    const steps: Array<{ req: RequestSpec; status: number; file?: string }> = [
      { req: { target: '/missing.html' }, status: 404 },
      { req: { target: '/hello.txt' }, status: 200, file: 'hello.txt' },
      { req: { method: 'DELETE', target: '/hello.txt' }, status: 405 },
      { req: { target: '/index.html' }, status: 200, file: 'index.html' },
      { req: { method: 'POST', target: '/index.html', body: 'GET /secret HTTP/1.1\r\n\r\n' }, status: 405 },
      { req: { target: '/style.css' }, status: 200, file: 'style.css' },
    ];
    let prev = 'the first request';
    for (const s of steps) {
      const { res, what } = await exchange(t, c, s.req, { hint: `The server did not answer a request sent after ${prev} on the same connection. ${hint}` });
      expectStatus(t, c, `${what} (after ${prev})`, res, s.status, s.status === 200 ? hint : `${s.status === 404 ? 'A missing file is 404' : 'A method other than GET and HEAD is 405'}. ${hint}`);
      if (s.file) expectBody(t, c, what, res, fileBytes(t, `www/${s.file}`), hint);
      const conn = header(res, 'connection');
      if (s.status !== 200 && conn !== undefined && /(^|,)\s*close\s*(,|$)/i.test(conn))
        t.fail(`${c.name}: ${what}: the ${res.status} response says "Connection: ${conn}": the server closes a connection the client wants to keep after a ${res.status}.`, { hint });
      prev = `${what} (${res.status})`;
    }
    t.log('404, 405 and 405 with a body, each followed by a 200 on the same connection');
  },

  // ------------------------------------------------------------------------------------------
  // Stage 4: many clients, slow clients

  async 'many-clients'(t) {
    const N = 50;
    const conns = await Promise.all(Array.from({ length: N }, () => t.connect({ timeoutMs: 5000 })));
    t.log(`${N} connections open at once`);
    const files = ['hello.txt', 'style.css', 'data.json', 'docs/page.html', 'app.js'];
    await allClients(t, conns, 'clients', async (c, i) => {
      await expectFile(t, c, `/${files[i % files.length]}`, files[i % files.length], { hint: HINT_CONCURRENT, timeoutMs: 4000 });
    });
    t.log('each got its file, all at once');
  },

  async 'slow-request'(t) {
    const slow = await t.connect();
    const req = buildRequest(t, { target: '/hello.txt' });
    const half = 20;
    await slow.write(req.subarray(0, half));
    t.log(`${slow.name} sent the first ${half} of ${req.length} bytes of GET /hello.txt and waits`);
    for (const f of ['docs/page.html', 'style.css']) {
      const other = await t.connect();
      await expectFile(t, other, `/${f}`, f, { hint: `Your server seems to wait for ${slow.name} to finish its request before serving anyone else. ${HINT_CONCURRENT}` });
    }
    await slow.write(req.subarray(half));
    const res = await readResponse(t, slow, 'the rest of GET /hello.txt', { hint: HINT_STREAM });
    expectStatus(t, slow, 'GET /hello.txt (sent in two parts)', res, 200, HINT_STREAM);
    expectBody(t, slow, 'GET /hello.txt (sent in two parts)', res, fileBytes(t, 'www/hello.txt'), HINT_STREAM);
  },

  async 'slow-reader'(t) {
    // A client asks for 24 MiB (96 pipelined GETs of the 256 KiB file) and reads nothing once the
    // first bytes have come: the kernel's buffers hold a few MiB at most, so a server that writes
    // with blocking calls in one thread is stuck in a write to it, and nobody else is served.
    const COPIES = 96;
    const hog = net.connect(t.target);
    t.defer(() => hog.destroy());
    hog.on('error', () => undefined);
    let received = 0;
    const firstBytes = new Promise<boolean>((resolve) => {
      hog.once('data', (d: Buffer) => {
        received += d.length;
        hog.pause(); // reads nothing more: the kernel's receive buffer fills, then the server's send buffer
        resolve(true);
      });
      hog.once('close', () => resolve(false));
      setTimeout(() => resolve(false), Math.min(3000, t.remainingMs() - 3000)).unref();
    });
    await new Promise<void>((resolve, reject) => {
      hog.once('connect', () => resolve());
      hog.once('error', reject);
    }).catch((e: Error) => t.fail(`could not connect the non-reading client: ${e.message}`, { hint: 'Is the server still running?' }));
    const one = buildRequest(t, { target: '/data.bin' });
    hog.write(Buffer.concat(Array.from({ length: COPIES }, () => one)));
    t.log(`hog: sent ${COPIES} pipelined GET /data.bin (${((COPIES * 256) / 1024).toFixed(0)} MiB of responses) and stopped reading after the first bytes`);
    if (!(await firstBytes))
      t.fail(`hog: sent ${COPIES} pipelined GET /data.bin; no response came within 3,000 ms (or the server closed the connection).`, {
        hint: `${HINT_STREAM} Pipelined requests are answered in order, each as soon as it is read.`,
      });
    t.log(`hog: received ${received.toLocaleString('en-US')} bytes, then stopped reading`);
    for (const f of ['hello.txt', 'docs/page.html', 'style.css']) {
      const c = await t.connect();
      await expectFile(t, c, `/${f}`, f, {
        hint: 'Another client asked for 24 MiB and is not reading it: a blocking write (sendall, write) to it never returns once the kernel\'s buffers are full. Write without blocking (asyncio with drain per client, Node\'s \'drain\' event, poll() for writability) or give each client its own thread.',
      });
    }
    t.log('3 other clients served while the hog was not reading');
  },

  // ------------------------------------------------------------------------------------------
  // Stage 5: a real client

  async fetch(t) {
    const base = `http://${t.target.host}:${t.target.port}`;
    const cases: Array<{ path: string; method?: string; status: number; file?: string; type?: string[] }> = [
      { path: '/', status: 200, file: 'www/index.html', type: ['text/html'] },
      { path: '/hello.txt', status: 200, file: 'www/hello.txt', type: ['text/plain'] },
      { path: '/hello%20world.txt', status: 200, file: 'www/hello world.txt', type: ['text/plain'] },
      { path: '/data.bin', status: 200, file: 'www/data.bin', type: ['application/octet-stream'] },
      { path: '/docs/', status: 200, file: 'www/docs/index.html', type: ['text/html'] },
      { path: '/hello.txt', method: 'HEAD', status: 200, file: 'www/hello.txt', type: ['text/plain'] },
      { path: '/missing.html', status: 404 },
      { path: '/pixel.png', status: 200, file: 'www/pixel.png', type: ['image/png'] },
    ];
    const hint = 'Node\'s fetch (undici) is strict about HTTP/1.1: a status line, CRLF line ends, one Content-Length that matches the body, and no body after HEAD. It keeps its connections open between requests, and uses two at once here, as browsers do.';
    // Two requests in flight at a time, as a browser loads a page: each of the two kept-alive
    // connections carries several requests in turn.
    const queue = [...cases];
    const worker = async () => {
      for (let k = queue.shift(); k; k = queue.shift()) await check(k);
    };
    const check = async (k: (typeof cases)[number]) => {
      const what = `fetch ${k.method ?? 'GET'} ${k.path}`;
      let res: Response;
      let body: Buffer;
      try {
        res = await fetch(base + k.path, { method: k.method ?? 'GET', signal: AbortSignal.any([t.signal, AbortSignal.timeout(Math.max(1, Math.min(3000, t.remainingMs() - 150)))]) });
        body = Buffer.from(await res.arrayBuffer());
      } catch (e) {
        const err = e as Error & { cause?: Error & { code?: string } };
        const cause = err.cause ? `${err.cause.code ? `${err.cause.code}: ` : ''}${err.cause.message}` : err.message;
        return t.fail(err.name === 'TimeoutError' ? `${what}: no complete response within 3,000 ms.` : `${what} failed.\nfetch said: ${cause}`, { hint });
      }
      if (res.status !== k.status) t.fail(`${what}: expected status ${k.status}, fetch saw ${res.status} ${res.statusText}.`, { hint });
      const len = res.headers.get('content-length');
      if (len === null) t.fail(`${what}: fetch saw no Content-Length header.`, { hint });
      if (k.file) {
        const want = fileBytes(t, k.file);
        if (Number(len) !== want.length) t.fail(`${what}: expected Content-Length ${want.length}, fetch saw ${len}.`, { hint });
        const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
        if (k.type && !k.type.includes(type)) t.fail(`${what}: expected Content-Type ${k.type.join(' or ')}, fetch saw "${res.headers.get('content-type') ?? '(none)'}".`, { hint });
        const expected = k.method === 'HEAD' ? Buffer.alloc(0) : want;
        if (!body.equals(expected))
          t.fail(`${what}: the body fetch received (${body.length} bytes) differs from ${k.method === 'HEAD' ? 'nothing (HEAD has no body)' : `${k.file.slice(4)} (${want.length} bytes)`}.`, { hint });
      }
      t.log(`${what}: ${res.status}, ${body.length} bytes, right`);
    };
    await allClients(t, [worker, worker], 'request streams', (w) => w());
  },
});
