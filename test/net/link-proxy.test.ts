// The link proxy over real sockets: lines pass whole and in order both ways, latency holds them
// without reordering, a cut drops whole lines and keeps the stream framed, a receiver that is
// down resets the sender's connection, and an end on one side reaches the other.
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import { LinkProxy, type LineInfo } from '../../grader/net/link-proxy.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

/** A receiver that records every line it gets and can answer. */
async function receiver(onLine?: (line: string, s: net.Socket) => void) {
  const lines: string[] = [];
  const raw: string[] = [];
  const ended: Array<Promise<unknown>> = [];
  const sockets: net.Socket[] = [];
  const waiters: Array<() => void> = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    ended.push(once(s, 'end'));
    let buf = '';
    s.on('data', (d) => {
      raw.push(d.toString());
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(l);
        onLine?.(l, s);
        for (const w of waiters.splice(0)) w();
      }
    });
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  const until = async (n: number) => {
    while (lines.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  return { port, lines, raw, ended, until, server, sockets };
}

async function proxyTo(port: number, policy: (i: LineInfo) => { drop: boolean; delayMs: number } = () => ({ drop: false, delayMs: 0 })) {
  const seen: LineInfo[] = [];
  const delivered: Array<{ line: string; at: number; sentAt: number }> = [];
  const p = await LinkProxy.open({
    from: 'n1',
    to: 'n2',
    upstreamPort: port,
    decide: (i) => {
      seen.push(i);
      return policy(i);
    },
    delivered: (i, at) => delivered.push({ line: i.line.toString(), at, sentAt: i.at }),
  });
  cleanup.push(() => p.close());
  return { p, seen, delivered };
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await once(s, 'connect');
  cleanup.push(() => s.destroy());
  return s;
}

describe('link proxy', () => {
  test('forwards whole lines both ways, reassembling split writes, and says who sent each', async () => {
    const r = await receiver((l, s) => s.write(`ack ${l}\n`));
    const { p, seen } = await proxyTo(r.port);
    const s = await connect(p.port);
    const back: string[] = [];
    s.on('data', (d) => back.push(d.toString()));
    s.write('{"a":');
    await new Promise((res) => setTimeout(res, 20));
    s.write('1}\n{"b":2}\n{"c"');
    s.write(':3}\n');
    await r.until(3);
    expect(r.lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    while (back.join('').split('\n').length < 4) await once(s, 'data');
    expect(back.join('')).toBe('ack {"a":1}\nack {"b":2}\nack {"c":3}\n');
    const forward = seen.filter((i) => i.sender === 'n1');
    const backward = seen.filter((i) => i.sender === 'n2');
    expect(forward.map((i) => i.receiver)).toEqual(['n2', 'n2', 'n2']);
    expect(backward).toHaveLength(3);
    expect(backward.every((i) => i.receiver === 'n1')).toBe(true);
    expect(p.connections).toBe(1);
  });

  test('latency holds each line, and a shorter delay never lets a later line overtake', async () => {
    const r = await receiver();
    let delay = 120;
    const { p, delivered } = await proxyTo(r.port, () => ({ drop: false, delayMs: delay }));
    const s = await connect(p.port);
    s.write('first\n');
    await new Promise((res) => setTimeout(res, 10));
    delay = 0;
    s.write('second\n');
    await r.until(2);
    expect(r.lines).toEqual(['first', 'second']);
    expect(delivered[0].at - delivered[0].sentAt).toBeGreaterThanOrEqual(119);
    expect(delivered[1].at).toBeGreaterThanOrEqual(delivered[0].at);
  });

  test('a cut drops whole lines; the stream stays framed for the lines after it', async () => {
    const r = await receiver();
    const { p, seen } = await proxyTo(r.port, (i) => ({ drop: i.line.includes('drop'), delayMs: 0 }));
    const s = await connect(p.port);
    s.write('keep 1\nplease drop me\nkeep 2\n');
    await r.until(2);
    expect(r.lines).toEqual(['keep 1', 'keep 2']);
    expect(seen).toHaveLength(3);
  });

  test('a receiver that is down: the sender is accepted and reset at once, and counted', async () => {
    const r = await receiver();
    const port = r.port;
    r.server.close();
    await once(r.server, 'close');
    const { p } = await proxyTo(port);
    const s = await connect(p.port);
    const [err] = (await Promise.race([once(s, 'error'), once(s, 'close')])) as [Error | boolean];
    expect(err === false || err === true || (err as NodeJS.ErrnoException).code === 'ECONNRESET').toBe(true);
    expect(await p.waitConnections(1, 1000)).toBe(1);
    expect(p.refused).toBe(1);
  });

  test('an end on one side is passed on after the held lines; a last line without newline too', async () => {
    const r = await receiver();
    const { p } = await proxyTo(r.port, () => ({ drop: false, delayMs: 50 }));
    const s = await connect(p.port);
    s.end('line\ntail-without-newline');
    await r.until(1);
    await r.ended[0];
    expect(r.lines).toEqual(['line']);
    expect(r.raw.join('')).toBe('line\ntail-without-newline');
  });

  test('waitConnections resolves on the connection, not after its time limit', async () => {
    const r = await receiver();
    const { p } = await proxyTo(r.port);
    const waiting = p.waitConnections(2, 10_000);
    await connect(p.port);
    await connect(p.port);
    const t0 = performance.now();
    expect(await waiting).toBe(2);
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
