// The dns-client tests, written only against the harness: the grader is the DNS server, scripted
// per test; the student's client runs once per check. Tests check what the contract states —
// queries, accepted answers, printed lines, exit codes, timing against T — so `dig` passes every
// test except those needing sub-second timing and those where dig itself is lax or gives up
// (test/counterparts/dig/expected.json lists them, each with its reason).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { atLeast, atMost, defineTests, type TestContext } from '../../grader/authoring.js';
import { checkQuery, describeQuery, describeRunEnd, dnsServer, expectExit, expectLines, malformed, printedLines, respond, responseWithPointers, runClient, type DnsQuery, type RecordSpec } from '../../grader/kits/dns.js';

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

/**
 * One decoy before the real answer: the client must print the real one. `what` says what the
 * decoy was ("an answer with the wrong ID"), for the message.
 */
async function decoyTest(t: TestContext, label: string, what: string, decoy: (q: DnsQuery, n: string) => { bytes: Buffer; fromOtherPort?: boolean }[], hint = HINT_ACCEPT) {
  const n = name(t, label);
  const real = a(n, '192.0.2.10');
  const server = await dnsServer(t, (q) => (q.n === 1 ? [...decoy(q, n), { bytes: respond(q, [real]), delayMs: 60 }] : { bytes: respond(q, [real]) }));
  const r = await runClient(t, server, { name: n, timeoutMs: 1500 });
  const situation = `the server sent ${what}, then 60 ms later the real answer (A 192.0.2.10)`;
  if (r.stdout.includes('198.51.100.66'))
    t.fail(`${situation}; your client printed the decoy's address 198.51.100.66:\n${printedLines(r).map((l) => `  ${JSON.stringify(l)}`).join('\n')}`, { hint });
  expectLines(r, [line(n, 'A', '192.0.2.10')], hint, situation);
  expectExit(r, 0, hint, situation);
}

export default defineTests({
  async 'query-well-formed'(t) {
    for (const [label, type] of [['www', 'A'], ['mail', 'MX']] as const) {
      const n = name(t, label);
      const server = await dnsServer(t, answerWith([]));
      const r = await runClient(t, server, { name: n, type });
      const q = server.queries[0];
      if (!q) t.fail(`your client sent no query for ${n} ${type}; it ${describeRunEnd(r)}.`, { hint: 'Send the query as one UDP datagram to the address and port given with --server.' });
      const problems = checkQuery(q, { name: n, type });
      if (problems.length)
        t.fail(`the query for ${n} ${type} is not a standard query: ${problems.join('; ')}.\nYour client sent: ${describeQuery(q)}`, {
          hint: 'Header: a random ID, flags 0x0100 (QR=0, OPCODE=0, RD=1), QDCOUNT=1, other counts 0. Question: the name as length-prefixed labels ending in a zero byte, then the type and class IN (1).',
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
    const server = await dnsServer(t, answerWith([
      { type: 'NS', name: n, ttl: TTL, data: `ns1.${n}` },
      { type: 'NS', name: n, ttl: TTL, data: 'ns2.example.net' },
    ]));
    const r = await runClient(t, server, { name: n, type: 'NS' });
    expectLines(r, [line(n, 'NS', `ns1.${n}.`), line(n, 'NS', 'ns2.example.net.')]);
    expectExit(r, 0);
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
    ]));
    const r = await runClient(t, server, { name: n, type: 'TXT' });
    expectLines(r, [line(n, 'TXT', '"hello world" "say \\"hi\\"" "back\\\\slash"'), line(n, 'TXT', '"v=spf1 -all"')]);
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

  async nxdomain(t) {
    const n = name(t, 'nowhere');
    const server = await dnsServer(t, (q) => ({ bytes: respond(q, [], { rcode: 'NXDOMAIN' }) }));
    const r = await runClient(t, server, { name: n });
    expectExit(r, 3, 'RCODE 3 (NXDOMAIN, the low four bits of the flags) means the name does not exist: exit with code 3.', 'the server answered NXDOMAIN (RCODE 3)');
    expectLines(r, [], undefined, 'the server answered NXDOMAIN (RCODE 3), with no records');
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
    for (const rcode of ['SERVFAIL', 'REFUSED'] as const) {
      const n = name(t, rcode.toLowerCase());
      const server = await dnsServer(t, (q) => ({ bytes: respond(q, [], { rcode }) }));
      const r = await runClient(t, server, { name: n });
      t.log(`${rcode}: ${r.exitCode}`);
      const code = rcode === 'SERVFAIL' ? 2 : 5;
      expectExit(r, 4, `RCODE ${code} (${rcode}) is an error other than NXDOMAIN: exit with code 4.`, `the server answered ${rcode} (RCODE ${code})`);
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
      t.fail(`the server answered nothing; your client sent ${queries} ${queries === 1 ? 'query' : 'queries'}; with --retries ${R} it must send exactly ${1 + R} (the first and ${R} retransmissions) and then give up.`, {
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
    expectLines(r, [line(n, 'A', '192.0.2.9')], 'An answer to an earlier attempt is still the answer: keep accepting the IDs of every query this run sent.', 'the server answered the first query (with its ID) only after the second arrived');
    expectExit(r, 0);
  },

  async 'junk-keeps-timer'(t) {
    const T = 600;
    const n = name(t, 'junk');
    // The first attempt gets only a decoy (wrong ID) at 0.6 T: the retransmission is still due at
    // T, not at 0.6 T + T. The bound 1.3 T is 0.3 T from both.
    const server = await dnsServer(t, (q) =>
      q.n === 1 ? { bytes: respond(q, [a(n, '198.51.100.66')], { id: ((q.packet?.id ?? 0) + 1) & 0xffff }), delayMs: 0.6 * T } : { bytes: respond(q, [a(n, '192.0.2.12')]) },
    );
    const [r, lag] = await withLag(() => runClient(t, server, { name: n, timeoutMs: T, retries: 2 }));
    const [q1, q2] = server.queries;
    if (!q2) {
      const decoy = `the only reply to the first query was a decoy with the wrong ID at ${0.6 * T} ms`;
      if (r.stdout.includes('198.51.100.66'))
        t.fail(`${decoy}; your client accepted it: it printed the decoy's address 198.51.100.66 and ${describeRunEnd(r)}.`, { hint: HINT_ACCEPT });
      t.fail(`${decoy}; your client sent no other query and ${describeRunEnd(r)}; expected a retransmission at ${T} ms.`, { hint: HINT_ACCEPT });
    }
    const gap = q2.atMs - q1.atMs;
    t.log(`a decoy arrived ${0.6 * T} ms after the first query; the retransmission came ${gap} ms after it (T = ${T} ms)`);
    const answers = () => {
      expectLines(r, [line(n, 'A', '192.0.2.12')], HINT_ACCEPT, 'the server sent a decoy with the wrong ID, then answered the retransmission');
      expectExit(r, 0);
    };
    // The true gap is within ± lag of the timestamps' (see first-query-dropped).
    if (gap - lag > 1.3 * T)
      t.failTiming({
        message: `your client retransmitted ${gap} ms after its first query; the decoy at ${0.6 * T} ms seems to have restarted its ${T} ms timer.`,
        hint: 'Each attempt has a deadline fixed when the query is sent: an ignored datagram does not give the server more time. Wait for (deadline - now), not for T, after each datagram.',
        measurements: [atMost('retransmitted after', gap, 1.3 * T, { why: `T = ${T} ms from the first query, not from the decoy at ${0.6 * T} ms` })],
        answersRight: answers,
      });
    answers();
  },

  async 'wrong-id'(t) {
    await decoyTest(t, 'spoof-id', 'a decoy with the wrong ID (A 198.51.100.66)', (q, n) => [{ bytes: respond(q, [a(n, '198.51.100.66')], { id: ((q.packet?.id ?? 0) + 1) & 0xffff }) }]);
  },

  async 'wrong-port'(t) {
    await decoyTest(t, 'spoof-port', 'a decoy from another port (A 198.51.100.66)', (q, n) => [{ bytes: respond(q, [a(n, '198.51.100.66')]), fromOtherPort: true }], 'Check the source address and port of every datagram (recvfrom gives them): only the server you asked may answer.');
  },

  async 'wrong-question'(t) {
    await decoyTest(t, 'spoof-question', 'a decoy answering another question (A 198.51.100.66)', (q) => {
      const other = 'other.example.test';
      return [{ bytes: respond(q, [a(other, '198.51.100.66')], { question: { type: 'A', name: other, class: 'IN' } }) }];
    });
  },

  async 'not-a-response'(t) {
    await decoyTest(t, 'spoof-qr', 'a decoy with QR=0, a query (A 198.51.100.66)', (q, n) => [{ bytes: respond(q, [a(n, '198.51.100.66')], { qr: false }) }]);
  },

  async 'malformed-answers'(t) {
    await decoyTest(
      t,
      'broken',
      'two malformed datagrams (a cut-off header; a label past the end)',
      (q, n) => [{ bytes: malformed.truncatedHeader(q.packet?.id ?? 0) }, { bytes: malformed.labelPastEnd(q.packet?.id ?? 0, n, 'A') }],
      'A datagram that cannot be parsed is not an answer: catch the parse error, ignore the datagram and keep waiting. Check every length against the bytes that are really there.',
    );
  },

  async 'pointer-loop'(t) {
    await decoyTest(
      t,
      'loop',
      'a malformed answer whose compression pointer points at itself',
      (q, n) => [{ bytes: malformed.pointerLoop(q.packet?.id ?? 0, n, 'A') }],
      'A compression pointer may point at itself. Follow at most a bounded number of pointers (or only ones pointing strictly backwards); on a loop, treat the datagram as malformed and ignore it.',
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
  },

  async 'tc-fallback'(t) {
    const n = name(t, 'big');
    const all = Array.from({ length: 12 }, (_, i) => a(n, `192.0.2.${100 + i}`));
    const server = await dnsServer(t, (q) => ({ bytes: respond(q, all.slice(0, 1), { tc: true }) }), answerWith(all));
    const r = await runClient(t, server, { name: n });
    if (!server.queries.some((q) => q.transport === 'tcp'))
      t.fail(`the UDP answer had TC=1 (truncated: 1 of 12 records), but your client never asked again over TCP; it printed ${printedLines(r).length} of the 12 lines and ${describeRunEnd(r)}.`, {
        hint: 'TC=1 means the answer did not fit: open a TCP connection to the same address and port, send the query with a two-byte length prefix, and read the length-prefixed answer.',
      });
    expectLines(r, all.map((x) => line(n, 'A', String(x.data))), undefined, 'the UDP answer had TC=1; over TCP, the server sent all 12 records');
    expectExit(r, 0);
  },
});
