// The journal of a network of peers: what crossed each link, what was dropped, when it arrived,
// and what happened to the peers and the network (crashes, restarts, cuts), as events in the
// order they happened. The network writes it; counts, pictures and workloads read it.
import type { SequenceFigure } from '../results/schema.js';

export type MarkKind = SequenceFigure['marks'][number]['kind'];

/** A unit (a line, or a chunk of a byte stream) one peer wrote to another, as the link proxy had it. */
export interface SentEvent {
  kind: 'sent';
  from: string;
  to: string;
  data: Buffer;
  /** performance.now() when the proxy had it. */
  at: number;
  /** The network dropped it (a cut that drops lines): it will never be delivered. */
  dropped: boolean;
}

export interface DeliveredEvent {
  kind: 'delivered';
  sent: SentEvent;
  at: number;
}

/** A connection one peer opened to another (through the link's proxy). */
export interface ConnectionEvent {
  kind: 'connection';
  from: string;
  to: string;
  at: number;
}

/** Something that happened to the peers or the network: a crash, a restart, a cut, a workload's request. */
export interface MarkEvent {
  kind: 'mark';
  mark: MarkKind;
  peers: string[];
  text: string;
  at: number;
}

export type PeerEvent = SentEvent | DeliveredEvent | ConnectionEvent | MarkEvent;

/**
 * Events go to the subscribers as they happen; none are kept here (a flooding peer sends
 * millions of lines): each reader keeps what it needs, bounded.
 */
export class Journal {
  private readonly readers = new Set<(e: PeerEvent) => void>();

  subscribe(reader: (e: PeerEvent) => void): () => void {
    this.readers.add(reader);
    return () => this.readers.delete(reader);
  }

  emit(e: PeerEvent): void {
    for (const r of this.readers) r(e);
  }

  mark(mark: MarkKind, peers: string[], text: string, at = performance.now()): void {
    this.emit({ kind: 'mark', mark, peers, text, at });
  }
}
