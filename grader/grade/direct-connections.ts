// Peers may reach each other only through the addresses --peers gave them: the grader's links,
// which the tests cut, delay and watch. A peer that finds the others' own ports (in
// /proc/net/tcp, say) and connects to them directly would pass partitions it never saw. The
// grade's network namespace shows every connection: one to a peer's own port from a socket the
// grader does not hold is a peer's, and it fails the test it happened in, naming both ends; so
// does a UDP socket or a named unix socket held by a peer (ways around the links too).
// Looked for every half second and when the test ends (a connection opened and closed between
// two looks can be missed; docs/sandbox.md says so).
import { connectionsTo, otherSockets, socketInodesOf } from '../run/procfs.js';

export interface WatchedPeer {
  id: string;
  port: number;
  /** The processes of the peer now (to tell which peer holds a socket). */
  pids(): number[];
}

const INTERVAL_MS = 500;

export class DirectConnectionWatch {
  private readonly found = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly peers: () => WatchedPeer[]) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.look(), INTERVAL_MS);
    this.timer.unref();
  }

  /** Looks once more, stops, and says what was found since start, one sentence per pair of peers. */
  stop(): string[] {
    this.look();
    clearInterval(this.timer);
    this.timer = undefined;
    const out = [...this.found.values()];
    this.found.clear();
    return out;
  }

  private look(): void {
    const peers = this.peers();
    if (!peers.length) return;
    const held = new Map(peers.map((p) => [p.id, new Set(p.pids().flatMap((pid) => [...socketInodesOf(pid)]))]));
    // Sockets a peer needs none of: it listens and connects over TCP only. A UDP socket or a
    // named unix socket (abstract names are shared by every process of the namespace) is a way
    // to the other peers around the links.
    for (const p of peers)
      for (const o of otherSockets(held.get(p.id)!))
        this.found.set(`${p.id}:${o.kind}:${o.name}`, `peer ${p.id} holds ${o.kind === 'udp' ? `a UDP socket (${o.name})` : `a unix socket named ${o.name}`}: peers talk only over TCP, through the addresses --peers gives them`);
    const byPort = new Map(peers.map((p) => [p.port, p]));
    const conns = connectionsTo(new Set(byPort.keys()));
    if (!conns.length) return;
    // The grader's own clients (its links, its test clients) hold the sockets it opened.
    const mine = socketInodesOf('self');
    const foreign = conns.filter((c) => !mine.has(c.inode));
    if (!foreign.length) return;
    for (const c of foreign) {
      const target = byPort.get(c.remotePort)!;
      const owner = peers.find((p) => held.get(p.id)?.has(c.inode));
      // A peer's connection to itself crosses no link.
      if (owner?.id === target.id) continue;
      const from = owner ? `peer ${owner.id}` : 'a process of your program';
      this.found.set(`${owner?.id ?? '?'}>${target.id}`, `${from} connected straight to peer ${target.id}'s own port ${target.port}, not through an address --peers gave it`);
    }
  }
}
