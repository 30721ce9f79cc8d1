// A UDP server is ready once its socket is bound where 127.0.0.1:port reaches it (seen in
// /proc/net/udp, nothing sent to it); one that binds elsewhere or only connects is not; one
// that exits is seen exiting. Real processes, real sockets.
import dgram from 'node:dgram';
import { once } from 'node:events';
import os from 'node:os';
import { afterEach, expect, test } from 'vitest';
import { RunningProcess } from '../../grader/run/process.js';
import { freeUdpPort } from '../../grader/run/ports.js';
import { isBoundUdp } from '../../grader/run/procfs.js';
import { probeHealth } from '../../grader/run/liveness.js';
import { waitForPort } from '../../grader/run/readiness.js';

const procs: RunningProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop(0, 'SIGKILL');
});

function python(code: string, port: number): RunningProcess {
  const p = RunningProcess.start({ command: 'python3 -c', args: [code, String(port)], cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  procs.push(p);
  return p;
}

const BIND = (host: string) => `import socket, sys, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(("${host}", int(sys.argv[1])))\ntime.sleep(30)`;

test('bound on 127.0.0.1 or 0.0.0.0: ready, without a datagram sent to it', async () => {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const port = await freeUdpPort();
    expect(isBoundUdp(port)).toBe(false);
    const p = python(BIND(host), port);
    const r = await waitForPort(p, port, 5000, undefined, 'udp');
    expect(r.status).toBe('ready');
    expect(isBoundUdp(port)).toBe(true);
  }
});

test('a socket only connected to that port, or bound on another address, is not a server there', async () => {
  const port = await freeUdpPort();
  // Connected (its local port is the kernel's choice; the remote is `port`): never counts.
  const p = python('import socket, sys, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.connect(("127.0.0.1", int(sys.argv[1])))\ntime.sleep(30)', port);
  const r = await waitForPort(p, port, 600, undefined, 'udp');
  expect(r.status).toBe('timeout');
  const q = python(BIND('127.0.0.2'), port);
  expect((await waitForPort(q, port, 600, undefined, 'udp')).status).toBe('timeout');
});

test('a server that exits before binding is seen exiting, not waited for', async () => {
  const port = await freeUdpPort();
  const p = python('import sys\nsys.exit(3)', port);
  const t0 = performance.now();
  const r = await waitForPort(p, port, 10_000, undefined, 'udp');
  expect(r.status).toBe('exited');
  expect(performance.now() - t0).toBeLessThan(5000);
});

test('another program bound on the port is not the program being ready there', async () => {
  const port = await freeUdpPort();
  // The intruder (this test's own socket) holds the port; the program binds nothing.
  const intruder = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  intruder.bind(port, '127.0.0.1');
  await once(intruder, 'listening');
  try {
    const p = python('import time\ntime.sleep(30)', port);
    expect(isBoundUdp(port)).toBe(true);
    expect((await waitForPort(p, port, 600, undefined, 'udp')).status).toBe('timeout');
    // The same program once it binds (SO_REUSEADDR beside the intruder's): ready.
    const q = python(`import socket, sys, time\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(("127.0.0.1", int(sys.argv[1])))\ntime.sleep(30)`, port);
    expect((await waitForPort(q, port, 5000, undefined, 'udp')).status).toBe('ready');
  } finally {
    intruder.close();
  }
});

test('the liveness request over UDP: a server that answers any datagram is healthy; one that holds the port in silence is not', async () => {
  const l = { send: 'ping', name: 'a ping datagram', timeoutMs: 300 };
  const echo = await freeUdpPort();
  const p = python('import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(("127.0.0.1", int(sys.argv[1])))\nwhile True:\n    d, a = s.recvfrom(100)\n    s.sendto(b"pong", a)', echo);
  expect((await waitForPort(p, echo, 5000, undefined, 'udp')).status).toBe('ready');
  expect(await probeHealth(p, echo, l, undefined, 'udp')).toMatchObject({ healthy: true });
  const mute = await freeUdpPort();
  const q = python(BIND('127.0.0.1'), mute);
  expect((await waitForPort(q, mute, 5000, undefined, 'udp')).status).toBe('ready');
  expect(await probeHealth(q, mute, l, undefined, 'udp')).toEqual({ healthy: false, reason: 'unresponsive', detail: 'it gave no reply to a ping datagram within 300 ms, twice' });
});
