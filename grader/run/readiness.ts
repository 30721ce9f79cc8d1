// Waits until a started server accepts connections on its port, the process exits, or the
// deadline passes, and says which. On Linux the listening socket is seen in /proc without
// connecting (so the program never sees a probe connection); elsewhere a connect() probe.
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { isListening, listeningPortsOf } from './procfs.js';
import type { ExitInfo, RunningProcess } from './process.js';

export type Readiness =
  | { status: 'ready'; afterMs: number }
  | { status: 'exited'; exit: ExitInfo }
  | { status: 'timeout'; otherPorts?: Array<{ address: string; port: number }> }
  | { status: 'aborted' };

function probe(port: number): Promise<boolean> {
  const viaProc = isListening(port);
  if (viaProc !== undefined) return Promise.resolve(viaProc);
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function waitForPort(proc: RunningProcess, port: number, timeoutMs: number, signal?: AbortSignal): Promise<Readiness> {
  const start = performance.now();
  let step = 2;
  for (;;) {
    if (signal?.aborted) return { status: 'aborted' };
    if (proc.exit) return { status: 'exited', exit: proc.exit };
    if (await probe(port)) return { status: 'ready', afterMs: performance.now() - start };
    const left = timeoutMs - (performance.now() - start);
    if (left <= 0) {
      const pids = proc.survivors().map((p) => p.pid);
      const other = listeningPortsOf(pids)?.filter((p) => p.port !== port);
      return { status: 'timeout', ...(other?.length ? { otherPorts: other } : {}) };
    }
    // No kernel event says "a socket started listening": poll, briefly at first, but wake at
    // once if the process exits.
    await Promise.race([proc.exited, delay(Math.min(step, left), undefined, { ref: false })]);
    step = Math.min(step * 2, 40);
  }
}
