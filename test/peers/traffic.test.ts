// Traffic is counted from the journal's events alone: made-up events in, counts out (per link,
// per test, per measurement window), and the sentence that names the busiest link.
import { describe, expect, test } from 'vitest';
import { Journal, type SentEvent } from '../../grader/peers/journal.js';
import { describeTraffic, TrafficCounter } from '../../grader/peers/traffic.js';

const sent = (from: string, to: string, text: string, dropped = false, at = 0): SentEvent => ({ kind: 'sent', from, to, data: Buffer.from(text), at, dropped });

describe('traffic from events', () => {
  test('counts units, bytes and drops per directed link, busiest first; other events count nothing', () => {
    const j = new Journal();
    const c = new TrafficCounter(j);
    j.emit(sent('n1', 'n2', 'abc\n'));
    j.emit(sent('n1', 'n2', 'de\n', true));
    j.emit(sent('n2', 'n1', 'x\n'));
    j.emit({ kind: 'delivered', sent: sent('n1', 'n2', 'abc\n'), at: 1 });
    j.emit({ kind: 'connection', from: 'n1', to: 'n2', at: 1 });
    j.mark('crash', ['n2'], 'n2 killed');
    const tr = c.traffic();
    expect(tr).toMatchObject({ lines: 3, bytes: 9, dropped: 1 });
    expect(tr.links).toEqual([
      { link: 'n1->n2', lines: 2, bytes: 7, dropped: 1 },
      { link: 'n2->n1', lines: 1, bytes: 2, dropped: 0 },
    ]);
    expect(c.duringTest('n1', 'n2')).toEqual({ lines: 2, bytes: 7, dropped: 1 });
    expect(c.duringTest('n3', 'n1')).toEqual({ lines: 0, bytes: 0, dropped: 0 });
  });

  test('a window counts from its mark, the test from newTest; each mark is a new window number', () => {
    const j = new Journal();
    const c = new TrafficCounter(j);
    j.emit(sent('n1', 'n2', 'before\n'));
    const w = c.window;
    c.mark();
    expect(c.window).toBe(w + 1);
    j.emit(sent('n2', 'n3', 'after\n'));
    expect(c.traffic().links.map((l) => l.link)).toEqual(['n2->n3']);
    expect(c.duringTest('n1', 'n2').lines).toBe(1);
    c.newTest();
    expect(c.duringTest('n1', 'n2').lines).toBe(0);
    expect(c.traffic().lines).toBe(1);
  });

  test('the sentence: totals and the busiest link in lines, or in bytes for a byte stream', () => {
    const j = new Journal();
    const c = new TrafficCounter(j);
    expect(describeTraffic(c.traffic())).toBe('No peer sent anything to a neighbour in this time.');
    for (let i = 0; i < 3; i++) j.emit(sent('n1', 'n2', 'x'.repeat(9) + '\n'));
    j.emit(sent('n2', 'n1', 'y'.repeat(99)));
    const tr = { ...c.traffic(), ms: 2000 };
    expect(describeTraffic(tr)).toBe('Peers sent 4 lines (129 bytes) to each other in 2.0 s; the busiest link, n1 → n2, carried 3 lines (30 bytes).');
    expect(describeTraffic(tr, { totals: false, perLine: true })).toBe('The busiest link, n1 → n2, carried 3 lines (30 bytes, 10 per line).');
    expect(describeTraffic(tr, { framing: 'bytes' })).toBe('Peers sent 129 bytes to each other in 2.0 s; the busiest link, n2 → n1, carried 99 bytes.');
  });
});
