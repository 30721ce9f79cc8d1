// The pictures of a network of peers, drawn from the journal: the topology with what each
// directed link carried during the test, and, for small networks, the sequence of every unit
// between the peers with the network's and the test's marks.
import type { SequenceFigure, TopologyFigure } from '../results/schema.js';
import type { Journal, PeerEvent, SentEvent } from './journal.js';
import type { Topology } from './topology.js';
import type { TrafficCounter } from './traffic.js';

const MAX_SEQUENCE_MESSAGES = 400;
/** Sequences are drawn for networks this small only: more lanes than this are unreadable. */
export const MAX_SEQUENCE_PEERS = 5;

export function topologyFigure(o: { topology: Topology; latencyMs: number; traffic: TrafficCounter; crashed: Set<string>; highlight: string[]; unit?: string }): TopologyFigure {
  return {
    kind: 'topology',
    title: `${o.topology.name}${o.latencyMs ? `, ${o.latencyMs} ms per link` : ''}: ${o.unit ?? 'lines'} each peer sent each neighbour during this test`,
    peers: o.topology.peers.map((id) => ({ id, ...o.topology.positions[id], ...(o.crashed.has(id) ? { crashed: true } : {}) })),
    links: o.topology.edges.flatMap(([a, b]) =>
      [
        [a, b],
        [b, a],
      ].map(([from, to]) => ({ from, to, ...o.traffic.duringTest(from, to) })),
    ),
    highlight: [...new Set(o.highlight)],
    measure: o.unit === 'bytes' ? 'bytes' : 'lines',
  };
}

/** A label for one unit in the sequence picture (default: its first 60 characters as text). */
export type Labeller = (data: Buffer) => string;

const textLabel: Labeller = (data) => data.subarray(0, 60).toString('utf8').replace(/\n$/, '') + (data.length > 61 ? '…' : '');

/** Keeps the current test's sequence from the journal (small networks only; at most 400 units). */
export class SequenceRecorder {
  private messages: SequenceFigure['messages'] = [];
  private omitted = 0;
  private marks: SequenceFigure['marks'] = [];
  private testStart = performance.now();

  constructor(
    journal: Journal,
    private readonly peers: string[],
    private readonly label: Labeller = textLabel,
  ) {
    if (peers.length <= MAX_SEQUENCE_PEERS) journal.subscribe((e) => this.record(e));
    else journal.subscribe((e) => e.kind === 'mark' && this.record(e));
  }

  newTest(at = performance.now()): void {
    this.messages = [];
    this.omitted = 0;
    this.marks = [];
    this.testStart = at;
  }

  private rel(at: number): number {
    return Math.round(at - this.testStart);
  }

  private record(e: PeerEvent): void {
    if (e.kind === 'mark') this.marks.push({ atMs: this.rel(e.at), kind: e.mark, peers: e.peers, text: e.text });
    // A unit is drawn once: when it arrives, or when it is dropped.
    else if (e.kind === 'sent' && e.dropped) this.add(e, undefined);
    else if (e.kind === 'delivered') this.add(e.sent, e.at);
  }

  private add(sent: SentEvent, deliveredAt: number | undefined): void {
    if (this.messages.length >= MAX_SEQUENCE_MESSAGES) {
      this.omitted++;
      return;
    }
    this.messages.push({
      from: sent.from,
      to: sent.to,
      sentAtMs: this.rel(sent.at),
      ...(deliveredAt !== undefined ? { deliveredAtMs: this.rel(deliveredAt) } : {}),
      dropped: sent.dropped,
      label: this.label(sent.data),
    });
  }

  /** The picture, if this network is small enough and anything happened. */
  figure(unit = 'line'): SequenceFigure | undefined {
    if (this.peers.length > MAX_SEQUENCE_PEERS || (!this.messages.length && !this.marks.length)) return undefined;
    return {
      kind: 'sequence',
      title: `every ${unit} between peers during this test (time runs down)`,
      peers: this.peers,
      messages: this.messages,
      messagesOmitted: this.omitted,
      marks: this.marks,
    };
  }
}

