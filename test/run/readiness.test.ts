// Readiness on Linux: a server is ready when it listens on its port itself. A listener of
// another program on that port (another grade's server that took it first) is never taken for
// the program's; the program's own is, however it binds. Real processes, real sockets.
import net from 'node:net';
import os from 'node:os';
import { once } from 'node:events';
import { afterEach, expect, test } from 'vitest';
import { RunningProcess } from '../../grader/run/process.js';
import { freePort } from '../../grader/run/ports.js';
import { waitForPort } from '../../grader/run/readiness.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

function python(code: string, port: number): RunningProcess {
  const p = RunningProcess.start({ command: 'python3 -c', args: [code, String(port)], cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  cleanup.push(() => p.stop(0, 'SIGKILL'));
  return p;
}

test('another program listening on the port is not the program listening', async () => {
  const port = await freePort();
  const intruder = net.createServer();
  intruder.listen(port, '127.0.0.1');
  await once(intruder, 'listening');
  cleanup.push(() => intruder.close());
  // A program that does not listen at all: only the intruder does.
  const idle = python('import time\ntime.sleep(30)', port);
  expect((await waitForPort(idle, port, 600)).status).toBe('timeout');
});

test('the program\'s own listener is ready, on 127.0.0.1 or on every address', async () => {
  for (const host of ['127.0.0.1', '0.0.0.0']) {
    const port = await freePort();
    const p = python(`import socket, sys, time\ns = socket.socket()\ns.bind(("${host}", int(sys.argv[1])))\ns.listen()\ntime.sleep(30)`, port);
    expect((await waitForPort(p, port, 5000)).status).toBe('ready');
  }
});
