// Records what a test's connections sent and received, with times, for the report. Caps the
// number of entries and the bytes kept per entry so a 512 KiB value or a 1,000-command pipeline
// still yields a readable (and small) report; what is cut is counted, never silently lost.
import type { TranscriptEntry } from '../results/schema.js';

export interface TranscriptOptions {
  maxEntries?: number;
  maxBytesPerEntry?: number;
  /** Milliseconds since the test started; injectable for tests. */
  clock?: () => number;
}

type Kind = TranscriptEntry['kind'];

export class Transcript {
  private readonly list: TranscriptEntry[] = [];
  private droppedCount = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly clock: () => number;

  constructor(opts: TranscriptOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 120;
    this.maxBytes = opts.maxBytesPerEntry ?? 512;
    const start = performance.now();
    this.clock = opts.clock ?? (() => Math.round((performance.now() - start) * 10) / 10);
  }

  /** Record bytes that crossed a connection. Consecutive chunks in the same direction on the same connection are merged. */
  bytes(conn: string, kind: 'send' | 'recv', data: Uint8Array): void {
    const last = this.list[this.list.length - 1];
    if (last && last.conn === conn && last.kind === kind && last.size !== undefined) {
      const kept = last.data ? Buffer.from(last.data, 'base64') : Buffer.alloc(0);
      const room = this.maxBytes - kept.length;
      const add = room > 0 ? Buffer.from(data.subarray(0, room)) : Buffer.alloc(0);
      last.data = Buffer.concat([kept, add]).toString('base64');
      last.size += data.length;
      return;
    }
    this.push({
      t: this.clock(),
      conn,
      kind,
      data: Buffer.from(data.subarray(0, this.maxBytes)).toString('base64'),
      size: data.length,
    });
  }

  /**
   * Record one datagram (or other whole message): never merged with its neighbours. Binary
   * messages may carry their decoding and the offset where decoding failed, for the hex dump.
   */
  message(conn: string, kind: 'send' | 'recv', data: Uint8Array, extra: { binary?: boolean; decoded?: string; markAt?: number } = {}): void {
    this.push({ t: this.clock(), conn, kind, data: Buffer.from(data.subarray(0, this.maxBytes)).toString('base64'), size: data.length, ...extra });
  }

  event(conn: string, kind: Exclude<Kind, 'send' | 'recv'>, text?: string): void {
    this.push({ t: this.clock(), conn, kind, ...(text !== undefined ? { text } : {}) });
  }

  note(text: string): void {
    this.event('test', 'note', text);
  }

  entries(): TranscriptEntry[] {
    return this.list.map((e) => ({ ...e }));
  }

  get dropped(): number {
    return this.droppedCount;
  }

  private push(e: TranscriptEntry): void {
    // Keep the first entries (how the conversation started) and, once full, the most recent
    // ones (where it went wrong): the middle is what gets dropped.
    if (this.list.length < this.maxEntries) {
      this.list.push(e);
      return;
    }
    // Drop from the middle: the report marks the gap at half the list (see report/view.ts).
    this.list.splice(Math.floor(this.maxEntries / 2), 1);
    this.droppedCount++;
    this.list.push(e);
  }
}
