// Linux /proc readers: which processes belong to a run, which ports a process listens on.
// Everything returns undefined (not an error) where /proc is missing (macOS), so callers fall
// back to portable checks.
import fs from 'node:fs';

export const hasProcfs = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

export interface ProcInfo {
  pid: number;
  pgrp: number;
  state: string;
  command: string;
}

/** A process's state letter (R, S, T, Z, ...), or undefined when it is gone or there is no /proc. */
export function processState(pid: number): string | undefined {
  return hasProcfs ? readStat(pid)?.state : undefined;
}

function readStat(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name sits in parentheses and may itself contain spaces or parentheses.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    return { pid, state: rest[0], pgrp: Number(rest[2]), command: name };
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

function cmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ');
  } catch {
    return undefined;
  }
}

/** Every live process: pid, process group, state (one read of /proc/<pid>/stat each). */
export function allProcesses(): ProcInfo[] {
  if (!hasProcfs) return [];
  const out: ProcInfo[] = [];
  for (const pid of allPids()) {
    const info = readStat(pid);
    if (info && info.state !== 'Z' && info.state !== 'X') out.push(info);
  }
  return out;
}

/** The executable a process runs (its /proc/…/exe link); undefined when gone or unreadable. */
export function executablePath(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/** The executable a process runs and its command line; undefined when gone or unreadable. */
export function executableOf(pid: number): { exe: string; command: string } | undefined {
  const exe = executablePath(pid);
  return exe === undefined ? undefined : { exe, command: cmdline(pid) ?? '' };
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The PID namespace a process is in (its /proc/…/ns/pid link), or undefined when it cannot be read. */
export function pidNamespace(pid: number | 'self'): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/**
 * The PID namespace that a sandbox started as `pid` made for its program (bubblewrap's first
 * child is the namespace's first process), or undefined when it made none (or it is gone).
 */
export function childPidNamespace(pid: number): PidNamespace | undefined {
  if (!hasProcfs) return undefined;
  const own = pidNamespace('self');
  for (const p of allPids()) {
    if (parentOf(p) !== pid) continue;
    const ns = pidNamespace(p);
    const initStart = startTime(p);
    if (ns && ns !== own && initStart !== undefined) return { ns, init: p, initStart };
  }
  return undefined;
}

/** A PID namespace, by its inode ("pid:[4026532175]") and its first process (pid and start time). */
export interface PidNamespace {
  ns: string;
  init: number;
  initStart: number;
}

/** When a process started (clock ticks since boot): with its pid, a process's identity (pids are reused). */
export function startTime(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

/**
 * Does the namespace still exist? It lives exactly as long as its first process, and once it
 * ends the kernel hands its inode number to the next namespace it makes (seen here at once,
 * under a busy grade): a process in a namespace of that number may be another program's.
 */
export function namespaceAlive(n: PidNamespace): boolean {
  const state = readStat(n.init)?.state;
  // A dead first process not yet reaped (a zombie) still shows its namespace: it is over all the same.
  return state !== undefined && state !== 'Z' && state !== 'X' && pidNamespace(n.init) === n.ns && startTime(n.init) === n.initStart;
}

/** Live processes whose real user is `uid`: as root every grade's program runs as a uid of its own, which none of its processes can shed. */
export function processesOfUid(uid: number): number[] {
  if (!hasProcfs) return [];
  const out: number[] = [];
  for (const pid of allPids()) {
    try {
      const m = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
      if (m && Number(m[1]) === uid) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * Live (non-zombie) processes whose environment holds `marker` (NAME=value), or in process
 * group `pgid`, or in PID namespace `pidNs` (which a program cannot leave: it finds a daemon
 * that changed its session and emptied its environment); with `zombies`, also the dead ones of
 * the group not yet reaped (they still count against a process limit).
 */
export function processesOfRun(marker: string, pgid?: number, zombies = false, pidNs?: string): ProcInfo[] | undefined {
  if (!hasProcfs) return undefined;
  const needle = Buffer.from(marker + '\0');
  const out: ProcInfo[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const info = readStat(pid);
    if (!info) continue;
    if (info.state === 'Z' || info.state === 'X') {
      if (zombies && info.pgrp === pgid) out.push(info);
      continue;
    }
    let match = pgid !== undefined && info.pgrp === pgid;
    if (!match && pidNs) match = pidNamespace(pid) === pidNs;
    if (!match) {
      try {
        // Environment survives setsid() and double forks: it finds daemons that left the group.
        match = fs.readFileSync(`/proc/${pid}/environ`).includes(needle);
      } catch {
        match = false;
      }
    }
    if (match) out.push({ ...info, command: cmdline(pid) || info.command });
  }
  return out;
}

interface ListenRow {
  port: number;
  inode: number;
  /** Reachable via 127.0.0.1: bound to 127.0.0.1, 0.0.0.0, or :: (dual-stack). */
  loopbackV4: boolean;
  address: string;
}

// Reading /proc/net/tcp costs milliseconds when the machine holds thousands of sockets (a
// gossip grade leaves many in TIME_WAIT), and 25 peers starting at once each poll it: one read
// serves every probe made within a short while.
const LISTEN_CACHE_MS = 30;
let listenCache: { at: number; rows: ListenRow[] } | undefined;

function listenRows(): ListenRow[] {
  const now = performance.now();
  if (listenCache && now - listenCache.at < LISTEN_CACHE_MS) return listenCache.rows;
  const rows = readListenRows();
  listenCache = { at: performance.now(), rows };
  return rows;
}

/**
 * The head of /proc/net/tcp{,6} up to the first socket that is not listening: the kernel lists
 * listening sockets first, and generating the rest (thousands of TIME_WAIT rows) is what costs.
 */
function readListening(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(16 * 1024);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      const piece = Buffer.from(buf.subarray(0, n));
      chunks.push(piece);
      // Rows are "  sl  local rem st ...": a state other than 0A after the header ends the listeners.
      const text = piece.toString('latin1');
      if (/\n\s*\d+: [0-9A-F]+:[0-9A-F]+ [0-9A-F]+:[0-9A-F]+ (?!0A)[0-9A-F]{2} /.test(text)) break;
    }
    return Buffer.concat(chunks).toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}

function readListenRows(): ListenRow[] {
  const rows: ListenRow[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readListening(file);
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // The state is the 4th field; skip the (many) non-LISTEN rows before splitting them.
      if (!line.includes(' 0A ')) continue;
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      const [addrHex, portHex] = f[1].split(':');
      const port = parseInt(portHex, 16);
      const inode = Number(f[9]);
      const v6 = addrHex.length === 32;
      let address: string;
      let loopbackV4: boolean;
      if (!v6) {
        address = ipv4FromHex(addrHex);
        loopbackV4 = address === '0.0.0.0' || address === '127.0.0.1';
      } else {
        address = addrHex === '0'.repeat(32) ? '::' : addrHex === '00000000000000000000000001000000' ? '::1' : `[v6 ${addrHex}]`;
        loopbackV4 = address === '::' || addrHex === '0000000000000000FFFF00000100007F';
        if (addrHex === '0000000000000000FFFF00000100007F') address = '::ffff:127.0.0.1';
      }
      rows.push({ port, inode, loopbackV4, address });
    }
  }
  return rows;
}

/** Whether something listens on `port` in a way that 127.0.0.1:port reaches. */
export function isListening(port: number): boolean | undefined {
  if (!hasProcfs) return undefined;
  return listenRows().some((r) => r.port === port && r.loopbackV4);
}

/** The inodes of the UDP sockets bound on `port` that datagrams to 127.0.0.1:port reach (127.0.0.1, 0.0.0.0 or ::, not connected). */
function boundUdpInodes(port: number): number[] {
  return tableRows(['/proc/net/udp', '/proc/net/udp6']).flatMap((f) => {
    if (f.length < 10) return [];
    const [addrHex, portHex] = f[1].split(':');
    if (parseInt(portHex, 16) !== port) return [];
    const unconnected = /^0+:0+$/.test(f[2]);
    const loopbackV4 = addrHex.length === 8 ? ['0.0.0.0', '127.0.0.1'].includes(ipv4FromHex(addrHex)) : addrHex === '0'.repeat(32) || addrHex === '0000000000000000FFFF00000100007F';
    return unconnected && loopbackV4 ? [Number(f[9])] : [];
  });
}

/**
 * Whether a UDP socket is bound on `port` in a way that datagrams to 127.0.0.1:port reach (bound
 * to 127.0.0.1, 0.0.0.0 or ::, and not connected to one peer). undefined without /proc.
 */
export function isBoundUdp(port: number): boolean | undefined {
  if (!hasProcfs) return undefined;
  return boundUdpInodes(port).length > 0;
}

/** Like isBoundUdp, but the socket must be held by one of `pids`: undefined when none of their descriptors could be read. */
export function boundUdpBy(pids: number[], port: number): boolean | undefined {
  if (!hasProcfs) return undefined;
  const inodes = inodesOf(pids);
  if (!inodes) return undefined;
  return boundUdpInodes(port).some((i) => inodes.has(i));
}

/** The socket inodes the processes hold; undefined when none of their descriptor tables could be read. */
function inodesOf(pids: number[]): Set<number> | undefined {
  let readable = false;
  const inodes = new Set<number>();
  for (const pid of pids) {
    try {
      fs.readdirSync(`/proc/${pid}/fd`);
      readable = true;
    } catch {
      continue;
    }
    for (const i of socketInodesOf(pid)) inodes.add(i);
  }
  return readable ? inodes : undefined;
}

/** The TCP ports the given processes listen on (address:port), to explain a port mismatch. */
export function listeningPortsOf(pids: number[]): Array<{ address: string; port: number }> | undefined {
  if (!hasProcfs) return undefined;
  const inodes = new Set<number>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(Number(m[1]));
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return listenRows()
    .filter((r) => inodes.has(r.inode))
    .map((r) => ({ address: r.address, port: r.port }));
}

/**
 * Whether one of `pids` holds the socket listening on `port` where 127.0.0.1:port reaches it:
 * undefined when none of their descriptors could be read (another user's, or no /proc).
 */
export function listensOn(pids: number[], port: number): boolean | undefined {
  if (!hasProcfs) return undefined;
  const inodes = inodesOf(pids);
  if (!inodes) return undefined;
  return listenRows().some((r) => r.port === port && r.loopbackV4 && inodes.has(r.inode));
}

/** An established TCP connection as its client end sees it. */
export interface ClientConnection {
  /** The client's own (ephemeral) port. */
  localPort: number;
  /** The port it is connected to. */
  remotePort: number;
  inode: number;
}

/**
 * Established connections whose far end is one of `ports`, seen from their client end (both ends
 * of a loopback connection are rows of this namespace's table). Reads the whole table: it costs
 * milliseconds when thousands of sockets wait in TIME_WAIT, so callers look now and then.
 */
export function connectionsTo(ports: Set<number>): ClientConnection[] {
  if (!hasProcfs || !ports.size) return [];
  const out: ClientConnection[] = [];
  for (const f of tableRows(['/proc/net/tcp', '/proc/net/tcp6'])) {
    if (f.length < 10 || f[3] !== '01') continue;
    const remotePort = parseInt(f[2].slice(f[2].lastIndexOf(':') + 1), 16);
    if (!ports.has(remotePort)) continue;
    out.push({ localPort: parseInt(f[1].slice(f[1].lastIndexOf(':') + 1), 16), remotePort, inode: Number(f[9]) });
  }
  return out;
}

/** The rows of /proc/net tables (header left out), each split into its fields; a table that cannot be read has none. */
function tableRows(files: string[]): string[][] {
  const rows: string[][] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) if (line.trim()) rows.push(line.trim().split(/\s+/));
  }
  return rows;
}

/**
 * The socket inodes a process holds open (its /proc/…/fd links "socket:[N]"), looking at no more
 * than `maxFds` of them: a program that opens thousands must not make every look cost as much.
 */
export function socketInodesOf(pid: number | 'self', maxFds = Infinity): Set<number> {
  const out = new Set<number>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`).slice(0, maxFds);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

/** A socket that is neither TCP nor unnamed: what it is, for a sentence ("a UDP socket on 127.0.0.1:5000"). */
export interface OtherSocket {
  inode: number;
  kind: 'udp' | 'unix';
  /** UDP: the local address:port; unix: the name (abstract names start with "@"). */
  name: string;
}

/** An IPv4 address as /proc/net prints it: hex, in host byte order (little-endian on x86/arm). */
function ipv4FromHex(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

function hexAddress(hex: string): string {
  const [addr, port] = hex.split(':');
  return `${addr.length === 8 ? ipv4FromHex(addr) : '[v6]'}:${parseInt(port, 16)}`;
}

/**
 * Of `inodes`, the UDP sockets and the unix sockets that have a name (bound: another process can
 * reach them; abstract names are shared by every process of the network namespace). Unnamed unix
 * sockets (socketpairs, a runtime's own wake-up pipes) are left out.
 */
export function otherSockets(inodes: Set<number>): OtherSocket[] {
  if (!hasProcfs || !inodes.size) return [];
  const out: OtherSocket[] = [];
  for (const f of tableRows(['/proc/net/udp', '/proc/net/udp6'])) if (f.length >= 10 && inodes.has(Number(f[9]))) out.push({ inode: Number(f[9]), kind: 'udp', name: hexAddress(f[1]) });
  // Num RefCount Protocol Flags Type St Inode Path
  for (const f of tableRows(['/proc/net/unix'])) if (f.length >= 8 && inodes.has(Number(f[6]))) out.push({ inode: Number(f[6]), kind: 'unix', name: f.slice(7).join(' ') });
  return out;
}
