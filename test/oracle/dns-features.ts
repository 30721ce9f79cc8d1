// The dns-client oracle's features: for each test of assignments/dns-client whose subject is
// something dig does as the contract says, random answers (seeded, fast-check) served by the
// grader's scripted DNS server, each printed by dig (test/counterparts/dig, through its adapter)
// and by the program under judgement. A program must fail the test exactly when its output
// (stdout and exit code; for query-well-formed, the query it sent) differs from dig's on some
// case of the test's feature. Every feature keeps the rest basic: lower-case names written whole
// (compression only in compressed-names, other case only in name-case), small TTLs (the full
// 32 bits only in ttl), the answer sent at once (decoys only in the decoy features).
//
// | test id           | the feature's cases                                                                    |
// | ----------------- | -------------------------------------------------------------------------------------- |
// | query-well-formed | a name (1-4 labels, 1-63 bytes each, maybe with its trailing dot) and any of the six   |
// |                   | types: the query's flags, counts, question bytes, type, class and length (not its ID);  |
// |                   | NOERROR with no records: nothing printed, exit 0                                        |
// | a-single          | one A record, any address                                                               |
// | a-multiple        | 2-8 A records                                                                           |
// | aaaa              | 1-8 AAAA records, zero runs of every length and place, ::ffff:a.b.c.d and ::a.b.c.d     |
// | cname-chain       | 1-3 CNAMEs in a chain, then 0-3 A records                                              |
// | ns                | 1-4 NS records, with authority and additional (glue) sections that are not printed      |
// | mx                | 1-4 MX records, preferences 0-65535                                                     |
// | txt               | 1-3 TXT records of 1-4 strings (empty too): ", \, UTF-8 and other bytes over 0x7f        |
// | compressed-names  | A, CNAME, NS and MX records whose names (owners and rdata) are compressed at random:   |
// |                   | whole names and suffixes, pointers to pointers                                          |
// | ttl               | A records with TTLs over all 32 bits, most with the top bit set                         |
// | unknown-type      | records of unassigned and private types (0-20 bytes of rdata) beside A records          |
// | nxdomain          | RCODE 3 with 0-2 CNAMEs in the answer section                                           |
// | nodata            | NOERROR and no records, any type                                                        |
// | servfail          | RCODE 1, 2, 4, 5 and the other codes up to 15                                           |
// | wrong-id          | a decoy with another ID, then the real answer 60 ms later                                |
// | wrong-port        | a decoy from another port, then the real answer                                          |
// | wrong-question    | a decoy whose question has another name, type or class, then the real answer            |
// | name-case         | the question repeated and the owners written in random case                              |
// | tc-fallback       | TC=1 over UDP (the answer cut short, none or all); over TCP the full answer in pieces, |
// |                   | or a connection that never answers, or none at all (then nothing printed, exit 2)      |
//
// Not judged (dig's behaviour is not the contract's there; DESIGN.md and
// test/counterparts/dig/expected.json list them): first-query-dropped, all-dropped and
// junk-keeps-timer (dig's timeout is whole seconds), late-answer (dig does not accept a late
// answer to an earlier attempt), not-a-response (dig takes QR=0), malformed-answers and
// pointer-loop (dig stops at a malformed datagram instead of ignoring it), and wrong-question's
// decoy without a question (dig accepts QDCOUNT 0: that decoy is left out of the feature).
// Nor where the adapter, not dig, does the work (name-too-long, usage-errors: it refuses those
// before dig runs), nor random-ids (a property of several runs, not an output to compare).
import fc from 'fast-check';

export const TYPE_CODES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 };

export type Rdata =
  | { A: number[] }
  | { AAAA: number[] }
  | { CNAME: string }
  | { NS: string }
  | { MX: [number, string] }
  | { TXT: Buffer[] }
  | { raw: [number, Buffer] };

export interface Rec {
  owner: string;
  ttl: number;
  rdata: Rdata;
}

export interface Answer {
  rcode: number;
  answers: Rec[];
  authority?: Rec[];
  additional?: Rec[];
  /** The question repeated in this case (name-case), instead of the query's own bytes. */
  questionAs?: string;
  /** Compress names at random, from this seed (compressed-names). */
  compress?: number;
}

export type Decoy = { kind: 'id' } | { kind: 'port' } | { kind: 'name'; other: string } | { kind: 'type' } | { kind: 'class' };

export interface DnsCase {
  feature: string;
  name: string;
  type: string;
  timeoutMs: number;
  retries: number;
  answer: Answer;
  decoy?: Decoy;
  /**
   * TC=1 over UDP, with the answer cut to `keep` records and part of the next (or none, or all:
   * `keep` -1); over TCP the full answer, or a connection that never answers, or none at all.
   */
  tc?: { keep: number; tcp: 'answers' | 'mute' | 'refused' };
  /** Observe the query too (query-well-formed). */
  query?: boolean;
}

export interface Feature {
  test: string;
  runs: number;
  cases(seed: number): DnsCase[];
}

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
/** A fresh name under example.test, lower case. */
const host = fc.tuple(label, fc.array(label, { maxLength: 2 })).map(([l, more]) => [l, ...more, 'example', 'test'].join('.'));
const ttl = fc.integer({ min: 0, max: 86400 });
const ipv4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
const aRec = (owner: string) => fc.tuple(ttl, ipv4).map(([t, ip]): Rec => ({ owner, ttl: t, rdata: { A: ip } }));

const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 0xff }), fc.integer({ min: 0, max: 0xffff }));
const v6 = fc.oneof(
  fc.array(group, { minLength: 8, maxLength: 8 }),
  ipv4.map((ip) => [0, 0, 0, 0, 0, 0xffff, (ip[0] << 8) | ip[1], (ip[2] << 8) | ip[3]]),
  ipv4.map((ip) => [0, 0, 0, 0, 0, 0, (ip[0] << 8) | ip[1], (ip[2] << 8) | ip[3]]),
  fc.constantFrom<number[]>([0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1], [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], [0xfe80, 0, 0, 0, 0, 0, 0, 0]),
);
/** TXT bytes: printable ASCII with " and \ often, UTF-8, and other bytes over 0x7f; never control bytes (a newline would break the line format). */
const txtString = fc
  .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constantFrom(0x22, 0x5c, 0x20), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 30 })
  .map((b) => Buffer.from(b));
const utf8 = fc.constantFrom('café crème', 'naïve', '日本', 'ü "q" \\').map((s) => Buffer.from(s));

/** `build` gets the case's index too, so a feature with a few kinds of case gives each kind a case of its own. */
function feature<T>(test: string, runs: number, arb: fc.Arbitrary<T>, build: (x: T, i: number) => Omit<DnsCase, 'feature' | 'timeoutMs' | 'retries'> & { timeoutMs?: number; retries?: number }): Feature {
  return { test, runs, cases: (seed) => fc.sample(arb, { seed, numRuns: runs }).map((x, i) => ({ feature: test, timeoutMs: 1000, retries: 1, ...build(x, i) })) };
}

const mixCase = (s: string, mask: boolean[]) => [...s].map((ch, i) => (mask[i % mask.length] ? ch.toUpperCase() : ch.toLowerCase())).join('');
const mask = fc.array(fc.boolean(), { minLength: 2, maxLength: 7 });
const ok = (answers: Rec[], more: Partial<Answer> = {}): Answer => ({ rcode: 0, answers, ...more });

export const FEATURES: Feature[] = [
  feature(
    'query-well-formed',
    2,
    fc.tuple(
      fc.array(fc.stringMatching(/^[a-z0-9-]{1,63}$/), { minLength: 1, maxLength: 4 }),
      fc.constantFrom(...Object.keys(TYPE_CODES)),
      fc.boolean(),
    ),
    ([labels, type, dot]) => ({ name: labels.join('.') + (dot ? '.' : ''), type, answer: ok([]), query: true }),
  ),

  feature('a-single', 2, fc.tuple(host, ttl, ipv4), ([n, t, ip]) => ({ name: n, type: 'A', answer: ok([{ owner: n, ttl: t, rdata: { A: ip } }]) })),

  feature('a-multiple', 1, host.chain((n) => fc.tuple(fc.constant(n), fc.array(aRec(n), { minLength: 2, maxLength: 8 }))), ([n, recs]) => ({ name: n, type: 'A', answer: ok(recs) })),

  feature('aaaa', 2, fc.tuple(host, fc.array(fc.tuple(ttl, v6), { minLength: 1, maxLength: 8 })), ([n, recs]) => ({ name: n, type: 'AAAA', answer: ok(recs.map(([t, g]) => ({ owner: n, ttl: t, rdata: { AAAA: g } }))) })),

  feature('cname-chain', 1, fc.tuple(fc.array(host, { minLength: 2, maxLength: 4 }), fc.array(fc.tuple(ttl, ttl, ipv4), { maxLength: 3 })), ([names, as]) => {
    const chain: Rec[] = names.slice(1).map((to, i) => ({ owner: names[i], ttl: 300, rdata: { CNAME: to } }));
    const end = names[names.length - 1];
    return { name: names[0], type: 'A', answer: ok([...chain, ...as.map(([t, , ip]): Rec => ({ owner: end, ttl: t, rdata: { A: ip } }))]) };
  }),

  feature('ns', 1, fc.tuple(host, fc.array(host, { minLength: 1, maxLength: 4 }), ipv4), ([n, servers, glue]) => ({
    name: n,
    type: 'NS',
    answer: ok(
      servers.map((s) => ({ owner: n, ttl: 3600, rdata: { NS: s } })),
      { authority: [{ owner: n, ttl: 3600, rdata: { NS: servers[0] } }], additional: [{ owner: servers[0], ttl: 3600, rdata: { A: glue } }] },
    ),
  })),

  feature('mx', 1, fc.tuple(host, fc.array(fc.tuple(fc.integer({ min: 0, max: 65535 }), host, ttl), { minLength: 1, maxLength: 4 })), ([n, mxs]) => ({
    name: n,
    type: 'MX',
    answer: ok(mxs.map(([p, x, t]) => ({ owner: n, ttl: t, rdata: { MX: [p, x] } }))),
  })),

  feature('txt', 2, fc.tuple(host, fc.array(fc.tuple(ttl, fc.array(fc.oneof(txtString, utf8), { minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 3 })), ([n, recs]) => ({
    name: n,
    type: 'TXT',
    answer: ok(recs.map(([t, strings]) => ({ owner: n, ttl: t, rdata: { TXT: strings } }))),
  })),

  feature(
    'compressed-names',
    3,
    fc.tuple(host, fc.array(fc.tuple(fc.constantFrom('A', 'A', 'CNAME', 'NS', 'MX'), fc.nat(3), host, ipv4), { minLength: 1, maxLength: 6 }), fc.integer()),
    ([n, recs, seed]) => {
      // Owners are the asked name or names met before (so a pointer can reach them); rdata names
      // share the asked name's suffix or are new.
      const seen = [n];
      const answers = recs.map(([type, k, other, ip]): Rec => {
        const owner = seen[k % seen.length];
        const target = k % 2 ? `${other.split('.')[0]}.${n}` : other;
        seen.push(target);
        const rdata: Rdata = type === 'A' ? { A: ip } : type === 'CNAME' ? { CNAME: target } : type === 'NS' ? { NS: target } : { MX: [ip[0], target] };
        return { owner, ttl: 300, rdata };
      });
      return { name: n, type: 'A', answer: ok(answers, { compress: seed }) };
    },
  ),

  feature('ttl', 2, fc.tuple(host, fc.array(fc.tuple(fc.oneof(fc.integer({ min: 2 ** 31, max: 2 ** 32 - 1 }), fc.constantFrom(2 ** 31, 2 ** 32 - 1, 2 ** 31 - 1, 0), fc.integer({ min: 0, max: 2 ** 32 - 1 })), ipv4), { minLength: 1, maxLength: 6 })), ([n, recs]) => ({
    name: n,
    type: 'A',
    answer: ok(recs.map(([t, ip]) => ({ owner: n, ttl: t, rdata: { A: ip } }))),
  })),

  feature(
    'unknown-type',
    2,
    fc.tuple(
      host,
      fc.array(
        fc.oneof(
          fc.tuple(fc.oneof(fc.integer({ min: 65280, max: 65535 }), fc.integer({ min: 40000, max: 60000 })), fc.uint8Array({ maxLength: 20 })).map(([code, b]): Rdata => ({ raw: [code, Buffer.from(b)] })),
          ipv4.map((ip): Rdata => ({ A: ip })),
        ),
        { minLength: 1, maxLength: 5 },
      ),
    ),
    ([n, rdatas]) => ({ name: n, type: 'A', answer: ok(rdatas.map((rdata) => ({ owner: n, ttl: 300, rdata }))) }),
  ),

  feature('nxdomain', 1, fc.tuple(host, fc.array(host, { maxLength: 2 })), ([n, targets]) => ({
    name: n,
    type: 'A',
    answer: { rcode: 3, answers: targets.map((to, i) => ({ owner: i ? targets[i - 1] : n, ttl: 300, rdata: { CNAME: to } })) },
  })),

  feature('nodata', 1, fc.tuple(host, fc.constantFrom(...Object.keys(TYPE_CODES))), ([n, type]) => ({ name: n, type, answer: ok([]) })),

  feature('servfail', 2, fc.tuple(host, fc.constantFrom(1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 15)), ([n, rcode]) => ({ name: n, type: 'A', answer: { rcode, answers: [] } })),

  feature('wrong-id', 1, fc.tuple(host, fc.array(fc.tuple(ttl, ipv4), { minLength: 1, maxLength: 3 })), ([n, recs]) => ({
    name: n,
    type: 'A',
    timeoutMs: 1500,
    decoy: { kind: 'id' },
    answer: ok(recs.map(([t, ip]) => ({ owner: n, ttl: t, rdata: { A: ip } }))),
  })),

  feature('wrong-port', 1, fc.tuple(host, fc.array(fc.tuple(ttl, ipv4), { minLength: 1, maxLength: 3 })), ([n, recs]) => ({
    name: n,
    type: 'A',
    timeoutMs: 1500,
    decoy: { kind: 'port' },
    answer: ok(recs.map(([t, ip]) => ({ owner: n, ttl: t, rdata: { A: ip } }))),
  })),

  feature(
    'wrong-question',
    3,
    fc.tuple(host, host, fc.array(fc.tuple(ttl, ipv4), { minLength: 1, maxLength: 3 })),
    ([n, other, recs], i) => {
      const kind = (['name', 'type', 'class'] as const)[i % 3];
      return {
      name: n,
      type: 'A',
      timeoutMs: 1500,
        decoy: kind === 'name' ? { kind, other: other === n ? `x${other}` : other } : { kind },
        answer: ok(recs.map(([t, ip]) => ({ owner: n, ttl: t, rdata: { A: ip } }))),
      };
    },
  ),

  feature('name-case', 2, fc.tuple(host, mask, fc.array(fc.tuple(mask, ttl, ipv4), { minLength: 1, maxLength: 3 })), ([n, qm, recs]) => ({
    name: n,
    type: 'A',
    answer: ok(
      recs.map(([m, t, ip]) => ({ owner: mixCase(n, m), ttl: t, rdata: { A: ip } })),
      { questionAs: mixCase(n, qm) },
    ),
  })),

  feature('tc-fallback', 3, fc.tuple(host, fc.array(fc.tuple(ttl, ipv4), { minLength: 2, maxLength: 14 }), fc.nat(3)), ([n, recs, keep], i) => {
    const tcp = (['answers', 'mute', 'refused'] as const)[i % 3];
    return {
      name: n,
      type: 'A',
      timeoutMs: tcp === 'answers' ? 1000 : 300,
      tc: { keep: keep === 3 ? -1 : keep % recs.length, tcp },
      answer: ok(recs.map(([t, ip]) => ({ owner: n, ttl: t, rdata: { A: ip } }))),
    };
  }),
];

export const NOT_JUDGED: Record<string, string> = {
  'first-query-dropped': "dig's timeout is whole seconds",
  'all-dropped': "dig's timeout is whole seconds",
  'junk-keeps-timer': "dig's timeout is whole seconds",
  'late-answer': 'dig does not accept a late answer to an earlier attempt',
  'not-a-response': 'dig takes a QR=0 datagram as the answer',
  'malformed-answers': 'dig stops at a malformed datagram instead of ignoring it',
  'pointer-loop': 'dig stops at a compression loop instead of ignoring the datagram',
  'name-too-long': "the adapter refuses long names itself: dig's behaviour is not judged there",
  'usage-errors': 'the adapter parses the command line itself',
  'random-ids': 'a property of several runs, not an output',
};
