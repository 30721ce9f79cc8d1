// What the RESP harness tells a student, against real servers on loopback that each make one
// classic mistake: every failure says what was sent, what came back (or that nothing did, or
// that the connection closed), what was expected, and a hint that names the likely cause, and
// every one passes the failure lint.
import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { TestContextImpl } from '../../grader/harness/context.js';
import { TestFailure } from '../../grader/harness/failure.js';
import { around, connectResp, showCommand, showValue } from '../../grader/harness/resp.js';
import { resp } from '../../grader/net/resp.js';
import type { TestResult } from '../../grader/results/schema.js';
import { lintFailure } from '../../grader/validate/failure-lint.js';

type Handler = (sock: net.Socket, index: number) => void;
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
const contexts: TestContextImpl[] = [];

afterEach(async () => {
  for (const t of contexts.splice(0)) t.closeAll();
  // Server-side sockets that never read would keep their server open.
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server whose `index`-th connection is handled by `handler`, and a test context aimed at it. */
async function serve(handler: Handler): Promise<TestContextImpl> {
  let n = 0;
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    sockets.push(sock);
    handler(sock, n++);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const t = new TestContextImpl({
    testId: 'unit',
    seed: 'seed',
    deadlineAt: performance.now() + 20_000,
    signal: new AbortController().signal,
    server: { target: { host: '127.0.0.1', port }, program: { startNumber: 1, running: true, pid: 1 } },
  });
  contexts.push(t);
  return t;
}

/** Answer each complete line-ish command chunk with `reply(chunkIndex)` (tests send one command at a time). */
const answer = (reply: (i: number, sock: net.Socket) => string | Buffer | undefined): Handler => (sock) => {
  let i = 0;
  sock.on('data', () => {
    const r = reply(i++, sock);
    if (r !== undefined) sock.write(r);
  });
};

async function failure(p: Promise<unknown>): Promise<TestFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TestFailure) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

/** The failure as the report would hold it, for the lint. */
function asResult(f: TestFailure): TestResult {
  return {
    id: 'unit', title: 'unit', group: 'g', status: f.timeout ? 'timeout' : 'failed', pointsEarned: 0, pointsPossible: 1, durationMs: 1,
    message: f.message, ...(f.hint ? { hint: f.hint } : {}), ...(f.diff ? { diff: f.diff } : {}), transcript: [], transcriptDropped: 0, log: [], figures: [], visibility: 'visible',
  };
}

describe('RESP failures, as a student reads them', () => {
  test('a server that hangs up after one reply: the message counts the replies, the hint names the early close', async () => {
    const t = await serve((sock) => sock.once('data', () => sock.end('+PONG\r\n')));
    const c = await connectResp(t);
    await c.expect(['PING'], resp.simple('PONG'));
    const f = await failure(c.expect(['ECHO', 'hi'], resp.bulk('hi'), { hint: 'ECHO returns its argument.' }));
    expect(f.message).toBe('c1: sent ECHO "hi"; expected bulk string "hi"; the server closed the connection without replying (after 1 reply on this connection).');
    expect(f.hint).toMatch(/hung up after answering 1 command on this connection.*a connection carries many commands/);
    expect(lintFailure(asResult(f))).toEqual([]);
  });

  test('a server that closes before any reply: the test\'s own hint is kept (it knows this command)', async () => {
    const t = await serve((sock) => sock.on('data', () => sock.end()));
    const c = await connectResp(t);
    const f = await failure(c.expect(['NOSUCHCOMMAND'], 'error', { hint: 'Answer an unknown command with an error reply.' }));
    expect(f.message).toMatch(/^c1: sent NOSUCHCOMMAND; expected an error reply \("-ERR \.\.\."\); the server closed the connection without replying\.$/);
    expect(f.hint).toBe('Answer an unknown command with an error reply.');
  });

  test('a server that serves one client at a time: the second client\'s silence is blamed on that, not on parsing', async () => {
    const t = await serve((sock, i) => {
      if (i === 0) sock.on('data', () => sock.write('+PONG\r\n'));
      // Any later connection is accepted and never read, as a blocking accept loop would.
    });
    const c1 = await connectResp(t);
    await c1.expect(['PING'], resp.simple('PONG'));
    const c2 = await connectResp(t);
    const f = await failure(c2.expect(['PING'], resp.simple('PONG'), { timeoutMs: 300 }));
    expect(f.timeout).toBe(true);
    expect(f.message).toBe('c2: sent PING; expected simple string "PONG"; received nothing within 300 ms.');
    expect(f.hint).toMatch(/answered c1 but never c2, while c1 was still open: it seems to serve one client at a time/);
    expect(lintFailure(asResult(f))).toEqual([]);
  });

  test('a lone client that gets nothing is told about parsing, not about other clients', async () => {
    const t = await serve(() => undefined);
    const c = await connectResp(t);
    const f = await failure(c.expect(['PING'], resp.simple('PONG'), { timeoutMs: 200 }));
    expect(f.hint).toMatch(/did not answer.*parse the whole command/);
  });

  test('"\\n" alone: the bytes that came back are shown around the bad one, the hint names "\\r\\n"', async () => {
    const t = await serve(answer(() => '$11\nhello world\n'));
    const c = await connectResp(t);
    const f = await failure(c.expect(['ECHO', 'hello world'], resp.bulk('hello world')));
    expect(f.message).toBe('c1: sent ECHO "hello world"; expected bulk string "hello world"; received "$11\\nhello w"…, not valid RESP: "\\n" without "\\r" before it at byte 3.');
    expect(f.hint).toMatch(/End every line of a reply with "\\r\\n"/);
    expect(f.diff).toMatchObject({ expected: '$11\\r\\nhello world\\r\\n', received: '$11\\nhello world\\n' });
    expect(lintFailure(asResult(f))).toEqual([]);
  });

  test('a bulk value sent as a simple string breaks on its own newline: the hint says bulk, not line endings', async () => {
    const t = await serve(answer(() => '+line one\nline two\r\n'));
    const c = await connectResp(t);
    const f = await failure(c.expect(['ECHO', 'line one\nline two'], resp.bulk('line one\nline two')));
    expect(f.hint).toMatch(/^Values are sent back as bulk strings/);
  });

  test('an error where none was due: its text is said once, and the hint adds the test\'s advice', async () => {
    const t = await serve(answer(() => "-ERR unknown command 'ping'\r\n"));
    const c = await connectResp(t);
    const f = await failure(c.expect(['ping'], resp.simple('PONG'), { hint: 'Command names are case-insensitive.' }));
    expect(f.message).toBe(`c1: sent ping; expected simple string "PONG"; received error "ERR unknown command 'ping'".`);
    expect(f.hint).toBe('Your server answered with an error where none was due. Command names are case-insensitive.');
  });

  test('a reply where an error is due: the test\'s reason beats the generic advice', async () => {
    const t = await serve(answer(() => '+OK\r\n'));
    const c = await connectResp(t);
    const hint = 'Invalid SET options get an error reply, and the key is not set.';
    const f = await failure(c.expect(['SET', 'k', 'v', 'EX', '0'], 'error', { hint }));
    expect(f.message).toBe('c1: sent SET "k" "v" "EX" "0"; expected an error reply ("-ERR ..."); received simple string "OK".');
    expect(f.hint).toBe(hint);
    const g = await failure(c.expect(['GET', 'a', 'b'], 'error'));
    expect(g.hint).toMatch(/^Answer this with an error reply/);
  });

  test('a reply written twice: said as such, without the bytes twice over', async () => {
    const t = await serve(answer(() => '+PONG\r\n+PONG\r\n'));
    const c = await connectResp(t);
    const f = await failure(c.expect(['PING'], resp.simple('PONG')));
    expect(f.message).toBe('c1: sent PING; the reply "+PONG\\r\\n" was right, but the same 7 bytes came again.');
    expect(f.hint).toMatch(/same reply came twice/);
  });

  test('a 512 KiB value that comes back changed: one short line, sizes in words, bytes in the diff', async () => {
    const value = Buffer.alloc(512 * 1024, 0xff);
    const changed = Buffer.from(value.toString('utf8')); // 0xff -> U+FFFD, three bytes each
    const t = await serve((sock) => {
      let got = 0;
      sock.on('data', (d) => {
        got += d.length;
        if (got >= value.length) sock.write(Buffer.concat([Buffer.from(`$${changed.length}\r\n`), changed, Buffer.from('\r\n')]));
      });
    });
    const c = await connectResp(t);
    const f = await failure(c.expect(['SET', 'k', value], resp.bulk(value), { timeoutMs: 5000 }));
    expect(f.message).toBe('c1: sent SET "k" "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"…(524,288 bytes); expected bulk string of 524,288 bytes; received bulk string of 1,572,864 bytes.');
    expect(f.hint).toMatch(/1,572,864 bytes instead of 524,288 bytes\. Is it stored as text\?/);
    expect(f.diff?.caret).toBeGreaterThan(0);
    expect(lintFailure(asResult(f))).toEqual([]);
  });
});

test('replies and commands in words', () => {
  expect(showValue(resp.nil())).toBe('nil "$-1\\r\\n"');
  expect(showValue(resp.bulk(''))).toBe('an empty bulk string "$0\\r\\n\\r\\n"');
  expect(showValue(resp.integer(3))).toBe('integer 3');
  expect(showValue(resp.bulk(Buffer.alloc(100)))).toBe('bulk string of 100 bytes');
  expect(showCommand(['GET', "a key with spaces"])).toBe('GET "a key with spaces"');
  expect(showCommand(['SET', 'k', Buffer.alloc(1000, 1)])).toBe('SET "k" "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01"…(1,000 bytes)');
  // Text is shown longer than binary before it is cut.
  expect(showCommand(['ECHO', 'x'.repeat(100)])).toBe(`ECHO "${'x'.repeat(40)}"…(100 bytes)`);
});

describe('around: the bytes around a bad one', () => {
  test('binary bytes are quoted in a bounded width, whatever their values', () => {
    for (let seed = 0; seed < 50; seed++) {
      const raw = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 7919 + seed * 104729) % 256));
      const shown = around(raw, 100);
      expect(shown.replaceAll('…', '').length).toBeLessThanOrEqual(48);
      expect(shown.startsWith('…') && shown.endsWith('…')).toBe(true);
    }
  });
  test('text keeps the full window: 16 bytes before the bad one, 8 after', () => {
    const raw = Buffer.from('+OK\r\n+OK\r\n+OK\r\n+PONG\nmore text here');
    expect(around(raw, 20)).toBe('…"\\n+OK\\r\\n+OK\\r\\n+PONG\\nmore te"…');
  });
});
