// Waits until a started server accepts connections on its port, the process exits, or the
// deadline passes, and says which. On Linux the listening socket is seen in /proc without
// connecting (so the program never sees a probe connection); elsewhere a connect() probe. On
// Linux the listening socket must be the program's own: another program that took the port
// first (another grade beside this one) is never taken for it. A UDP server is ready once its
// socket is bound (seen in /proc/net/udp; there is no probe that sends nothing, so without /proc
// it counts as ready once it has run for a moment).
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { boundUdpBy, isBoundUdp, isListening, listeningPortsOf, listensOn } from './procfs.js';
import type { ExitInfo, RunningProcess } from './process.js';

export type Readiness =
  | { status: 'ready'; afterMs: number }
  | { status: 'exited'; exit: ExitInfo }
  | { status: 'timeout'; otherPorts?: Array<{ address: string; port: number }> }
  | { status: 'aborted' };

export type Transport = 'tcp' | 'udp';

function probe(proc: RunningProcess, port: number, transport: Transport, since: number): Promise<boolean> {
  const viaProc = transport === 'udp' ? isBoundUdp(port) : isListening(port);
  if (viaProc === false) return Promise.resolve(false);
  if (viaProc === true) {
    // Someone listens there: the program, or another program that bound the port first (then
    // the program's own bind fails and it exits, and the grader says so).
    const pids = proc.survivors().map((p) => p.pid);
    // Nothing of it runs any more (its exit is seen next): the listener is someone else's.
    if (!pids.length) return Promise.resolve(false);
    // When its processes cannot be looked at, the listener is taken for it, as without /proc.
    return Promise.resolve((transport === 'udp' ? boundUdpBy(pids, port) : listensOn(pids, port)) ?? true);
  }
  // No /proc: a UDP socket cannot be probed without sending it something; a moment's run will do.
  if (transport === 'udp') return Promise.resolve(performance.now() - since > 500);
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitForPort(proc: RunningProcess, port: number, timeoutMs: number, signal?: AbortSignal, transport: Transport = 'tcp'): Promise<Readiness> {
  const start = performance.now();
  let step = 2;
  for (;;) {
    if (signal?.aborted) return { status: 'aborted' };
    if (proc.exit) return { status: 'exited', exit: proc.exit };
    if (await probe(proc, port, transport, start)) return { status: 'ready', afterMs: performance.now() - start };
    const left = timeoutMs - (performance.now() - start);
    if (left <= 0) {
      const pids = proc.survivors().map((p) => p.pid);
      const other = transport === 'tcp' ? listeningPortsOf(pids)?.filter((p) => p.port !== port) : undefined;
      return { status: 'timeout', ...(other?.length ? { otherPorts: other } : {}) };
    }
    // No kernel event says "a socket started listening": poll, briefly at first, but wake at
    // once if the process exits.
    await Promise.race([proc.exited, delay(Math.min(step, left), undefined, { ref: false })]);
    step = Math.min(step * 2, 40);
  }
}
