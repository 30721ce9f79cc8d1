// The scripted DNS server, driven by a real UDP/TCP client in the test (the grader's side of
// the future dns-client assignment: it must answer, drop, spoof and truncate exactly as told).
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, test } from 'vitest';
import { checkQuery, respond, ScriptedDnsServer, type DnsHandler } from '../../grader/net/dns-server.js';
import { malformed, responseWithPointers } from '../../grader/net/dns-wire.js';
import { Transcript } from '../../grader/net/transcript.js';

let server: ScriptedDnsServer | undefined;
const sockets: dgram.Socket[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const s of sockets.splice(0)) s.close();
});

const query = (id: number, name = 'example.test', type: dnsPacket.RecordType = 'A', flags = dnsPacket.RECURSION_DESIRED) =>
  dnsPacket.encode({ type: 'query', id, flags, questions: [{ type, name }] });

async function client(): Promise<{ send: (b: Buffer) => void; next: (ms?: number) => Promise<{ msg: Buffer; port: number } | undefined> }> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const inbox: Array<{ msg: Buffer; port: number }> = [];
  let wake: (() => void) | undefined;
  s.on('message', (msg, rinfo) => {
    inbox.push({ msg, port: rinfo.port });
    wake?.();
  });
  return {
    send: (b) => s.send(b, server!.port, '127.0.0.1'),
    next: async (ms = 1000) => {
      if (!inbox.length) await new Promise<void>((r) => ((wake = r), setTimeout(r, ms)));
      return inbox.shift();
    },
  };
}

async function start(udp: DnsHandler, tcp?: DnsHandler) {
  const transcript = new Transcript();
  server = await ScriptedDnsServer.start({ transcript, udp, ...(tcp ? { tcp } : {}) });
  return transcript;
}

describe('scripted DNS server', () => {
  test('answers as scripted, records both datagrams, and checks the query', async () => {
    const transcript = await start((q) => ({ bytes: respond(q, [{ type: 'A', name: 'example.test', data: '10.0.0.1' }]) }));
    const c = await client();
    c.send(query(4242));
    const got = await c.next();
    const reply = dnsPacket.decode(got!.msg);
    expect(reply).toMatchObject({ id: 4242, type: 'response', answers: [{ data: '10.0.0.1' }] });
    expect(got!.port).toBe(server!.port);
    expect(transcript.entries().map((e) => [e.conn, e.kind])).toEqual([['udp', 'recv'], ['udp', 'send']]);
    expect(checkQuery(server!.queries[0], { name: 'example.test', type: 'A' })).toEqual([]);
    expect(checkQuery(server!.queries[0], { name: 'other.test', type: 'AAAA' })).toHaveLength(2);
  });

  test('names what is wrong with a malformed query', async () => {
    await start(() => undefined);
    const c = await client();
    c.send(dnsPacket.encode({ type: 'response', id: 1, flags: 0, questions: [{ type: 'A', name: 'a.test' }, { type: 'A', name: 'b.test' }] }));
    c.send(Buffer.from('not dns'));
    expect(await server!.waitForQueries(2, 1000)).toBe(true);
    expect(checkQuery(server!.queries[0], { name: 'a.test', type: 'A' })).toEqual(['QR is 1 (a response), not 0 (a query)', 'RD (recursion desired) is 0, not 1', 'QDCOUNT is 2, not 1']);
    expect(checkQuery(server!.queries[1], { name: 'a.test', type: 'A' })[0]).toMatch(/not a DNS message/);
  });

  test('drops the first query, answers the retransmission; numbers the queries', async () => {
    await start((q) => (q.n === 1 ? undefined : { bytes: respond(q, []) }));
    const c = await client();
    c.send(query(1));
    expect(await c.next(150)).toBeUndefined();
    c.send(query(2));
    expect(dnsPacket.decode((await c.next())!.msg).id).toBe(2);
    expect(server!.queries.map((q) => q.n)).toEqual([1, 2]);
  });

  test('a wrong ID from another port first, then the real answer, after a delay', async () => {
    await start((q) => [
      { bytes: respond(q, [], { id: ((q.packet!.id ?? 0) + 1) & 0xffff }), fromOtherPort: true },
      { bytes: respond(q, [{ type: 'A', name: 'example.test', data: '10.0.0.2' }]), delayMs: 30 },
    ]);
    const c = await client();
    c.send(query(77));
    const spoof = (await c.next())!;
    expect(spoof.port).not.toBe(server!.port);
    expect(dnsPacket.decode(spoof.msg).id).toBe(78);
    const real = (await c.next())!;
    expect(real.port).toBe(server!.port);
    expect(dnsPacket.decode(real.msg).answers?.[0]).toMatchObject({ data: '10.0.0.2' });
  });

  test('truncates over UDP and serves the whole answer over TCP on the same port', async () => {
    const all = Array.from({ length: 30 }, (_, i) => ({ type: 'A' as const, name: 'big.test', data: `10.0.1.${i}` }));
    await start((q) => ({ bytes: respond(q, [], { tc: true }) }), (q) => ({ bytes: respond(q, all) }));
    const c = await client();
    c.send(query(5, 'big.test'));
    expect(dnsPacket.decode((await c.next())!.msg).flag_tc).toBe(true);
    const sock = net.connect(server!.port, '127.0.0.1');
    const q = query(6, 'big.test');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    sock.write(Buffer.concat([len, q]));
    let buf = Buffer.alloc(0);
    await new Promise<void>((resolve) =>
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve();
      }),
    );
    sock.destroy();
    expect(dnsPacket.decode(buf.subarray(2)).answers).toHaveLength(30);
    expect(server!.queries.map((x) => x.transport)).toEqual(['udp', 'tcp']);
  });
});

describe('hand-built DNS bytes', () => {
  test('compressed owner names, including a pointer to a pointer, decode to the question name', () => {
    const p = responseWithPointers(9, 'multi.test', 'A', [
      { ttl: 5, rdata: Buffer.from([1, 2, 3, 4]) },
      { ttl: 6, rdata: Buffer.from([5, 6, 7, 8]) },
    ]);
    const d = dnsPacket.decode(p);
    expect(d.answers?.map((a) => [a.name, 'data' in a ? a.data : undefined])).toEqual([
      ['multi.test', '1.2.3.4'],
      ['multi.test', '5.6.7.8'],
    ]);
    // The second owner points at the first owner, which is itself a pointer (0xc0 0x0c).
    const firstOwner = 12 + 'multi.test'.length + 2 + 4;
    expect(p.subarray(firstOwner, firstOwner + 2)).toEqual(Buffer.from([0xc0, 12]));
    expect(p.subarray(firstOwner + 16, firstOwner + 18)).toEqual(Buffer.from([0xc0, firstOwner]));
  });

  test.each([
    ['a truncated header', malformed.truncatedHeader(1), /12 bytes/],
    ['a label running past the end', malformed.labelPastEnd(1, 'a.test', 'A'), /overflow/],
    ['a compression pointer loop', malformed.pointerLoop(1, 'a.test', 'A'), /pointer/],
  ])('%s is rejected by a careful decoder', (_name, bytes, error) => {
    expect(() => dnsPacket.decode(bytes)).toThrow(error);
  });
});

describe('decoding for the report', () => {
  test('a sound message is described like dig; a broken one names the byte where it breaks', async () => {
    const { describeDnsMessage } = await import('../../grader/net/dns-server.js');
    const { findWireProblem } = await import('../../grader/net/dns-wire.js');
    const ok = dnsPacket.encode({ type: 'response', id: 0x1a2b, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'a.test' }], answers: [{ type: 'A', name: 'a.test', ttl: 60, data: '192.0.2.1' }] });
    expect(describeDnsMessage(ok).text).toBe('response id=0x1a2b qr rd NOERROR | question: a.test. A IN | answers: a.test. 60 A 192.0.2.1');
    expect(findWireProblem(ok)).toBeUndefined();
    expect(findWireProblem(malformed.truncatedHeader(1))).toEqual({ offset: 6, reason: 'the header needs 12 bytes, the message has 6' });
    const loop = malformed.pointerLoop(1, 'a.test', 'A');
    const loopAt = 12 + 'a.test'.length + 2 + 4;
    expect(findWireProblem(loop)).toMatchObject({ offset: loopAt, reason: expect.stringMatching(/loop/) });
    expect(describeDnsMessage(loop)).toMatchObject({ markAt: loopAt, text: expect.stringMatching(/^malformed: .*loop.* \(byte \d+\)$/) });
    expect(findWireProblem(malformed.labelPastEnd(1, 'a.test', 'A'))).toMatchObject({ reason: expect.stringMatching(/label of 40 bytes runs past the end/) });
    expect(findWireProblem(responseWithPointers(1, 'p.test', 'A', [{ ttl: 1, rdata: Buffer.from([1, 2, 3, 4]) }, { ttl: 1, rdata: Buffer.from([1, 2, 3, 5]) }]))).toBeUndefined();
  });
});
