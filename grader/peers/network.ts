// The network between the peers: one link proxy per directed link, and the policy every unit
// crossing it obeys: latency, a bandwidth cap, cuts and partitions, and any seeded faults a test
// adds (loss, duplicates, jitter), decided by the same fault layer as the grader's lossy UDP
// sockets (grader/net/faults.ts), so a run replays exactly from its seed. What happens is written to
// the journal (sent, dropped, delivered, connections, and marks for cuts and heals); nothing here
// counts or draws (traffic.ts, figures.ts) or knows what the peers say to each other.
import { FaultDecider, policyProblem, type FaultPolicy } from '../net/faults.js';
import { LinkProxy, type Framing, type LineInfo, type Verdict } from '../net/link-proxy.js';
import { seededRandom } from '../harness/random.js';
import type { Journal, SentEvent } from './journal.js';

export const linkKey = (from: string, to: string) => `${from}->${to}`;

export interface NetworkOptions {
  /** Directed links (each undirected edge of the topology is two). */
  links: Array<[string, string]>;
  /** Where each peer listens (a peer that is down resets the connections made to it). */
  portOf(peer: string): number;
  journal: Journal;
  framing?: Framing;
  latencyMs?: number;
  /** Each peer's loopback address (127.0.0.N): links to it listen there, its links' connections come from it. */
  hostOf?: (peer: string) => string;
  /** What the fault decisions are seeded from (the test's seed and id): `reseed` for each new test. */
  seed?: string[];
}

/**
 * Faults a test may add to a direction of traffic. A byte stream is TCP's: reliable and in
 * order, so it can only be slowed (delay, jitter; the cap is `limitBandwidth`, a cut `cut`); lines
 * may also be lost or arrive twice. Never reordered: each connection keeps its order.
 */
export type LinkFaults = Pick<FaultPolicy, 'loss' | 'duplicate' | 'delayMs' | 'jitterMs' | 'burst'>;

export class Network {
  readonly journal: Journal;
  readonly framing: Framing;
  /** Delay of every unit, each way (ms). */
  latencyMs: number;
  /** When the last unit crossed any link (performance.now()), 0 before the first. */
  lastSentAt = 0;
  private readonly proxies = new Map<string, LinkProxy>();
  private readonly cuts = new Set<string>();
  private readonly rates = new Map<string, number>();
  private readonly faults = new Map<string, LinkFaults>();
  /** One decider per proxy and way: its bandwidth cap is shared by that way's connections. */
  private readonly deciders = new Map<string, FaultDecider>();
  private seed: string[];
  private readonly quietWaiters = new Set<() => void>();
  /** The events of units on their way, by the proxy's record of them (delivered refers back to sent). */
  private readonly inFlight = new WeakMap<LineInfo, SentEvent>();

  private constructor(opts: NetworkOptions) {
    this.journal = opts.journal;
    this.framing = opts.framing ?? 'lines';
    this.latencyMs = opts.latencyMs ?? 0;
    this.seed = opts.seed ?? ['network'];
  }

  /** A new test holds the network: its decisions come from that test's seed from now on. */
  reseed(seed: string[]): void {
    this.seed = seed;
    this.deciders.clear();
  }

  static async open(opts: NetworkOptions): Promise<Network> {
    const n = new Network(opts);
    try {
      for (const [from, to] of opts.links) {
        const proxy = await LinkProxy.open({
          from,
          to,
          upstreamPort: opts.portOf(to),
          ...(opts.hostOf ? { host: opts.hostOf(to), localAddress: opts.hostOf(from) } : {}),
          framing: n.framing,
          decide: (info) => n.decide(info, `${linkKey(from, to)}:${info.sender === from ? 'forward' : 'backward'}`),
          delivered: (info, at) => n.delivered(info, at),
          stalled: (sender, receiver) => n.cuts.has(linkKey(sender, receiver)),
          connected: () => n.journal.emit({ kind: 'connection', from, to, at: performance.now() }),
        });
        n.proxies.set(linkKey(from, to), proxy);
      }
    } catch (e) {
      await n.close();
      throw e;
    }
    return n;
  }

  /** The address `from` is given for its neighbour `to` (the proxy's). */
  address(from: string, to: string): string {
    return this.proxy(from, to).address;
  }

  /** `to` listens on a new port now: every link into it leads there. */
  moveUpstream(to: string, port: number): void {
    for (const [key, p] of this.proxies) if (key.endsWith(`->${to}`)) p.upstreamPort = port;
  }

  private proxy(from: string, to: string): LinkProxy {
    const p = this.proxies.get(linkKey(from, to));
    if (!p) throw new Error(`no link ${from} -> ${to} in this network`);
    return p;
  }

  private decide(info: LineInfo, way: string): Verdict {
    this.lastSentAt = info.at;
    const key = linkKey(info.sender, info.receiver);
    const extra = this.faults.get(key) ?? {};
    let decider = this.deciders.get(way);
    if (!decider) this.deciders.set(way, (decider = new FaultDecider({}, seededRandom(...this.seed, 'network', way))));
    decider.policy = {
      ...extra,
      delayMs: this.latencyMs + (extra.delayMs ?? 0),
      ...(this.rates.has(key) ? { bytesPerSecond: this.rates.get(key) } : {}),
      // Lines are dropped at a cut; a byte stream is held until the cut heals (stalled).
      partitioned: this.framing === 'lines' && this.cuts.has(key),
    };
    const d = decider.decide(info.line.length, info.at);
    const dropped = d.kind === 'drop';
    const sent: SentEvent = { kind: 'sent', from: info.sender, to: info.receiver, data: info.line, at: info.at, dropped };
    if (!dropped) this.inFlight.set(info, sent);
    this.journal.emit(sent);
    for (const poke of this.quietWaiters) poke();
    if (d.kind === 'drop') return { drop: true, delayMs: 0 };
    return { drop: false, delayMs: d.delaysMs[0], ...(d.delaysMs.length > 1 ? { duplicateDelayMs: d.delaysMs[1] } : {}) };
  }

  /**
   * Add seeded faults to what crosses from `from` to `to` (undefined: none). Throws a RangeError
   * naming a bad number, or a fault a byte stream cannot have.
   */
  setFaults(from: string, to: string, faults: LinkFaults | undefined): void {
    this.proxy(from, to);
    if (!faults) return void this.faults.delete(linkKey(from, to));
    const problem = policyProblem(faults) ?? (this.framing === 'bytes' && (faults.loss || faults.duplicate || faults.burst) ? 'a byte stream is reliable (TCP): it can be delayed, capped or cut, not lose or repeat bytes' : undefined);
    if (problem) throw new RangeError(`faults on ${from}→${to}: ${problem}`);
    this.faults.set(linkKey(from, to), faults);
  }

  private delivered(info: LineInfo, at: number): void {
    const sent = this.inFlight.get(info);
    if (sent) this.journal.emit({ kind: 'delivered', sent, at });
  }

  /** How many connections `from` opened to `to` in all, waiting up to `ms` for `n`. */
  connectAttempts(from: string, to: string, n: number, ms: number): Promise<number> {
    return this.proxy(from, to).waitConnections(n, ms);
  }

  /** How many connections `from` opened to `to` so far. */
  connectionsOpened(from: string, to: string): number {
    return this.proxy(from, to).connections;
  }

  /** Cut every link between the two sides, both ways (connections stay open). */
  partition(a: string[], b: string[]): void {
    for (const x of a)
      for (const y of b) {
        this.cuts.add(linkKey(x, y));
        this.cuts.add(linkKey(y, x));
      }
    this.journal.mark('partition', [], `partition {${a.join(',')}} | {${b.join(',')}}`);
  }

  /** Cut the link from `from` to `to` (one way). */
  cut(from: string, to: string): void {
    this.cuts.add(linkKey(from, to));
    this.journal.mark('cut', [from, to], `cut ${from}→${to}`);
  }

  heal(): void {
    this.cuts.clear();
    for (const p of this.proxies.values()) p.kick();
    this.journal.mark('heal', [], 'healed');
  }

  isCut(from: string, to: string): boolean {
    return this.cuts.has(linkKey(from, to));
  }

  /**
   * Cap what crosses from `from` to `to` at `bytesPerSecond` (undefined: no cap). All connections
   * of the link share it, so a peer cannot widen its link by opening more.
   */
  limitBandwidth(from: string, to: string, bytesPerSecond: number | undefined): void {
    this.proxy(from, to);
    if (bytesPerSecond && bytesPerSecond > 0) this.rates.set(linkKey(from, to), bytesPerSecond);
    else this.rates.delete(linkKey(from, to));
  }

  /** Reset every connection of the link from `from` to `to` (both ways on each). */
  reset(from: string, to: string): void {
    this.proxy(from, to).resetAll();
  }

  /**
   * Wait until nothing has crossed any link for `quietMs` (true), or `maxMs` passed (false):
   * acknowledgements still in flight after a workload, without a fixed pause.
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

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }
}
