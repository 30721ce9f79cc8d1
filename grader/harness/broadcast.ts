// The broadcast workload (Maelstrom's): clients broadcast values at peers and read them back,
// and every peer must come to know every value. It attaches to a cluster (peers/cluster.ts) and
// reads the network's journal: a value named in a line that reached a peer is known there, which
// dates each value's arrival at each peer (the spread picture) and finds a value sent over and
// over on one link. The checks: broadcast acknowledged, reads well-formed (known values, each
// once), and every value everywhere within a bound derived from the topology.
import { setTimeout as delay } from 'node:timers/promises';
import type { SpreadFigure } from '../results/schema.js';
import { CLIENT_TIMEOUT_MS, type Cluster, type Workload } from '../peers/cluster.js';
import type { PeerEvent, SentEvent } from '../peers/journal.js';
import { linkKey } from '../peers/network.js';
import type { PeersScope } from '../peers/scope.js';
import { describeTraffic, type Traffic } from '../peers/traffic.js';
import { atMost, fail, failTiming, TestFailure } from './failure.js';
import { PeerClient, show } from './json-lines.js';

/** Traffic with the value one peer sent one neighbour most often. */
export interface BroadcastTraffic extends Traffic {
  worstCopy?: { from: string; to: string; value: number; count: number };
}

interface ValueInfo {
  origin: string;
  /** performance.now() of the broadcast request. */
  at: number;
  /** When each peer first knew it (performance.now()). */
  learned: Map<string, number>;
}

/** Values are large random integers, so no msg_id or counter is mistaken for one. */
const VALUE_MIN = 1_000_000;
const VALUE_SPAN = 2_000_000_000;
/** A line longer than this is scanned only in part for values (pictures only). */
const SCAN_BYTES = 64 * 1024;

/** The broadcast workload on `c` (made on first use; shared by the tests that share the cluster). */
export function broadcastWorkload(c: Cluster): Broadcast {
  return c.workload('broadcast', () => new Broadcast(c));
}

export class Broadcast implements Workload {
  private readonly values = new Map<number, ValueInfo>();
  private readonly clients = new Map<string, PeerClient>();
  /** Values found in each line on arrival at the proxy, for its delivery (a flood must not be scanned twice). */
  private readonly scanned = new WeakMap<SentEvent, number[]>();
  private copies = new Map<string, Map<number, number>>();
  private copiesWindow = -1;
  private testValues: number[] = [];
  private figureBoundMs: number | undefined;
  private t!: PeersScope;

  constructor(readonly cluster: Cluster) {
    cluster.journal.subscribe((e) => this.read_(e));
  }

  newTest(t: PeersScope): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    this.t = t;
    this.testValues = [];
    this.figureBoundMs = undefined;
  }

  get peers(): string[] {
    return this.cluster.peers;
  }

  // ---- what the network carried ---------------------------------------------------------------

  private read_(e: PeerEvent): void {
    if (e.kind === 'sent') this.scan(e);
    // The receiver knows a value once a line naming it has reached it (scanned once, on arrival).
    else if (e.kind === 'delivered') for (const v of this.scanned.get(e.sent) ?? []) this.learn(v, e.sent.to, e.at);
    else if (e.kind === 'mark' && e.mark === 'crash') {
      for (const p of e.peers) {
        this.clients.get(p)?.close();
        this.clients.delete(p);
      }
    } else if (e.kind === 'mark' && e.mark === 'restart') {
      // Whatever it knew is gone: it learns everything again.
      for (const v of this.values.values()) for (const p of e.peers) v.learned.delete(p);
    }
  }

  /** Values named in a line: any integer in it that is a value broadcast to this cluster. */
  private valuesIn(line: Buffer): number[] {
    if (!this.values.size) return [];
    const text = line.subarray(0, SCAN_BYTES).toString('latin1');
    const found: number[] = [];
    for (const m of text.matchAll(/\d{7,10}/g)) {
      const v = Number(m[0]);
      if (this.values.has(v)) found.push(v);
    }
    return found;
  }

  private windowCopies(): Map<string, Map<number, number>> {
    if (this.copiesWindow !== this.cluster.counter.window) {
      this.copies = new Map();
      this.copiesWindow = this.cluster.counter.window;
    }
    return this.copies;
  }

  private scan(e: SentEvent): void {
    const found = this.valuesIn(e.data);
    if (!found.length) return;
    if (!e.dropped) this.scanned.set(e, found);
    const key = linkKey(e.from, e.to);
    const all = this.windowCopies();
    const copies = all.get(key) ?? new Map<number, number>();
    for (const v of found) {
      copies.set(v, (copies.get(v) ?? 0) + 1);
      // The sender knew it when it sent it (delivered or not).
      this.learn(v, e.from, e.at);
    }
    all.set(key, copies);
  }

  private learn(v: number, peer: string, at: number): void {
    const info = this.values.get(v);
    if (!info || this.cluster.isKilled(peer)) return;
    const prev = info.learned.get(peer);
    if (prev === undefined || at < prev) info.learned.set(peer, at);
  }

  // ---- clients -----------------------------------------------------------------------------

  /** The test's connection to a peer (opened on first use, reopened if the peer closed it). */
  async client(peer: string): Promise<PeerClient> {
    const have = this.clients.get(peer);
    if (have && !have.closed) return have;
    const c = new PeerClient(peer, await this.cluster.connection(peer));
    this.clients.set(peer, c);
    return c;
  }

  /** Run a client request; a closed connection is first checked for the peer's exit. */
  private async ask<T>(peer: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof TestFailure && this.clients.get(peer)?.closed) await this.cluster.expectAliveAfterClose(peer, `before answering ${what}`);
      throw e;
    }
  }

  /** Record a broadcast the test sends itself (on a raw connection): it may now be read. */
  noteBroadcast(peer: string, value: number): void {
    if (!this.values.has(value)) this.values.set(value, { origin: peer, at: performance.now(), learned: new Map() });
    this.testValues.push(value);
    this.cluster.journal.mark('broadcast', [peer], `broadcast ${value}`);
  }

  /** New distinct values for broadcasts, from the test's seeded randomness. */
  newValues(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      const v = VALUE_MIN + Math.floor(this.t.random() * VALUE_SPAN);
      if (!this.values.has(v) && !out.includes(v)) out.push(v);
    }
    return out;
  }

  /** Broadcast `value` at `peer` and check the acknowledgement. */
  async broadcast(peer: string, value: number, timeoutMs = CLIENT_TIMEOUT_MS): Promise<void> {
    this.noteBroadcast(peer, value);
    const c = await this.client(peer);
    await this.ask(peer, `a broadcast of ${value}`, () => c.request({ type: 'broadcast', message: value }, 'broadcast_ok', timeoutMs));
    this.learn(value, peer, performance.now());
  }

  /**
   * Read a peer's values, checking the reply: an array of integers, each once, each one that
   * was broadcast to this cluster.
   */
  async read(peer: string, timeoutMs = CLIENT_TIMEOUT_MS): Promise<Set<number>> {
    const c = await this.client(peer);
    const reply = await this.ask(peer, 'a read', () => c.request({ type: 'read' }, 'read_ok', timeoutMs));
    const at = performance.now();
    const msgs = reply.messages;
    const line = show(JSON.stringify(reply));
    if (!Array.isArray(msgs) || !msgs.every((m) => Number.isInteger(m)))
      fail(`peer ${peer} answered a read with ${line}: "messages" must be an array of integers.`, {
        hint: 'read_ok carries "messages": [<integers>], the values themselves (not strings, not objects).',
      });
    const set = new Set<number>();
    // A value of an earlier test on the same (shared) peers listed twice is that test's to charge
    // (read-each-once): judged here, it would charge every later test of the stage again.
    const mine = new Set(this.testValues);
    for (const m of msgs as number[]) {
      if (set.has(m) && mine.has(m))
        fail(`peer ${peer} answered a read with ${msgs.length} entries, listing ${m} ${(msgs as number[]).filter((x) => x === m).length} times; each value must be listed once.`, {
          hint: 'Keep the values in a set: a value learned twice (from a client and from a neighbour, or from two neighbours) is still one value.',
        });
      if (!this.values.has(m))
        fail(`peer ${peer} lists ${m} in its read_ok, but nobody broadcast that value.`, {
          hint: 'read_ok lists exactly the values broadcast by clients (to this peer or to another): nothing else.',
        });
      set.add(m);
      this.learn(m, peer, at);
    }
    return set;
  }

  /**
   * Wait until every peer in `peers` (default: all running) reads every value in `values`.
   * Polls each peer until it has them all or `giveUpMs` passes. Says when the last value arrived.
   */
  async awaitEveryone(
    values: number[],
    opts: { peers?: string[]; giveUpMs: number; pollMs?: number; since?: number; quietAfter?: number },
  ): Promise<{ missing: Map<string, number[]>; lastMs: number; last?: { value: number; peer: string } }> {
    const peers = opts.peers ?? this.peers.filter((p) => !this.cluster.isKilled(p));
    const until = performance.now() + Math.min(opts.giveUpMs, Math.max(0, this.t.remainingMs() - 500));
    // Past `quietAfter` (the bound), waiting on only tells "too slow" from "never": stop as soon
    // as the network has been silent for a moment, since nothing is on its way.
    const hopeless = () => opts.quietAfter !== undefined && performance.now() > opts.quietAfter && performance.now() - this.cluster.lastSentAt > 750;
    const missing = new Map<string, number[]>();
    const seenAt = new Map<string, number>();
    await Promise.all(
      peers.map(async (p) => {
        for (;;) {
          const have = await this.read(p);
          const lacking = values.filter((v) => !have.has(v));
          if (!lacking.length) {
            seenAt.set(p, performance.now());
            return;
          }
          if (performance.now() >= until || hopeless()) {
            missing.set(p, lacking);
            return;
          }
          // Reads cost the peers CPU: poll big clusters less often (the proxy sees arrivals anyway).
          await delay(opts.pollMs ?? (this.peers.length > 8 ? 100 : 50), undefined, { signal: this.t.signal });
        }
      }),
    );
    // How long after its broadcast each value reached each peer: the proxy's first sighting or,
    // if earlier unseen, the read that showed it.
    let lastMs = 0;
    let last: { value: number; peer: string } | undefined;
    for (const v of values) {
      const info = this.values.get(v)!;
      for (const p of peers) {
        if (missing.get(p)?.includes(v)) continue;
        const from = Math.max(info.at, opts.since ?? 0);
        const t = Math.max(0, (info.learned.get(p) ?? seenAt.get(p) ?? from) - from);
        if (t > lastMs) {
          lastMs = t;
          last = { value: v, peer: p };
        }
      }
    }
    return { missing, lastMs, ...(last ? { last } : {}) };
  }

  /**
   * Every value everywhere within `boundMs` of its broadcast, or a failure that says who lacks
   * what, or how late the last value was. `why` explains where the bound comes from.
   */
  async expectEveryone(
    values: number[],
    opts: { boundMs: number; why: string; peers?: string[]; hint?: string; sinceMs?: number; /** What happened at `sinceMs`: "n2 started" (default: "the network was repaired"). */ sinceWhat?: string },
  ): Promise<number> {
    const sinceWhat = opts.sinceWhat ?? 'the network was repaired';
    // The picture's x axis runs from each broadcast: only a bound counted from there belongs on it.
    if (opts.sinceMs === undefined) this.figureBoundMs = opts.boundMs;
    const start = opts.sinceMs ?? performance.now();
    // The bound runs from the broadcast of the earliest value (or from `sinceMs`).
    const from = Math.max(opts.sinceMs ?? 0, Math.min(...values.map((v) => this.values.get(v)?.at ?? performance.now())));
    const r = await this.awaitEveryone(values, {
      peers: opts.peers,
      giveUpMs: opts.boundMs + 4000,
      quietAfter: from + opts.boundMs,
      ...(opts.sinceMs !== undefined ? { since: opts.sinceMs } : {}),
    });
    this.cluster.expectAlive('during the test');
    const lateness = (ms: number) =>
      atMost(
        `value ${r.last!.value} reached ${r.last!.peer} after`,
        Math.round(ms),
        opts.boundMs,
        { why: `counted from ${opts.sinceMs !== undefined ? `when ${sinceWhat}` : 'its broadcast'}: ${opts.why}` },
      );
    if (r.missing.size) {
      const waited = ((performance.now() - start) / 1000).toFixed(1);
      const lines = [...r.missing].slice(0, 6).map(([p, vs]) => `  ${p} lacks ${vs.length} of ${values.length}: ${vs.slice(0, 5).join(', ')}${vs.length > 5 ? ', …' : ''}`);
      for (const p of r.missing.keys()) this.cluster.spotlight(p);
      // Links into a peer that lacks values that carried nothing at all in this test: the
      // likely culprit (a neighbour never sent to it), named and drawn highlighted.
      const silent = this.cluster.topology.edges
        .flatMap(([a, b]) => [
          [a, b],
          [b, a],
        ])
        .filter(([from, to]) => r.missing.has(to) && !r.missing.has(from) && !this.cluster.isKilled(from) && !this.cluster.counter.duringTest(from, to).lines)
        .slice(0, 4);
      for (const [from, to] of silent) this.cluster.spotlight(linkKey(from, to));
      const silentText = silent.length ? `\n${silent.map(([from, to]) => `${from} (which has the values) never sent anything to its neighbour ${to}`).join('; ')}.` : '';
      // Values still missing are wrong, not slow; one that did arrive late is detail.
      const origins = [...new Set(values.map((v) => this.values.get(v)?.origin).filter(Boolean))];
      const broadcast = `${values.length === 1 ? `value ${values[0]} was` : `${values.length} values were`} broadcast at ${origins.length > 4 ? `${origins.length} peers` : origins.join(', ')}`;
      const since = opts.sinceMs !== undefined ? `${waited} s after ${sinceWhat}` : `after ${waited} s`;
      const due = `all were due within ${(opts.boundMs / 1000).toFixed(1)} s`;
      const of = (opts.peers ?? this.peers).length;
      fail(`${broadcast}; ${since}, ${r.missing.size} of ${of} ${of === 1 ? 'peer' : 'peers'} still ${r.missing.size === 1 ? 'lacks' : 'lack'} some (${due}):\n${lines.join('\n')}${r.missing.size > 6 ? `\n  … and ${r.missing.size - 6} more peers` : ''}${silentText}\n${this.describeTraffic()}`, {
        ...(opts.hint ? { hint: opts.hint } : {}),
        ...(r.lastMs > opts.boundMs ? { timing: { onlyTiming: false, measurements: [lateness(r.lastMs)] } } : {}),
      });
    }
    // Every value at peers it was not broadcast at, and not one line through the links since the
    // cluster started: impossible for peers that talk only through --peers.
    if ((opts.peers ?? this.peers).length > 1 && values.length && this.cluster.lastSentAt === 0)
      fail(
        `every peer got every value, yet not one line crossed the links between the peers (the addresses --peers gave them) since the cluster started: the values travelled some other way.`,
        { hint: 'A peer may reach another only through the addresses given by --peers: the grader relays, delays and cuts those links, and the tests are about what happens then.' },
      );
    if (r.lastMs > opts.boundMs) {
      this.cluster.spotlight(r.last!.peer);
      // Every peer's reads were checked (known values only, no duplicates) and every value
      // arrived: only time was off.
      failTiming({
        message: `every peer got every value, but too slowly: value ${r.last!.value} (broadcast at ${this.values.get(r.last!.value)!.origin}) reached ${r.last!.peer} only ${(r.lastMs / 1000).toFixed(2)} s after ${opts.sinceMs !== undefined ? sinceWhat : 'its broadcast'}; the bound is ${(opts.boundMs / 1000).toFixed(2)} s (${opts.why}).`,
        ...(opts.hint ? { hint: opts.hint } : {}),
        measurements: [lateness(r.lastMs)],
        answersRight: true,
      });
    }
    this.t.log(`${values.length} value(s) at all ${(opts.peers ?? this.peers).length} peers; the slowest arrived ${Math.round(r.lastMs)} ms after its broadcast (bound ${opts.boundMs} ms: ${opts.why})`);
    return r.lastMs;
  }

  /**
   * The bound for values to reach everyone: three times the latency along the diameter, plus
   * slack. Generous on purpose: a correct peer on a loaded two-core machine needs about half of
   * it; a peer that forwards only periodically (every second or so) needs far more.
   */
  spreadBound(extraMs = 0): { boundMs: number; why: string } {
    const d = this.cluster.diameter;
    const slack = 2500 + extraMs;
    return { boundMs: 3 * d * this.cluster.latencyMs + slack, why: `3 × diameter ${d} × ${this.cluster.latencyMs} ms latency + ${slack} ms` };
  }

  // ---- measurements ------------------------------------------------------------------------

  /** Traffic since the cluster's last mark(), with the value sent most often over one link. */
  traffic(): BroadcastTraffic {
    const tr: BroadcastTraffic = this.cluster.traffic();
    let worstCopy: BroadcastTraffic['worstCopy'];
    for (const [link, copies] of [...this.windowCopies()].sort(([a], [b]) => a.localeCompare(b)))
      for (const [value, count] of copies)
        if (!worstCopy || count > worstCopy.count) {
          const [from, to] = link.split('->');
          worstCopy = { from, to, value, count };
        }
    return { ...tr, ...(worstCopy ? { worstCopy } : {}) };
  }

  /**
   * One sentence naming where the traffic went, for failure messages (a measured window, or the
   * current one), and the value sent most often over one link if it went more than twice.
   */
  describeTraffic(tr: BroadcastTraffic = this.traffic(), opts: { totals?: boolean; perLine?: boolean } = {}): string {
    const parts = [describeTraffic(tr, opts)];
    if (tr.lines && tr.worstCopy && tr.worstCopy.count > 2) parts.push(`${tr.worstCopy.from} sent value ${tr.worstCopy.value} to ${tr.worstCopy.to} ${Math.round(tr.worstCopy.count).toLocaleString('en-US')} times.`);
    return parts.join(' ');
  }

  // ---- pictures ----------------------------------------------------------------------------

  figures(): SpreadFigure[] {
    if (!this.testValues.length) return [];
    const values = [...new Set(this.testValues)].slice(0, 100).map((v) => {
      const info = this.values.get(v)!;
      return {
        value: v,
        origin: info.origin,
        broadcastAtMs: this.cluster.sinceTestStart(info.at),
        learnedAtMs: [...info.learned.values()].map((t) => this.cluster.sinceTestStart(t)).sort((a, b) => a - b),
      };
    });
    return [
      {
        kind: 'spread',
        title: `how many of the ${this.peers.length} peers knew each value, over time since its broadcast`,
        peerCount: this.peers.length,
        words: { item: 'value', since: 'after the value was broadcast', axis: 'peers that know it', none: 'no values were broadcast' },
        ...(this.figureBoundMs !== undefined ? { boundMs: this.figureBoundMs } : {}),
        values,
      },
    ];
  }
}
