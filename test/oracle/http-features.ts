// The http-server oracle's features: for each test of assignments/http-server that the oracle can
// judge, random request sequences (seeded, fast-check) over what the handout says that test
// checks, sampled wider than the test's own fixed cases. The reference solution
// (solutions/http-server/python) answers them first; a program must fail the test exactly when
// it answers some script of the feature differently. Each feature varies its own subject and
// keeps the rest to the most basic form (plain ASCII file names, one request per connection
// outside the connection features), and each read shows only what its feature judges, in the
// classes the contract allows: any reason phrase; 400, 403 or 404 for a path that leaves the
// root; "/docs" served as its index or redirected to "/docs/"; Content-Type without parameters
// (text/javascript and application/javascript one class); a body as the file it is.
//
// | test id                | the feature's scripts                                                               |
// | ---------------------- | ----------------------------------------------------------------------------------- |
// | index                  | GET / or /index.html with random extra headers: status, Content-Length, body          |
// | text-files             | 1-4 GETs of the text files, some HTTP/1.1 without Host: status, Content-Length, body  |
// | binary-file            | GET of data.bin, pixel.png or photo.jpg: status, Content-Length, body                 |
// | content-type           | GET of 1-8 files (every extension): status and Content-Type's media type              |
// | directories            | /docs/ and /docs (its index or a redirect to /docs/), with random headers             |
// | percent-decoding       | names with random %XX (either case, %2F too) and random query strings: status, body   |
// | not-found              | 1-4 missing paths (names, folders, a file used as a folder, %XX): status, a length    |
// | head                   | HEAD of a file or a missing one: status, Content-Length, the Content-Type GET gives;  |
// |                        | then a GET on the same connection (nothing after HEAD's head; a close is allowed)    |
// | method-not-allowed     | 1-5 other methods (the handout's and random tokens), with or without a body:         |
// |                        | status, Allow naming GET and HEAD, a Content-Length                                 |
// | bad-request            | 1-3 malformed requests (the handout's kinds, randomised): 400 with a length, then a  |
// |                        | close; a new client still answered                                                  |
// | path-traversal         | 1-6 ways out of the root (dot segments, %2e%2e, %2F, absolute paths, queries):       |
// |                        | refused (400/403/404) and nothing of secret.txt; a new client still answered         |
// | keep-alive             | 2-10 GETs in turn on one connection, maybe a quiet second: each right, none closing  |
// | pipelining             | 2-20 GETs and HEADs in one write, then one more GET: each right, in order            |
// | split-request          | 1-3 GETs cut at random places or a byte per write: each right                         |
// | connection-close       | Connection: close (random case) or HTTP/1.0: the right file, then the close           |
// | errors-keep-connection | 404s and 405s (bodies too) among GETs on one connection: every request answered,    |
// |                        | no error says Connection: close, each GET right                                      |
//
// Not judged by the oracle (no scripts), and why: many-clients, slow-request and slow-reader
// judge concurrency (50 clients at once, a half request or a client that does not read holding
// up the others): what a program does there depends on scheduling and kernel buffer sizes, not
// on answers a script can compare in order; fetch judges a real client (undici) with two
// connections in use at once, whose request order the oracle does not control.
import fc from 'fast-check';
import { header, media, saysClose, type Resp, type Script, type Step, type View } from './http-script.js';

export interface Feature {
  test: string;
  runs: number;
  scripts(seed: number, ctx: { secretPath: string }): Script[];
}

function feature<T>(test: string, runs: number, arb: fc.Arbitrary<T>, build: (x: T, ctx: { secretPath: string }) => Step[] | Omit<Script, 'feature'>): Feature {
  return {
    test,
    runs,
    scripts: (seed, ctx) =>
      fc.sample(arb, { seed, numRuns: runs }).map((x) => {
        const out = build(x, ctx);
        return Array.isArray(out) ? { feature: test, steps: out } : { feature: test, ...out };
      }),
  };
}

export interface Req {
  method?: string;
  target: string;
  version?: string;
  headers?: Array<[string, string]>;
  body?: string;
  noHost?: boolean;
}

export function request(r: Req): Buffer {
  const version = r.version ?? 'HTTP/1.1';
  const headers = [...(r.headers ?? [])];
  if (version === 'HTTP/1.1' && !r.noHost) headers.unshift(['Host', '127.0.0.1']);
  if (r.body !== undefined) headers.push(['Content-Length', String(Buffer.byteLength(r.body))]);
  return Buffer.from(`${r.method ?? 'GET'} ${r.target} ${version}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${r.body ?? ''}`, 'latin1');
}

const showReq = (r: Req) => `${r.method ?? 'GET'} ${r.target}${r.version === 'HTTP/1.0' ? ' HTTP/1.0' : ''}`;

// Views: what a read shows, per feature.
const full: View = (r, x) => `${r.status} length=${r.length ?? 'none'} ${x.bodyName(r.body)}`;
const headView: View = (r) => `${r.status} length=${r.length ?? 'none'}`;
const statusOnly: View = (r) => `${r.status}`;
const lengthClass = (r: Resp) => `${r.status} ${r.length === undefined ? 'no Content-Length' : 'Content-Length'}`;
const withLength: View = (r) => lengthClass(r);

/** Plain-named files, each its own kind of content. */
const TEXT = ['hello.txt', 'style.css', 'data.json', 'docs/page.html', 'app.js'];
const ASCII = ['index.html', 'hello.txt', 'style.css', 'app.js', 'docs/page.html', 'docs/index.html'];
const ALL = ['index.html', 'hello.txt', 'style.css', 'app.js', 'data.json', 'pixel.png', 'photo.jpg', 'data.bin', 'docs/page.html', 'docs/index.html'];
const BINARY = ['data.bin', 'pixel.png', 'photo.jpg'];

/** Headers real clients send, which a server must ignore. */
const extraHeaders = fc.subarray(
  [
    ['User-Agent', 'curl/7.88.1'],
    ['Accept', '*/*'],
    ['Accept-Encoding', 'gzip, deflate, br'],
    ['accept-language', 'en-US,en;q=0.5'],
    ['X-Forwarded-For', '127.0.0.1'],
    ['Cache-Control', 'no-cache'],
    ['Cookie', 'a=b; c=d'],
  ] as Array<[string, string]>,
  { maxLength: 4 },
);

/**
 * A request on a connection of its own, its response read with `view`, then FIN and nothing more
 * may come; closed before the next one opens (as the tests do: serving one connection at a time
 * is judged by the concurrency tests, not by every test that opens a second connection).
 */
function alone(c: number, r: Req, view: View, opts: { timeoutMs?: number; keep?: boolean } = {}): Step[] {
  const what = showReq(r);
  return [
    { op: 'open', c },
    { op: 'write', c, bytes: request(r), what },
    { op: 'read', c, what, view, head: r.method === 'HEAD', ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) },
    ...(opts.keep ? [] : [{ op: 'done', c } as Step]),
  ];
}

/** Percent-encode some characters of a path (either hex case), from a mask. */
function encode(p: string, mask: number[], slash: boolean): string {
  return [...p]
    .map((ch, i) => {
      const k = mask[i % mask.length];
      if (ch === '/') return slash && k === 3 ? '%2F' : ch;
      if (ch === ' ' || k === 1) return `%${ch.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`;
      if (k === 2) return `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
      return ch;
    })
    .join('')
    .replace(/^%2[fF]/, '/');
}

const query = fc.oneof(fc.constant(''), fc.constant('?'), fc.stringMatching(/^\?[a-z0-9=&%]{1,12}$/).filter((q) => !/%(?![0-9a-fA-F]{2})/.test(q)), fc.constant('?version=2&x=%20'));
const missingName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/).filter((n) => !['index', 'hello', 'style', 'app', 'data', 'pixel', 'photo', 'docs'].includes(n));
const otherMethod = fc.oneof(fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT'), fc.stringMatching(/^[A-Z]{3,8}$/).filter((m) => m !== 'GET' && m !== 'HEAD'));

export const FEATURES: Feature[] = [
  feature('index', 2, fc.tuple(fc.boolean(), extraHeaders, extraHeaders), ([rootFirst, h1, h2]) => {
    const targets = rootFirst ? ['/', '/index.html'] : ['/index.html', '/'];
    return [...alone(0, { target: targets[0], headers: h1 }, full), ...alone(1, { target: targets[1], headers: h2 }, full)];
  }),

  feature('text-files', 3, fc.array(fc.tuple(fc.constantFrom(...TEXT), fc.boolean(), extraHeaders), { minLength: 1, maxLength: 4 }), (gets) =>
    gets.flatMap(([f, noHost, headers], i) => alone(i, { target: `/${f}`, noHost, headers }, full)),
  ),

  feature('binary-file', 2, fc.array(fc.constantFrom(...BINARY), { minLength: 1, maxLength: 2 }), (files) => files.flatMap((f, i) => alone(i, { target: `/${f}` }, full, { timeoutMs: 4000 }))),

  feature('content-type', 2, fc.shuffledSubarray(ALL, { minLength: 1 }), (files) =>
    files.flatMap((f, i) => alone(i, { target: `/${f}` }, (r) => `${r.status} ${r.status === 200 ? media(r) : ''}`, { timeoutMs: 4000 })),
  ),

  feature('directories', 3, fc.array(fc.tuple(fc.constantFrom('/docs/', '/docs'), extraHeaders), { minLength: 1, maxLength: 3 }), (asks) =>
    asks.flatMap(([target, headers], i) =>
      alone(i, { target, headers }, (r, x) => {
        // "/docs": its index, or a redirect to "/docs/" (the handout allows either).
        const loc = (header(r, 'location') ?? '').replace(/^https?:\/\/[^/]*/i, '');
        if (target === '/docs' && ((r.status === 200 && x.bodyName(r.body) === 'file docs/index.html') || ([301, 302, 307, 308].includes(r.status) && loc === '/docs/'))) return 'its index or a redirect to /docs/';
        return full(r, x);
      }),
    ),
  ),

  feature(
    'percent-decoding',
    3,
    fc.array(fc.tuple(fc.constantFrom(...ALL.filter((f) => !BINARY.includes(f)), 'hello world.txt'), fc.array(fc.nat(5), { minLength: 1, maxLength: 9 }), fc.boolean(), query), { minLength: 1, maxLength: 4 }),
    (asks) => asks.flatMap(([f, mask, slash, q], i) => alone(i, { target: encode(`/${f}`, mask, slash) + q }, full)),
  ),

  feature(
    'not-found',
    3,
    fc.array(
      fc.oneof(
        missingName.map((n) => `/${n}.html`),
        missingName.map((n) => `/docs/${n}.txt`),
        fc.tuple(missingName, missingName).map(([a, b]) => `/${a}/${b}/`),
        missingName.map((n) => `/hello.txt/${n}`),
        missingName.map((n) => `/%${n.charCodeAt(0).toString(16)}${n.slice(1)}.css`),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    (targets) => targets.flatMap((target, i) => alone(i, { target }, withLength)),
  ),

  feature('head', 3, fc.array(fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...ALL.filter((f) => !f.endsWith('index.html'))), weight: 4 }, { arbitrary: missingName.map((n) => `${n}.txt`), weight: 1 }), extraHeaders), { minLength: 1, maxLength: 4 }), (heads) => ({
    steps: heads.flatMap(([f, headers], i): Step[] => {
      const target = `/${f}`;
      const [c0, c1] = [2 * i, 2 * i + 1];
      return [
        { op: 'open', c: c0 },
        { op: 'write', c: c0, bytes: request({ method: 'HEAD', target, headers }), what: `HEAD ${target}` },
        {
          op: 'read',
          c: c0,
          what: `HEAD ${target}`,
          head: true,
          // A 404's length is not-found's to judge; HEAD's Content-Type must be the one GET gives.
          view: (r, x) => (x.memo.set('type', media(r)), r.status === 200 ? headView(r, x) : statusOnly(r, x)),
        },
        // Nothing after HEAD's head: the next bytes are the next response (or the connection's end).
        { op: 'write', c: c0, bytes: request({ target: '/hello.txt' }), what: 'GET /hello.txt after the HEAD' },
        { op: 'read', c: c0, what: 'GET /hello.txt after the HEAD', closedIs: 'right, or a close', view: (r, x) => (r.status === 200 && x.bodyName(r.body) === 'file hello.txt' ? 'right, or a close' : full(r, x)) },
        { op: 'close', c: c0 },
        { op: 'open', c: c1 },
        { op: 'write', c: c1, bytes: request({ target }), what: `GET ${target}` },
        { op: 'read', c: c1, what: `GET ${target} (its Content-Type)`, timeoutMs: 4000, view: (r, x) => (r.status === 200 ? (media(r) === x.memo.get('type') ? 'the same Content-Type as HEAD' : 'another Content-Type than HEAD') : 'not a file') },
        { op: 'close', c: c1 },
      ];
    }),
  })),

  feature(
    'method-not-allowed',
    3,
    fc.array(fc.tuple(otherMethod, fc.constantFrom('/hello.txt', '/index.html', '/', '/new.txt', '/docs/'), fc.option(fc.stringMatching(/^[a-z=&\n ]{0,20}$/), { nil: undefined })), { minLength: 1, maxLength: 5 }),
    (reqs) =>
      reqs.flatMap(([method, target, body], i) =>
        alone(i, { method, target, body }, (r) => {
          const allow = (header(r, 'allow') ?? '').split(',').map((m) => m.trim().toUpperCase());
          return `${lengthClass(r)} ${allow.includes('GET') && allow.includes('HEAD') ? 'Allow: GET, HEAD' : 'no Allow: GET, HEAD'}`;
        }),
      ),
  ),

  feature(
    'bad-request',
    3,
    fc.array(
      fc.oneof(
        // The request line is not three parts.
        fc.stringMatching(/^[A-Z]{1,8}$/).map((w) => `${w}\r\n\r\n`),
        fc.tuple(fc.constantFrom('GET', 'HEAD'), fc.stringMatching(/^[a-z]{1,6}$/)).map(([m, x]) => `${m} /index.html HTTP/1.1 ${x}\r\nHost: x\r\n\r\n`),
        fc.constantFrom('GET /index.html\r\n\r\n', 'GET\r\nHost: x\r\n\r\n'),
        // A third part that is not an HTTP version.
        fc.constantFrom('HTTX/1.1', 'HTTP1.1', 'FOO', 'http', 'HTTP/').map((v) => `GET /index.html ${v}\r\nHost: x\r\n\r\n`),
        // A header line without a colon.
        fc.stringMatching(/^[a-zA-Z][a-zA-Z ]{0,15}$/).map((h) => `GET /index.html HTTP/1.1\r\nHost: x\r\n${h}\r\n\r\n`),
        // Bytes that are not text at all (no spaces, so never three parts).
        fc.uint8Array({ minLength: 1, maxLength: 16 }).map((b) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), Buffer.from([...b].map((x) => (x === 0x20 || x === 0x0a || x === 0x0d ? 0xff : x)))]).toString('latin1') + '\r\n\r\n'),
      ),
      { minLength: 1, maxLength: 3 },
    ),
    (bad) => ({
      noEndCheck: bad.map((_, i) => i),
      steps: [
        ...bad.flatMap((b, i): Step[] => {
          const what = JSON.stringify(b.slice(0, 30));
          return [
            { op: 'open', c: i },
            { op: 'write', c: i, bytes: Buffer.from(b, 'latin1'), what },
            { op: 'read', c: i, what, view: withLength },
            { op: 'closes', c: i, what: `after the 400 to ${what}` },
            { op: 'close', c: i },
          ];
        }),
        { op: 'alive', what: 'after the malformed requests' },
      ],
    }),
  ),

  feature(
    'path-traversal',
    3,
    fc.array(
      fc.tuple(
        fc.constantFrom('/../', '/docs/../../', '/%2e%2e/', '/%2E%2E%2F', '/docs/..%2f..%2f', '/./../', '/docs/./../../', '/../../../', '/docs/%2e%2e/%2e%2e/', 'ABS', 'ABS-ENCODED'),
        fc.constantFrom('secret.txt', 'www/../secret.txt', 'nothing-here.txt'),
        query,
      ),
      { minLength: 1, maxLength: 6 },
    ),
    (tries, { secretPath }) => ({
      steps: [
        ...tries.flatMap(([how, file, q], i) => {
          const outside = file === 'secret.txt' ? secretPath : secretPath.replace(/secret\.txt$/, file);
          const target = how === 'ABS' ? outside : how === 'ABS-ENCODED' ? '/' + outside.split('/').map(encodeURIComponent).join('%2F') : how + file;
          return alone(i, { target: target + q }, (r, x) => (x.bodyName(r.body) === 'SECRET' ? `${r.status} with secret.txt` : [400, 403, 404].includes(r.status) ? '400, 403 or 404' : `${r.status} ${x.bodyName(r.body)}`));
        }),
        { op: 'alive', what: 'after the attempts to leave the root' },
      ],
    }),
  ),

  feature('keep-alive', 3, fc.tuple(fc.array(fc.constantFrom(...ASCII), { minLength: 2, maxLength: 10 }), fc.option(fc.nat(9), { nil: undefined })), ([files, pauseAt]) => {
    const steps: Step[] = [{ op: 'open', c: 0 }];
    files.forEach((f, i) => {
      // A quiet second on the kept connection, as between a browser's clicks.
      if (i === pauseAt && i > 0) steps.push({ op: 'pause', ms: 1000 });
      const last = i === files.length - 1;
      steps.push({ op: 'write', c: 0, bytes: request({ target: `/${f}` }), what: `#${i + 1} GET /${f}` }, { op: 'read', c: 0, what: `#${i + 1} GET /${f}`, view: (r, x) => `${full(r, x)}${!last && saysClose(r) ? ' Connection: close' : ''}` });
    });
    return steps;
  }),

  feature('pipelining', 3, fc.array(fc.tuple(fc.constantFrom(...ASCII), fc.boolean(), extraHeaders), { minLength: 2, maxLength: 20 }), (reqs) => {
    const rs: Req[] = reqs.map(([f, isHead, headers]) => ({ method: isHead ? 'HEAD' : 'GET', target: `/${f}`, headers }));
    return [
      { op: 'open', c: 0 },
      { op: 'write', c: 0, bytes: Buffer.concat(rs.map(request)), what: `${rs.length} requests in one write` },
      ...rs.map((r, i): Step => ({ op: 'read', c: 0, what: `#${i + 1} ${showReq(r)}`, head: r.method === 'HEAD', view: r.method === 'HEAD' ? headView : full, timeoutMs: 3000 })),
      { op: 'write', c: 0, bytes: request({ target: '/docs/index.html' }), what: 'GET /docs/index.html after them' },
      { op: 'read', c: 0, what: 'GET /docs/index.html after them', view: full },
    ];
  }),

  feature(
    'split-request',
    3,
    fc.array(fc.tuple(fc.constantFrom(...ASCII), extraHeaders, fc.oneof(fc.constant('bytes' as const), fc.array(fc.nat(200), { minLength: 1, maxLength: 6 }))), { minLength: 1, maxLength: 3 }),
    (reqs) =>
      reqs.flatMap(([f, headers, cuts], i): Step[] => {
        const r: Req = { target: `/${f}`, headers };
        const bytes = request(r);
        const what = `${showReq(r)} in ${cuts === 'bytes' ? 'one byte per write' : `pieces cut at ${cuts.map((c) => 1 + (c % (bytes.length - 1))).join(',')}`}`;
        return [
          { op: 'open', c: i },
          { op: 'write', c: i, bytes, what, cuts: cuts === 'bytes' ? 'bytes' : cuts.map((c) => 1 + (c % (bytes.length - 1))), pauseMs: cuts === 'bytes' ? 1 : 5 },
          { op: 'read', c: i, what, view: full },
          { op: 'done', c: i },
        ];
      }),
  ),

  feature(
    'connection-close',
    3,
    fc.array(fc.tuple(fc.constantFrom(...ASCII), fc.oneof(fc.tuple(fc.constantFrom('Connection', 'connection', 'CONNECTION'), fc.constantFrom('close', 'Close', 'CLOSE')), fc.constant('HTTP/1.0' as const))), { minLength: 1, maxLength: 3 }),
    (reqs) => ({
      noEndCheck: reqs.map((_, i) => i),
      steps: reqs.flatMap(([f, how], i): Step[] => {
        const r: Req = how === 'HTTP/1.0' ? { target: `/${f}`, version: 'HTTP/1.0' } : { target: `/${f}`, headers: [[how[0], how[1]]] };
        const what = `${showReq(r)}${how === 'HTTP/1.0' ? '' : ` with ${how[0]}: ${how[1]}`}`;
        return [...alone(i, r, full, { keep: true }), { op: 'closes', c: i, what: `after ${what}` }, { op: 'close', c: i }];
      }),
    }),
  ),

  feature(
    'errors-keep-connection',
    3,
    fc.array(
      fc.oneof(
        fc.constantFrom(...ASCII).map((f): [Req, 'file'] => [{ target: `/${f}` }, 'file']),
        missingName.map((n): [Req, 'error'] => [{ target: `/${n}.html` }, 'error']),
        fc.tuple(otherMethod, fc.option(fc.constantFrom('x', 'name=value', 'GET /secret HTTP/1.1\r\n\r\n'), { nil: undefined })).map(([method, body]): [Req, 'error'] => [{ method, target: '/hello.txt', body }, 'error']),
      ),
      { minLength: 2, maxLength: 8 },
    ),
    (reqs) => [
      { op: 'open', c: 0 },
      ...reqs.flatMap(([r, kind], i): Step[] => [
        { op: 'write', c: 0, bytes: request(r), what: `#${i + 1} ${showReq(r)}` },
        {
          op: 'read',
          c: 0,
          what: `#${i + 1} ${showReq(r)}`,
          // An error's status and length are not-found's and method-not-allowed's to judge: here,
          // that it is answered and the connection carries on.
          view: kind === 'file' ? full : (x) => `answered${saysClose(x) ? ', Connection: close' : ''}`,
        },
      ]),
    ],
  ),
];

export const NOT_JUDGED: Record<string, string> = {
  'many-clients': 'concurrency: 50 clients at once',
  'slow-request': 'concurrency: a half request must not hold up the others',
  'slow-reader': 'a client that does not read (kernel buffer sizes, scheduling)',
  fetch: 'a real client with two connections in use at once, in an order the oracle does not control',
};
