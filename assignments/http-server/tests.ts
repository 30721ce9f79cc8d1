// The http-server tests, written only against the public authoring API (grader/authoring.ts) and
// this folder's http.ts. Each checks what the handout states, never one server's quirks: header
// names in any case, extra headers (Date, Server, ...) allowed, any reason phrase, HTTP/1.0 or
// HTTP/1.1 in the status line. Every request goes to the grade's own copy of files/www.
import net from 'node:net';
import { TestFailure, allClients, chunk, quoteBytes, defineTests, readCapped, type Chunking, type TcpClient, type TestContext } from '../../grader/authoring.js';
import {
  buildRequest,
  exchange,
  exitedNote,
  expectBody,
  expectFile,
  expectFileResponse,
  expectFramed,
  expectStatus,
  fileBytes,
  header,
  mediaType,
  readResponse,
  responseParser,
  showReceived,
  statusLine,
  type FileCheck,
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
async function getFile(t: TestContext, target: string, file: string, opts: FileCheck & { req?: Partial<RequestSpec> } = {}): Promise<HttpResponse> {
  const c = await t.connect();
  const res = await expectFile(t, c, target, file, opts);
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
      await expectFileResponse(t, c, `GET /hello.txt (after ${what})`, { target: '/hello.txt' }, res, 'hello.txt', { kept: 'head', hint: 'A response to HEAD has no body: the next response starts right after its empty line.' });
    }
    return;
  }
  t.fail(`${c.name}: ${what}: the response was followed by bytes that are not a response: ${showReceived(c.buffered.length ? c.buffered : out.raw, 80)}.`, {
    hint: 'A response to HEAD has the headers GET would have (Content-Length included) and no body at all: write the headers and stop.',
  });
}

/**
 * The collateral check after abuse: is the same process still there and answering? The most
 * basic request (HEAD /) and any reply at all counts: whether it is the right reply is charged by
 * the tests about it, not here.
 */
async function expectAlive(t: TestContext, after: string, startBefore: number): Promise<void> {
  const exited = () => t.fail(`your server did not survive ${after}: its process exited.\nA crash, not a protocol choice: see its output in the report.`, { hint: HINT_SURVIVE });
  if (t.program.startNumber !== startBefore || !t.program.running) exited();
  let c: TcpClient;
  try {
    c = await t.connect();
  } catch (e) {
    return t.fail(`after ${after}, a new connection could not be made: ${(e as Error).message}.${exitedNote(t)}`, { hint: HINT_SURVIVE });
  }
  await c.write(`HEAD / HTTP/1.1\r\nHost: ${t.target.host}:${t.target.port}\r\n\r\n`);
  const out = await c.read((buf) => ({ status: 'complete' as const, value: buf, length: buf.length }), Math.max(1, Math.min(2000, t.remainingMs() - 150)));
  c.close();
  if (t.program.startNumber !== startBefore || !t.program.running) exited();
  if (out.status === 'complete') {
    t.log(`after ${after}, the server still answers (HEAD /: ${showReceived(out.value, 40)})`);
    return;
  }
  t.fail(`after ${after}, the server ${out.status === 'timeout' ? 'sent nothing back within 2,000 ms' : 'closed the connection without answering'} for a new client's HEAD /.`, { hint: HINT_SURVIVE, timeout: out.status === 'timeout' });
}

export default defineTests({
  // ------------------------------------------------------------------------------------------
  // Stage 1: serve files

  async index(t) {
    const res = await getFile(t, '/', 'index.html');
    t.log(`GET / answered "${statusLine(res)}" with index.html (${res.body.length} bytes)`);
    await getFile(t, '/index.html', 'index.html');
  },

  async 'text-files'(t) {
    for (const f of ['hello.txt', 'style.css', 'data.json']) {
      const res = await getFile(t, `/${f}`, f);
      t.log(`GET /${f}: ${res.body.length} bytes, intact`);
    }
    // Host is not required here (the handout says so): an HTTP/1.1 request without one.
    const res = await getFile(t, '/docs/page.html', 'docs/page.html', { req: { noHost: true, headers: [['Accept', '*/*']] } });
    t.log(`GET /docs/page.html (HTTP/1.1 without a Host header): ${res.body.length} bytes, intact`);
  },

  async 'binary-file'(t) {
    const hint = 'Open the file in binary mode and send its bytes as they are: never decode them as text or convert line endings. Content-Length is the number of bytes. Check that every byte is written (sendall, or loop on partial writes).';
    const res = await getFile(t, '/data.bin', 'data.bin', { bodyHint: hint });
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
    await getFile(t, '/docs/', 'docs/index.html');
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
    // The hint for a wrong status comes from the target (%XX, ?query): see fileStatusHint.
    await getFile(t, '/hello%20world.txt', 'hello world.txt');
    await getFile(t, '/%68%65llo.txt', 'hello.txt');
    await getFile(t, '/hello.txt?version=2&x=%20', 'hello.txt');
    await getFile(t, '/docs/page.html?', 'docs/page.html');
  },

  // ------------------------------------------------------------------------------------------
  // Stage 2: methods and status codes

  async 'not-found'(t) {
    const hint = 'A path with no file behind it gets "404 Not Found", with a Content-Length (the body may be a short message, or empty).';
    for (const target of ['/missing.html', '/docs/missing.txt', '/no/such/folder/', '/hello.txt/more']) {
      const { c, res, what } = await once(t, { target }, { hint });
      expectStatus(t, c, what, res, 404, hint);
      expectFramed(t, c, what, res);
      c.close();
    }
    t.log('4 missing paths: 404 each, with a Content-Length');
  },

  async head(t) {
    const hint = 'HEAD is GET without the body: the same status and headers (Content-Length is the size of the file), then nothing.';
    for (const [target, file] of [['/hello.txt', 'hello.txt'], ['/data.bin', 'data.bin']] as const) {
      // "The same headers as GET": the Content-Type GET gives (whether that one is right is
      // content-type's to judge), asked first on a connection of its own, closed before the HEAD.
      const g = await t.connect();
      const got = await exchange(t, g, { target }).then((x) => x.res, () => undefined);
      g.close();
      const c = await t.connect();
      const req: RequestSpec = { method: 'HEAD', target };
      const { res, what } = await exchange(t, c, req, { hint });
      await expectFileResponse(t, c, what, req, res, file);
      if (got && mediaType(got) !== mediaType(res))
        t.fail(`${c.name}: ${what}: ${header(res, 'content-type') === undefined ? 'no Content-Type' : `Content-Type: ${header(res, 'content-type')}`}, but GET ${target} gets ${header(got, 'content-type') === undefined ? 'none' : `Content-Type: ${header(got, 'content-type')}`}.`, {
          hint: 'A response to HEAD has the headers the GET would have, Content-Type included: build the headers the same way, then leave out the body.',
        });
      await expectNothingAfter(t, c, what);
      c.close();
    }
    const c = await t.connect();
    const { res, what } = await exchange(t, c, { method: 'HEAD', target: '/missing.txt' }, { hint });
    // Its Content-Length is judged by not-found (a 404's framing), not again here.
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
      expectFramed(t, c, what, res);
      c.close();
    }
    t.log('DELETE, POST, PUT, PATCH, OPTIONS: 405 with Allow: GET, HEAD');
  },

  async 'bad-request'(t) {
    const before = t.program.startNumber;
    const hint = 'A request line that is not "METHOD /path HTTP/1.x" (three parts) or a header line without a colon is malformed: answer "400 Bad Request" (with a Content-Length) and close that connection.';
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
      const what = `${quoteBytes(bytes, { maxBytes: 60 })} (${name})`;
      const res = await readResponse(t, c, what, { hint: `Nothing came back for a malformed request. ${hint}` });
      expectStatus(t, c, what, res, 400, hint);
      expectFramed(t, c, what, res);
      // "Answer 400, then close the connection": the response came first (above), the close
      // follows within the same allowance connection-close gives.
      const how = await c.waitClosed(Math.max(1, Math.min(2000, t.remainingMs() - 1500)));
      if (how === 'timeout')
        t.fail(`${c.name}: ${what}: the 400 came, but the connection was still open 2,000 ms later.`, {
          hint: 'After a 400 close the connection: after garbage the server cannot know where the next request starts.',
        });
      c.close();
    }
    t.log('5 malformed requests: 400 each, then the connection closed');
    await expectAlive(t, 'the malformed requests', before);
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
    const before = t.program.startNumber;
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
    await expectAlive(t, 'the attempts to leave the document root', before);
  },

  // ------------------------------------------------------------------------------------------
  // Stage 3: persistent connections

  async 'keep-alive'(t) {
    const c = await t.connect();
    // Files that only need a plain GET to work (ASCII, no %XX in the name): what this test judges
    // is the connection, and a file served wrong everywhere is charged by the file tests.
    const files = ['index.html', 'hello.txt', 'style.css', 'app.js', 'docs/page.html', 'docs/index.html', 'hello.txt', 'index.html', 'style.css', 'app.js'];
    const IDLE_MS = 1000;
    for (const [i, f] of files.entries()) {
      if (i === 5) {
        // "Keep reading requests until the client closes the connection": an idle second is no reason to close it.
        t.log(`the client waits ${IDLE_MS.toLocaleString('en-US')} ms before its 6th request, as a browser does between clicks`);
        await new Promise((r) => setTimeout(r, IDLE_MS));
      }
      const res = await expectFile(t, c, `/${f}`, f, {
        kept: 'keep-alive',
        hint: i ? `${HINT_KEEPALIVE} This was request ${i + 1} of 10 on one connection${i === 5 ? `, sent after ${IDLE_MS.toLocaleString('en-US')} ms of quiet (do not close idle connections on a short timer)` : ''}.` : undefined,
      });
      const conn = header(res, 'connection');
      if (conn !== undefined && conn.toLowerCase().split(',').map((s) => s.trim()).includes('close') && i < files.length - 1)
        t.fail(`${c.name}: GET /${f}: the response says "Connection: ${conn}", but the client asked to keep the connection (HTTP/1.1, no Connection: close).`, { hint: HINT_KEEPALIVE });
    }
    t.log('10 requests, one after another, on one connection');
  },

  async pipelining(t) {
    const c = await t.connect();
    const plan: Array<{ req: RequestSpec; file: string }> = [];
    const files = ['hello.txt', 'index.html', 'style.css', 'docs/page.html', 'app.js'];
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
      await expectFileResponse(t, c, what, p.req, res, p.file, { kept: 'pipelining', hint: `${HINT_STREAM} Responses go out in the order of the requests.` });
    }
    // Anything extra after the 20 responses would come before the answer to this one.
    await expectFile(t, c, '/docs/index.html', 'docs/index.html', { kept: 'pipelining', hint: 'The 20 responses must be followed by nothing else: extra bytes arrived before the response to the next request.' });
    t.log('20 responses in order, nothing extra');
  },

  async 'split-request'(t) {
    const spec: RequestSpec = { target: '/hello.txt', headers: [['Accept', '*/*']] };
    const req = buildRequest(t, spec);
    const end = req.indexOf('\r\n\r\n');
    // Read until the empty line, and not before: an answer (or a close) while the request is
    // still incomplete is a server that took one read for a whole request.
    const send = async (c: TcpClient, what: string, chunking: Chunking, pauseMs: number) => {
      let sent = 0;
      for (const piece of chunk(req, chunking)) {
        if (sent) {
          const early = await c.read((buf) => (buf.length ? { status: 'complete' as const, value: true, length: 0 } : { status: 'incomplete' as const }), pauseMs);
          if (early.status !== 'timeout')
            t.fail(`${c.name}: ${what}: after ${sent} of ${req.length} bytes the server ${early.raw.length ? 'answered' : 'closed the connection'}, before the request was complete.${early.raw.length ? `\nReceived: ${showReceived(early.raw, 80)}` : ''}`, { hint: HINT_STREAM });
        }
        await c.write(piece);
        sent += piece.length;
      }
    };
    const check = async (c: TcpClient, what: string) => {
      const res = await readResponse(t, c, what, { hint: HINT_STREAM });
      await expectFileResponse(t, c, what, spec, res, 'hello.txt', { kept: 'split-request', hint: HINT_STREAM });
      c.close();
    };
    // Cuts inside the request line, inside a header, and around the final empty line.
    const cuts = [1, 4, 9, req.indexOf('\r\n') + 1, end - 3, end + 1, end + 2, end + 3];
    for (const cut of cuts) {
      const c = await t.connect();
      t.log(`GET /hello.txt in two writes, cut after byte ${cut} of ${req.length}`);
      const what = `GET /hello.txt sent in two writes, cut after byte ${cut} (${quoteBytes(req.subarray(0, cut).subarray(-12))} | ...)`;
      await send(c, what, { mode: 'at', offsets: [cut] }, 5);
      await check(c, what);
    }
    const c = await t.connect();
    t.log(`GET /hello.txt sent one byte per write (${req.length} writes)`);
    await send(c, 'GET /hello.txt sent one byte at a time', { mode: 'bytes' }, 1);
    await check(c, 'GET /hello.txt sent one byte at a time');
    for (let i = 0; i < 2; i++) {
      const r = await t.connect();
      await send(r, 'GET /hello.txt in random pieces of 1-7 bytes', { mode: 'random', random: t.random, maxPiece: 7 }, 1);
      await check(r, 'GET /hello.txt in random pieces of 1-7 bytes');
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
      const res = await expectFile(t, c, req.target, 'hello.txt', { req, kept: 'connection-close' });
      const how = await c.waitClosed(Math.min(2000, t.remainingMs() - 150));
      if (how === 'timeout')
        t.fail(`${c.name}: ${name}: the response came (${statusLine(res)}), but the connection was still open 2,000 ms later; it should be closed after the response.${c.buffered.length ? `\nExtra bytes after the response: ${showReceived(c.buffered, 60)}` : ''}`, { hint });
      if (c.buffered.length && res.contentLength !== undefined) t.fail(`${c.name}: ${name}: extra bytes after the response: ${showReceived(c.buffered, 80)}`, { hint: 'Send exactly Content-Length bytes of body, then nothing.' });
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
      const after = `${what} (after ${prev})`;
      if (s.file) await expectFileResponse(t, c, after, s.req, res, s.file, { kept: 'errors-keep-connection', hint: `${hint} (This request came after ${prev}.)` });
      else if (res.status !== s.status) {
        // The wrong status itself is charged by not-found or method-not-allowed: what this test
        // judges is whether the connection carries on after it.
        const alone = await t.connect();
        const again = await exchange(t, alone, s.req, { timeoutMs: 1000 }).then((x) => x.res, () => undefined);
        alone.close();
        if (again?.status === res.status) t.log(`${after}: answered ${res.status}, not ${s.status}, as on a connection of its own: charged by ${s.status === 404 ? 'not-found' : 'method-not-allowed'}, not here`);
        else expectStatus(t, c, after, res, s.status, `${hint} (On a connection of its own the same request gets ${again ? again.status : 'no answer'}.)`);
      }
      if (res.contentLength === undefined) t.log(`${after}: the ${res.status} response has no Content-Length (charged by the test of its status); its body was taken to end where the connection went quiet`);
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
    const files = ['hello.txt', 'style.css', 'index.html', 'docs/page.html', 'app.js'];
    await allClients(t, conns, 'clients', async (c, i) => {
      await expectFile(t, c, `/${files[i % files.length]}`, files[i % files.length], { hint: HINT_CONCURRENT, kept: 'many-clients', timeoutMs: 4000 });
    });
    t.log('each got its file, all at once');
  },

  async 'slow-request'(t) {
    const slow = await t.connect();
    const spec: RequestSpec = { target: '/hello.txt' };
    const req = buildRequest(t, spec);
    const half = 20;
    await slow.write(req.subarray(0, half));
    t.log(`${slow.name} sent the first ${half} of ${req.length} bytes of GET /hello.txt and waits`);
    for (const f of ['docs/page.html', 'style.css']) {
      const other = await t.connect();
      await expectFile(t, other, `/${f}`, f, { kept: 'slow-request', hint: `Your server seems to wait for ${slow.name} to finish its request before serving anyone else. ${HINT_CONCURRENT}` });
    }
    // Two others were served meanwhile: an answer to the half request would be here by now.
    if (slow.buffered.length || slow.peerClosed)
      t.fail(`${slow.name}: after ${half} of ${req.length} bytes of GET /hello.txt the server ${slow.buffered.length ? 'answered' : 'closed the connection'}, before the request was complete.${slow.buffered.length ? `\nReceived: ${showReceived(slow.buffered, 80)}` : ''}`, { hint: HINT_STREAM });
    await slow.write(req.subarray(half));
    const res = await readResponse(t, slow, 'the rest of GET /hello.txt', { hint: HINT_STREAM });
    await expectFileResponse(t, slow, 'GET /hello.txt (sent in two parts)', spec, res, 'hello.txt', { kept: 'slow-request', hint: HINT_STREAM });
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
    }).catch((e: Error) => t.fail(`could not connect the non-reading client: ${e.message}.${exitedNote(t)}`, { hint: 'The server must accept connections for the whole grade.' }));
    const one = buildRequest(t, { target: '/data.bin' });
    hog.write(Buffer.concat(Array.from({ length: COPIES }, () => one)));
    t.log(`hog: sent ${COPIES} pipelined GET /data.bin (${((COPIES * 256) / 1024).toFixed(0)} MiB of responses) and stopped reading after the first bytes`);
    if (!(await firstBytes))
      t.fail(`hog: sent ${COPIES} pipelined GET /data.bin; no response came within 3,000 ms (or the server closed the connection).${exitedNote(t)}`, {
        hint: `${HINT_STREAM} Pipelined requests are answered in order, each as soon as it is read.`,
      });
    t.log(`hog: received ${received.toLocaleString('en-US')} bytes, then stopped reading`);
    for (const f of ['hello.txt', 'docs/page.html', 'style.css']) {
      const c = await t.connect();
      await expectFile(t, c, `/${f}`, f, {
        kept: 'slow-reader',
        hint: 'Another client asked for 24 MiB and is not reading: a blocking write to it (sendall, write) never returns once the kernel\'s buffers are full. Write without blocking (asyncio drain, Node\'s \'drain\', poll()) or use a thread per client.',
      });
    }
    t.log('3 other clients served while the hog was not reading');
    // Then the hog leaves without reading the rest, as a closed browser tab does (a reset): the
    // server's pending writes to it fail (ECONNRESET, EPIPE; SIGPIPE in C unless ignored), and it
    // must carry on. The crash that follows a reset comes within a moment; 100 ms covers a busy
    // machine's scheduling (there is no event to await for something that must not happen).
    const before = t.program.startNumber;
    if (hog.destroyed || hog.writableEnded) hog.destroy();
    else hog.resetAndDestroy();
    t.log('hog: reset its connection, with most of its 24 MiB unread');
    await new Promise((r) => setTimeout(r, 100));
    await expectAlive(t, 'the reset of a connection with unsent responses', before);
  },

  // ------------------------------------------------------------------------------------------
  // Stage 5: a real client

  async fetch(t) {
    const MAX_FETCH_BODY = 1024 * 1024;
    const base = `http://${t.target.host}:${t.target.port}`;
    // Files only (a 404's framing is not-found's): what fetch adds is a strict real client, two
    // connections in use at once, and requests in turn on each kept-alive connection.
    const cases: Array<{ path: string; method?: string; file: string; type: string[] }> = [
      { path: '/', file: 'index.html', type: ['text/html'] },
      { path: '/hello.txt', file: 'hello.txt', type: ['text/plain'] },
      { path: '/hello%20world.txt', file: 'hello world.txt', type: ['text/plain'] },
      { path: '/data.bin', file: 'data.bin', type: ['application/octet-stream'] },
      { path: '/docs/', file: 'docs/index.html', type: ['text/html'] },
      { path: '/hello.txt', method: 'HEAD', file: 'hello.txt', type: ['text/plain'] },
      { path: '/style.css', file: 'style.css', type: ['text/css'] },
      { path: '/pixel.png', file: 'pixel.png', type: ['image/png'] },
    ];
    type Case = (typeof cases)[number];
    const stopStreams = new AbortController();
    /** What is wrong with an answer to `k` (undefined: nothing), judged the same for fetch and for a plain request. */
    const judge = (k: Case, status: number, length: string | null | undefined, type: string | undefined, body: Buffer): string | undefined => {
      const want = fileBytes(t, `www/${k.file}`);
      if (status !== 200) return `status ${status}, not 200`;
      if (length === null || length === undefined) return 'no Content-Length header';
      if (Number(length) !== want.length) return `Content-Length ${length}, not ${want.length}`;
      const media = (type ?? '').split(';')[0].trim().toLowerCase();
      if (!k.type.includes(media)) return `Content-Type "${type ?? '(none)'}", not ${k.type.join(' or ')}`;
      const expected = k.method === 'HEAD' ? Buffer.alloc(0) : want;
      if (!body.equals(expected)) return `a body of ${body.length} bytes that differs from ${k.method === 'HEAD' ? 'nothing (HEAD has no body)' : `${k.file} (${want.length} bytes)`}`;
      return undefined;
    };
    /** The same request on a plain connection of its own: 'right', 'wrong' (a complete answer that is wrong), or no answer. */
    const plain = async (k: Case): Promise<{ kind: 'right' | 'wrong' | 'none'; what: string }> => {
      let c: TcpClient;
      try {
        c = await t.connect();
      } catch (e) {
        return { kind: 'none', what: (e as Error).message };
      }
      const req = buildRequest(t, { method: k.method ?? 'GET', target: k.path });
      await c.write(req);
      // Short: it runs after fetch's own wait, within the test's deadline.
      const ms = Math.max(1, Math.floor(Math.min(1200, t.remainingMs() - 1200)));
      const out = await c.read(responseParser({ head: k.method === 'HEAD' }), ms);
      c.close();
      if (out.status === 'invalid') return { kind: 'wrong', what: `an answer that is not valid HTTP (${out.reason})` };
      if (out.status !== 'complete') return { kind: 'none', what: out.status === 'timeout' ? `no complete answer within ${Math.round(ms).toLocaleString('en-US')} ms` : 'the connection closed without an answer' };
      const r = out.value;
      const problem = judge(k, r.status, r.contentLength === undefined ? undefined : String(r.contentLength), header(r, 'content-type'), r.body);
      return problem ? { kind: 'wrong', what: problem } : { kind: 'right', what: 'the right answer' };
    };
    const check = async (k: Case) => {
      const what = `fetch ${k.method ?? 'GET'} ${k.path}`;
      let problem: string;
      let hint: string;
      const waitMs = Math.max(1, Math.floor(Math.min(3000, t.remainingMs() - 2800)));
      try {
        const res = await fetch(base + k.path, { method: k.method ?? 'GET', signal: AbortSignal.any([t.signal, stopStreams.signal, AbortSignal.timeout(waitMs)]) });
        // Four times the largest file served: a longer body is wrong whatever it holds.
        const read = await readCapped(res.body, MAX_FETCH_BODY);
        const body = read.body;
        const p = read.complete ? judge(k, res.status, res.headers.get('content-length'), res.headers.get('content-type') ?? undefined, body) : read.reason;
        if (!p) {
          t.log(`${what}: ${res.status}, ${body.length} bytes, right`);
          return;
        }
        problem = `fetch saw ${p}`;
        hint = 'A plain request on a fresh connection is answered right, so look at what fetch does differently: it sends several requests in turn on each kept-alive connection (is anything left over from the previous one, a body after HEAD, a buffer not cleared?) and uses two connections at once.';
      } catch (e) {
        // The other stream failed and stopped this one: its failure is the test's.
        if (stopStreams.signal.aborted) return;
        // What fetch's error says happened, not what fetch is known for.
        const err = e as Error & { cause?: Error & { code?: string } };
        const code = err.cause?.code ?? '';
        const cause = err.cause ? `${code ? `${code}: ` : ''}${err.cause.message}` : err.message;
        if (err.name === 'TimeoutError') {
          problem = `no complete response within ${Math.round(waitMs).toLocaleString('en-US')} ms`;
          hint = `${HINT_CONCURRENT} fetch keeps two connections open at once and sends its next requests on them.`;
        } else if (code === 'ECONNREFUSED') {
          problem = `the connection was refused (${cause})`;
          hint = `Nothing was listening on the port.${exitedNote(t) || ' Keep accepting connections for the whole grade.'}`;
        } else if (code.startsWith('HPE_')) {
          problem = `fetch could not parse the response: ${cause}`;
          hint = 'undici, the HTTP client of Node\'s fetch, refused the response\'s bytes: every line ends with "\\r\\n", one Content-Length that matches the body, and nothing after the body (no body at all after HEAD).';
        } else if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') {
          problem = `the server closed the connection without a complete response (${cause})`;
          hint = `fetch sends its next request on a connection that carried an earlier one: a server that closes after each response must say "Connection: close" in it.${exitedNote(t)}`;
        } else {
          problem = `fetch failed: ${cause}`;
          hint = exitedNote(t) || 'Look at the transcript of the plain request below for what your server sends.';
        }
      }
      const alone = await plain(k);
      if (alone.kind === 'wrong') {
        t.log(`${what}: ${problem}; a plain request on a connection of its own gets ${alone.what} too: the tests of serving files charge that, not fetch`);
        return;
      }
      if (alone.kind === 'none') hint = `Neither fetch nor a plain request on a connection of its own got an answer while fetch's connections were open: a server that serves one connection at a time, or that hung, answers no one else. ${HINT_CONCURRENT}${exitedNote(t)}`;
      const both = alone.kind === 'none' ? ' Neither was answered while fetch\'s connections were open: does your server serve one connection at a time, or did it hang?' : '';
      t.fail(`${what}: ${problem}.\nThe same request on a plain connection of its own got ${alone.what}.${both}`, { hint, timeout: problem.startsWith('no complete response') });
    };
    // Two requests in flight at a time, as a browser loads a page: each of the two kept-alive
    // connections carries several requests in turn.
    const queue = [...cases];
    // Once one stream has failed, the other stops at once (its request in flight is aborted):
    // against a server that serves one connection at a time, each further request would wait out
    // fetch's timeout again, and the test's deadline (not its diagnosis) would end it.
    const worker = async () => {
      for (let k = queue.shift(); k && !stopStreams.signal.aborted; k = queue.shift())
        try {
          await check(k);
        } catch (e) {
          stopStreams.abort();
          throw e;
        }
    };
    await allClients(t, [worker, worker], 'request streams', (w) => w());
  },
});
