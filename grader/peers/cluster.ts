// A cluster of the student's peers for one test (or a stage of tests that share it): the peers
// on free ports, started, killed and restarted; the network between them (network.ts); what it
// carried (traffic.ts) and the pictures (figures.ts); raw client connections to each peer; and
// the workloads a test attaches (grader/kits has them), which live as long as the cluster.
// Nothing here knows what the peers say to each other.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TcpClient } from '../net/tcp-client.js';
import type { Framing } from '../net/link-proxy.js';
import { freePort } from '../run/ports.js';
import type { Figure } from '../results/schema.js';
import { fail } from '../harness/failure.js';
import { MAX_SEQUENCE_PEERS, SequenceRecorder, topologyFigure, type Labeller } from './figures.js';
import { Journal } from './journal.js';
import { Network, type LinkFaults } from './network.js';
import type { PeerProcess, PeersScope, StartPeer } from './scope.js';
import { diameter, neighbours, type Topology } from './topology.js';
import { describeTraffic, TrafficCounter, type Traffic } from './traffic.js';

export interface ClusterSpec {
  topology: Topology;
  /** Delay of everything between peers, each way (ms). */
  latencyMs?: number;
  /** What the peers speak to each other: newline-delimited lines (default) or a byte stream. */
  framing?: Framing;
  /**
   * Tests of a stage that ask for the same shared topology get the same running cluster (no
   * restart between them); a cluster that had faults injected is never shared.
   */
  shared?: boolean;
  /** Peers not to start now (a test starts them later with `start`). */
  notStarted?: string[];
  /** How a unit between peers is labelled in the sequence picture (byte streams: name the message). */
  label?: Labeller;
  /**
   * Peers of the topology that the test plays itself (scripted peers): never started; each has
   * a port (`portOf`) for the test to listen on, and links through the network like the rest.
   */
  played?: string[];
  /**
   * Before a peer's first start: given the peer and a new folder of its own (readable and
   * writable by that peer alone, "{dir}" in the assignment's arguments), write what it is to be
   * given there and return values for more "{name}" placeholders.
   */
  prepare?: (peer: string, folder: string) => Record<string, string> | Promise<Record<string, string>>;
  /**
   * Each peer is reached at a loopback address of its own (127.0.0.2, 127.0.0.3, …), and what
   * its links carry to others comes from that address: for programs that count, limit or ban
   * peers by IP address (real BitTorrent clients do), every peer is a host of its own.
   */
  addressPerPeer?: boolean;
  /** After the network is up and before any peer starts: the test's own peers start listening. */
  beforeStart?: (c: Cluster) => Promise<void>;
  /**
   * Asked when a peer ends by itself: a reason when that is no fault by itself (it had done all
   * the test needs of it, e.g. written the whole file); the tests that needed it afterwards say
   * so themselves (`endOf`). Undefined: every exit fails the test it happens in.
   */
  exitAllowed?: (peer: string) => string | undefined;
}

/**
 * How long a client connection may wait for the peer's accept. Generous: 25 peers and the grader
 * share two cores.
 */
export const CLIENT_TIMEOUT_MS = 5000;

/** What a workload attached to a cluster may do when a test takes the cluster over. */
export interface Workload {
  /** A new test holds the cluster: reset what is per test. */
  newTest?(t: PeersScope): void;
  /** Pictures of this test, drawn after the topology. */
  figures?(): Figure[];
}

export class Cluster {
  readonly topology: Topology;
  readonly key: string;
  readonly shared: boolean;
  readonly journal = new Journal();
  readonly counter: TrafficCounter;
  /** Set once a fault was injected: the cluster is not handed to the next test. */
  tainted = false;
  /** Every peer the spec asked for was started. */
  ready = false;
  private network!: Network;
  private readonly ports = new Map<string, number>();
  private readonly procs = new Map<string, PeerProcess>();
  private readonly killed = new Set<string>();
  private readonly workloads = new Map<string, Workload>();
  /** Each peer's folder and placeholder values, made before its first start and kept for restarts. */
  private readonly given = new Map<string, { folder: string; vars: Record<string, string> }>();
  private folders: string | undefined;
  private readonly sequence: SequenceRecorder;
  private t!: PeersScope;
  private testStart = 0;
  private clientCount = 0;
  private highlight: string[] = [];

  private constructor(
    private readonly spec: ClusterSpec,
    private readonly startPeer: StartPeer,
  ) {
    this.topology = spec.topology;
    this.shared = !!spec.shared;
    this.key = clusterKey(spec);
    this.counter = new TrafficCounter(this.journal);
    this.sequence = new SequenceRecorder(this.journal, spec.topology.peers, spec.label);
  }

  static async create(spec: ClusterSpec, startPeer: StartPeer, t: PeersScope): Promise<Cluster> {
    const c = new Cluster(spec, startPeer);
    c.bind(t);
    for (const p of spec.topology.peers) c.ports.set(p, await freePort());
    c.network = await Network.open({
      links: spec.topology.edges.flatMap(([a, b]) => [
        [a, b],
        [b, a],
      ]) as Array<[string, string]>,
      portOf: (p) => c.ports.get(p)!,
      journal: c.journal,
      framing: spec.framing ?? 'lines',
      latencyMs: spec.latencyMs ?? 0,
      seed: [t.seed, t.testId],
      ...(spec.addressPerPeer ? { hostOf: (p: string) => `127.0.0.${2 + spec.topology.peers.indexOf(p)}` } : {}),
    });
    return c;
  }

  /** Start the peers (all but those the spec holds back). */
  async startPeers(spec: ClusterSpec): Promise<void> {
    await spec.beforeStart?.(this);
    const later = new Set([...(spec.notStarted ?? []), ...(spec.played ?? [])]);
    const t0 = performance.now();
    await this.startMany(spec.topology.peers.filter((p) => !later.has(p)));
    this.ready = true;
    this.t.log(
      `${spec.topology.name}: ${spec.topology.peers.length} peers, ${this.directedLinks} directed links, diameter ${this.diameter}${this.latencyMs ? `, ${this.latencyMs} ms per link` : ''}; started in ${Math.round(performance.now() - t0)} ms`,
    );
  }

  /** Hand the cluster to a test: fresh per-test records, connections and pictures. */
  bind(t: PeersScope): void {
    this.t = t;
    // A shared cluster's faults replay from the test that holds it now, not from earlier ones.
    this.network?.reseed([t.seed, t.testId]);
    this.testStart = performance.now();
    this.counter.newTest();
    this.counter.mark();
    this.sequence.newTest(this.testStart);
    this.highlight = [];
    for (const w of this.workloads.values()) w.newTest?.(t);
    // Pictures are drawn however the test ends (a failure is when they help most).
    t.defer(() => {
      for (const f of this.figures()) t.figure(f);
    });
  }

  /** The test holding the cluster now. */
  get scope(): PeersScope {
    return this.t;
  }

  /**
   * The workload attached under `key`, made on first use: it lives as long as the cluster (the
   * tests of a stage share it, with what earlier tests did).
   */
  workload<W extends Workload>(key: string, make: () => W): W {
    let w = this.workloads.get(key) as W | undefined;
    if (!w) {
      w = make();
      this.workloads.set(key, w);
      w.newTest?.(this.t);
    }
    return w;
  }

  get peers(): string[] {
    return this.topology.peers;
  }

  get framing(): Framing {
    return this.network.framing;
  }

  get latencyMs(): number {
    return this.network.latencyMs;
  }

  set latencyMs(ms: number) {
    this.network.latencyMs = ms;
  }

  /** The ports of the peers running now (for the grader's liveness check between tests). */
  runningPorts(): number[] {
    return [...this.procs.values()].filter((p) => p.running).map((p) => p.port);
  }

  /** Where a peer listens (for a test's own connections; where a played peer is to listen). */
  portOf(peer: string): number {
    return this.ports.get(peer)!;
  }

  /** The peer listening on `port`, if any (a tracker finds who announced by the port it gave). */
  peerOnPort(port: number): string | undefined {
    for (const [p, n] of this.ports) if (n === port) return p;
    return undefined;
  }

  /** The address `from` reaches its neighbour `to` at: the link's proxy. */
  address(from: string, to: string): string {
    return this.network.address(from, to);
  }

  get diameter(): number {
    return diameter(this.topology);
  }

  /** Directed links (each undirected edge is two). */
  get directedLinks(): number {
    return this.topology.edges.length * 2;
  }

  /** Milliseconds from the start of the current test to `at` (performance.now()). */
  sinceTestStart(at: number): number {
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

  /** The peer's own folder and values, made on its first start. */
  private async givenTo(id: string): Promise<{ folder?: string; vars?: Record<string, string> }> {
    if (!this.spec.prepare) return {};
    let g = this.given.get(id);
    if (!g) {
      this.folders ??= fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-peers-'));
      const folder = path.join(this.folders, id);
      fs.mkdirSync(folder, { mode: 0o700 });
      g = { folder, vars: await this.spec.prepare(id, folder) };
      this.given.set(id, g);
    }
    return g;
  }

  /** The folder a peer was given (`prepare`): read what it wrote there. */
  folderOf(peer: string): string | undefined {
    return this.given.get(peer)?.folder;
  }

  /**
   * A file the peer wrote in its folder, read safely: only a regular file of at most `maxBytes`,
   * never through a link (a peer could point one at the grader's files) and never a FIFO (the
   * read would wait for good). Undefined when there is no such file.
   */
  readFromFolder(peer: string, name: string, maxBytes: number): Buffer | undefined {
    const folder = this.folderOf(peer);
    if (!folder) return undefined;
    let fd: number | undefined;
    try {
      fd = fs.openSync(path.join(folder, path.basename(name)), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
      const st = fs.fstatSync(fd);
      if (!st.isFile() || st.size > maxBytes) return undefined;
      const buf = Buffer.alloc(st.size);
      let at = 0;
      while (at < buf.length) {
        const n = fs.readSync(fd, buf, at, buf.length - at, at);
        if (n === 0) break;
        at += n;
      }
      return buf.subarray(0, at);
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** Played by the test itself (`played`), not started by the cluster. */
  isPlayed(peer: string): boolean {
    return !!this.spec.played?.includes(peer);
  }

  private async startOne(id: string, restart = false): Promise<{ message: string; hint: string } | undefined> {
    if (this.isPlayed(id)) throw new Error(`peer ${id} is played by the test: the cluster does not start it`);
    const peers = neighbours(this.topology, id).map((n) => this.network.address(id, n));
    const given = await this.givenTo(id);
    const exitAllowed = this.spec.exitAllowed ? () => this.spec.exitAllowed!(id) : undefined;
    let r = await this.startPeer({ id, port: this.ports.get(id)!, peers, ...given, ...(exitAllowed ? { exitAllowed } : {}) }, this.t.signal);
    // Another program took the port between our check and the peer's bind: not the student's
    // fault. A first start moves to another port (its neighbours reach it through the proxies).
    for (let tries = 0; !r.ok && !restart && tries < 2 && /address already in use|EADDRINUSE|Errno 98/i.test(r.message); tries++) {
      const port = await freePort();
      this.ports.set(id, port);
      this.network.moveUpstream(id, port);
      this.t.log(`${id}: its port was taken by another program; started again on ${port}`);
      r = await this.startPeer({ id, port, peers, ...given, ...(exitAllowed ? { exitAllowed } : {}) }, this.t.signal);
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
    this.journal.mark('restart', [id], `${id} started`);
    this.t.log(`${id} started on port ${this.ports.get(id)}`);
  }

  /** SIGKILL a peer (no chance to save anything, as in a crash). */
  async kill(id: string): Promise<void> {
    this.tainted = true;
    this.killed.add(id);
    this.journal.mark('crash', [id], `${id} killed (SIGKILL)`);
    await this.procs.get(id)?.kill();
    this.t.log(`${id} killed with SIGKILL`);
  }

  /** Killed by the test (and not started again since). */
  isKilled(id: string): boolean {
    return this.killed.has(id);
  }

  /** Peers that exited although nobody killed them, and not at a point the spec allows (`exitAllowed`). */
  deadPeers(): string[] {
    return this.peers.filter((p) => this.procs.has(p) && !this.killed.has(p) && !this.procs.get(p)!.running && !this.spec.exitAllowed?.(p));
  }

  /** How `peer` ended, if it ended by itself (allowed or not): "exited with code 0"; undefined while it runs or after a kill. */
  endOf(peer: string): string | undefined {
    const p = this.procs.get(peer);
    return p && !p.running && !this.killed.has(peer) ? p.describeEnd() : undefined;
  }

  /** A test's own failure says how `peer` ended: the grade adds nothing about that exit. */
  reportedEnd(peer: string): void {
    this.procs.get(peer)?.exitReported();
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

  /** Fail if a peer died by itself: say which, how, and what it printed. */
  expectAlive(when: string): void {
    const dead = this.deadPeers();
    if (!dead.length) return;
    const p = this.procs.get(dead[0])!;
    const err = p.stderrLines(8);
    this.highlight.push(dead[0]);
    for (const d of dead) this.procs.get(d)!.exitReported();
    fail(`peer ${dead[0]} exited ${when}${dead.length > 1 ? `, and so did ${dead.slice(1).join(', ')}` : ''} (${dead[0]} ${p.describeEnd()}).${err.length ? `\nLast lines of ${dead[0]}'s stderr:\n${err.map((l) => '  ' + l).join('\n')}` : ''}`, {
      hint: 'A peer must survive whatever its neighbours and clients do: catch connection errors (refused, reset, broken pipe) and bad input, and keep going.',
    });
  }

  // ---- the network -------------------------------------------------------------------------

  /** When anything last crossed a link between peers (performance.now()), 0 if nothing ever did. */
  get lastSentAt(): number {
    return this.network.lastSentAt;
  }

  /** How many connections `from` opened to `to` (through the proxy) in all, waiting up to `ms` for `n`. */
  connectAttempts(from: string, to: string, n: number, ms: number): Promise<number> {
    return this.network.connectAttempts(from, to, n, ms);
  }

  /** How many connections `from` opened to `to` (through the proxy) so far. */
  connectionsOpened(from: string, to: string): number {
    return this.network.connectionsOpened(from, to);
  }

  /** Drop every line between the two sides, both ways (connections stay open; a byte stream stalls). */
  partition(a: string[], b: string[]): void {
    this.tainted = true;
    this.network.partition(a, b);
    this.t.log(`partitioned {${a.join(', ')}} from {${b.join(', ')}}: ${this.framing === 'lines' ? 'lines between them are dropped' : 'nothing between them is delivered until the network heals'}`);
  }

  /** Drop every line from `from` to `to` (one way; a byte stream stalls). */
  cut(from: string, to: string): void {
    this.tainted = true;
    this.network.cut(from, to);
    this.t.log(`cut ${from} -> ${to}: ${this.framing === 'lines' ? 'lines' : 'bytes'} from ${from} to ${to} are ${this.framing === 'lines' ? 'dropped' : 'held'} (the other way works)`);
  }

  heal(): void {
    this.network.heal();
    this.t.log(`network healed: everything is delivered again`);
  }

  /** Cap what crosses from `from` to `to` (bytes per second; undefined lifts the cap). */
  limitBandwidth(from: string, to: string, bytesPerSecond: number | undefined): void {
    this.tainted = true;
    this.network.limitBandwidth(from, to, bytesPerSecond);
    this.t.log(bytesPerSecond ? `link ${from} -> ${to} capped at ${Math.round(bytesPerSecond / 1024)} KiB/s` : `link ${from} -> ${to}: no cap`);
  }

  /**
   * Seeded faults on what crosses from `from` to `to` (undefined: none): lines may be lost or
   * repeated, any link delayed with jitter. Decided from the test's seed: a run replays exactly.
   */
  faults(from: string, to: string, faults: LinkFaults | undefined): void {
    this.tainted = true;
    this.network.setFaults(from, to, faults);
    this.t.log(faults ? `link ${from} -> ${to}: faults ${JSON.stringify(faults)}` : `link ${from} -> ${to}: no faults`);
  }

  /** Wait until nothing crossed any link for `quietMs` (true), or `maxMs` passed (false). */
  awaitQuiet(quietMs: number, maxMs: number): Promise<boolean> {
    return this.network.awaitQuiet(quietMs, maxMs);
  }

  // ---- connections -------------------------------------------------------------------------

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

  /** Start a new measurement window. */
  mark(): void {
    this.counter.mark();
  }

  /** Traffic since the last mark(). */
  traffic(): Traffic {
    return this.counter.traffic();
  }

  /** One sentence naming where the traffic went (see traffic.ts). */
  describeTraffic(tr: Traffic = this.traffic(), opts: { totals?: boolean; perLine?: boolean } = {}): string {
    return describeTraffic(tr, { ...opts, framing: this.framing });
  }

  /** Highlight a link or a peer in the topology picture ("n4->n5", "n4"). */
  spotlight(what: string): void {
    this.highlight.push(what);
  }

  // ---- pictures ----------------------------------------------------------------------------

  figures(): Figure[] {
    const unit = this.framing === 'lines' ? 'line' : 'chunk';
    const out: Figure[] = [topologyFigure({ topology: this.topology, latencyMs: this.latencyMs, traffic: this.counter, crashed: this.killed, highlight: this.highlight, unit: this.framing === 'lines' ? 'lines' : 'bytes' })];
    for (const w of this.workloads.values()) out.push(...(w.figures?.() ?? []));
    const seq = this.peers.length <= MAX_SEQUENCE_PEERS ? this.sequence.figure(unit) : undefined;
    if (seq) out.push(seq);
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop()));
    await this.network?.close();
    if (this.folders) fs.rmSync(this.folders, { recursive: true, force: true });
  }
}

export const clusterKey = (spec: ClusterSpec) => `${spec.topology.name}|${spec.latencyMs ?? 0}|${spec.framing ?? 'lines'}`;
