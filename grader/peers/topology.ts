// Topologies for peer tests: who is whose neighbour, where each peer is drawn, and the diameter
// (the longest shortest path), from which the tests set their time bounds. Peers are n1..nN.
import type { Random } from '../harness/random.js';

export interface Topology {
  /** "grid 5x5", "line of 5": for logs and reports. */
  name: string;
  peers: string[];
  /** Undirected edges; each becomes two directed links through the proxy. */
  edges: Array<[string, string]>;
  /** Where each peer is drawn, in the unit square. */
  positions: Record<string, { x: number; y: number }>;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i + 1}`);

function circle(peers: string[]): Topology['positions'] {
  const pos: Topology['positions'] = {};
  peers.forEach((p, i) => {
    const a = (2 * Math.PI * i) / peers.length - Math.PI / 2;
    pos[p] = { x: 0.5 + 0.45 * Math.cos(a), y: 0.5 + 0.45 * Math.sin(a) };
  });
  return pos;
}

export function line(n: number): Topology {
  const peers = ids(n);
  const positions: Topology['positions'] = {};
  peers.forEach((p, i) => (positions[p] = { x: n === 1 ? 0.5 : i / (n - 1), y: 0.5 }));
  return { name: `line of ${n}`, peers, edges: peers.slice(1).map((p, i) => [peers[i], p]), positions };
}

export function ring(n: number): Topology {
  const peers = ids(n);
  const edges: Topology['edges'] = peers.map((p, i) => [p, peers[(i + 1) % n]]);
  return { name: `ring of ${n}`, peers, edges: n > 2 ? edges : edges.slice(0, n - 1), positions: circle(peers) };
}

export function grid(cols: number, rows: number): Topology {
  const peers = ids(cols * rows);
  const at = (c: number, r: number) => peers[r * cols + c];
  const edges: Topology['edges'] = [];
  const positions: Topology['positions'] = {};
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      positions[at(c, r)] = { x: cols > 1 ? c / (cols - 1) : 0.5, y: rows > 1 ? r / (rows - 1) : 0.5 };
      if (c + 1 < cols) edges.push([at(c, r), at(c + 1, r)]);
      if (r + 1 < rows) edges.push([at(c, r), at(c, r + 1)]);
    }
  return { name: `grid ${cols}x${rows}`, peers, edges, positions };
}

/** A tree where peer i's parent is peer floor((i-1)/branching) (breadth-first numbering). */
export function tree(n: number, branching = 2): Topology {
  const peers = ids(n);
  const edges: Topology['edges'] = [];
  const depth: number[] = [0];
  for (let i = 1; i < n; i++) {
    const parent = Math.floor((i - 1) / branching);
    edges.push([peers[parent], peers[i]]);
    depth[i] = depth[parent] + 1;
  }
  const levels = Math.max(...depth) + 1;
  const positions: Topology['positions'] = {};
  for (let d = 0; d < levels; d++) {
    const row = peers.filter((_, i) => depth[i] === d);
    row.forEach((p, k) => (positions[p] = { x: (k + 0.5) / row.length, y: levels > 1 ? d / (levels - 1) : 0.5 }));
  }
  return { name: `tree of ${n}`, peers, edges, positions };
}

/** A random connected graph: a random spanning tree plus `extra` random edges, from the seed. */
export function randomConnected(n: number, extra: number, random: Random): Topology {
  const peers = ids(n);
  const edges: Topology['edges'] = [];
  const has = new Set<string>();
  const add = (a: string, b: string) => {
    const k = a < b ? `${a}|${b}` : `${b}|${a}`;
    if (a === b || has.has(k)) return false;
    has.add(k);
    edges.push([a, b]);
    return true;
  };
  for (let i = 1; i < n; i++) add(peers[i], peers[Math.floor(random() * i)]);
  for (let tries = 0, added = 0; added < extra && tries < extra * 20; tries++)
    if (add(peers[Math.floor(random() * n)], peers[Math.floor(random() * n)])) added++;
  return { name: `random connected graph of ${n}`, peers, edges, positions: circle(peers) };
}

export function neighbours(t: Topology, peer: string): string[] {
  return t.edges.flatMap(([a, b]) => (a === peer ? [b] : b === peer ? [a] : []));
}

/** Hops from `from` to every peer reachable over `edges` (BFS); unreachable peers are absent. */
export function hopsFrom(t: Topology, from: string, edges: Topology['edges'] = t.edges): Map<string, number> {
  const dist = new Map([[from, 0]]);
  const queue = [from];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [a, b] of edges) {
      const q = a === p ? b : b === p ? a : undefined;
      if (q && !dist.has(q)) {
        dist.set(q, dist.get(p)! + 1);
        queue.push(q);
      }
    }
  }
  return dist;
}

export function diameter(t: Topology): number {
  return Math.max(0, ...t.peers.map((p) => Math.max(...hopsFrom(t, p).values())));
}
