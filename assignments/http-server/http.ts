// HTTP/1.1 for the http-server tests, built only on the public authoring API: a strict response
// parser (a Parser<T> for TcpClient.read), a request builder, and the read-and-check steps whose
// failures say what was sent, what came back, what was expected and what to look at.
//
// Strict where the handout is (CRLF line ends, a status line "HTTP/1.x NNN reason", a
// Content-Length on every response), lenient where it leaves a choice (header case, extra
// headers such as Date and Server, the reason phrase, HTTP/1.0 or HTTP/1.1 in the status line).
import fs from 'node:fs';
import path from 'node:path';
import { MAX_BUFFERED_BYTES, byteDiff, fail, quoteBytes, type Parser, type ReadOutcome, type TcpClient, type TestContext, type WriteOptions } from '../../grader/authoring.js';

export interface HttpResponse {
  /** "HTTP/1.1" or "HTTP/1.0". */
  version: string;
  status: number;
  reason: string;
  /** In the order received, names as sent. */
  headers: Array<[string, string]>;
  /** The status line and headers, up to and including the empty line. */
  head: Buffer;
  body: Buffer;
  /**
   * The Content-Length it announced; undefined when it had none. Such a response is still read
   * (its status is judged first, its framing by the tests about Content-Length): its body is what
   * came after the head until the connection went quiet or the next status line began.
   */
  contentLength: number | undefined;
}

/** The first header of that name (case-insensitive), or undefined. */
export function header(r: HttpResponse, name: string): string | undefined {
  const n = name.toLowerCase();
  return r.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** The media type of Content-Type without parameters, lower-cased ("text/html; charset=utf-8" -> "text/html"). */
export function mediaType(r: HttpResponse): string | undefined {
  const v = header(r, 'content-type');
  return v === undefined ? undefined : v.split(';')[0].trim().toLowerCase();
}

/** "HTTP/1.1 404 Not Found", for messages. */
export function statusLine(r: HttpResponse): string {
  return `${r.version} ${r.status}${r.reason ? ` ${r.reason}` : ''}`;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_HEAD = 64 * 1024;

/** What to look at for each reason the parser gives (a ReadOutcome carries only the reason). */
const invalidHints = new Map<string, string>();

function invalid(reason: string, hint: string, offset: number): { status: 'invalid'; reason: string; offset: number } {
  invalidHints.set(reason, hint);
  return { status: 'invalid', reason, offset };
}

const HINT_CRLF = 'Every line of an HTTP response (the status line and each header) ends with the two bytes "\\r\\n", and the headers end with an empty line "\\r\\n": "\\n" alone is not enough.';
const HINT_LENGTH = 'Send "Content-Length: <number of bytes in the body>" with every response (404, 405 and 400 too). Count bytes, not characters: read files in binary mode.';

/**
 * Parse one response from the front of the buffer. `head`: the request was HEAD, so the response
 * has headers only (its Content-Length is what GET would send, and no body follows).
 */
export function responseParser(opts: { head?: boolean } = {}): Parser<HttpResponse> {
  return (buf: Buffer) => {
    // A response starts with its status line, "HTTP/1.x ".
    const start = buf.subarray(0, 5).toString('latin1');
    if (!'HTTP/'.startsWith(start))
      return invalid('a response must start with a status line ("HTTP/1.1 200 OK\\r\\n"); these bytes do not', 'Write the status line first, then the headers, an empty line, and the body. If a response came before on this connection: did it send more body bytes than its Content-Length said, or a body after HEAD?', 0);
    // Every line end so far must be CRLF.
    let lineStart = 0;
    let end = -1;
    for (let i = 0; i < buf.length && i < MAX_HEAD; i++) {
      if (buf[i] !== 0x0a) continue;
      if (i === 0 || buf[i - 1] !== 0x0d) return invalid(lineStart === 0 ? 'the status line ends with "\\n" alone, not "\\r\\n"' : 'a header line ends with "\\n" alone, not "\\r\\n"', HINT_CRLF, i);
      if (i - lineStart === 1) {
        end = i + 1;
        break;
      }
      lineStart = i + 1;
    }
    if (end < 0) {
      if (buf.length >= MAX_HEAD) return invalid(`no empty line ("\\r\\n\\r\\n") ends the headers within ${MAX_HEAD} bytes`, 'End the headers with an empty line: "\\r\\n\\r\\n".', MAX_HEAD);
      return { status: 'incomplete' };
    }
    const lines = buf.subarray(0, end - 4).toString('latin1').split('\r\n');
    const m = /^HTTP\/(\d)\.(\d) (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (!m)
      return invalid(`the status line ${JSON.stringify(lines[0])} is not "HTTP/1.1 <3-digit code> <reason>"`, 'The status line is the version, one space, the three-digit code, one space and a reason phrase: "HTTP/1.1 200 OK\\r\\n".', 0);
    if (m[1] !== '1' || (m[2] !== '0' && m[2] !== '1'))
      return invalid(`the status line says ${JSON.stringify(`HTTP/${m[1]}.${m[2]}`)}; it must be HTTP/1.1 (or HTTP/1.0)`, 'Answer with "HTTP/1.1" in the status line.', 0);
    const headers: Array<[string, string]> = [];
    let off = lines[0].length + 2;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0 || !TOKEN.test(line.slice(0, colon)))
        return invalid(`the header line ${JSON.stringify(line)} is not "Name: value"`, 'Each header is a name (no spaces), a colon, optional spaces and the value, on a line of its own ending with "\\r\\n".', off);
      headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
      off += line.length + 2;
    }
    const status = Number(m[3]);
    const r: HttpResponse = { version: `HTTP/${m[1]}.${m[2]}`, status, reason: m[4] ?? '', headers, head: Buffer.from(buf.subarray(0, end)), body: Buffer.alloc(0), contentLength: undefined };
    const lengths = headers.filter(([k]) => k.toLowerCase() === 'content-length').map(([, v]) => v);
    if (headers.some(([k]) => k.toLowerCase() === 'transfer-encoding'))
      return invalid('the response has a Transfer-Encoding header; this assignment\'s responses carry a Content-Length instead', HINT_LENGTH, 0);
    // No Content-Length: the head is the response as far as framing goes; the status is judged
    // before the missing header (readResponse collects what body there is).
    if (!lengths.length) return { status: 'complete', value: r, length: end };
    if (!lengths.every((v) => /^\d{1,15}$/.test(v)) || new Set(lengths).size > 1)
      return invalid(`Content-Length ${lengths.map((v) => JSON.stringify(v)).join(', ')} is not one number of bytes`, HINT_LENGTH, end);
    const length = Number(lengths[0]);
    r.contentLength = length;
    // HEAD, 1xx, 204 and 304 have no body whatever Content-Length says.
    if (opts.head || status < 200 || status === 204 || status === 304) return { status: 'complete', value: r, length: end };
    // A body the grader would not hold: said at once, not after the deadline (the largest file served is 256 KiB).
    if (length > MAX_BUFFERED_BYTES - end)
      return invalid(`Content-Length ${length} announces a body larger than the grader reads (${MAX_BUFFERED_BYTES / 1024 / 1024} MiB); no file served here is larger than 256 KiB`, HINT_LENGTH, end);
    if (buf.length < end + length) return { status: 'incomplete' };
    r.body = Buffer.from(buf.subarray(end, end + length));
    return { status: 'complete', value: r, length: end + length };
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface RequestSpec {
  method?: string;
  target: string;
  version?: string;
  /** Extra headers; Host is added for HTTP/1.1 unless given. */
  headers?: Array<[string, string]>;
  body?: string | Buffer;
  /** HTTP/1.1 without a Host header (the handout does not require one). */
  noHost?: boolean;
}

export function buildRequest(t: TestContext, r: RequestSpec): Buffer {
  const version = r.version ?? 'HTTP/1.1';
  const headers = [...(r.headers ?? [])];
  if (version === 'HTTP/1.1' && !r.noHost && !headers.some(([k]) => k.toLowerCase() === 'host')) headers.unshift(['Host', `${t.target.host}:${t.target.port}`]);
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
  if (body.length && !headers.some(([k]) => k.toLowerCase() === 'content-length')) headers.push(['Content-Length', String(body.length)]);
  const head = `${r.method ?? 'GET'} ${r.target} ${version}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** "GET /hello.txt" for messages: the request line without its version, or the raw bytes quoted. */
export function showRequest(req: Buffer): string {
  const line = req.subarray(0, Math.max(0, req.indexOf('\r\n'))).toString('latin1');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
  return m ? `${m[1]} ${m[2]}` : quoteBytes(req, { maxBytes: 60 });
}

// ---------------------------------------------------------------------------------------------
// Reading and checking

export interface ReadOptions {
  head?: boolean;
  timeoutMs?: number;
  /** What to look at when nothing (or not enough) comes back. */
  hint?: string;
}

const HINT_NOTHING =
  'Read until the empty line ("\\r\\n\\r\\n") that ends the request headers, then answer. One recv() may hold part of a request or several requests: keep a buffer per connection.';

/** Show what came back: the head as text, the body only counted (it may be binary). */
export function showReceived(raw: Buffer, max = 160): string {
  if (!raw.length) return 'nothing';
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((i) => i > 0);
  const head = ends.length ? Math.min(...ends) : -1;
  if (head > 0 && head <= max && head < raw.length) return `${quoteBytes(raw.subarray(0, head))} and ${(raw.length - head).toLocaleString('en-US')} more bytes`;
  return quoteBytes(raw, { maxBytes: max });
}

/** How long the bytes after a response without Content-Length may take to come: its body, as far as anyone can tell. */
const UNFRAMED_QUIET_MS = 150;

/** A server that exited says so: the hint for a closed connection or a refused one. */
export function exitedNote(t: TestContext): string {
  return t.program.running ? '' : ' Your server exited (see its output in the report): a crash, not a protocol choice.';
}

/**
 * After a connection closed without an answer: did the process exit? The kernel closes a dead
 * process's sockets a moment before the grader hears of the exit, so wait a little for it.
 */
export async function exitedAfterClose(t: TestContext): Promise<string> {
  for (let i = 0; i < 20 && t.program.running; i++) await new Promise((r) => setTimeout(r, 10));
  return exitedNote(t);
}

/**
 * After a request got no answer at all: does the server still answer anyone? A new connection's
 * HEAD / (any reply counts) tells a server stuck as a whole (a loop that never ends, a blocking
 * call) from one that only dropped this request.
 */
export async function answersOthers(t: TestContext): Promise<boolean | undefined> {
  const ms = Math.min(500, t.remainingMs() - 200);
  if (ms < 100) return undefined;
  let c: TcpClient;
  try {
    c = await t.connect({ timeoutMs: ms });
  } catch {
    return false;
  }
  await c.write(`HEAD / HTTP/1.1\r\nHost: ${t.target.host}:${t.target.port}\r\n\r\n`);
  const out = await c.read((buf) => ({ status: 'complete' as const, value: buf, length: buf.length }), ms);
  c.close();
  return out.status === 'complete';
}

/** Read one response for `what` (e.g. "GET /hello.txt"); fail with what happened if there is none. */
export async function readResponse(t: TestContext, c: TcpClient, what: string, opts: ReadOptions = {}): Promise<HttpResponse> {
  const timeoutMs = Math.max(1, Math.min(opts.timeoutMs ?? 3000, t.remainingMs() - 150));
  const out: ReadOutcome<HttpResponse> = await c.read(responseParser({ head: opts.head }), timeoutMs);
  if (out.status === 'complete') {
    const r = out.value;
    if (r.contentLength === undefined && !opts.head && r.status >= 200 && r.status !== 204 && r.status !== 304) r.body = await unframedBody(c);
    return r;
  }
  const hint = opts.hint ?? HINT_NOTHING;
  if (out.status === 'timeout') {
    if (out.raw.length)
      return fail(`${c.name}: ${what}: the response was incomplete after ${timeoutMs.toLocaleString('en-US')} ms.\nReceived ${out.raw.length} bytes: ${showReceived(out.raw)}`, { hint: incompleteHint(out.raw, opts.head), timeout: true });
    const others = await answersOthers(t);
    return fail(
      `${c.name}: ${what}: no response within ${Math.round(timeoutMs).toLocaleString('en-US')} ms.${
        others === false ? ' A new connection\'s HEAD / got no answer either: the whole server is stuck.' : others ? ' A new connection\'s HEAD / is answered: the server is alive, but did not answer this request.' : ''
      }`,
      { hint: others === false ? stuckHint(hint) : hint, timeout: true },
    );
  }
  if (out.status === 'closed') {
    const exited = out.raw.length ? exitedNote(t) : await exitedAfterClose(t);
    return fail(
      `${c.name}: ${what}: the server ${out.reset ? 'reset' : 'closed'} the connection ${out.raw.length ? 'in the middle of the response' : 'without answering'}${exited ? ', and its process exited' : ''}.${out.raw.length ? `\nReceived ${out.raw.length} bytes: ${showReceived(out.raw)}` : ''}`,
      { hint: exited ? `${exited.trim()} Catch errors per connection so that one request never takes the server down.` : out.raw.length ? incompleteHint(out.raw, opts.head) : `${hint} Did your server close the connection before writing the response?` },
    );
  }
  return fail(`${c.name}: ${what}: the response is not valid HTTP: ${out.reason}.\nReceived: ${showReceived(out.raw)}`, {
    hint: invalidHints.get(out.reason) ?? HINT_CRLF,
  });
}

/** A server that answers no one: say so first, then the test's own hint if it fits. */
function stuckHint(hint: string): string {
  const stuck = 'Since this request your server answers no one: a loop that never ends, a blocking call, or one connection at a time?';
  return stuck.length + 1 + hint.length <= 400 ? `${stuck} ${hint}` : stuck;
}

/**
 * The body of a response that has no Content-Length: the bytes up to the next status line, or
 * until the connection closes or stays quiet (no client can know better; the tests about
 * Content-Length charge the missing header).
 */
async function unframedBody(c: TcpClient): Promise<Buffer> {
  const untilNext: Parser<Buffer> = (buf) => {
    const i = buf.indexOf('HTTP/1.');
    return i >= 0 ? { status: 'complete', value: Buffer.from(buf.subarray(0, i)), length: i } : { status: 'incomplete' };
  };
  const out = await c.read(untilNext, UNFRAMED_QUIET_MS);
  if (out.status === 'complete') return out.value;
  const all = await c.read<Buffer>((buf) => ({ status: 'complete', value: Buffer.from(buf), length: buf.length }), 0);
  return all.status === 'complete' ? all.value : Buffer.alloc(0);
}

function incompleteHint(raw: Buffer, head?: boolean): string {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return 'The headers never ended: finish them with an empty line ("\\r\\n\\r\\n").';
  if (head) return 'The headers never ended.';
  return 'Fewer body bytes arrived than Content-Length announced: send the whole file (check every write: sendall, or handle partial writes) and count its length in bytes.';
}

/** Status must be one of `expected`. */
export function expectStatus(t: TestContext, c: TcpClient, what: string, r: HttpResponse, expected: number | number[], hint: string): void {
  const ok = Array.isArray(expected) ? expected : [expected];
  if (ok.includes(r.status)) return;
  t.fail(`${c.name}: ${what}: expected status ${ok.join(' or ')}, got ${r.status} ("${statusLine(r)}").\nHeaders received: ${showReceived(r.head, 200)}`, { hint });
}

/** The body must be these bytes exactly. */
export function expectBody(t: TestContext, c: TcpClient, what: string, r: HttpResponse, expected: Buffer, hint: string): void {
  expectFramed(t, c, what, r);
  if (r.body.equals(expected)) return;
  const said = header(r, 'content-length');
  t.fail(
    said !== undefined && Number(said) !== expected.length
      ? `${c.name}: ${what}: the response says Content-Length: ${said}, but the file has ${expected.length.toLocaleString('en-US')} bytes.`
      : `${c.name}: ${what}: the body differs from the file (${r.body.length.toLocaleString('en-US')} bytes received, ${expected.length.toLocaleString('en-US')} expected).`,
    { hint, diff: byteDiff(expected, r.body) },
  );
}

/** The response must carry a Content-Length (judged after its status, by the tests about it). */
export function expectFramed(t: TestContext, c: TcpClient, what: string, r: HttpResponse): void {
  if (r.contentLength !== undefined) return;
  t.fail(
    `${c.name}: ${what}: the ${r.status} response has no Content-Length header${r.body.length ? ` (${r.body.length.toLocaleString('en-US')} bytes of body followed its headers)` : ''}.\nHeaders received: ${showReceived(r.head, 200)}`,
    { hint: HINT_LENGTH },
  );
}

/** Content-Length must equal the file's size (for HEAD, where no body shows it). */
export function expectLength(t: TestContext, c: TcpClient, what: string, r: HttpResponse, size: number, hint: string): void {
  const v = header(r, 'content-length');
  if (v !== undefined && Number(v) === size) return;
  t.fail(`${c.name}: ${what}: expected Content-Length: ${size}, got ${v === undefined ? 'no Content-Length' : `Content-Length: ${v}`}.`, { hint });
}

/** The bytes of a file the server was given (under the grade's copy of files/). */
export function fileBytes(t: TestContext, rel: string): Buffer {
  if (!t.files) throw new Error('the http-server assignment needs its files folder ("files" in assignment.json)');
  return fs.readFileSync(path.join(t.files, rel));
}

/** Send a request on `c` and read its response. */
export async function exchange(t: TestContext, c: TcpClient, req: RequestSpec | Buffer, opts: ReadOptions & { write?: WriteOptions } = {}): Promise<{ res: HttpResponse; what: string }> {
  const bytes = Buffer.isBuffer(req) ? req : buildRequest(t, req);
  const what = showRequest(bytes);
  await c.write(bytes, opts.write);
  const res = await readResponse(t, c, what, { ...opts, head: opts.head ?? (!Buffer.isBuffer(req) && req.method === 'HEAD') });
  return { res, what };
}

/** What to look at when a file that exists was answered with this status (a diagnosis of the answer). */
export function fileStatusHint(target: string, file: string, r: HttpResponse): string {
  const where = `${target} is the file www/${file}`;
  if (r.status === 404 || r.status === 403) {
    if (/%[0-9a-f]{2}/i.test(target.split('?')[0])) return `${where}: decode the %XX escapes of the path ("%20" is a space, "%68" is "h") before looking the file up.`;
    if (target.includes('?')) return `${where}: cut off the query ("?" and everything after it) before looking the file up.`;
    if (target.endsWith('/')) return `${where}: a folder is served as its index.html.`;
    return `${where}: join the path onto the document root (--root) and answer 200 with the file's bytes.`;
  }
  if (r.status === 400) return `${where}, and this request is well-formed: did your server parse only part of it, or take bytes of an earlier request for a new one?`;
  if (r.status === 405 || r.status === 501) return `${where}: GET and HEAD are the two methods a server must answer with the file.`;
  if (r.status >= 300 && r.status < 400) return `${where}: answer it directly with 200 (only a folder named without its slash may be redirected).`;
  return `${where}: answer 200 with its contents.`;
}

export interface FileCheck {
  /** What to look at when no response (or not all of it) comes: the test's own diagnosis. */
  hint?: string;
  /** What to look at when the body is wrong. */
  bodyHint?: string;
  /**
   * The test is about the connection (keep-alive, pipelining, concurrency), not about serving
   * this file: a wrong answer is first compared with the same request on a connection of its
   * own, and if that is wrong the same way, the file tests charge it and this test says so.
   */
  kept?: string;
}

/** Check a response to a GET or HEAD of a file that exists: status 200, Content-Length, the bytes. */
export async function expectFileResponse(t: TestContext, c: TcpClient, what: string, req: RequestSpec, res: HttpResponse, file: string, opts: FileCheck = {}): Promise<void> {
  const bytes = fileBytes(t, path.join('www', file));
  const head = req.method === 'HEAD';
  if (res.status === 200 && res.contentLength !== undefined && (head ? res.contentLength === bytes.length : res.body.equals(bytes))) return;
  let alone: HttpResponse | undefined;
  if (opts.kept) {
    const fresh = await t.connect();
    // Briefly: a server that serves one connection at a time does not answer it while c is open.
    alone = await exchange(t, fresh, req, { timeoutMs: 1000 }).then((x) => x.res, () => undefined);
    fresh.close();
    if (alone && alone.status === res.status && alone.contentLength === res.contentLength && alone.body.equals(res.body)) {
      t.log(`${c.name}: ${what}: answered "${statusLine(res)}"${res.contentLength === undefined ? ' without a Content-Length' : ''}, not the file; the same request on a connection of its own gets the same answer, so the tests of serving files charge it, not ${opts.kept}`);
      return;
    }
  }
  const aloneRight = alone ? ' (The same request on a connection of its own is answered right.)' : '';
  expectStatus(t, c, what, res, 200, opts.kept && opts.hint ? `${opts.hint}${aloneRight}` : fileStatusHint(req.target, file, res));
  expectFramed(t, c, what, res);
  if (head) expectLength(t, c, what, res, bytes.length, `HEAD gets the Content-Length GET would get (the file's size in bytes), and no body.${aloneRight}`);
  else expectBody(t, c, what, res, bytes, `${(opts.kept ? opts.hint : undefined) ?? opts.bodyHint ?? 'Send the file\'s bytes exactly as they are on disk (binary mode, no newline conversion, nothing added).'}${aloneRight}`);
}

/** GET a file on `c` and check status 200, the body byte for byte (and so Content-Length). */
export async function expectFile(t: TestContext, c: TcpClient, target: string, file: string, opts: FileCheck & { req?: Partial<RequestSpec>; timeoutMs?: number } = {}): Promise<HttpResponse> {
  const req: RequestSpec = { target, ...opts.req };
  const { res, what } = await exchange(t, c, req, { timeoutMs: opts.timeoutMs, hint: opts.hint });
  await expectFileResponse(t, c, what, req, res, file, opts);
  return res;
}
