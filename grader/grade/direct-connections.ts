// Peers may reach each other only through the addresses --peers gave them: the grader's links,
// which the tests cut, delay and watch. A peer that finds the others' own ports (in
// /proc/net/tcp, say) and connects to them directly would pass partitions it never saw. The
// grade's network namespace shows every connection: one to a peer's own port from a socket a
// peer's processes hold (its process group, or its sandbox's PID namespace) fails the test it
// happened in, naming both ends; so
// does a UDP socket or a named unix socket held by a peer (ways around the links too).
// Looked for every second and when the test ends (a connection opened and closed between
// two looks can be missed; docs/sandbox.md says so).
import { allProcesses, connectionsTo, otherSockets, pidNamespace, socketInodesOf } from '../run/procfs.js';

export interface WatchedPeer {
  id: string;
  port: number;
  /** Its process group (the pid the grader started), and its sandbox's PID namespace: what its processes cannot leave. */
  group: number;
  namespace(): string | undefined;
}

const INTERVAL_MS = 1000;
/** A peer needs a handful of sockets; past this many per process the rest are not looked at (each costs a readlink). */
const MAX_FDS_PER_PROCESS = 1024;

/**
 * The sockets each peer's processes hold: one pass over /proc for all peers (a pass per peer
 * would cost every peer's CPU a /proc scan twice a second, enough to slow a 25-peer grid).
 */
function socketsHeld(peers: WatchedPeer[]): Map<string, Set<number>> {
  const byGroup = new Map(peers.map((p) => [p.group, p.id]));
  const byNs = new Map(peers.flatMap((p) => {
    const ns = p.namespace();
    return ns ? [[ns, p.id] as const] : [];
  }));
  const held = new Map(peers.map((p) => [p.id, new Set<number>()]));
  for (const proc of allProcesses()) {
    const id = byGroup.get(proc.pgrp) ?? (byNs.size ? byNs.get(pidNamespace(proc.pid) ?? '') : undefined);
    if (id) for (const inode of socketInodesOf(proc.pid, MAX_FDS_PER_PROCESS)) held.get(id)!.add(inode);
  }
  return held;
}

export class DirectConnectionWatch {
  private readonly found = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  /** `allowed`: kinds of other sockets the assignment lets peers hold (see PeersProgram.otherSockets). */
  constructor(
    private readonly peers: () => WatchedPeer[],
    private readonly allowed: ReadonlySet<'udp' | 'unix'> = new Set(),
  ) {}

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
    const held = socketsHeld(peers);
    // Sockets a peer needs none of: it listens and connects over TCP only. A UDP socket or a
    // named unix socket (abstract names are shared by every process of the namespace) is a way
    // to the other peers around the links.
    const all = new Set([...held.values()].flatMap((inodes) => [...inodes]));
    for (const o of otherSockets(all)) {
      if (this.allowed.has(o.kind)) continue;
      const id = peers.find((p) => held.get(p.id)!.has(o.inode))!.id;
      this.found.set(`${id}:${o.kind}:${o.name}`, `peer ${id} holds ${o.kind === 'udp' ? `a UDP socket (${o.name})` : `a unix socket named ${o.name}`}: peers talk only over TCP, through the addresses the grader gives them`);
    }
    const byPort = new Map(peers.map((p) => [p.port, p]));
    const conns = connectionsTo(new Set(byPort.keys()));
    if (!conns.length) return;
    // The grader's own clients (its links, its test clients) hold the sockets it opened.
    const mine = socketInodesOf('self');
    const foreign = conns.filter((c) => !mine.has(c.inode));
    if (!foreign.length) return;
    for (const c of foreign) {
      const target = byPort.get(c.remotePort)!;
      // Only a socket a peer's processes hold is the program's: the machine runs other programs
      // (another grade's peers may use the same port number on another loopback address).
      const owner = peers.find((p) => held.get(p.id)?.has(c.inode));
      // A peer's connection to itself crosses no link.
      if (!owner || owner.id === target.id) continue;
      this.found.set(`${owner.id}>${target.id}`, `peer ${owner.id} connected straight to peer ${target.id}'s own port ${target.port}, not through the address the grader gave it for ${target.id}`);
    }
  }
}
