// Free ports for the programs under test, chosen below the kernel's ephemeral range: a port
// from that range, once released, can be taken at any moment by some outgoing connection (a
// cluster of peers opens hundreds), and the student's program would fail to bind it through no
// fault of its own. Random candidates, so concurrent grades do not race for the same ones.
import dgram from 'node:dgram';
import fs from 'node:fs';
import getPort from 'get-port';

const LOW = 20_000;

function ephemeralStart(): number {
  try {
    const [from] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (from > LOW + 1000) return from;
  } catch {
    /* not Linux: macOS and the BSDs start at 49152 */
  }
  return 32_768;
}

const high = ephemeralStart() - 1;

export function freePort(): Promise<number> {
  const candidates = Array.from({ length: 40 }, () => LOW + Math.floor(Math.random() * (high - LOW)));
  // get-port falls back to any free port if every candidate is taken.
  return getPort({ host: '127.0.0.1', port: candidates });
}

/** A port free for UDP on 127.0.0.1 (below the ephemeral range, as freePort's). */
export async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 40; i++) {
    const port = LOW + Math.floor(Math.random() * (high - LOW));
    const s = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve(); // a failed bind may have closed it already
      }
    });
    if (ok) return port;
  }
  throw new Error('no free UDP port found in 40 tries');
}
