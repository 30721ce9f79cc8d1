// The parsers that read what student programs send: RESP replies (kv-server), DNS messages
// (the dns-client's queries, decoded by the grader's DNS server and described in reports) and
// JSON lines (gossip-peer). Whatever the bytes, each returns an answer (a value, "incomplete",
// or a reason) and never throws, hangs or reads out of bounds. Property-based, with fast-check.
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseLine } from '../../grader/harness/json-lines.js';
import { describeDnsMessage } from '../../grader/net/dns-server.js';
import { findWireProblem } from '../../grader/net/dns-wire.js';
import { describeReply, encodeResp, parseReply, type RespValue } from '../../grader/net/resp.js';

const RUNS = { numRuns: 2000 };
const bytes = (max = 256) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

/** RESP values of every type, nested a few levels. */
const respValue: fc.Arbitrary<RespValue> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'grapheme-ascii' }).filter((s) => !/[\r\n]/.test(s)).map((s) => ({ type: 'simple', value: s }) as RespValue),
    fc.string({ unit: 'grapheme-ascii' }).filter((s) => !/[\r\n]/.test(s)).map((s) => ({ type: 'error', value: s }) as RespValue),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => ({ type: 'integer', value: n }) as RespValue),
    fc.option(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), { nil: null }).map((b) => ({ type: 'bulk', value: b }) as RespValue),
    fc.option(fc.array(tie('value'), { maxLength: 4 }), { nil: null }).map((items) => ({ type: 'array', value: items }) as RespValue),
  ),
})).value;

/** A byte string with some bytes flipped, some cut, some inserted. */
function mutated(base: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(base, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { maxLength: 4 })).map(([b, edits]) => {
    let out = Buffer.from(b);
    for (const [at, byte, kind] of edits) {
      const i = out.length ? at % out.length : 0;
      if (kind === 'flip' && out.length) out[i] = byte;
      else if (kind === 'cut') out = out.subarray(0, i);
      else out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i)]);
    }
    return out;
  });
}

function checkStep(buf: Buffer) {
  const step = parseReply(buf);
  expect(['complete', 'incomplete', 'invalid']).toContain(step.status);
  if (step.status === 'complete') {
    expect(step.length).toBeGreaterThan(0);
    expect(step.length).toBeLessThanOrEqual(buf.length);
    expect(typeof describeReply(step.value)).toBe('string');
  }
  if (step.status === 'invalid') {
    expect(step.reason.length).toBeGreaterThan(0);
    expect(step.offset).toBeGreaterThanOrEqual(0);
    expect(step.offset).toBeLessThanOrEqual(buf.length);
  }
}

describe('RESP reply parser', () => {
  test('any bytes: a value, incomplete, or invalid with a reason and an offset inside the input', () => {
    fc.assert(fc.property(bytes(), (b) => checkStep(b)), RUNS);
  });

  test('bytes that look like RESP (valid replies, mutated): never throws', () => {
    fc.assert(fc.property(mutated(respValue.map(encodeResp)), (b) => checkStep(b)), RUNS);
  });

  test('a reply round-trips, and every proper prefix of it is incomplete', () => {
    fc.assert(
      fc.property(respValue, (v) => {
        const wire = encodeResp(v);
        const step = parseReply(wire);
        expect(step).toEqual({ status: 'complete', value: v, length: wire.length });
        for (let cut = 0; cut < wire.length; cut += Math.max(1, Math.floor(wire.length / 16))) expect(parseReply(wire.subarray(0, cut)).status).toBe('incomplete');
      }),
      { numRuns: 500 },
    );
  });

  test('hostile shapes: deep nesting, huge lengths, long numbers', () => {
    for (const b of [Buffer.from('*1\r\n'.repeat(100_000)), Buffer.from('$99999999999999999999\r\n'), Buffer.from(`:${'9'.repeat(10_000)}\r\n`), Buffer.from('*2147483648\r\n'), Buffer.from('$-2\r\n')]) checkStep(b);
  });
});

describe('DNS message reading', () => {
  // A query as a dns-client sends it, to mutate: most random bytes fail at the header already.
  const query = fc
    .record({ id: fc.integer({ min: 0, max: 0xffff }), name: fc.domain(), type: fc.constantFrom('A', 'AAAA', 'MX', 'TXT', 'CNAME') })
    .map((q) => dnsPacket.encode({ type: 'query', id: q.id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: q.type as 'A', name: q.name }] }));

  const check = (b: Buffer) => {
    const problem = findWireProblem(b);
    if (problem) {
      expect(problem.offset).toBeGreaterThanOrEqual(0);
      expect(problem.offset).toBeLessThanOrEqual(b.length);
    }
    const d = describeDnsMessage(b);
    expect(typeof d.text).toBe('string');
    if (d.markAt !== undefined) expect(d.markAt).toBeLessThanOrEqual(b.length);
    // What the grader's DNS server does with a query: decode it, or record why not.
    try {
      dnsPacket.decode(b);
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
    }
  };

  test('any bytes: described (or said where they are malformed), never a crash', () => {
    fc.assert(fc.property(bytes(600), check), RUNS);
  });

  test('mutated queries, and pointers that loop or point past the end: described, never a hang', () => {
    fc.assert(fc.property(mutated(query), check), RUNS);
    const loops = [Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]), Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1]), Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff])];
    for (const b of loops) {
      check(b);
      expect(findWireProblem(b)).toBeDefined();
    }
  });
});

describe('JSON lines (gossip-peer)', () => {
  test('any bytes, and mutated JSON objects: an object or a reason, never a throw', () => {
    const json = fc.jsonValue().map((v) => Buffer.from(JSON.stringify({ type: 'broadcast', msg_id: 1, v })));
    fc.assert(
      fc.property(fc.oneof(bytes(), mutated(json)), (b) => {
        const r = parseLine(b);
        if (r.ok) expect(typeof r.value).toBe('object');
        else expect(r.why.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });

  test('deeply nested JSON is refused or parsed, not a stack overflow of the grader', () => {
    const deep = Buffer.from('{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000));
    const r = parseLine(deep);
    expect(typeof r.ok).toBe('boolean');
  });
});
