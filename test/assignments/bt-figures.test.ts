// bittorrent-peer's pictures, from real grades: who uploaded how much to whom (the swarm as a
// graph, bytes per link), and piece availability over time among the student's peers, read from
// the have and bitfield messages they sent the grader's seeders. A peer that never sends `have`
// draws no piece after its start.
import { describe, expect, test } from 'vitest';
import { grade } from '../../grader/grade/grade.js';
import { catalog } from '../../grader/validate/catalog.js';
import type { Results, SpreadFigure, TopologyFigure } from '../../grader/results/schema.js';
import { allTests, at } from '../helpers.js';
import { gradeSlot, gradeTimeout, gradesHere } from './catalog.js';

const figuresOf = (r: Results, id: string) => allTests(r).find((t) => t.id === id)!.figures;

describe.runIf(gradesHere('bittorrent-peer'))('bittorrent-peer pictures', () => {
  test('swarm-trades: every piece reaches all four peers; the swarm graph carries bytes between them', async () => {
    const r = await gradeSlot('bittorrent-peer', () => grade({ dir: at('solutions', 'bittorrent-peer', 'python'), only: ['swarm-trades'] }));
    expect(allTests(r).map((t) => t.status)).toEqual(['passed']);
    const figs = figuresOf(r, 'swarm-trades');
    const spread = figs.find((f): f is SpreadFigure => f.kind === 'spread')!;
    expect(spread.words.item).toBe('piece');
    expect(spread.peerCount).toBe(4);
    // 512 KiB in pieces of 32 KiB.
    expect(spread.values.length).toBe(16);
    expect(spread.values.every((v) => v.learnedAtMs.length === 4)).toBe(true);
    const topo = figs.find((f): f is TopologyFigure => f.kind === 'topology')!;
    expect(topo.measure).toBe('bytes');
  }, gradeTimeout('bittorrent-peer'));

  test('a peer that forgets `have` shows pieces only from its bitfields, never from haves', async () => {
    // Built on the Python reference (scenario.json builtOn): it reads it, read-only, from there.
    const item = catalog('bittorrent-peer').find((i) => i.kind === 'scenario' && i.name === 'forgets-have')!;
    const r = await gradeSlot('bittorrent-peer', () => grade({ dir: item.dir, readOnly: item.shared, only: ['swarm-trades'] }));
    expect(allTests(r)[0].status).toBe('failed');
    const spread = figuresOf(r, 'swarm-trades').find((f): f is SpreadFigure => f.kind === 'spread')!;
    const reached = spread.values.reduce((a, v) => a + v.learnedAtMs.length, 0);
    // Fewer than every piece at every peer: what the seeders heard of is what other peers know.
    expect(reached).toBeLessThan(16 * 4);
  }, gradeTimeout('bittorrent-peer'));
});
