// The seeded fault layer: the same seed gives the same decisions; over many datagrams on real
// loopback sockets, loss, duplication and reordering happen at the policy's rates and exactly
// as recorded; burst loss comes in runs; delays and the bandwidth cap hold units back; a
// partition loses everything; a bad policy is refused with a sentence.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, expect, test } from 'vitest';
import { seededRandom } from '../../grader/harness/random.js';
import { FaultDecider, FaultyChannel, policyProblem, type FaultDecision, type FaultEvent, type FaultPolicy } from '../../grader/net/faults.js';
import { LossyUdpSocket } from '../../grader/net/lossy-udp.js';
import { Transcript } from '../../grader/net/transcript.js';
import { Figure } from '../../grader/results/schema.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

const decisions = (seed: string, n: number, policy: FaultPolicy = { loss: 0.3, duplicate: 0.2, reorder: 0.1, jitterMs: 20 }) => {
  const d = new FaultDecider(policy, seededRandom(seed));
  return Array.from({ length: n }, (_, i): FaultDecision => d.decide(100, i));
};

test('the same seed decides the same fate for every unit; another seed does not', () => {
  expect(decisions('s1', 500)).toEqual(decisions('s1', 500));
  expect(decisions('s1', 500)).not.toEqual(decisions('s2', 500));
});

test('burst loss (Gilbert–Elliott) loses units in runs; independent loss at a like rate in ones and twos', () => {
  const runs = (ds: FaultDecision[]) => {
    const lengths: number[] = [];
    let run = 0;
    for (const d of [...ds, { kind: 'deliver' } as FaultDecision]) {
      if (d.kind === 'drop') run++;
      else if (run) lengths.push(run), (run = 0);
    }
    return { lost: lengths.reduce((a, b) => a + b, 0) / ds.length, meanRun: lengths.reduce((a, b) => a + b, 0) / lengths.length };
  };
  // Bad about 1/7 of the time (enter 0.05, leave 0.3), losing everything then: ~14% lost, in runs of ~3.3.
  const burst = runs(decisions('b', 20_000, { burst: { enter: 0.05, leave: 0.3, loss: 1 } }));
  const flat = runs(decisions('b', 20_000, { loss: 0.14 }));
  expect(burst.lost).toBeGreaterThan(0.11);
  expect(burst.lost).toBeLessThan(0.18);
  expect(Math.abs(flat.lost - 0.14)).toBeLessThan(0.02);
  expect(burst.meanRun).toBeGreaterThan(2.5);
  expect(flat.meanRun).toBeLessThan(1.3);
});

test('maxLossRun: never more units lost in a row than it says, the rest decided as without it', () => {
  const longest = (ds: FaultDecision[]) => {
    let run = 0;
    let most = 0;
    for (const d of ds) most = Math.max(most, (run = d.kind === 'drop' ? run + 1 : 0));
    return most;
  };
  const free = decisions('r', 5_000, { loss: 0.5 });
  const fair = decisions('r', 5_000, { loss: 0.5, maxLossRun: 2 });
  expect(longest(free)).toBeGreaterThan(4);
  expect(longest(fair)).toBe(2);
  // Only the units past the bound change fate: every other decision is the same.
  const changed = fair.filter((d, i) => d.kind !== free[i]!.kind);
  expect(changed.every((d) => d.kind === 'deliver')).toBe(true);
  expect(changed.length).toBeLessThan(free.filter((d) => d.kind === 'drop').length / 4);
  // Burst loss is bounded too; 0 means nothing is ever lost.
  expect(longest(decisions('r', 5_000, { burst: { enter: 0.2, leave: 0.1, loss: 1 }, maxLossRun: 3 }))).toBe(3);
  expect(longest(decisions('r', 1_000, { loss: 0.9, maxLossRun: 0 }))).toBe(0);
  expect(policyProblem({ maxLossRun: -1 })).toMatch(/maxLossRun must be a number ≥ 0/);
});

test('lose: the units named are lost whatever the draws, the others decided as without it', () => {
  const free = decisions('l', 200, { loss: 0.2 });
  const forced = decisions('l', 200, { loss: 0.2, lose: [3, 50] });
  forced.forEach((d, i) => (i === 2 || i === 49 ? expect(d.kind).toBe('drop') : expect(d).toEqual(free[i])));
  // Within maxLossRun: a forced loss that would make the run too long moves to the next unit that may be lost.
  expect(decisions('l', 6, { lose: [1, 2, 3], maxLossRun: 1 }).map((d) => d.kind)).toEqual(['drop', 'deliver', 'drop', 'deliver', 'drop', 'deliver']);
  expect(policyProblem({ lose: [0] })).toMatch(/lose must list unit numbers from 1, not 0/);
});

test('a partition loses everything; a bad policy is refused, naming the number', () => {
  expect(decisions('p', 50, { partitioned: true }).every((d) => d.kind === 'drop' && d.why === 'partition')).toBe(true);
  expect(policyProblem({ loss: 1.5 })).toBe('loss must be a probability (0 to 1), not 1.5');
  expect(policyProblem({ delayMs: -1 })).toMatch(/delayMs must be a number ≥ 0/);
  expect(policyProblem({ bytesPerSecond: 0 })).toMatch(/bytesPerSecond must be > 0/);
  expect(() => new FaultDecider({ duplicate: -0.1 }, Math.random)).toThrow(/duplicate must be a probability/);
  expect(policyProblem({ loss: 0.1, burst: { enter: 0.1, leave: 0.5, loss: 0.9 }, reorder: 0.2, jitterMs: 5 })).toBeUndefined();
});

test('delay, jitter and a bandwidth cap hold units back at least as long as the policy says', async () => {
  const arrived: Array<{ n: number; at: number }> = [];
  const t0 = performance.now();
  let all!: () => void;
  const done = new Promise<void>((r) => (all = r));
  // 10 units of 1000 bytes at 50,000 bytes/s: the last leaves 200 ms after the start, plus 30 ms delay.
  const ch = new FaultyChannel<Buffer & { n?: number }>(new FaultDecider({ delayMs: 30, jitterMs: 10, bytesPerSecond: 50_000 }, seededRandom('d')), (u) => {
    arrived.push({ n: u[0], at: performance.now() - t0 });
    if (arrived.length === 10) all();
  });
  cleanup.push(() => ch.close());
  for (let i = 0; i < 10; i++) ch.send(Buffer.alloc(1000, i));
  await done;
  // Unit i arrives no sooner than (i + 1) × 20 ms + 30 ms, less timer granularity: Node drops a
  // delay's fraction of a millisecond and times it from the event loop's cached clock (seen here:
  // 1.07 ms early, once, on a loaded machine).
  arrived.forEach(({ n, at }) => expect(at).toBeGreaterThanOrEqual((n + 1) * 20 + 30 - 2));
  expect(arrived.map((a) => a.n).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('over 2,000 datagrams on real sockets: loss, duplicates and reordering at the policy\'s rates, exactly as recorded', async () => {
  const transcript = new Transcript();
  const lossy = await LossyUdpSocket.bind({ name: 'grader', random: seededRandom('udp'), transcript, outgoing: { loss: 0.2, duplicate: 0.1, reorder: 0.1, reorderAfter: 2 } });
  cleanup.push(() => lossy.close());
  const receiver = dgram.createSocket('udp4');
  receiver.bind(0, '127.0.0.1');
  await once(receiver, 'listening');
  cleanup.push(() => receiver.close());
  const got: number[] = [];
  let wake: (() => void) | undefined;
  receiver.on('message', (m) => {
    got.push(m.readUInt32BE(0));
    wake?.();
  });
  const arrivedPerRecord = () => lossy.events.filter((e) => e.what !== 'dropped').length;
  const N = 2000;
  for (let i = 0; i < N; i++) {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(i, 0);
    lossy.send(b, receiver.address().port);
    // Paced by the receiver: never more in the kernel's buffer than it holds.
    if (i % 50 === 49) while (got.length < arrivedPerRecord()) await new Promise<void>((r) => (wake = r));
  }
  // The last held datagrams go out after reorderMaxMs.
  const until = performance.now() + 5000;
  while ((lossy.events.length < N + lossy.events.filter((e) => e.what === 'duplicated').length || got.length < arrivedPerRecord()) && performance.now() < until)
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 50);
    });
  const count = (what: FaultEvent['what']) => lossy.events.filter((e) => e.what === what).length;
  // What the receiver saw is what the layer says it did, datagram for datagram.
  expect(got.length).toBe(count('delivered') + count('duplicated') + count('released out of order'));
  const distinct = new Set(got);
  expect(distinct.size).toBe(N - count('dropped'));
  expect(got.length - distinct.size).toBe(count('duplicated'));
  // Rates within about four standard deviations of the policy (binomial, N = 2000).
  expect(Math.abs(count('dropped') / N - 0.2)).toBeLessThan(0.04);
  expect(Math.abs(count('duplicated') / (N - count('dropped')) - 0.1)).toBeLessThan(0.03);
  expect(Math.abs(count('released out of order') / (N - count('dropped')) - 0.1)).toBeLessThan(0.03);
  // Reordered: some datagram arrived after one sent later.
  const inversions = got.filter((v, i) => i > 0 && v < got[i - 1]).length;
  expect(inversions).toBeGreaterThanOrEqual(count('released out of order') / 2);
  // The transcript tells the story of each datagram.
  const notes = transcript.entries().map((e) => JSON.stringify(e));
  expect(notes.some((n) => /datagram #\d+ to port \d+ \(8 bytes\) dropped \(lost\)/.test(n))).toBe(true);
  expect(notes.some((n) => /released out of order/.test(n))).toBe(true);
});

test('what the grader receives goes through the incoming policy: the same seed replays the same losses', async () => {
  const run = async () => {
    const lossy = await LossyUdpSocket.bind({ name: 'grader', random: seededRandom('in'), incoming: { loss: 0.5 } });
    const sender = dgram.createSocket('udp4');
    const seen: number[] = [];
    lossy.onMessage((d) => seen.push(d.data[0]));
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((r) => sender.send(Buffer.from([i]), lossy.port, '127.0.0.1', () => r()));
      while (lossy.events.length <= i) await new Promise((r) => setTimeout(r, 2));
    }
    sender.close();
    lossy.close();
    return seen;
  };
  const a = await run();
  expect(a.length).toBeGreaterThan(8);
  expect(a.length).toBeLessThan(32);
  expect(await run()).toEqual(a);
});

test('spared datagrams always arrive and draw nothing from the seed: the others meet the fates they would have met without them', async () => {
  // 40 datagrams at 50% loss; with `spare`, 10 more (value 200+) are slipped in between them.
  const run = async (withSpared: boolean) => {
    const lossy = await LossyUdpSocket.bind({ name: 'grader', random: seededRandom('spare'), incoming: { loss: 0.5 }, spare: (d, direction) => direction === 'in' && d[0] >= 200 });
    const sender = dgram.createSocket('udp4');
    const seen: number[] = [];
    lossy.onMessage((d) => seen.push(d.data[0]));
    const send = async (v: number) => {
      const before = lossy.events.length;
      await new Promise<void>((r) => sender.send(Buffer.from([v]), lossy.port, '127.0.0.1', () => r()));
      while (lossy.events.length <= before) await new Promise((r) => setTimeout(r, 2));
    };
    for (let i = 0; i < 40; i++) {
      await send(i);
      if (withSpared && i % 4 === 0) await send(200 + i / 4);
    }
    sender.close();
    lossy.close();
    return { seen, spared: lossy.events.filter((e) => e.detail === 'spared').length };
  };
  const plain = await run(false);
  const mixed = await run(true);
  expect(plain.seen.length).toBeLessThan(32);
  expect(mixed.spared).toBe(10);
  expect(mixed.seen.filter((v) => v >= 200)).toEqual([200, 201, 202, 203, 204, 205, 206, 207, 208, 209]);
  expect(mixed.seen.filter((v) => v < 200)).toEqual(plain.seen);
});

test('a held unit goes right after the next `reorderAfter` units have gone (one lost counts), not at its deadline', () => {
  // Scripted fates: the first unit held, the third lost, the rest delivered at once.
  const fates: FaultDecision[] = [{ kind: 'deliver', delaysMs: [0], held: true }, { kind: 'deliver', delaysMs: [0], held: false }, { kind: 'drop', why: 'loss' }, { kind: 'deliver', delaysMs: [0], held: false }, { kind: 'deliver', delaysMs: [0], held: false }];
  const decider = Object.assign(new FaultDecider({ reorderAfter: 2, reorderMaxMs: 60_000 }, Math.random), { decide: () => fates.shift()! });
  const order: string[] = [];
  const events: string[] = [];
  const ch = new FaultyChannel<Buffer>(decider, (u) => order.push(u.toString()), (e) => events.push(`${e.seq} ${e.what}`));
  cleanup.push(() => ch.close());
  for (const u of ['a', 'b', 'c', 'd', 'e']) ch.send(Buffer.from(u));
  expect(order).toEqual(['b', 'a', 'd', 'e']);
  expect(events).toEqual(['2 delivered', '3 dropped', '1 released out of order', '4 delivered', '5 delivered']);
});

test('the ladder picture shows every datagram both ways with what the network did to it', async () => {
  const lossy = await LossyUdpSocket.bind({ name: 'grader', random: seededRandom('ladder'), outgoing: { loss: 0.3, duplicate: 0.3 }, incoming: { delayMs: 5 } });
  const echo = dgram.createSocket('udp4');
  echo.on('message', (m, r) => echo.send(m, r.port, r.address));
  echo.bind(0, '127.0.0.1');
  await once(echo, 'listening');
  cleanup.push(() => (echo.close(), lossy.close()));
  const port = echo.address().port;
  const sentOut = () => lossy.events.filter((e) => e.direction === 'out' && e.what !== 'dropped').length;
  // Nothing delays what the grader sends: every fate is decided (and recorded) as it is sent.
  const echoed = new Promise<void>((resolve) => {
    let n = 0;
    const off = lossy.onMessage(() => {
      if (++n < sentOut()) return;
      off();
      resolve();
    });
  });
  for (let i = 0; i < 30; i++) lossy.send(Buffer.from([i]), port);
  expect(new Set(lossy.events.filter((e) => e.direction === 'out').map((e) => e.seq)).size).toBe(30);
  // Every copy that left comes back (the echo answers each), 5 ms late.
  await echoed;
  const f = Figure.parse(lossy.ladder({ title: 'echo', remote: 'echo', label: (d, dir) => `${dir === 'out' ? 'ping' : 'pong'} ${d[0]}`, max: 1000 }));
  expect(f.kind).toBe('sequence');
  if (f.kind !== 'sequence') return;
  expect(f.messages.length).toBe(lossy.events.length);
  const lost = lossy.events.filter((e) => e.what === 'dropped').map((e) => `ping ${e.data[0]} (port ${port}) · lost`);
  expect(lost.length).toBeGreaterThan(2);
  expect(f.messages.filter((m) => m.dropped).map((m) => m.label)).toEqual(lost);
  expect(f.messages.filter((m) => m.dropped).every((m) => m.from === 'grader' && m.to === 'echo' && m.deliveredAtMs === undefined)).toBe(true);
  expect(f.messages.filter((m) => m.label.endsWith('· duplicate')).length).toBe(lossy.events.filter((e) => e.what === 'duplicated').length);
  const pongs = f.messages.filter((m) => m.from === 'echo');
  expect(pongs.length).toBe(sentOut());
  expect(pongs.every((m) => m.label.startsWith('pong ') && m.deliveredAtMs! - m.sentAtMs >= 4)).toBe(true);
  // Capped: the first ones, the rest counted.
  const small = lossy.ladder({ title: 'echo', remote: 'echo', max: 10 });
  expect([small.messages.length, small.messagesOmitted]).toEqual([10, lossy.events.length - 10]);
});
