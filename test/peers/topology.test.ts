// Topologies: the shapes the peer tests are wired in, and the diameters their bounds come from.
import { describe, expect, test } from 'vitest';
import { seededRandom } from '../../grader/harness/random.js';
import { diameter, grid, hopsFrom, line, neighbours, randomConnected, ring, tree } from '../../grader/peers/topology.js';

describe('topologies', () => {
  test('line, ring, grid and tree have the edges and diameters of their shapes', () => {
    expect(line(5).edges).toEqual([['n1', 'n2'], ['n2', 'n3'], ['n3', 'n4'], ['n4', 'n5']]);
    expect(diameter(line(5))).toBe(4);
    expect(diameter(line(1))).toBe(0);
    expect(ring(6).edges).toHaveLength(6);
    expect(diameter(ring(6))).toBe(3);
    expect(diameter(ring(5))).toBe(2);
    const g = grid(5, 5);
    expect(g.edges).toHaveLength(40);
    expect(diameter(g)).toBe(8);
    expect(neighbours(g, 'n1').sort()).toEqual(['n2', 'n6']);
    expect(neighbours(g, 'n13')).toHaveLength(4);
    expect(tree(7).edges).toHaveLength(6);
    expect(diameter(tree(7))).toBe(4);
  });

  test('every peer has a position in the unit square', () => {
    for (const t of [line(5), ring(4), grid(5, 5), tree(7), randomConnected(8, 3, seededRandom('x'))])
      for (const p of t.peers) {
        const pos = t.positions[p];
        expect(pos.x).toBeGreaterThanOrEqual(0);
        expect(pos.x).toBeLessThanOrEqual(1);
        expect(pos.y).toBeGreaterThanOrEqual(0);
        expect(pos.y).toBeLessThanOrEqual(1);
      }
  });

  test('a random connected graph is connected, has no duplicate edges, and comes from the seed', () => {
    for (const seed of ['a', 'b', 'c', 'd', 'e']) {
      const t = randomConnected(10, 4, seededRandom(seed));
      expect(hopsFrom(t, 'n1').size).toBe(10);
      const keys = t.edges.map(([a, b]) => [a, b].sort().join('|'));
      expect(new Set(keys).size).toBe(keys.length);
      expect(t.edges).toHaveLength(9 + 4);
      expect(randomConnected(10, 4, seededRandom(seed)).edges).toEqual(t.edges);
    }
  });

  test('hops over a subset of edges: a cut ring is a line', () => {
    const r = ring(4);
    const cut = r.edges.filter(([a, b]) => !(a === 'n4' && b === 'n1'));
    expect(hopsFrom(r, 'n1', cut).get('n4')).toBe(3);
    expect(hopsFrom(r, 'n1').get('n4')).toBe(1);
  });
});
