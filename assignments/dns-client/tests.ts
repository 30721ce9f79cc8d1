// The dns-client tests, written only against the harness: the grader is the DNS server, scripted
// per test; the student's client runs once per check. Tests check what the contract states —
// queries, accepted answers, printed lines, exit codes, timing against T — so `dig` passes every
// test except those needing sub-second timing and those where dig itself is lax or gives up
// (test/counterparts/dig/expected.json lists them, each with its reason).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { atLeast, atMost, defineTests, fail, TestFailure, withTiming, type TestContext } from '../../grader/authoring.js';
import { checkQuery, describeQuery, describeRunEnd, dnsServer, stderrNote, encodeName, expectExit, expectLines, malformed, printedLines, respond, responseWithPointers, runClient, wireMessage, type DnsQuery, type RecordSpec, type WireRecord } from '../../grader/kits/dns.js';

const TTL = 300;
const line = (owner: string, type: string, rdata: string, ttl = TTL) => `${owner}.\t${ttl}\tIN\t${type}\t${rdata}`;
const a = (name: string, ip: string): RecordSpec => ({ type: 'A', name, ttl: TTL, data: ip });

/** A fresh name under example.test for each check, from the seed, so runs never share answers. */
function name(t: TestContext, label: string): string {
  return `${label}-${t.key('n').split(':')[1]}.example.test`;
}

const HINT_ACCEPT =
  'Accept a datagram only if it comes from the server\'s address and port, has QR=1, carries the ID of a query you sent, and repeats your question. Ignore anything else and keep waiting (without restarting the timer).';

/** Answer every query with these records (the question repeated, the query's ID). */
const answerWith = (records: RecordSpec[]) => (q: DnsQuery) => ({ bytes: respond(q, records) });

/**
 * The question the client asked, as it sent it (its own bytes for the name), to repeat in an
 * answer built byte by byte; the test's own name and type when the query cannot be read.
 */
function askedQuestion(q: DnsQuery, n: string, type: string): { name: Buffer | string; type: number | string; class?: number } {
  const raw = q.raw;
  let at = 12;
  while (at < raw.length && raw[at] !== 0 && raw[at] < 0x40) at += 1 + raw[at];
  if (raw.length < 12 || at + 5 > raw.length) return { name: n, type };
  return { name: raw.subarray(12, at + 1), type: raw.readUInt16BE(at + 1), class: raw.readUInt16BE(at + 3) };
}

const idOf = (q: DnsQuery) => q.packet?.id ?? (q.raw.length >= 2 ? q.raw.readUInt16BE(0) : 0);
const ipv4 = (ip: string) => Buffer.from(ip.split('.').map(Number));
const wireA = (owner: string, ip: string, ttl = TTL): WireRecord => ({ owner, type: 'A', ttl, rdata: ipv4(ip) });

const LAG_RESOLUTION_MS = 10;

/**
 * Run `fn` and measure the grader's own lag meanwhile: how late its event loop may have been to
 * timestamp a datagram (a busy machine, other grades in the same process). A timing bound is
 * judged with this much benefit of the doubt, so the grader's slowness never fails a student.
 */
async function withLag<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  h.enable();
  try {
    const r = await fn();
    return [r, Math.max(0, Math.round(h.max / 1e6 - LAG_RESOLUTION_MS))];
  } finally {
    h.disable();
  }
}

/** A decoy sent before the real answer: what it is (for the message) and its bytes. */
interface Decoy {
  what: string;
  /** The address the decoy carries, if a lax client could print one (198.51.100.x). */
  address?: string;
  send: (q: DnsQuery, n: string) => { bytes: Buffer; fromOtherPort?: boolean }[];
  /** A hint for a client that fell for this decoy, when it says more than the test's. */
  hint?: string;
}

/**
 * Decoys before the real answer, one run of the client per decoy (so a failure names the decoy
 * that did it): the client must print the real answer only, and exit 0.
 */
async function decoyTest(t: TestContext, label: string, decoys: Decoy[], hint = HINT_ACCEPT) {
  for (const [i, d] of decoys.entries()) {
    const n = name(t, decoys.length > 1 ? `${label}${i + 1}` : label);
    const real = a(n, '192.0.2.10');
    const server = await dnsServer(t, (q) => (q.n === 1 ? [...d.send(q, n), { bytes: respond(q, [real]), delayMs: 60 }] : { bytes: respond(q, [real]) }));
    const r = await runClient(t, server, { name: n, timeoutMs: 1500 });
    const situation = `the server sent ${d.what}, then 60 ms later the real answer (A 192.0.2.10)`;
    const decoyHint = d.hint ?? hint;
    const printed = printedLines(r);
    if (d.address && r.stdout.includes(d.address))
      t.fail(`${situation};\nyour client took the decoy for the answer: it printed its address ${d.address}:\n${printed.map((l) => `  ${JSON.stringify(l)}`).join('\n')}`, { hint: decoyHint });
    if (r.timedOut || r.signal || (r.exitCode !== 0 && r.exitCode !== 2))
      t.fail(`${situation};\nyour client ${describeRunEnd(r)}${printed.length ? '' : ' without printing anything'}: the decoy ${r.timedOut ? 'hung' : 'crashed'} it.${stderrNote(r)}`, {
        ...(r.timedOut ? { timeout: true } : {}),
        hint: `${decoyHint} A datagram must never crash or hang the client: catch the parse error and keep waiting.`,
      });
    expectLines(r, [line(n, 'A', '192.0.2.10')], decoyHint, situation);
    expectExit(r, 0, decoyHint, situation);
  }
}


export default defineTests({
  async 'query-well-formed'(t) {
    // Every type of the contract (its code is checked only here: answers repeat the question),
    // then a NAME written with its trailing dot, which adds no label.
    const asks = [['www', 'A', ''], ['v6', 'AAAA', ''], ['alias', 'CNAME', ''], ['zone', 'NS', ''], ['mail', 'MX', ''], ['text', 'TXT', ''], ['abs', 'A', '.'], ['', 'NS', '.']] as const;
    for (const [label, type, dot] of asks) {
      // An empty label: the root itself, NAME ".", which is just the zero byte.
      const n = label ? name(t, label) : '';
      const server = await dnsServer(t, answerWith([]));
      const r = await runClient(t, server, { name: n + dot, type });
      const q = server.queries[0];
      if (!q) t.fail(`your client sent no query for ${n + dot} ${type}; it ${describeRunEnd(r)}.`, { hint: 'Send the query as one UDP datagram to the address and port given with --server.' });
      const problems = checkQuery(q, { name: n, type });
      if (problems.length)
        t.fail(`the query for ${n + dot} ${type} is not a standard query: ${problems.join('; ')}.\nYour client sent: ${describeQuery(q)}`, {
          hint: !label
            ? 'The root, NAME ".", is the name with no labels: just the zero byte.'
            : dot
            ? 'A trailing dot in NAME only says the name is absolute: it adds no label. Send the same bytes as for the name without the dot.'
            : 'Header: a random ID, flags 0x0100 (QR=0, OPCODE=0, RD=1), QDCOUNT=1, other counts 0. Question: the name as length-prefixed labels ending in a zero byte, then the type (A 1, NS 2, CNAME 5, MX 15, TXT 16, AAAA 28) and class IN (1); nothing after it.',
        });
      expectExit(r, 0, 'NOERROR with an empty answer section is a success: print nothing and exit with code 0.', `the server answered ${type} ${n} with NOERROR and no records`);
    }
  },

  async 'a-single'(t) {
    const n = name(t, 'host');
    const server = await dnsServer(t, answerWith([a(n, '192.0.2.1')]));
    const r = await runClient(t, server, { name: n });
    expectLines(r, [line(n, 'A', '192.0.2.1')]);
    expectExit(r, 0);
  },

  async 'a-multiple'(t) {
    const n = name(t, 'multi');
    const ips = ['192.0.2.3', '192.0.2.1', '198.51.100.7'];
    const server = await dnsServer(t, answerWith(ips.map((ip) => a(n, ip))));
    const r = await runClient(t, server, { name: n });
    expectLines(r, ips.map((ip) => line(n, 'A', ip)), 'Print every record of the answer section, in the order the server sent them.');
    expectExit(r, 0);
  },

  async aaaa(t) {
    const n = name(t, 'v6');
    const cases: Array<[string, string]> = [
      ['::1', '::1'],
      ['2001:db8::1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:DB8:AAAA:0BCD:0:0:0:0', '2001:db8:aaaa:bcd::'],
      ['fe80:1:2:3:4:5:6:7', 'fe80:1:2:3:4:5:6:7'],
      ['::', '::'],
      ['::ffff:1.2.3.4', '::ffff:102:304'],
    ];
    const server = await dnsServer(t, answerWith(cases.map(([ip]) => ({ type: 'AAAA', name: n, ttl: TTL, data: ip }))));
    const r = await runClient(t, server, { name: n, type: 'AAAA' });
    expectLines(r, cases.map(([, shown]) => line(n, 'AAAA', shown)));
    expectExit(r, 0);
  },

  async 'cname-chain'(t) {
    const n = name(t, 'www');
    const [x, y] = [name(t, 'alias'), name(t, 'edge')];
    const server = await dnsServer(t, answerWith([
      { type: 'CNAME', name: n, ttl: TTL, data: x },
      { type: 'CNAME', name: x, ttl: TTL, data: y },
      a(y, '192.0.2.44'),
    ]));
    const r = await runClient(t, server, { name: n });
    expectLines(r, [line(n, 'CNAME', `${x}.`), line(x, 'CNAME', `${y}.`), line(y, 'A', '192.0.2.44')], 'Print every record of the answer section, CNAMEs included, each with its own owner name.');
    expectExit(r, 0);
  },

  async ns(t) {
    const n = name(t, 'zone');
    // As real servers send it: the answer, the zone's NS again in the authority section and the
    // name servers' addresses (glue) in the additional section. Only the answer is printed.
    const server = await dnsServer(t, (q) => ({
      bytes: wireMessage({
        id: idOf(q),
        questions: [askedQuestion(q, n, 'NS')],
        answers: [
          { owner: n, type: 'NS', ttl: TTL, rdata: encodeName(`ns1.${n}`) },
          { owner: n, type: 'NS', ttl: TTL, rdata: encodeName('ns2.example.net') },
        ],
        authority: [{ owner: n, type: 'NS', ttl: TTL, rdata: encodeName(`ns1.${n}`) }],
        additional: [wireA(`ns1.${n}`, '192.0.2.53'), { owner: 'ns2.example.net', type: 'AAAA', ttl: TTL, rdata: Buffer.from('20010db8000000000000000000000053', 'hex') }],
      }),
    }));
    const r = await runClient(t, server, { name: n, type: 'NS' });
    expectLines(r, [line(n, 'NS', `ns1.${n}.`), line(n, 'NS', 'ns2.example.net.')], 'Print the answer section only (ANCOUNT records): the authority and additional sections are not printed.');
    expectExit(r, 0);
    // The root's name servers: the owner is the root, printed ".".
    const rootServer = await dnsServer(t, answerWith([{ type: 'NS', name: '.', ttl: TTL, data: `a.root-${n}` }]));
    const r2 = await runClient(t, rootServer, { name: '.', type: 'NS' });
    expectLines(r2, [`.\t${TTL}\tIN\tNS\ta.root-${n}.`], 'The root is printed ".": the name with no labels, and its trailing dot.', 'the server answered NS for the root (".")');
    expectExit(r2, 0);
  },

  async mx(t) {
    const n = name(t, 'mail');
    const server = await dnsServer(t, answerWith([
      { type: 'MX', name: n, ttl: TTL, data: { preference: 10, exchange: `mx1.${n}` } },
      { type: 'MX', name: n, ttl: TTL, data: { preference: 20, exchange: 'backup.example.net' } },
    ]));
    const r = await runClient(t, server, { name: n, type: 'MX' });
    expectLines(r, [line(n, 'MX', `10 mx1.${n}.`), line(n, 'MX', '20 backup.example.net.')]);
    expectExit(r, 0);
  },

  async txt(t) {
    const n = name(t, 'text');
    const server = await dnsServer(t, answerWith([
      { type: 'TXT', name: n, ttl: TTL, data: ['hello world', 'say "hi"', 'back\\slash'] },
      { type: 'TXT', name: n, ttl: TTL, data: ['v=spf1 -all'] },
      { type: 'TXT', name: n, ttl: TTL, data: ['café crème'] },
    ]));
    const r = await runClient(t, server, { name: n, type: 'TXT' });
    expectLines(r, [line(n, 'TXT', '"hello world" "say \\"hi\\"" "back\\\\slash"'), line(n, 'TXT', '"v=spf1 -all"'), line(n, 'TXT', '"café crème"')]);
    expectExit(r, 0);
  },

  async 'compressed-names'(t) {
    const n = name(t, 'packed');
    const server = await dnsServer(t, (q) => ({
      bytes: responseWithPointers(q.packet?.id ?? 0, n, 'A', [
        { ttl: TTL, rdata: Buffer.from([192, 0, 2, 21]) },
        { ttl: TTL, rdata: Buffer.from([192, 0, 2, 22]) },
        { ttl: TTL, rdata: Buffer.from([192, 0, 2, 23]) },
      ]),
    }));
    const r = await runClient(t, server, { name: n });
    expectLines(r, [line(n, 'A', '192.0.2.21'), line(n, 'A', '192.0.2.22'), line(n, 'A', '192.0.2.23')], 'Answer owner names here are compression pointers (two bytes starting 0b11): the first points at the question\'s name, the next at the previous owner — a pointer to a pointer. Follow pointers until a zero byte.');
    expectExit(r, 0);
  },

  async ttl(t) {
    // All 32 bits, unsigned: the top bit set reads negative in a signed int.
    const n = name(t, 'cache');
    const ttls = [0, 86400, 2147483647, 2147483648, 3000000000, 4294967295];
    const ips = ttls.map((_, i) => `192.0.2.${60 + i}`);
    const server = await dnsServer(t, (q) => ({ bytes: wireMessage({ id: idOf(q), questions: [askedQuestion(q, n, 'A')], answers: ttls.map((ttl, i) => wireA(n, ips[i], ttl)) }) }));
    const r = await runClient(t, server, { name: n });
    expectLines(r, ttls.map((ttl, i) => line(n, 'A', ips[i], ttl)), 'The TTL is 32 bits, unsigned: print it in decimal, 0 to 4294967295.');
    expectExit(r, 0);
  },

  async 'unknown-type'(t) {
    // Records of types outside the contract, beside the A record asked for: RFC 3597 form.
    const n = name(t, 'odd');
    const answers: WireRecord[] = [
      { owner: n, type: 65280, ttl: TTL, rdata: Buffer.from('abcd01', 'hex') },
      wireA(n, '192.0.2.40'),
      { owner: n, type: 65400, ttl: TTL, rdata: Buffer.alloc(0) },
      { owner: n, type: 65535, ttl: TTL, rdata: Buffer.from('00ff10e0', 'hex') },
    ];
    const server = await dnsServer(t, (q) => ({ bytes: wireMessage({ id: idOf(q), questions: [askedQuestion(q, n, 'A')], answers }) }));
    const r = await runClient(t, server, { name: n });
    const situation = 'the answer section held records of types 65280, 1 (A), 65400 (empty RDATA) and 65535';
    const hint = 'Records of types outside the contract are not malformed: print them with the type as TYPE<code> and the rdata in RFC 3597 form, \\# <length> <lower-case hex> (just \\# 0 when empty).';
    if (!printedLines(r).length && r.exitCode === 2)
      t.fail(`${situation};\nyour client printed nothing and ${describeRunEnd(r)}: it took the answer for malformed and ignored it.${stderrNote(r)}`, { hint });
    expectLines(r, [line(n, 'TYPE65280', '\\# 3 abcd01'), line(n, 'A', '192.0.2.40'), line(n, 'TYPE65400', '\\# 0'), line(n, 'TYPE65535', '\\# 4 00ff10e0')], hint, situation);
    expectExit(r, 0, hint, situation);
  },

  async nxdomain(t) {
    const n = name(t, 'nowhere');
    const server = await dnsServer(t, (q) => ({ bytes: respond(q, [], { rcode: 'NXDOMAIN' }) }));
    const r = await runClient(t, server, { name: n });
    expectExit(r, 3, 'RCODE 3 (NXDOMAIN, the low four bits of the flags) means the name does not exist: exit with code 3.', 'the server answered NXDOMAIN (RCODE 3)');
    expectLines(r, [], undefined, 'the server answered NXDOMAIN (RCODE 3), with no records');
    // A CNAME to a name that does not exist: NXDOMAIN, and the CNAME in the answer section.
    const alias = name(t, 'dangling');
    const gone = name(t, 'gone');
    const server2 = await dnsServer(t, (q) => ({ bytes: respond(q, [{ type: 'CNAME', name: alias, ttl: TTL, data: gone }], { rcode: 'NXDOMAIN' }) }));
    const r2 = await runClient(t, server2, { name: alias });
    const situation = `the server answered NXDOMAIN (RCODE 3) with a CNAME to ${gone} in the answer section`;
    expectExit(r2, 3, 'RCODE 3 (NXDOMAIN) means exit code 3, whatever the answer section holds.', situation);
    expectLines(r2, [line(alias, 'CNAME', `${gone}.`)], 'With RCODE 3 or 4, print the answer section all the same (here a CNAME to a name that does not exist).', situation);
  },

  async nodata(t) {
    const n = name(t, 'empty');
    const server = await dnsServer(t, answerWith([]));
    const r = await runClient(t, server, { name: n, type: 'AAAA' });
    const situation = 'the server answered NOERROR with no records (the name exists, but has no AAAA)';
    expectLines(r, [], undefined, situation);
    expectExit(r, 0, 'NOERROR with an empty answer section is a success: print nothing and exit with code 0.', situation);
  },

  async servfail(t) {
    for (const [rcode, code] of [['SERVFAIL', 2], ['REFUSED', 5], ['FORMERR', 1], ['NOTIMP', 4]] as const) {
      const n = name(t, rcode.toLowerCase());
      const server = await dnsServer(t, (q) => ({ bytes: wireMessage({ id: idOf(q), rcode: code, questions: [askedQuestion(q, n, 'A')] }) }));
      const r = await runClient(t, server, { name: n });
      t.log(`${rcode}: ${r.exitCode}`);
      expectExit(r, 4, `RCODE ${code} (${rcode}) is an error other than NXDOMAIN: exit with code 4 (any RCODE but 0 and 3).`, `the server answered ${rcode} (RCODE ${code})`);
    }
  },

  async 'first-query-dropped'(t) {
    const T = 400;
    const n = name(t, 'lossy');
    const server = await dnsServer(t, (q) => (q.n === 1 ? undefined : { bytes: respond(q, [a(n, '192.0.2.5')]) }));
    const [r, lag] = await withLag(() => runClient(t, server, { name: n, timeoutMs: T, retries: 2 }));
    const [q1, q2] = server.queries;
    if (!q2)
      t.fail(`the server dropped the first query; your client sent ${server.queries.length === 1 ? 'no other' : 'no query at all'} and ${describeRunEnd(r)}; expected the query again ${T} ms (--timeout-ms) after the first.`, {
        hint: 'Wait T ms for an answer; with none, retransmit (at most R times).',
      });
    // Each arrival may have been timestamped up to `lag` late: the true gap is within ± lag.
    const gap = q2.atMs - q1.atMs;
    t.log(`retransmitted after ${gap} ms (T = ${T} ms)${lag > 20 ? `; the grader lagged up to ${lag} ms, allowed either way` : ''}`);
    // Timing only if the answer and the exit code are right: checked before a timing verdict.
    const answers = () => {
      expectLines(r, [line(n, 'A', '192.0.2.5')]);
      expectExit(r, 0);
    };
    if (gap + lag < 0.8 * T)
      t.failTiming({
        message: `your client retransmitted after ${gap} ms, before the ${T} ms of --timeout-ms had passed.`,
        hint: 'Each attempt waits the full T ms (--timeout-ms) before the next query.',
        measurements: [atLeast('retransmitted after', gap, 0.8 * T, { why: `T = ${T} ms, less a fifth for timer granularity` })],
        answersRight: answers,
      });
    // Up to 2T: room for a loaded machine, and still far from a client that ignores T and
    // waits whole seconds (dig, whose timeout is at least 1 s, retransmits after ~1,000 ms).
    if (gap - lag > 2 * T)
      t.failTiming({
        message: `your client retransmitted only after ${gap} ms; --timeout-ms was ${T} ms.`,
        hint: '--timeout-ms is in milliseconds: retransmit once T ms have passed without an acceptable answer.',
        measurements: [atMost('retransmitted after', gap, 2 * T, { why: `T = ${T} ms, doubled for a loaded machine` })],
        answersRight: answers,
      });
    answers();
  },

  async 'all-dropped'(t) {
    const [T, R] = [250, 2];
    const n = name(t, 'void');
    const server = await dnsServer(t, () => undefined);
    const before = performance.now();
    const [r, lag] = await withLag(() => runClient(t, server, { name: n, timeoutMs: T, retries: R }));
    const after = performance.now();
    const queries = server.queries.length;
    if (queries !== 1 + R)
      t.fail(`the server answered nothing; your client sent ${queries} ${queries === 1 ? 'query' : 'queries'} and ${describeRunEnd(r)}; with --retries ${R} it must send exactly ${1 + R} (the first and ${R} retransmissions) and then give up.`, {
        hint: 'Count attempts: one query, then at most R retransmissions, each after T ms of silence.',
      });
    expectExit(r, 2, 'After 1+R attempts without an acceptable answer, give up with exit code 2.', `the server answered none of the ${1 + R} queries`);
    // When the client exited, as the grader can know it: no earlier than the start of the run
    // plus its duration (the start may come later than `before`), no later than the moment the
    // run returned (the exit is seen late). On a loaded machine the two can be 200 ms apart; each
    // bound is judged on the end that favours the program, so the load never decides. The first
    // query may itself have been timestamped up to `lag` late, which only shortens both; the exit
    // may have been seen up to `lag` late too, which the earliest end takes off.
    const firstAt = server.startedAt + server.queries[0].atMs;
    const earliest = Math.max(0, Math.round(before + r.durationMs - firstAt) - lag);
    const latest = Math.round(after - firstAt) + lag;
    t.log(`gave up ${earliest}–${latest} ms after the first query (${1 + R} × ${T} ms = ${(1 + R) * T} ms)`);
    // The query count and the exit code are right (checked above): only time can be off here.
    if (latest < (1 + R) * T * 0.8)
      t.failTiming({
        message: `your client gave up ${latest} ms after its first query, before ${1 + R} attempts of ${T} ms had passed.`,
        hint: 'Wait the full T ms after the last retransmission too.',
        measurements: [atLeast('gave up after', latest, (1 + R) * T * 0.8, { why: `${1 + R} attempts × T = ${T} ms, less a fifth for timer granularity` })],
        answersRight: true,
      });
    if (earliest > (1 + R) * T + 800)
      t.failTiming({
        message: `your client gave up only ${earliest} ms after its first query; ${1 + R} attempts of ${T} ms take ${(1 + R) * T} ms.`,
        hint: 'Give up as soon as the last attempt\'s T ms have passed.',
        measurements: [atMost('gave up after', earliest, (1 + R) * T + 800, { why: `${1 + R} attempts × T = ${T} ms, plus 800 ms for a loaded machine` })],
        answersRight: true,
      });
  },

  async 'late-answer'(t) {
    const T = 400;
    const n = name(t, 'slow');
    // The answer to the first query is sent only once the retransmission has arrived (an event,
    // not a guess at timing), to where the first query came from; nothing answers the others.
    const server = await dnsServer(t, (q) => {
      const first = server.queries[0];
      return q.n === 2 ? { bytes: respond(first, [a(n, '192.0.2.9')]), to: first } : undefined;
    });
    const r = await runClient(t, server, { name: n, timeoutMs: T, retries: 2 });
    t.log(`${server.queries.length} queries sent`);
    if (server.queries.length < 2)
      t.fail(`your client sent only one query, so the answer to it (held back until a retransmission) never came; it ${describeRunEnd(r)}.`, { hint: 'With no acceptable answer after T ms, send the query again.' });
    const [q1, q2] = server.queries;
    if (!printedLines(r).length && q1.from.port !== q2.from.port)
      t.fail(`your client sent its first query from port ${q1.from.port} and the retransmission from port ${q2.from.port}:\nthe answer to the first query, sent back to port ${q1.from.port} once the second arrived, never reached it. It printed nothing and ${describeRunEnd(r)}.`, {
        hint: 'Keep the same socket (the same source port) for every attempt of a run, and keep accepting the IDs of every query it sent: the answer to attempt 1 may arrive during attempt 2.',
      });
    expectLines(r, [line(n, 'A', '192.0.2.9')], 'An answer to an earlier attempt is still the answer: keep accepting the IDs of every query this run sent.', 'the server answered the first query (with its ID) only after the second arrived');
    expectExit(r, 0);
  },

  async 'junk-keeps-timer'(t) {
    const T = 600;
    const n = name(t, 'junk');
    // The first attempt gets only junk: decoys with the wrong ID at 0.3 T, 0.6 T and 0.9 T. The
    // retransmission is still due at T; a timer restarted by each decoy fires at 0.9 T + T. The
    // bound 1.3 T is 0.3 T after the one and 0.6 T before the other, room for a loaded machine.
    const decoy = (q: DnsQuery) => ({ bytes: respond(q, [a(n, '198.51.100.66')], { id: (idOf(q) + 1) & 0xffff }), delayMs: 0.3 * T });
    const server = await dnsServer(t, (q) => (q.n === 1 ? [decoy(q), decoy(q), decoy(q)] : { bytes: respond(q, [a(n, '192.0.2.12')]) }));
    const [r, lag] = await withLag(() => runClient(t, server, { name: n, timeoutMs: T, retries: 2 }));
    const [q1, q2] = server.queries;
    if (!q2) {
      const decoys = `the only replies to the first query were decoys with the wrong ID, at ${0.3 * T}, ${0.6 * T} and ${0.9 * T} ms`;
      if (r.stdout.includes('198.51.100.66'))
        t.fail(`${decoys};\nyour client accepted one: it printed the decoy's address 198.51.100.66 and ${describeRunEnd(r)}.`, { hint: HINT_ACCEPT });
      t.fail(`${decoys};\nyour client sent no other query and ${describeRunEnd(r)}; expected a retransmission at ${T} ms.`, {
        hint: 'A decoy is not an answer: with no acceptable answer T ms after the query, send it again (at most R times), as if the decoy had never come.',
      });
    }
    const gap = q2.atMs - q1.atMs;
    t.log(`decoys arrived ${0.3 * T}, ${0.6 * T} and ${0.9 * T} ms after the first query; the retransmission came ${gap} ms after it (T = ${T} ms)`);
    const answers = () => {
      expectLines(r, [line(n, 'A', '192.0.2.12')], HINT_ACCEPT, 'the server sent three decoys with the wrong ID, then answered the retransmission');
      expectExit(r, 0);
    };
    // The true gap is within ± lag of the timestamps' (see first-query-dropped).
    if (gap - lag > 1.3 * T) {
      const measurements = [atMost('retransmitted after', gap, 1.3 * T, { why: `T = ${T} ms from the first query, not from the last decoy at ${0.9 * T} ms` })];
      const hint = 'Each attempt has a deadline fixed when the query is sent: an ignored datagram does not give the server more time. Wait for (deadline - now), not for T, after each datagram.';
      // T after the last decoy (1.9 T): the decoys restarted the timer. That is a logic bug, not
      // slowness: not a timing-only verdict, even with the answers right.
      if (Math.abs(gap - 1.9 * T) <= 0.2 * T + lag) {
        try {
          answers();
        } catch (e) {
          throw e instanceof TestFailure ? withTiming(e, measurements) : e;
        }
        fail(`your client retransmitted ${gap} ms after its first query: ${T} ms (--timeout-ms) after the last decoy, at ${0.9 * T} ms, not after the query.\nThe ignored decoys restarted the attempt's timer, so a stream of junk would keep your client waiting forever.`, {
          hint,
          timing: { onlyTiming: false, measurements },
        });
      }
      t.failTiming({
        message: `your client retransmitted ${gap} ms after its first query; it was due ${T} ms after it, whatever the decoys before.`,
        hint,
        measurements,
        answersRight: answers,
      });
    }
    answers();
  },

  async 'wrong-id'(t) {
    await decoyTest(t, 'spoof-id', [
      {
        what: 'a decoy with the wrong ID (A 198.51.100.66)',
        address: '198.51.100.66',
        send: (q, n) => [{ bytes: respond(q, [a(n, '198.51.100.66')], { id: (idOf(q) + 1) & 0xffff }) }],
        hint: 'The decoy carried an ID your client never sent: accept a response only if its ID is the ID of a query this run sent. Ignore anything else and keep waiting (without restarting the timer).',
      },
    ]);
  },

  async 'wrong-port'(t) {
    const decoys: Decoy[] = [
      {
        what: 'a decoy from another port (A 198.51.100.66)',
        address: '198.51.100.66',
        send: (q, n) => [{ bytes: respond(q, [a(n, '198.51.100.66')]), fromOtherPort: true }],
        hint: 'The decoy came from another port of 127.0.0.1: check the source address and port of every datagram (recvfrom gives them), only the server you asked may answer.',
      },
    ];
    // A forged source address needs a second loopback address (Linux has all of 127/8; macOS
    // only 127.0.0.1): where there is none, only the port is checked.
    const probe = await dnsServer(t, () => undefined);
    if (await probe.otherAddressAvailable())
      decoys.push({
        what: "a decoy from 127.0.0.2, with the server's port number (A 198.51.100.67)",
        address: '198.51.100.67',
        send: (q, n) => [{ bytes: respond(q, [a(n, '198.51.100.67')]), fromOtherAddress: true }],
        hint: "The decoy came from 127.0.0.2, with the server's port number: check the source address as well as the port (recvfrom gives both); only the server you asked may answer.",
      });
    else t.log('127.0.0.2 is not available here: only the source port is checked');
    await decoyTest(t, 'spoof-port', decoys);
  },

  async 'wrong-question'(t) {
    const other = 'other.example.test';
    const hint = (what: string) => `The decoy's question differs from yours (${what}): accept a response only if it repeats your question, QDCOUNT = 1, the same name (ignoring case), type and class IN.`;
    await decoyTest(t, 'spoof-question', [
      {
        what: 'a decoy answering a question for another name (A 198.51.100.66)',
        address: '198.51.100.66',
        send: (q) => [{ bytes: respond(q, [a(other, '198.51.100.66')], { question: { type: 'A', name: other, class: 'IN' } }) }],
        hint: hint('another name'),
      },
      {
        what: 'a decoy whose question has your name but type AAAA (with an A record 198.51.100.67)',
        address: '198.51.100.67',
        send: (q, n) => [{ bytes: wireMessage({ id: idOf(q), questions: [{ name: n, type: 'AAAA' }], answers: [wireA(n, '198.51.100.67')] }) }],
        hint: hint('another type'),
      },
      {
        what: 'a decoy whose question has your name and type but class CH, 3 (with an A record 198.51.100.68)',
        address: '198.51.100.68',
        send: (q, n) => [{ bytes: wireMessage({ id: idOf(q), questions: [{ name: n, type: 'A', class: 3 }], answers: [wireA(n, '198.51.100.68')] }) }],
        hint: hint('another class'),
      },
      {
        what: 'a decoy with no question at all, QDCOUNT 0 (with an A record 198.51.100.69)',
        address: '198.51.100.69',
        send: (q, n) => [{ bytes: wireMessage({ id: idOf(q), questions: [], answers: [wireA(n, '198.51.100.69')] }) }],
        hint: hint('no question'),
      },
    ]);
  },

  async 'name-case'(t) {
    // Names compare without regard to case (and servers may answer in another case, as with
    // DNS 0x20): the answer repeats the question in mixed case, and its owner is printed as sent.
    const n = name(t, 'mixed');
    const mixed = [...n].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join('');
    const server = await dnsServer(t, (q) => ({ bytes: wireMessage({ id: idOf(q), questions: [{ name: mixed, type: 'A' }], answers: [wireA(mixed, '192.0.2.10')] }) }));
    const r = await runClient(t, server, { name: n, timeoutMs: 500, retries: 1 });
    const situation = `your client asked for ${n}; the answer repeated the question as ${mixed}`;
    if (!printedLines(r).length && r.exitCode === 2)
      t.fail(`${situation} (the same name in other case):\nyour client ignored that answer (it printed nothing and ${describeRunEnd(r)}).${stderrNote(r)}`, {
        hint: 'Names are compared case-insensitively: WWW.Example.COM is www.example.com. Compare the question\'s name with yours ignoring the case of A-Z (lower-case both).',
      });
    expectLines(r, [line(mixed, 'A', '192.0.2.10')], 'Compare names ignoring case, but print owner names in the case the server sent them.', situation);
    expectExit(r, 0, undefined, situation);
  },

  async 'not-a-response'(t) {
    await decoyTest(t, 'spoof-qr', [
      {
        what: 'a decoy with QR=0, a query (A 198.51.100.66)',
        address: '198.51.100.66',
        send: (q, n) => [{ bytes: respond(q, [a(n, '198.51.100.66')], { qr: false }) }],
        hint: 'The decoy had QR=0 (a query, not a response): accept a datagram only if QR (0x8000 in the flags) is 1.',
      },
    ]);
  },

  async 'malformed-answers'(t) {
    const hint =
      'A datagram that cannot be parsed is not an answer: catch the parse error, ignore the datagram and keep waiting. Check every length (a label, RDLENGTH, ANCOUNT) against the bytes that are really there, and every RDATA against its type\'s shape.';
    const broken = (q: DnsQuery, m: Omit<Parameters<typeof wireMessage>[0], 'id' | 'questions'>, n: string) => [{ bytes: wireMessage({ id: idOf(q), questions: [askedQuestion(q, n, 'A')], ...m }) }];
    await decoyTest(
      t,
      'broken',
      [
        { what: 'a cut-off header (6 bytes)', send: (q) => [{ bytes: malformed.truncatedHeader(idOf(q)) }] },
        { what: 'a response whose answer label runs past the end of the datagram', send: (q, n) => [{ bytes: malformed.labelPastEnd(idOf(q), n, 'A') }] },
        {
          what: 'a response whose answer owner starts with the reserved label type 0x41 (01xxxxxx), with an A record 198.51.100.67',
          address: '198.51.100.67',
          send: (q, n) => broken(q, { answers: [{ ...wireA(n, '198.51.100.67'), owner: Buffer.concat([Buffer.from([0x41]), Buffer.alloc(65, 'x'), Buffer.from([0])]) }] }, n),
          hint: 'A length byte 01xxxxxx or 10xxxxxx is neither a label (at most 63) nor a pointer (11xxxxxx): the datagram is malformed, ignore it.',
        },
        {
          what: 'a response whose A record claims RDLENGTH 4 but ends after 2 bytes (198.51)',
          send: (q, n) => broken(q, { answers: [{ ...wireA(n, '198.51.100.66'), rdata: Buffer.from([198, 51]), rdlength: 4 }] }, n),
          hint: 'RDLENGTH is a claim: check that many bytes are really there before reading RDATA; if not, the datagram is malformed, ignore it.',
        },
        {
          what: 'a response claiming 2 answers (ANCOUNT 2) that holds one, A 198.51.100.68',
          address: '198.51.100.68',
          send: (q, n) => broken(q, { answers: [wireA(n, '198.51.100.68')], counts: { an: 2 } }, n),
          hint: 'ANCOUNT is a claim: a datagram that ends before ANCOUNT records is malformed, ignore it (do not print the records it has).',
        },
        {
          what: 'a response whose A record has 5 bytes of RDATA (198.51.100.69 and a zero)',
          address: '198.51.100.69',
          send: (q, n) => broken(q, { answers: [{ ...wireA(n, '198.51.100.69'), rdata: Buffer.from([198, 51, 100, 69, 0]) }] }, n),
          hint: 'An A record has exactly 4 bytes of RDATA: any other RDLENGTH makes the datagram malformed, ignore it.',
        },
        {
          what: 'a response whose CNAME target ends 2 bytes before RDLENGTH, then an A record 198.51.100.70',
          address: '198.51.100.70',
          send: (q, n) => broken(q, { answers: [{ owner: n, type: 'CNAME', ttl: TTL, rdata: Buffer.concat([encodeName(`x.${n}`), Buffer.from([1, 2])]) }, wireA(`x.${n}`, '198.51.100.70')] }, n),
          hint: 'A name in RDATA must end exactly at RDLENGTH: if it does not, the datagram is malformed, ignore it.',
        },
        {
          what: 'a response whose TXT string claims 20 bytes where 5 are left, then an A record 198.51.100.71',
          address: '198.51.100.71',
          send: (q, n) => broken(q, { answers: [{ owner: n, type: 'TXT', ttl: TTL, rdata: Buffer.concat([Buffer.from([20]), Buffer.from('short')]) }, wireA(n, '198.51.100.71')] }, n),
          hint: 'A TXT character-string longer than what is left of RDATA makes the datagram malformed: ignore it.',
        },
        {
          what: 'a response whose answer owner is 306 bytes long (five 60-byte labels), with an A record 198.51.100.72',
          address: '198.51.100.72',
          send: (q, n) => broken(q, { answers: [{ ...wireA(n, '198.51.100.72'), owner: ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(60)).join('.') }] }, n),
          hint: 'A name is at most 255 bytes: a longer one makes the datagram malformed, ignore it.',
        },
      ],
      hint,
    );
  },

  async 'pointer-loop'(t) {
    const hint = 'Compression pointers can loop. Follow only pointers that point strictly before where the current run of labels started, and at most a bounded number of them; on a loop, treat the datagram as malformed and ignore it.';
    await decoyTest(
      t,
      'loop',
      [
        { what: 'a malformed answer whose compression pointer points at itself', send: (q, n) => [{ bytes: malformed.pointerLoop(idOf(q), n, 'A') }] },
        { what: 'a malformed answer whose two owner names are pointers to each other', send: (q, n) => [{ bytes: malformed.pointerPair(idOf(q), n, 'A') }] },
      ],
      hint,
    );
  },

  async 'random-ids'(t) {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const n = name(t, `id${i}`);
      const server = await dnsServer(t, answerWith([a(n, '192.0.2.1')]));
      const r = await runClient(t, server, { name: n });
      expectExit(r, 0);
      ids.push(server.queries[0]?.packet?.id ?? -1);
    }
    t.log(`IDs: ${ids.map((id) => '0x' + id.toString(16).padStart(4, '0')).join(', ')}`);
    if (new Set(ids).size === 1)
      t.fail(`three runs all used the transaction ID 0x${ids[0].toString(16).padStart(4, '0')}.`, {
        hint: 'An attacker who can guess the ID can forge answers: take it from a cryptographically random source (secrets/os.urandom, crypto.randomInt), new for every run.',
      });
  },

  async 'name-too-long'(t) {
    const label64 = `${'a'.repeat(64)}.example.test`;
    const long = Array.from({ length: 4 }, (_, i) => `${String.fromCharCode(98 + i)}`.repeat(63)).join('.') + '.test';
    const cases = [
      ['a 64-byte label', label64, 'the name has a 64-byte label (63 at most)'],
      [`a ${long.length + 2}-byte name`, long, `the name takes ${long.length + 2} bytes on the wire (255 at most)`],
    ] as const;
    for (const [what, n, situation] of cases) {
      const server = await dnsServer(t, () => undefined);
      const r = await runClient(t, server, { name: n, timeoutMs: 300, retries: 0 });
      // The process has exited, so anything it sent is queued on the loopback socket: one turn of
      // the event loop (its poll phase comes before setImmediate) delivers it.
      await new Promise((resolve) => setImmediate(resolve));
      if (server.queries.length)
        t.fail(`with ${what}, your client sent ${server.queries.length === 1 ? 'a query' : `${server.queries.length} queries`}; such a name cannot be encoded and must be refused before anything is sent.`, {
          hint: 'Labels are at most 63 bytes and a whole name at most 255 bytes on the wire: check, print a usage error on stderr and exit with code 1.',
        });
      expectExit(r, 1, 'A name the protocol cannot carry is a usage error: exit with code 1 before sending anything.', situation);
    }
    // And the limits themselves are allowed: a 63-byte label, a name of exactly 255 bytes.
    const at255 = ['c', 'd', 'e'].map((c) => c.repeat(63)).join('.') + '.' + 'f'.repeat(61);
    for (const [what, n] of [['a 63-byte label', `${'a'.repeat(63)}.example.test`], ['a name of exactly 255 bytes on the wire', at255]] as const) {
      const server = await dnsServer(t, answerWith([]));
      const r = await runClient(t, server, { name: n, timeoutMs: 1000, retries: 0 });
      if (!server.queries.length || r.exitCode === 1)
        t.fail(`with ${what} (within the limits), your client ${server.queries.length ? 'sent the query and' : 'sent nothing and'} ${describeRunEnd(r)}; expected the query to be sent.${stderrNote(r)}`, {
          hint: 'The limits are inclusive: a label may have 63 bytes, and a name may take 255 bytes on the wire (length bytes, labels and the final zero).',
        });
    }
  },

  async 'usage-errors'(t) {
    const n = name(t, 'args');
    // Options in another order (NAME first): accepted, the query sent.
    const server = await dnsServer(t, answerWith([]));
    const shuffled = [n, '--type', 'MX', '--retries', '1', '--timeout-ms', '1000', '--server', server.address];
    const r = await t.run(shuffled);
    t.log(`ran with: ${shuffled.join(' ')}`);
    const q = server.queries[0];
    const asked = q?.packet?.questions?.[0];
    const right = asked && asked.name.toLowerCase() === n && asked.type === 'MX';
    if (!right || r.exitCode === 1)
      t.fail(`with the options in another order (NAME first), your client ${q ? `sent ${describeQuery(q)}\nand` : 'sent no query and'} ${describeRunEnd(r)}; expected the MX query for ${n}.${stderrNote(r)}`, {
        hint: 'Accept the options in any order: NAME is the one argument that is neither an option nor an option\'s value.',
      });
    const bad: Array<[string, (addr: string) => string[]]> = [
      ['an unknown type (--type BOGUS)', (addr) => ['--server', addr, '--timeout-ms', '300', '--retries', '0', '--type', 'BOGUS', n]],
      ['a bad number (--timeout-ms abc)', (addr) => ['--server', addr, '--timeout-ms', 'abc', '--retries', '0', n]],
      ['an unknown option (--verbose)', (addr) => ['--server', addr, '--timeout-ms', '300', '--retries', '0', '--verbose', n]],
      ['an option without its value (--type last)', (addr) => ['--server', addr, '--timeout-ms', '300', '--retries', '0', n, '--type']],
      // Nothing can be sent without --server; only the exit code is checked.
      ['no --server', () => ['--timeout-ms', '300', '--retries', '0', n]],
    ];
    for (const [what, args] of bad) {
      const s2 = await dnsServer(t, () => undefined);
      const r2 = await t.run(args(s2.address));
      t.log(`${what}: ${describeRunEnd(r2)}`);
      // The process has exited: anything it sent is queued on loopback, one turn delivers it.
      await new Promise((resolve) => setImmediate(resolve));
      if (s2.queries.length)
        t.fail(`with ${what}, your client sent a query; a usage error must be refused before anything is sent.`, { hint: 'Check the whole command line first: on a usage error print a message on stderr and exit with code 1, sending nothing.' });
      expectExit(r2, 1, 'A missing --server, an option without its value, an unknown option, a bad number or an unknown type is a usage error: exit with code 1, before sending anything.', `the command line had ${what}`);
    }
  },

  async 'tc-fallback'(t) {
    const n = name(t, 'big');
    const all = Array.from({ length: 12 }, (_, i) => a(n, `192.0.2.${100 + i}`));
    // Over UDP: TC=1, ANCOUNT 12, but one record and part of the next (cut short, as the
    // contract allows). Over TCP: the length prefix and the message in three pieces.
    const server = await dnsServer(
      t,
      (q) => {
        const cut = wireMessage({ id: idOf(q), tc: true, questions: [askedQuestion(q, n, 'A')], answers: all.slice(0, 2).map((x) => wireA(n, String(x.data))), counts: { an: 12 } });
        return { bytes: cut.subarray(0, cut.length - 9) };
      },
      (q) => ({ bytes: respond(q, all), pieces: [1, 20], pieceGapMs: 40 }),
    );
    const r = await runClient(t, server, { name: n });
    if (!server.queries.some((q) => q.transport === 'tcp'))
      t.fail(`the UDP answer had TC=1 (truncated: ANCOUNT 12, then 1 record and part of the next), but your client never asked again over TCP;\nit printed ${printedLines(r).length} of the 12 lines and ${describeRunEnd(r)}.`, {
        hint: 'TC=1 means the answer did not fit: with TC=1 the header and question are enough (the answer section may be cut short). Open a TCP connection to the same address and port, send the query with a two-byte length prefix, and read the length-prefixed answer.',
      });
    expectLines(r, all.map((x) => line(n, 'A', String(x.data))), 'Over TCP, the length prefix and the message may arrive in several pieces: read until you have the two bytes, then until you have the whole message.', 'the UDP answer had TC=1; over TCP, the server sent all 12 records (the length prefix and the message in three pieces, 40 ms apart)');
    expectExit(r, 0);
    // When TCP fails too: a server that accepts and never answers, then no TCP at all. Either
    // way there is no acceptable response: exit code 2, by itself (the TCP exchange has a deadline).
    for (const [label, what, tcp] of [
      ['mute', 'accepted the TCP connection and never answered', () => undefined],
      ['notcp', 'refused the TCP connection (nothing listens)', undefined],
    ] as const) {
      const m = name(t, label);
      const s2 = await dnsServer(t, (q) => ({ bytes: respond(q, [a(m, '192.0.2.100')], { tc: true }) }), tcp);
      const r2 = await runClient(t, s2, { name: m, timeoutMs: 300, retries: 1 });
      const situation = `the UDP answer had TC=1, and the server ${what}`;
      if (r2.timedOut)
        t.fail(`${situation}; your client ${describeRunEnd(r2)}.`, {
          timeout: true,
          hint: 'Give the TCP exchange a deadline too (for example T per attempt, at most 1+R attempts): a server that never answers must not hang your client.',
        });
      expectLines(r2, [], 'Do not print a truncated answer: with TC=1 and no answer over TCP, there is no acceptable response.', situation);
      expectExit(r2, 2, 'If TCP fails too, there is no acceptable response: exit with code 2.', situation);
    }
  },
});
