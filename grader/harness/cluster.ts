// A cluster of the student's peers for one test (or a stage of tests that share it): the peers
// on free ports, one link proxy per directed edge of the topology, the network's policy
// (latency, cuts, partitions), the traffic it sees, and when each peer learned each value. Tests
// drive it with client requests and faults and judge by what the peers answer (reads); the
// proxy's view gives the measurements (messages and bytes per broadcast), names the offending
// link, and draws the pictures.
import { setTimeout as delay } from 'node:timers/promises';
import { LinkProxy, type LineInfo } from '../net/link-proxy.js';
import { freePort } from '../run/ports.js';
import { TcpClient } from '../net/tcp-client.js';
import type { Figure, SequenceFigure, SpreadFigure, TopologyFigure } from '../results/schema.js';
import type { PeerProcess, StartPeer, TestContext } from './context.js';
import { atMost, fail, failTiming, TestFailure } from './failure.js';
import { PeerClient, show } from './json-lines.js';
import { diameter, neighbours, type Topology } from './topology.js';

export interface ClusterSpec {
  topology: Topology;
  /** Delay of every peer-to-peer line, each way (ms). */
  latencyMs?: number;
  /**
   * Tests of a stage that ask for the same shared topology get the same running cluster (no
   * restart between them); a cluster that had faults injected is never shared.
   */
  shared?: boolean;
  /** Peers not to start now (a test starts them later with `start`). */
  notStarted?: string[];
}

/** What the proxy saw in a measurement window. */
export interface Traffic {
  lines: number;
  bytes: number;
  dropped: number;
  ms: number;
  /** Busiest first. */
  links: Array<{ link: string } & LinkCount>;
  /** The value one peer sent one neighbour most often. */
  worstCopy?: { from: string; to: string; value: number; count: number };
}

interface LinkCount {
  lines: number;
  bytes: number;
  dropped: number;
}

interface ValueInfo {
  origin: string;
  /** performance.now() of the broadcast request. */
  at: number;
  /** When each peer first knew it (performance.now()). */
  learned: Map<string, number>;
}

const MAX_SEQUENCE_MESSAGES = 400;
/**
 * How long a client request may wait for its reply (and a connect for its accept). Generous:
 * 25 peers and the grader share two cores; a peer that answers only after gossiping still
 * shows up, in the time bounds of the tests.
 */
const CLIENT_TIMEOUT_MS = 5000;
/** Values are large random integers, so no msg_id or counter is mistaken for one. */
const VALUE_MIN = 1_000_000;
const VALUE_SPAN = 2_000_000_000;
/** A peer-to-peer line longer than this is scanned only in part for values (pictures only). */
const SCAN_BYTES = 64 * 1024;

const linkKey = (from: string, to: string) => `${from}->${to}`;

export class Cluster {
  readonly topology: Topology;
  readonly key: string;
  readonly shared: boolean;
  latencyMs: number;
  /** Set once a fault was injected: the cluster is not handed to the next test. */
  tainted = false;
  /** Every peer the spec asked for was started. */
  ready = false;
  private readonly ports = new Map<string, number>();
  private readonly proxies = new Map<string, LinkProxy>();
  private readonly procs = new Map<string, PeerProcess>();
  private readonly killed = new Set<string>();
  private readonly cuts = new Set<string>();
  private readonly values = new Map<number, ValueInfo>();
  private readonly clients = new Map<string, PeerClient>();
  private t!: TestContext;
  private testStart = 0;
  private clientCount = 0;
  // Per test: link counts for the picture; per window: counts for measurements.
  private testLinks = new Map<string, LinkCount>();
  private windowLinks = new Map<string, LinkCount>();
  private windowCopies = new Map<string, Map<number, number>>();
  private windowStart = 0;
  private sequence: SequenceFigure['messages'] = [];
  private sequenceOmitted = 0;
  private marks: SequenceFigure['marks'] = [];
  private testValues: number[] = [];
  private figureBoundMs: number | undefined;
  private highlight: string[] = [];

  private constructor(
    spec: ClusterSpec,
    private readonly startPeer: StartPeer,
  ) {
    this.topology = spec.topology;
    this.latencyMs = spec.latencyMs ?? 0;
    this.shared = !!spec.shared;
    this.key = `${spec.topology.name}|${this.latencyMs}`;
  }

  static async create(spec: ClusterSpec, startPeer: StartPeer, t: TestContext): Promise<Cluster> {
    const c = new Cluster(spec, startPeer);
    c.bind(t);
    for (const p of spec.topology.peers) c.ports.set(p, await freePort());
    for (const [a, b] of spec.topology.edges)
      for (const [from, to] of [
        [a, b],
        [b, a],
      ]) {
        const proxy = await LinkProxy.open({
          from,
          to,
          upstreamPort: c.ports.get(to)!,
          decide: (info) => c.decide(info),
          delivered: (info, at) => c.delivered(info, at),
        });
        c.proxies.set(linkKey(from, to), proxy);
      }
    return c;
  }

  /** Start the peers (all but those the spec holds back). */
  async startPeers(spec: ClusterSpec): Promise<void> {
    const later = new Set(spec.notStarted ?? []);
    const t0 = performance.now();
    await this.startMany(spec.topology.peers.filter((p) => !later.has(p)));
    this.ready = true;
    this.t.log(
      `${spec.topology.name}: ${spec.topology.peers.length} peers, ${this.directedLinks} directed links, diameter ${this.diameter}${this.latencyMs ? `, ${this.latencyMs} ms per link` : ''}; started in ${Math.round(performance.now() - t0)} ms`,
    );
  }

  /** Hand the cluster to a test: fresh per-test records, connections and pictures. */
  bind(t: TestContext): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    this.t = t;
    this.testStart = performance.now();
    this.testLinks = new Map();
    this.mark();
    this.sequence = [];
    this.sequenceOmitted = 0;
    this.marks = [];
    this.testValues = [];
    this.figureBoundMs = undefined;
    this.highlight = [];
    // Pictures are drawn however the test ends (a failure is when they help most).
    t.defer(() => {
      for (const f of this.figures()) t.figure(f);
    });
  }

  get peers(): string[] {
    return this.topology.peers;
  }

  /** The ports of the peers running now (for the grader's liveness check between tests). */
  runningPorts(): number[] {
    return [...this.procs.values()].filter((p) => p.running).map((p) => p.port);
  }

  get diameter(): number {
    return diameter(this.topology);
  }

  /** Directed links (each undirected edge is two). */
  get directedLinks(): number {
    return this.topology.edges.length * 2;
  }

  private rel(at: number): number {
    return Math.round(at - this.testStart);
  }

  // ---- peers -------------------------------------------------------------------------------

  private async startMany(ids: string[]): Promise<void> {
    // A few at a time: 25 interpreters starting at once on two cores would each miss their
    // startup deadline for want of CPU, not through any fault of theirs.
    const queue = [...ids];
    const failures: Array<{ message: string; hint: string }> = [];
    // The test's deadline stands still while peers start (extended as each one is up), so a
    // slow machine's start-up never turns into a student's timeout.
    let since = performance.now();
    const worker = async () => {
      for (let id = queue.shift(); id && !failures.length && !this.t.signal.aborted; id = queue.shift()) {
        const r = await this.startOne(id);
        if (r) failures.push(r);
        const now = performance.now();
        this.t.extendDeadline(now - since);
        since = now;
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    if (failures.length) fail(failures[0].message, { hint: failures[0].hint });
  }

  private async startOne(id: string, restart = false): Promise<{ message: string; hint: string } | undefined> {
    const peers = neighbours(this.topology, id).map((n) => this.proxies.get(linkKey(id, n))!.address);
    let r = await this.startPeer({ id, port: this.ports.get(id)!, peers }, this.t.signal);
    // Another program took the port between our check and the peer's bind: not the student's
    // fault. A first start moves to another port (its neighbours reach it through the proxies).
    for (let tries = 0; !r.ok && !restart && tries < 2 && /address already in use|EADDRINUSE|Errno 98/i.test(r.message); tries++) {
      const port = await freePort();
      this.ports.set(id, port);
      for (const n of neighbours(this.topology, id)) this.proxies.get(linkKey(n, id))!.upstreamPort = port;
      this.t.log(`${id}: its port was taken by another program; started again on ${port}`);
      r = await this.startPeer({ id, port, peers }, this.t.signal);
    }
    if (!r.ok) return { message: r.message, hint: r.hint };
    this.procs.set(id, r.peer);
    this.killed.delete(id);
    return undefined;
  }

  /** Start a peer the spec held back, or restart a killed one (same id, same port, empty). */
  async start(id: string): Promise<void> {
    this.tainted = true;
    const t0 = performance.now();
    const r = await this.startOne(id, this.procs.has(id));
    this.t.extendDeadline(performance.now() - t0);
    if (r) fail(r.message, { hint: r.hint });
    this.markEvent('restart', [id], `${id} started`);
    // Whatever it knew is gone: it learns everything again.
    for (const v of this.values.values()) v.learned.delete(id);
    this.t.log(`${id} started on port ${this.ports.get(id)}`);
  }

  /** SIGKILL a peer (no chance to save anything, as in a crash). */
  async kill(id: string): Promise<void> {
    this.tainted = true;
    this.killed.add(id);
    this.clients.get(id)?.close();
    this.clients.delete(id);
    this.markEvent('crash', [id], `${id} killed (SIGKILL)`);
    await this.procs.get(id)?.kill();
    this.t.log(`${id} killed with SIGKILL`);
  }

  /** Peers that exited although nobody killed them, with how, for a failure message. */
  deadPeers(): string[] {
    return this.peers.filter((p) => this.procs.has(p) && !this.killed.has(p) && !this.procs.get(p)!.running);
  }

  /**
   * After a client connection to `peer` closed: if the peer is dying, fail with its exit and its
   * stderr rather than "closed the connection". The exit is seen a moment after the close (the
   * process is reaped asynchronously): watched for at most a second, only on this failure path.
   */
  async expectAliveAfterClose(peer: string, when: string): Promise<void> {
    const p = this.procs.get(peer);
    if (!p || this.killed.has(peer)) return;
    const until = performance.now() + 1000;
    while (p.running && performance.now() < until) await delay(20);
    this.expectAlive(when);
  }

  /** Run a client request; a closed connection is first checked for the peer's exit. */
  private async ask<T>(peer: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof TestFailure && this.clients.get(peer)?.closed) await this.expectAliveAfterClose(peer, `before answering ${what}`);
      throw e;
    }
  }

  /** Fail if a peer died by itself: say which, how, and what it printed. */
  expectAlive(when: string): void {
    const dead = this.deadPeers();
    if (!dead.length) return;
    const p = this.procs.get(dead[0])!;
    const err = p.stderrLines(8);
    this.highlight.push(dead[0]);
    // "peer n1 exited", first: the grade's own note of exits looks for those words, and adds nothing then.
    fail(`peer ${dead[0]} exited ${when}${dead.length > 1 ? `, and so did ${dead.slice(1).join(', ')}` : ''}.${err.length ? `\nLast lines of ${dead[0]}'s stderr:\n${err.map((l) => '  ' + l).join('\n')}` : ''}`, {
      hint: 'A peer must survive whatever its neighbours and clients do: catch connection errors (refused, reset, broken pipe) and bad input, and keep going.',
    });
  }

  // ---- the network -------------------------------------------------------------------------

  /** When the last peer-to-peer line crossed the proxy (performance.now()). */
  private lastLineAt = 0;

  private decide(info: LineInfo): { drop: boolean; delayMs: number } {
    this.lastLineAt = info.at;
    const key = linkKey(info.sender, info.receiver);
    const drop = this.cuts.has(key);
    for (const m of [this.testLinks, this.windowLinks]) {
      const c = m.get(key) ?? { lines: 0, bytes: 0, dropped: 0 };
      c.lines++;
      c.bytes += info.line.length;
      if (drop) c.dropped++;
      m.set(key, c);
    }
    this.scan(info, drop);
    for (const poke of this.quietWaiters) poke();
    if (drop && this.peers.length <= 5) this.record(info, undefined, true);
    return { drop, delayMs: this.latencyMs };
  }

  private delivered(info: LineInfo, at: number): void {
    if (this.peers.length <= 5) this.record(info, at, false);
    // The receiver knows a value once a line naming it has reached it (scanned once, on arrival).
    for (const v of this.scanned.get(info) ?? []) this.learn(v, info.receiver, at);
  }

  /** Values found in each line on arrival, for its delivery (a flood must not be scanned twice). */
  private readonly scanned = new WeakMap<LineInfo, number[]>();

  private record(info: LineInfo, deliveredAt: number | undefined, dropped: boolean): void {
    if (this.sequence.length >= MAX_SEQUENCE_MESSAGES) {
      this.sequenceOmitted++;
      return;
    }
    const label = info.line.subarray(0, 60).toString('utf8').replace(/\n$/, '') + (info.line.length > 61 ? '…' : '');
    this.sequence.push({
      from: info.sender,
      to: info.receiver,
      sentAtMs: this.rel(info.at),
      ...(deliveredAt !== undefined ? { deliveredAtMs: this.rel(deliveredAt) } : {}),
      dropped,
      label,
    });
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

  private scan(info: LineInfo, dropped: boolean): void {
    const found = this.valuesIn(info.line);
    if (!found.length) return;
    if (!dropped) this.scanned.set(info, found);
    const key = linkKey(info.sender, info.receiver);
    const copies = this.windowCopies.get(key) ?? new Map<number, number>();
    for (const v of found) {
      copies.set(v, (copies.get(v) ?? 0) + 1);
      // The sender knew it when it sent it (delivered or not).
      this.learn(v, info.sender, info.at);
    }
    this.windowCopies.set(key, copies);
  }

  private learn(v: number, peer: string, at: number): void {
    const info = this.values.get(v);
    if (!info || this.killed.has(peer)) return;
    const prev = info.learned.get(peer);
    if (prev === undefined || at < prev) info.learned.set(peer, at);
  }

  /** How many connections `from` opened to `to` (through the proxy) in all, waiting up to `ms` for `n`. */
  connectAttempts(from: string, to: string, n: number, ms: number): Promise<number> {
    return this.proxies.get(linkKey(from, to))!.waitConnections(n, ms);
  }

  /** Drop every line between the two sides, both ways (connections stay open). */
  partition(a: string[], b: string[]): void {
    this.tainted = true;
    for (const x of a)
      for (const y of b) {
        this.cuts.add(linkKey(x, y));
        this.cuts.add(linkKey(y, x));
      }
    this.markEvent('partition', [], `partition {${a.join(',')}} | {${b.join(',')}}`);
    this.t.log(`partitioned {${a.join(', ')}} from {${b.join(', ')}}: lines between them are dropped`);
  }

  /** Drop every line from `from` to `to` (one way). */
  cut(from: string, to: string): void {
    this.tainted = true;
    this.cuts.add(linkKey(from, to));
    this.markEvent('cut', [from, to], `cut ${from}→${to}`);
    this.t.log(`cut ${from} -> ${to}: lines from ${from} to ${to} are dropped (the other way works)`);
  }

  heal(): void {
    this.cuts.clear();
    this.markEvent('heal', [], 'healed');
    this.t.log('network healed: every line is delivered again');
  }

  private markEvent(kind: SequenceFigure['marks'][number]['kind'], peers: string[], text: string): void {
    this.marks.push({ atMs: this.rel(performance.now()), kind, peers, text });
  }

  // ---- clients -----------------------------------------------------------------------------

  /** The test's connection to a peer (opened on first use, reopened if the peer closed it). */
  async client(peer: string): Promise<PeerClient> {
    const have = this.clients.get(peer);
    if (have && !have.closed) return have;
    const c = new PeerClient(peer, await this.connection(peer));
    this.clients.set(peer, c);
    return c;
  }

  /** A new raw connection to a peer, in the test's transcript, closed when the test ends. */
  async connection(peer: string): Promise<TcpClient> {
    const name = `${peer}#${++this.clientCount}`;
    let conn: TcpClient;
    try {
      conn = await TcpClient.connect({
        host: '127.0.0.1',
        port: this.ports.get(peer)!,
        name,
        transcript: this.t.transcript,
        timeoutMs: Math.min(CLIENT_TIMEOUT_MS, Math.max(1, this.t.remainingMs())),
        signal: this.t.signal,
      });
    } catch (e) {
      this.expectAlive('before the test could connect to it');
      return fail(`could not connect to peer ${peer}: ${(e as Error).message}`, {
        hint: 'A peer must keep listening on its --port and keep accepting clients, whatever happens to its neighbours.',
      });
    }
    this.t.defer(() => conn.close());
    return conn;
  }

  /** Record a broadcast the test sends itself (on a raw connection): it may now be read. */
  noteBroadcast(peer: string, value: number): void {
    if (!this.values.has(value)) this.values.set(value, { origin: peer, at: performance.now(), learned: new Map() });
    this.testValues.push(value);
    this.markEvent('broadcast', [peer], `broadcast ${value}`);
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
    const peers = opts.peers ?? this.peers.filter((p) => !this.killed.has(p));
    const until = performance.now() + Math.min(opts.giveUpMs, Math.max(0, this.t.remainingMs() - 500));
    // Past `quietAfter` (the bound), waiting on only tells "too slow" from "never": stop as soon
    // as the network has been silent for a moment, since nothing is on its way.
    const hopeless = () => opts.quietAfter !== undefined && performance.now() > opts.quietAfter && performance.now() - this.lastLineAt > 750;
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
    this.expectAlive('during the test');
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
      this.highlight.push(...r.missing.keys());
      // Links into a peer that lacks values that carried nothing at all in this test: the
      // likely culprit (a neighbour never sent to it), named and drawn highlighted.
      const silent = this.topology.edges
        .flatMap(([a, b]) => [
          [a, b],
          [b, a],
        ])
        .filter(([from, to]) => r.missing.has(to) && !r.missing.has(from) && !this.killed.has(from) && !this.testLinks.get(linkKey(from, to))?.lines)
        .slice(0, 4);
      for (const [from, to] of silent) this.highlight.push(linkKey(from, to));
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
    if ((opts.peers ?? this.peers).length > 1 && values.length && this.lastLineAt === 0)
      fail(
        `every peer got every value, yet not one line crossed the links between the peers (the addresses --peers gave them) since the cluster started: the values travelled some other way.`,
        { hint: 'A peer may reach another only through the addresses given by --peers: the grader relays, delays and cuts those links, and the tests are about what happens then.' },
      );
    if (r.lastMs > opts.boundMs) {
      this.highlight.push(r.last!.peer);
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
    const d = this.diameter;
    const slack = 2500 + extraMs;
    return { boundMs: 3 * d * this.latencyMs + slack, why: `3 × diameter ${d} × ${this.latencyMs} ms latency + ${slack} ms` };
  }

  // ---- measurements ------------------------------------------------------------------------

  private readonly memos = new Map<string, Promise<unknown>>();

  /**
   * One measurement shared by the tests that share this cluster (the same workload judged for
   * messages and for bytes): run once, the result kept while the cluster lives.
   */
  memo<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memos.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.memos.set(key, p);
      // A failed measurement is not kept: the next test runs it again and fails on its own.
      p.catch(() => this.memos.delete(key));
    }
    return p;
  }

  private readonly quietWaiters = new Set<() => void>();

  /**
   * Wait until no peer-to-peer line has crossed any link for `quietMs` (true), or `maxMs` passed
   * (false): acknowledgements still in flight after a workload, without a fixed pause.
   */
  awaitQuiet(quietMs: number, maxMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout;
      const finish = (quiet: boolean) => {
        clearTimeout(end);
        clearTimeout(timer);
        this.quietWaiters.delete(poke);
        resolve(quiet);
      };
      const poke = () => {
        clearTimeout(timer);
        timer = setTimeout(() => finish(true), quietMs);
      };
      const end = setTimeout(() => finish(false), maxMs);
      this.quietWaiters.add(poke);
      poke();
    });
  }

  /** Start a new measurement window. */
  mark(): void {
    this.windowLinks = new Map();
    this.windowCopies = new Map();
    this.windowStart = performance.now();
  }

  /** Traffic since the last mark(). */
  traffic(): Traffic {
    const links = [...this.windowLinks].map(([link, c]) => ({ link, ...c })).sort((a, b) => b.lines - a.lines || a.link.localeCompare(b.link));
    let worstCopy: { from: string; to: string; value: number; count: number } | undefined;
    for (const [link, copies] of [...this.windowCopies].sort(([a], [b]) => a.localeCompare(b)))
      for (const [value, count] of copies)
        if (!worstCopy || count > worstCopy.count) {
          const [from, to] = link.split('->');
          worstCopy = { from, to, value, count };
        }
    return {
      lines: links.reduce((a, l) => a + l.lines, 0),
      bytes: links.reduce((a, l) => a + l.bytes, 0),
      dropped: links.reduce((a, l) => a + l.dropped, 0),
      ms: performance.now() - this.windowStart,
      links,
      ...(worstCopy ? { worstCopy } : {}),
    };
  }

  /**
   * One sentence naming where the traffic went, for failure messages (a measured window, or the
   * current one). `totals: false` leaves out the totals a message has already given;
   * `perLine` adds the busiest link's bytes per line (a line carrying the whole set is long).
   */
  describeTraffic(tr: Traffic = this.traffic(), opts: { totals?: boolean; perLine?: boolean } = {}): string {
    if (!tr.lines) return 'No peer sent anything to a neighbour in this time.';
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const busiest = tr.links[0];
    const perLine = opts.perLine ? `, ${n(busiest.bytes / Math.max(1, busiest.lines))} per line` : '';
    const link = `${busiest.link.replace('->', ' → ')}, carried ${n(busiest.lines)} lines (${n(busiest.bytes)} bytes${perLine})`;
    const parts = [
      opts.totals === false
        ? `The busiest link, ${link}.`
        : `Peers sent ${n(tr.lines)} lines (${n(tr.bytes)} bytes) to each other in ${(tr.ms / 1000).toFixed(1)} s; the busiest link, ${link}.`,
    ];
    if (tr.worstCopy && tr.worstCopy.count > 2) parts.push(`${tr.worstCopy.from} sent value ${tr.worstCopy.value} to ${tr.worstCopy.to} ${n(tr.worstCopy.count)} times.`);
    return parts.join(' ');
  }

  /** Highlight a link or a peer in the topology picture ("n4->n5", "n4"). */
  spotlight(what: string): void {
    this.highlight.push(what);
  }

  // ---- pictures ----------------------------------------------------------------------------

  figures(): Figure[] {
    const out: Figure[] = [this.topologyFigure()];
    if (this.testValues.length) out.push(this.spreadFigure());
    if (this.peers.length <= 5 && (this.sequence.length || this.marks.length)) out.push(this.sequenceFigure());
    return out;
  }

  topologyFigure(): TopologyFigure {
    return {
      kind: 'topology',
      title: `${this.topology.name}${this.latencyMs ? `, ${this.latencyMs} ms per link` : ''}: lines each peer sent each neighbour during this test`,
      peers: this.peers.map((id) => ({ id, ...this.topology.positions[id], ...(this.killed.has(id) ? { crashed: true } : {}) })),
      links: this.topology.edges.flatMap(([a, b]) =>
        [linkKey(a, b), linkKey(b, a)].map((k) => {
          const [from, to] = k.split('->');
          const c = this.testLinks.get(k) ?? { lines: 0, bytes: 0, dropped: 0 };
          return { from, to, lines: c.lines, bytes: c.bytes, dropped: c.dropped };
        }),
      ),
      highlight: [...new Set(this.highlight)],
    };
  }

  spreadFigure(): SpreadFigure {
    const values = [...new Set(this.testValues)].slice(0, 100).map((v) => {
      const info = this.values.get(v)!;
      return {
        value: v,
        origin: info.origin,
        broadcastAtMs: this.rel(info.at),
        learnedAtMs: [...info.learned.values()].map((t) => this.rel(t)).sort((a, b) => a - b),
      };
    });
    return {
      kind: 'spread',
      title: `how many of the ${this.peers.length} peers knew each value, over time since its broadcast`,
      peerCount: this.peers.length,
      ...(this.figureBoundMs !== undefined ? { boundMs: this.figureBoundMs } : {}),
      values,
    };
  }

  sequenceFigure(): SequenceFigure {
    return {
      kind: 'sequence',
      title: 'every line between peers during this test (time runs down)',
      peers: this.peers,
      messages: this.sequence,
      messagesOmitted: this.sequenceOmitted,
      marks: this.marks,
    };
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    await Promise.all([...this.procs.values()].map((p) => p.stop()));
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}

/** Keeps at most one cluster between tests, so the tests of a stage can share it. */
export class ClusterPool {
  private current: Cluster | undefined;

  /** `answers(port)`: does the peer on this port answer the liveness request (a shared cluster is handed on only if every peer does)? */
  constructor(
    private readonly startPeer: StartPeer,
    private readonly answers?: (port: number) => Promise<boolean>,
  ) {}

  async acquire(spec: ClusterSpec, t: TestContext): Promise<Cluster> {
    const c = this.current;
    const key = `${spec.topology.name}|${spec.latencyMs ?? 0}`;
    if (c && spec.shared && c.shared && c.ready && !c.tainted && c.key === key && !c.deadPeers().length) {
      // A peer that hung in the test before must not be handed on: this test would fail for it.
      const silent = this.answers ? (await Promise.all(c.runningPorts().map((p) => this.answers!(p)))).filter((ok) => !ok).length : 0;
      if (!silent) {
        c.bind(t);
        t.log(`${spec.topology.name}: the same ${c.peers.length} peers as the test before (values from earlier tests are still there)`);
        return c;
      }
      t.log(`${spec.topology.name}: ${silent} of the peers from the test before did not answer the grader's liveness check; fresh peers were started`);
    }
    await this.release(true);
    const fresh = await Cluster.create(spec, this.startPeer, t);
    this.current = fresh;
    try {
      await fresh.startPeers(spec);
    } catch (e) {
      fresh.tainted = true; // never hand a half-started cluster to the next test
      throw e;
    }
    return fresh;
  }

  /**
   * After a test: stop its cluster unless the next test may share it. `force` stops it anyway
   * (the end of the grade, or a test that timed out and may have left work running on it).
   */
  async release(force = false): Promise<void> {
    const c = this.current;
    if (!c) return;
    if (!force && c.shared && c.ready && !c.tainted && !c.deadPeers().length) return;
    this.current = undefined;
    await c.close();
  }
}
