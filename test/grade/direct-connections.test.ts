// The watch for peers that go around the links, with real processes and sockets: a peer's
// process connecting straight to another peer's own port is charged, naming both ends; the same
// connection from a process that is no peer's (another grade on the machine) is not.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, expect, test } from 'vitest';
import { DirectConnectionWatch } from '../../grader/grade/direct-connections.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.pid) process.kill(-c.pid, 'SIGKILL');
});

/** A process in a group of its own that connects to 127.0.0.1:`port` and waits. */
function connector(port: number): ChildProcess {
  const c = spawn('python3', ['-c', `import socket, time\ns = socket.create_connection(("127.0.0.1", ${port}))\ntime.sleep(60)`], { detached: true, stdio: 'ignore' });
  children.push(c);
  return c;
}

test("a peer's straight connection is charged; another program's to the same port is not", async () => {
  const server = net.createServer((s) => s.on('error', () => undefined));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  let accepted = 0;
  const both = new Promise<void>((r) => server.on('connection', () => ++accepted === 2 && r()));
  try {
    const peer = connector(port);
    connector(port); // no peer's: a process of some other program
    await both;
    const watch = new DirectConnectionWatch(() => [
      { id: 'n1', port: 1, group: peer.pid!, namespace: () => undefined },
      { id: 'n2', port, group: -1, namespace: () => undefined },
    ]);
    expect(watch.stop()).toEqual([`peer n1 connected straight to peer n2's own port ${port}, not through the address the grader gave it for n2`]);
  } finally {
    server.close();
  }
});
