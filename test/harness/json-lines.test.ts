// The JSON-lines client's failures, as a student reads them: lines shown as they were sent (no
// escaped quotes to untangle), and the test's own hint when it knows why no reply came.
import net from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { TestFailure } from '../../grader/harness/failure.js';
import { PeerClient, show } from '../../grader/harness/json-lines.js';
import { TcpClient } from '../../grader/net/tcp-client.js';
import { Transcript } from '../../grader/net/transcript.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

test('a printable JSON line is shown as it is; anything else quoted and escaped', () => {
  expect(show('{"type":"read","msg_id":1}')).toBe('{"type":"read","msg_id":1}');
  expect(show('this is not json\n')).toBe('"this is not json\\n"');
  expect(show(Buffer.from([0xff, 0xfe, 0x7b, 0x0a]))).toBe('"\\xff\\xfe{\\n"');
  expect(show('')).toBe('""');
});

test('no reply: the message names the request as sent, the hint is the test\'s when it gives one', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  const conn = await TcpClient.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, name: 'n1#1', transcript: new Transcript() });
  cleanup.push(() => conn.close());
  const c = new PeerClient('n1', conn);
  const line = '{"type":"broadcast","message":5,"msg_id":3}';
  await conn.write(line + '\n');
  let f: unknown;
  try {
    await c.awaitReply(3, 'broadcast_ok', line, 150, 'The request came in pieces: buffer until "\\n".');
  } catch (e) {
    f = e;
  }
  expect(f).toBeInstanceOf(TestFailure);
  expect((f as TestFailure).message).toBe(`peer n1: no reply to ${line} within 150 ms.`);
  expect((f as TestFailure).hint).toBe('The request came in pieces: buffer until "\\n".');
});
