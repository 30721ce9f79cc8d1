// Free ports for the programs under test, chosen below the kernel's ephemeral range: a port
// from that range, once released, can be taken at any moment by some outgoing connection (a
// cluster of peers opens hundreds), and the student's program would fail to bind it through no
// fault of its own. Random candidates, so concurrent grades do not race for the same ones.
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
