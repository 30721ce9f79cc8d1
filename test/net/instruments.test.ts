import net from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { chunk } from '../../grader/net/chunking.js';
import { parseReply } from '../../grader/net/resp.js';
import { TcpClient } from '../../grader/net/tcp-client.js';
import { Transcript } from '../../grader/net/transcript.js';
import { byteDiff } from '../../grader/harness/diff.js';
import { seededRandom } from '../../grader/harness/random.js';
import { HeadTail } from '../../grader/run/output.js';

describe('chunking', () => {
  const data = Buffer.from('*1\r\n$4\r\nPING\r\n');
  test('every mode preserves the bytes and cuts where asked', () => {
    expect(chunk(data, { mode: 'whole' })).toEqual([data]);
    expect(chunk(data, { mode: 'bytes' })).toHaveLength(data.length);
    expect(chunk(data, { mode: 'at', offsets: [3, 0, 99, 3] }).map((p) => p.toString())).toEqual(['*1\r', '\n$4\r\nPING\r\n']);
    const random = chunk(data, { mode: 'random', random: seededRandom('s'), maxPiece: 4 });
    expect(Buffer.concat(random)).toEqual(data);
    expect(random.every((p) => p.length >= 1 && p.length <= 4)).toBe(true);
  });
  test('random splits replay from the seed', () => {
    const cut = (seed: string) => chunk(data, { mode: 'random', random: seededRandom(seed) }).map((p) => p.length);
    expect(cut('a')).toEqual(cut('a'));
  });
});

describe('byte diff', () => {
  test('puts the caret at the first differing escaped character', () => {
    const d = byteDiff(Buffer.from('$-1\r\n'), Buffer.from('$0\r\n\r\n'));
    expect(d).toEqual({ expected: '$-1\\r\\n', received: '$0\\r\\n\\r\\n', caret: 1 });
    const e = byteDiff(Buffer.from('+OK\r\n'), Buffer.from('+OK\n'));
    expect(e.expected.slice(0, e.caret)).toBe('+OK');
    expect(e.received.slice(e.caret)).toBe('\\n');
  });
  test('windows a long value around the difference', () => {
    const a = Buffer.alloc(10_000, 0x61);
    const bb = Buffer.from(a);
    bb[5000] = 0x62;
    const d = byteDiff(a, bb);
    expect(d.expected.length).toBeLessThan(200);
    expect(d.received[d.caret]).toBe('b');
    expect(d.expected[d.caret]).toBe('a');
  });
});

describe('head+tail capture', () => {
  test('keeps the head and the tail within caps and counts what it dropped', () => {
    const h = new HeadTail(10, 10);
    for (let i = 0; i < 100; i++) h.push(Buffer.from(`${i % 10}`));
    const s = h.snapshot();
    expect(s).toEqual({ head: '0123456789', tail: '0123456789', droppedBytes: 80, totalBytes: 100 });
  });
});

describe('transcript', () => {
  test('merges consecutive chunks, and caps entries by dropping from the middle', () => {
    const tr = new Transcript({ maxEntries: 6, maxBytesPerEntry: 4 });
    tr.bytes('c1', 'send', Buffer.from('ab'));
    tr.bytes('c1', 'send', Buffer.from('cdef'));
    expect(tr.entries()).toHaveLength(1);
    expect(tr.entries()[0]).toMatchObject({ size: 6, data: Buffer.from('abcd').toString('base64') });
    for (let i = 0; i < 20; i++) tr.event('c1', 'note', `n${i}`);
    const list = tr.entries();
    expect(list).toHaveLength(6);
    // The first entries (how it started) and the latest (where it ended) are kept.
    expect(list.map((e) => e.text ?? 'bytes')).toEqual(['bytes', 'n0', 'n1', 'n17', 'n18', 'n19']);
    expect(tr.dropped).toBe(21 - 6);
  });
});

describe('TCP client against a real server', () => {
  let server: net.Server | undefined;
  afterEach(() => server?.close());

  async function listen(onConn: (s: net.Socket) => void): Promise<number> {
    server = net.createServer(onConn);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server!.address() as net.AddressInfo).port;
  }

  test('reads a reply that arrives in pieces, and records both directions', async () => {
    const port = await listen((s) => s.once('data', () => {
      s.write('+PO');
      setImmediate(() => s.write('NG\r\n'));
    }));
    const tr = new Transcript();
    const c = await TcpClient.connect({ host: '127.0.0.1', port, name: 'c1', transcript: tr });
    await c.write('*1\r\n$4\r\nPING\r\n', { chunking: { mode: 'bytes' } });
    const out = await c.read(parseReply, 2000);
    expect(out).toMatchObject({ status: 'complete', value: { type: 'simple', value: 'PONG' } });
    const kinds = tr.entries().map((e) => e.kind);
    expect(kinds).toEqual(['connect', 'send', 'recv']);
    c.close();
  });

  test('tells a timeout with partial bytes from a close and from a reset', async () => {
    const port = await listen((s) => s.once('data', (d) => {
      if (d.toString() === 'partial') s.write('+PON');
      if (d.toString() === 'close') s.end('+PO');
      if (d.toString() === 'reset') s.resetAndDestroy();
    }));
    const tr = new Transcript();
    const one = await TcpClient.connect({ host: '127.0.0.1', port, name: 'c1', transcript: tr });
    await one.write('partial');
    expect(await one.read(parseReply, 150)).toMatchObject({ status: 'timeout', raw: Buffer.from('+PON') });
    const two = await TcpClient.connect({ host: '127.0.0.1', port, name: 'c2', transcript: tr });
    await two.write('close');
    expect(await two.read(parseReply, 2000)).toMatchObject({ status: 'closed', reset: false, raw: Buffer.from('+PO') });
    const three = await TcpClient.connect({ host: '127.0.0.1', port, name: 'c3', transcript: tr });
    await three.write('reset');
    expect(await three.read(parseReply, 2000)).toMatchObject({ status: 'closed', reset: true });
    for (const c of [one, two, three]) c.close();
  });

  test('resetting a connection the server already closed neither throws nor hangs the process', async () => {
    const port = await listen((s) => s.once('data', () => s.end('+PONG\r\n')));
    const tr = new Transcript();
    const c = await TcpClient.connect({ host: '127.0.0.1', port, name: 'c1', transcript: tr });
    await c.write('PING');
    expect(await c.waitClosed(2000)).toBe('closed');
    c.reset();
    expect(tr.entries().at(-1)).toMatchObject({ kind: 'close', text: expect.stringMatching(/already closed/) });
  });

  test('a refused connection is a clear error', async () => {
    const port = await listen(() => undefined);
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    await expect(TcpClient.connect({ host: '127.0.0.1', port, name: 'c1', transcript: new Transcript() })).rejects.toThrow(/refused: nothing is listening/);
  });
});
