// Synthetic figure data of the kind gossip-peer tests attach: a 5x5 grid and a 50-peer ring,
// the spread of 40 values, a sequence of five peers through a partition and a crash. Built from a
// fixed seed, so every run draws the same pictures.
import {
  Results,
  SCHEMA_VERSION,
  SequenceFigure,
  SpreadFigure,
  TopologyFigure,
  type Figure,
  type TestResult,
} from '../../grader/results/schema.js';
import { fullRun } from './fixtures.js';

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Peers n0..n(k²-1) on a k×k grid, every neighbour pair linked both ways. */
export function gridTopology(k = 5, opts: { highlight?: string[]; crashed?: string[]; cut?: [string, string] } = {}): TopologyFigure {
  const r = rng(k * 7919);
  const peers = [];
  const links = [];
  const id = (i: number, j: number): string => `n${i * k + j}`;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      peers.push({ id: id(i, j), x: k === 1 ? 0.5 : j / (k - 1), y: k === 1 ? 0.5 : i / (k - 1), crashed: opts.crashed?.includes(id(i, j)) });
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      for (const [di, dj] of [
        [0, 1],
        [1, 0],
      ]) {
        if (i + di >= k || j + dj >= k) continue;
        for (const [a, b] of [
          [id(i, j), id(i + di, j + dj)],
          [id(i + di, j + dj), id(i, j)],
        ]) {
          const lines = Math.floor(r() * 180) + 3;
          const isCut = opts.cut && opts.cut[0] === a && opts.cut[1] === b;
          links.push({ from: a, to: b, lines, bytes: lines * 23, dropped: isCut ? Math.floor(lines / 3) : 0 });
        }
      }
  return TopologyFigure.parse({
    kind: 'topology',
    title: `${k}×${k} grid: lines per link`,
    peers,
    links,
    highlight: opts.highlight ?? [],
  });
}

/** n peers on a ring, each linked to its two neighbours and one chord. */
export function ringTopology(n = 50): TopologyFigure {
  const r = rng(n);
  const peers = Array.from({ length: n }, (_, i) => ({
    id: `n${i}`,
    x: 0.5 + 0.5 * Math.cos((2 * Math.PI * i) / n),
    y: 0.5 + 0.5 * Math.sin((2 * Math.PI * i) / n),
    crashed: i === 17,
  }));
  const links = [];
  for (let i = 0; i < n; i++) {
    for (const j of [(i + 1) % n, (i + n - 1) % n]) {
      const lines = Math.floor(r() * 90);
      links.push({ from: `n${i}`, to: `n${j}`, lines, bytes: lines * 30, dropped: i === 3 && j === 4 ? 12 : 0 });
    }
    if (i % 5 === 0) {
      const j = (i + Math.floor(n / 2)) % n;
      links.push({ from: `n${i}`, to: `n${j}`, lines: Math.floor(r() * 40), bytes: 800, dropped: 0 });
    }
  }
  return TopologyFigure.parse({ kind: 'topology', title: `${n} peers on a ring with chords`, peers, links, highlight: ['n20->n21', 'n35'] });
}

/** `count` values over `peers` peers; every `missEvery`-th value never reaches the last peers. */
export function spreadFigure(count = 40, peers = 25, opts: { boundMs?: number; missEvery?: number } = {}): SpreadFigure {
  const r = rng(count * 31 + peers);
  const values = Array.from({ length: count }, (_, v) => {
    const at = 1000 + v * 150;
    const reach = opts.missEvery && v % opts.missEvery === opts.missEvery - 1 ? peers - 3 : peers;
    const learned = [at];
    for (let i = 1; i < reach; i++) learned.push(at + 100 * Math.ceil(Math.sqrt(i) * 1.6) + Math.floor(r() * 140));
    return { value: v, origin: `n${v % peers}`, broadcastAtMs: at, learnedAtMs: learned.sort((a, b) => a - b) };
  });
  return SpreadFigure.parse({ kind: 'spread', title: `Spread of ${count} values over ${peers} peers`, peerCount: peers, boundMs: opts.boundMs, values });
}

/** Five peers on a line: broadcasts, gossip, a partition and heal, a crash and restart, drops. */
export function sequenceFigure(opts: { omitted?: number } = {}): SequenceFigure {
  const r = rng(5);
  const peers = ['n0', 'n1', 'n2', 'n3', 'n4'];
  const messages = [];
  const marks = [];
  let t = 50;
  for (let v = 0; v < 8; v++) {
    const origin = peers[Math.floor(r() * 5)];
    marks.push({ atMs: t, kind: 'broadcast' as const, peers: [origin], text: `broadcast ${v}` });
    // Relay along the line in both directions from the origin.
    const o = peers.indexOf(origin);
    for (const dir of [-1, 1]) {
      let at = t + 2;
      for (let i = o; i + dir >= 0 && i + dir < 5; i += dir) {
        const partitioned = t > 420 && t < 800 && ((i === 1 && dir === 1) || (i === 2 && dir === -1));
        const crashed = t > 900 && t < 1200 && peers[i + dir] === 'n3';
        const delay = 20 + Math.floor(r() * 30);
        messages.push({
          from: peers[i],
          to: peers[i + dir],
          sentAtMs: at,
          deliveredAtMs: partitioned || crashed ? undefined : at + delay,
          dropped: partitioned,
          label: `{"type":"gossip","values":[${v}]}`,
        });
        if (partitioned || crashed) break;
        at += delay + 3;
      }
    }
    t += 140 + Math.floor(r() * 60);
  }
  marks.push({ atMs: 430, kind: 'partition' as const, peers: [], text: '{n0,n1} | {n2,n3,n4}' });
  marks.push({ atMs: 800, kind: 'heal' as const, peers: [], text: 'all links restored' });
  marks.push({ atMs: 905, kind: 'crash' as const, peers: ['n3'], text: 'SIGKILL' });
  marks.push({ atMs: 1200, kind: 'restart' as const, peers: ['n3'], text: 'restarted' });
  marks.push({ atMs: 1300, kind: 'cut' as const, peers: ['n1', 'n2'], text: 'cut n1->n2' });
  marks.push({ atMs: t + 100, kind: 'read' as const, peers: ['n0', 'n4'], text: 'read' });
  return SequenceFigure.parse({ kind: 'sequence', title: 'Five peers on a line: partition, crash, restart', peers, messages, marks, messagesOmitted: opts.omitted ?? 0 });
}

function gossipTest(id: string, title: string, status: TestResult['status'], figures: Figure[], message?: string): TestResult {
  return {
    id,
    title,
    group: 'gossip',
    status,
    pointsEarned: status === 'passed' ? 10 : 0,
    pointsPossible: 10,
    visibility: 'visible',
    durationMs: 4200,
    message,
    transcript: [],
    transcriptDropped: 0,
    log: ['25 peers started on a 5x5 grid, 100 ms per link'],
    figures,
  };
}

/** A gossip-peer run whose tests carry all three kinds of pictures. */
export function gossipRun(extra: Figure[] = []): Results {
  const base = fullRun();
  const tests = [
    gossipTest('grid-convergence', 'every value reaches all 25 peers within the bound', 'failed', [gridTopology(5, { highlight: ['n7->n8', 'n13'], crashed: ['n19'], cut: ['n2', 'n3'] }), spreadFigure(40, 25, { boundMs: 1300, missEvery: 9 })], 'value 8 never reached n24: n7 sent nothing to n8 after the partition healed.'),
    gossipTest('partition-heal', 'values broadcast during a partition arrive after the heal', 'failed', [sequenceFigure({ omitted: 37 })], 'n4 never learned value 3.'),
    gossipTest('ring-50', 'fifty peers on a ring', 'passed', [ringTopology(50), spreadFigure(150, 50, { boundMs: 4000 })]),
    ...(extra.length ? [gossipTest('extra', 'extra figures', 'failed', extra, 'extra')] : []),
  ];
  const counts = { passed: 0, failed: 0, timeout: 0, error: 0, skipped: 0 };
  for (const t of tests) counts[t.status]++;
  const earned = tests.reduce((s, t) => s + t.pointsEarned, 0);
  const possible = tests.reduce((s, t) => s + t.pointsPossible, 0);
  return Results.parse({
    ...base,
    schemaVersion: SCHEMA_VERSION,
    assignment: { id: 'gossip-peer', title: 'Gossip peer: a peer-to-peer broadcast over TCP' },
    completeness: 'complete',
    groups: [{ id: 'gossip', title: 'Stage 3: 25 peers on a grid', tests }],
    counts,
    score: { earned, possible, percent: (earned / possible) * 100 },
    program: { ...base.program, role: 'peers' },
    notes: [],
  });
}
