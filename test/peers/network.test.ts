// The peers' network with seeded faults, over real loopback sockets: lines lost and repeated as
// the fault layer decided (every decision in the journal, the receiver saw exactly those), the
// same seed giving the same fates, jitter never reordering a byte stream, a cap shared by a
// link's connections, and faults a byte stream cannot have refused.
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, test } from 'vitest';
import { Journal, type PeerEvent } from '../../grader/peers/journal.js';
import { Network } from '../../grader/peers/network.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A receiver at n2: every byte that arrives, all connections together. */
async function receiver() {
  let got = Buffer.alloc(0);
  const waiters = new Set<() => void>();
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      for (const w of waiters) w();
    });
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const until = (pred: (b: Buffer) => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!pred(got)) return;
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { port: (server.address() as net.AddressInfo).port, got: () => got, until };
}

async function network(port: number, o: { framing?: 'lines' | 'bytes'; seed?: string[] } = {}) {
  const journal = new Journal();
  const events: PeerEvent[] = [];
  journal.subscribe((e) => events.push(e));
  const n = await Network.open({ links: [['n1', 'n2']], portOf: () => port, journal, framing: o.framing ?? 'lines', seed: o.seed ?? ['s1', 'network-test'] });
  cleanup.push(() => n.close());
  return { n, events };
}

async function connect(address: string): Promise<net.Socket> {
  const [host, port] = address.split(':');
  const s = net.connect({ host, port: Number(port) });
  s.on('error', () => undefined);
  await once(s, 'connect');
  cleanup.push(() => s.destroy());
  return s;
}

/** Send `count` numbered lines from n1 to n2 with faults; what the journal decided and what arrived. */
async function lossyLines(seed: string[], count: number) {
  const r = await receiver();
  const { n, events } = await network(r.port, { seed });
  n.setFaults('n1', 'n2', { loss: 0.2, duplicate: 0.1 });
  const s = await connect(n.address('n1', 'n2'));
  const lines = Array.from({ length: count }, (_, i) => `line ${i}\n`);
  s.write(lines.join(''));
  const sent = () => events.filter((e) => e.kind === 'sent');
  const delivered = () => events.filter((e) => e.kind === 'delivered');
  // Every line was decided; every kept one (and each duplicate) arrived.
  await r.until(() => sent().length === count && delivered().length === r.got().toString().split('\n').length - 1);
  const dropped = sent().flatMap((e) => (e.kind === 'sent' && e.dropped ? [e.data.toString().trim()] : []));
  return { dropped, arrived: r.got().toString().split('\n').slice(0, -1) };
}

describe('the peers network with seeded faults', () => {
  test('lines are lost and repeated as decided: the receiver sees exactly what the journal says, and the same seed gives the same fates', async () => {
    const count = 400;
    const a = await lossyLines(['seed-a', 't'], count);
    const kept = Array.from({ length: count }, (_, i) => `line ${i}`).filter((l) => !a.dropped.includes(l));
    // In order (a connection keeps its order), each kept line once or twice, no lost line.
    expect([...new Set(a.arrived)]).toEqual(kept);
    const repeats = a.arrived.length - kept.length;
    // 20% loss and 10% duplicates of 400: far from 0, far from everything (binomial, > 5 sd).
    expect(a.dropped.length).toBeGreaterThan(40);
    expect(a.dropped.length).toBeLessThan(120);
    expect(repeats).toBeGreaterThan(8);
    expect(repeats).toBeLessThan(60);
    const b = await lossyLines(['seed-a', 't'], count);
    expect(b).toEqual(a);
    const c = await lossyLines(['seed-b', 't'], count);
    expect(c.dropped).not.toEqual(a.dropped);
  });

  test('jitter on a byte stream delays chunks without ever reordering them', async () => {
    const r = await receiver();
    const { n } = await network(r.port, { framing: 'bytes' });
    n.setFaults('n1', 'n2', { delayMs: 1, jitterMs: 30 });
    const s = await connect(n.address('n1', 'n2'));
    const data = Buffer.alloc(200_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 10)) & 0xff;
    // Many small writes: many chunks, each with its own random delay.
    for (let i = 0; i < data.length; i += 4000) s.write(data.subarray(i, i + 4000));
    await r.until((b) => b.length >= data.length);
    expect(r.got().equals(data)).toBe(true);
  });

  test('a bandwidth cap holds across the link\'s connections', async () => {
    const r = await receiver();
    const { n } = await network(r.port, { framing: 'bytes' });
    const rate = 1024 * 1024;
    n.limitBandwidth('n1', 'n2', rate);
    const [a, b] = [await connect(n.address('n1', 'n2')), await connect(n.address('n1', 'n2'))];
    const t0 = performance.now();
    a.write(Buffer.alloc(192 * 1024, 1));
    b.write(Buffer.alloc(192 * 1024, 2));
    await r.until((g) => g.length >= 384 * 1024);
    // 384 KiB at 1 MiB/s: at least 375 ms however the two interleave (a slow machine only adds).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(0.95 * 375 - 16);
  });

  test('faults a byte stream cannot have, and bad numbers, are refused with a sentence', async () => {
    const r = await receiver();
    const { n } = await network(r.port, { framing: 'bytes' });
    expect(() => n.setFaults('n1', 'n2', { loss: 0.1 })).toThrow(/byte stream is reliable/);
    expect(() => n.setFaults('n1', 'n2', { jitterMs: -1 })).toThrow(/jitterMs must be a number ≥ 0/);
    expect(() => n.setFaults('n2', 'n1', { delayMs: 5 })).toThrow(/no link n2 -> n1/);
  });
});
