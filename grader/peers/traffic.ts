// What crossed the network, counted from the journal's events alone: per directed link, for the
// current test (the picture) and for a measurement window (a test's numbers), and how to say it
// in one sentence.
import type { Journal, PeerEvent } from './journal.js';
import { linkKey } from './network.js';

export interface LinkCount {
  /** Units: lines, or chunks of a byte stream. */
  lines: number;
  bytes: number;
  dropped: number;
}

/** What crossed the network in a measurement window. */
export interface Traffic {
  lines: number;
  bytes: number;
  dropped: number;
  ms: number;
  /** Busiest first. */
  links: Array<{ link: string } & LinkCount>;
}

export class TrafficCounter {
  private testLinks = new Map<string, LinkCount>();
  private windowLinks = new Map<string, LinkCount>();
  private windowStart = performance.now();
  /** Counts every new window: a reader keeping numbers of its own per window can tell a new one. */
  window = 0;

  constructor(journal: Journal) {
    journal.subscribe((e) => this.count(e));
  }

  count(e: PeerEvent): void {
    if (e.kind !== 'sent') return;
    const key = linkKey(e.from, e.to);
    for (const m of [this.testLinks, this.windowLinks]) {
      const c = m.get(key) ?? { lines: 0, bytes: 0, dropped: 0 };
      c.lines++;
      c.bytes += e.data.length;
      if (e.dropped) c.dropped++;
      m.set(key, c);
    }
  }

  /** A new test: its picture counts from here. */
  newTest(): void {
    this.testLinks = new Map();
  }

  /** Start a new measurement window. */
  mark(): void {
    this.windowLinks = new Map();
    this.windowStart = performance.now();
    this.window++;
  }

  /** What crossed `from` -> `to` during the current test. */
  duringTest(from: string, to: string): LinkCount {
    return { ...(this.testLinks.get(linkKey(from, to)) ?? { lines: 0, bytes: 0, dropped: 0 }) };
  }

  /** Traffic since the last mark(). */
  traffic(now = performance.now()): Traffic {
    const links = [...this.windowLinks].map(([link, c]) => ({ link, ...c })).sort((a, b) => b.lines - a.lines || a.link.localeCompare(b.link));
    return {
      lines: links.reduce((a, l) => a + l.lines, 0),
      bytes: links.reduce((a, l) => a + l.bytes, 0),
      dropped: links.reduce((a, l) => a + l.dropped, 0),
      ms: now - this.windowStart,
      links,
    };
  }
}

/**
 * One sentence naming where the traffic went, for failure messages. `totals: false` leaves out
 * the totals a message has already given; `perLine` adds the busiest link's bytes per line.
 * A byte stream is described in bytes only (its chunks are the proxy's, not the peers').
 */
export function describeTraffic(tr: Traffic, opts: { totals?: boolean; perLine?: boolean; framing?: 'lines' | 'bytes' } = {}): string {
  if (!tr.lines) return 'No peer sent anything to a neighbour in this time.';
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const secs = (tr.ms / 1000).toFixed(1);
  if (opts.framing === 'bytes') {
    const busiest = [...tr.links].sort((a, b) => b.bytes - a.bytes || a.link.localeCompare(b.link))[0];
    const link = `${busiest.link.replace('->', ' → ')}, carried ${n(busiest.bytes)} bytes`;
    return opts.totals === false ? `The busiest link, ${link}.` : `Peers sent ${n(tr.bytes)} bytes to each other in ${secs} s; the busiest link, ${link}.`;
  }
  const busiest = tr.links[0];
  const perLine = opts.perLine ? `, ${n(busiest.bytes / Math.max(1, busiest.lines))} per line` : '';
  const link = `${busiest.link.replace('->', ' → ')}, carried ${n(busiest.lines)} lines (${n(busiest.bytes)} bytes${perLine})`;
  return opts.totals === false ? `The busiest link, ${link}.` : `Peers sent ${n(tr.lines)} lines (${n(tr.bytes)} bytes) to each other in ${secs} s; the busiest link, ${link}.`;
}
