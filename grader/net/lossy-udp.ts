// A UDP socket of the grader's behind a seeded unreliable network: what it sends and what it
// receives each cross a FaultyChannel of their own (loss, duplicates, reordering, delay, a cap),
// and every decision is kept (and written to the transcript) so a failure can show what the
// network did to each datagram. Replays exactly with the same seed.
import dgram from 'node:dgram';
import { seededRandom, type Random } from '../harness/random.js';
import { FaultDecider, FaultyChannel, type FaultEvent, type FaultPolicy } from './faults.js';
import type { Transcript } from './transcript.js';
import type { SequenceFigure } from '../results/schema.js';

export interface LossyUdpOptions {
  /** What happens to datagrams this socket sends, and to those it receives. */
  outgoing?: FaultPolicy;
  incoming?: FaultPolicy;
  /** The test's random stream: two streams of their own are drawn from it, one per direction. */
  random: Random;
  /** A name for the transcript ("client"). */
  name: string;
  transcript?: Transcript;
  address?: string;
  /** A datagram's name in the transcript ("DATA 3"); default "datagram". */
  label?: (data: Buffer, direction: 'out' | 'in') => string;
  /**
   * Datagrams the network leaves alone: what a test's fairness needs to arrive (a write's final ACK,
   * which a server may send only once). Asked for each datagram, in either direction.
   */
  spare?: (data: Buffer, direction: 'out' | 'in') => boolean;
  /** Keep (and write to the transcript) the first this many decisions only: a long transfer's tail adds nothing a report can show. */
  keep?: number;
}

export interface Datagram {
  data: Buffer;
  /** Who sent it (incoming) or where it goes (outgoing). */
  port: number;
  address: string;
}

type Unit = Datagram & { length: number };

export type DirectedFaultEvent = FaultEvent & { direction: 'out' | 'in'; port: number; data: Buffer };

export interface LadderOptions {
  title: string;
  /** The other side's lifeline ("your server"). */
  remote: string;
  /** A datagram's name in the picture ("DATA 3", "ACK 2"); default its size. */
  label?: (data: Buffer, direction: 'out' | 'in') => string;
  /** At most this many arrows (the first ones); the rest are counted as left out. */
  max?: number;
}

export class LossyUdpSocket {
  readonly events: DirectedFaultEvent[] = [];
  private readonly out: FaultyChannel<Unit>;
  private readonly in: FaultyChannel<Unit>;
  private readonly listeners = new Set<(d: Datagram) => void>();

  private readonly boundAt = performance.now();
  private readonly name: string;
  private readonly spare: LossyUdpOptions['spare'];

  private constructor(
    private readonly socket: dgram.Socket,
    opts: LossyUdpOptions,
  ) {
    this.name = opts.name;
    // Drawn now, in this order: each direction's decisions depend on its own traffic alone.
    const [outSeed, inSeed] = [opts.random(), opts.random()].map(String);
    let noted = 0;
    const note = (direction: 'out' | 'in') => (e: FaultEvent, d: Datagram) => {
      if (opts.keep !== undefined && ++noted > opts.keep) {
        if (noted === opts.keep + 1) opts.transcript?.note(`${opts.name}: the first ${opts.keep} datagrams are recorded; the rest are not`);
        return;
      }
      this.events.push({ ...e, direction, port: d.port, data: d.data });
      const what = opts.label ? `${opts.label(d.data, direction)} (#${e.seq})` : `datagram #${e.seq}`;
      opts.transcript?.note(`${opts.name}: ${what} ${direction === 'out' ? 'to' : 'from'} port ${d.port} (${e.size} bytes) ${e.what}${e.detail === 'delayed 0 ms' ? '' : ` (${e.detail})`}`);
    };
    this.out = new FaultyChannel<Unit>(new FaultDecider(opts.outgoing ?? {}, seededRandom(outSeed, 'out')), (d) => socket.send(d.data, d.port, d.address), note('out'));
    this.in = new FaultyChannel<Unit>(
      new FaultDecider(opts.incoming ?? {}, seededRandom(inSeed, 'in')),
      (d) => {
        for (const l of this.listeners) l(d);
      },
      note('in'),
    );
    this.spare = opts.spare;
    socket.on('message', (data, rinfo) => {
      const unit = { data, port: rinfo.port, address: rinfo.address, length: data.length };
      if (this.spare?.(data, 'in')) this.in.pass(unit);
      else this.in.send(unit);
    });
  }

  static async bind(opts: LossyUdpOptions): Promise<LossyUdpSocket> {
    const socket = dgram.createSocket(opts.address?.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, opts.address ?? '127.0.0.1', () => resolve());
    });
    socket.on('error', () => undefined);
    return new LossyUdpSocket(socket, opts);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: Buffer, port: number, address = '127.0.0.1'): void {
    const unit = { data, port, address, length: data.length };
    if (this.spare?.(data, 'out')) this.out.pass(unit);
    else this.out.send(unit);
  }

  onMessage(fn: (d: Datagram) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * The exchange as a ladder of datagrams, with what the network did to each: lost ones end in a
   * cross, a duplicate is a second arrow, a delayed one slants. Times from when the socket bound.
   */
  ladder(o: LadderOptions): SequenceFigure {
    const max = o.max ?? 80;
    const fate = (e: DirectedFaultEvent) =>
      e.what === 'dropped' ? ` · ${e.detail}` : e.what === 'duplicated' ? ' · duplicate' : e.what === 'released out of order' ? ' · out of order' : e.at - e.sentAt >= 1 ? ` · +${Math.round(e.at - e.sentAt)} ms` : '';
    const shown = this.events.slice(0, max);
    return {
      kind: 'sequence',
      title: o.title,
      peers: [this.name, o.remote],
      messages: shown.map((e) => ({
        from: e.direction === 'out' ? this.name : o.remote,
        to: e.direction === 'out' ? o.remote : this.name,
        sentAtMs: Math.round(e.sentAt - this.boundAt),
        ...(e.what === 'dropped' ? {} : { deliveredAtMs: Math.round(e.at - this.boundAt) }),
        dropped: e.what === 'dropped',
        label: `${o.label ? o.label(e.data, e.direction) : `${e.size} bytes`} (port ${e.port})${fate(e)}`,
      })),
      messagesOmitted: this.events.length - shown.length,
      marks: [],
    };
  }

  close(): void {
    this.out.close();
    this.in.close();
    this.socket.close();
  }
}
