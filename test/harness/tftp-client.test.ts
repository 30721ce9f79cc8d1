// The grader's TFTP client against a real TFTP server (tftpd-hpa's in.tftpd, run by hand on
// loopback): reads and writes byte for byte, sizes around the block boundary, the server's
// transfer port, errors in words, and the same file through 30% seeded loss both ways. A client
// that judges servers must first be right against a real one.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestContextImpl } from '../../grader/harness/context.js';
import { errorWords, tftpRead, tftpWrite } from '../../grader/harness/tftp.js';
import { fromNetascii, toNetascii } from '../../grader/net/tftp-wire.js';
import { freeUdpPort } from '../../grader/run/ports.js';
import { isBoundUdp } from '../../grader/run/procfs.js';
import { Figure } from '../../grader/results/schema.js';
import { ladder } from '../../grader/harness/tftp.js';

const IN_TFTPD = ['/usr/sbin/in.tftpd'].find((p) => fs.existsSync(p));
// in.tftpd 5.2 serves only as root (each transfer's child calls initgroups()).
const canRun = !!IN_TFTPD && process.getuid?.() === 0;

let root = '';
let port = 0;
let server: ChildProcess | undefined;

function context(id: string): TestContextImpl {
  return new TestContextImpl({ testId: id, seed: 'tftp-client', deadlineAt: performance.now() + 60_000, signal: new AbortController().signal });
}

/** A real TFTP server on a free port of 127.0.0.1, serving a new temporary folder; ready once bound. */
async function startServer(what: string, command: (port: number, root: string) => [string, string[]]): Promise<{ root: string; port: number; server: ChildProcess }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `sockgrade-${what}-`));
  const port = await freeUdpPort();
  const [cmd, args] = command(port, root);
  const server = spawn(cmd, args, { stdio: 'ignore' });
  // Ready once bound: an event the kernel shows, looked at until it is there.
  const until = performance.now() + 5000;
  while (!isBoundUdp(port) && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  expect(isBoundUdp(port)).toBe(true);
  return { root, port, server };
}

describe.runIf(canRun)('the grader\'s TFTP client against tftpd-hpa', () => {
  beforeAll(async () => {
    ({ root, port, server } = await startServer('tftpd', (p, dir) => [IN_TFTPD!, ['-L', '-a', `127.0.0.1:${p}`, '-c', '-p', '-s', '-u', 'root', '-T', '100000', dir]]));
  });
  afterAll(() => {
    server?.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('reads of 0, 511, 512, 513 and 70,000 bytes arrive byte for byte, from a port of the transfer\'s own', async () => {
    for (const size of [0, 511, 512, 513, 70_000]) {
      const bytes = randomBytes(size);
      fs.writeFileSync(path.join(root, `r${size}`), bytes);
      const t = context(`read-${size}`);
      const r = await tftpRead(t, port, `r${size}`, { timeoutMs: 300 });
      t.closeAll();
      expect(r.ok, r.failure ?? (r.error && errorWords(r.error))).toBe(true);
      expect(r.data.equals(bytes)).toBe(true);
      expect(r.tid).not.toBe(port);
      // A multiple of 512 ends with an empty block: one more DATA than size / 512.
      expect(r.counts.size).toBe(Math.floor(size / 512) + 1);
    }
  });

  test('a write lands byte for byte; a missing file is error 1', async () => {
    const bytes = randomBytes(5000);
    const t = context('write');
    const w = await tftpWrite(t, port, 'w5000', bytes, { timeoutMs: 300 });
    expect(w.ok, w.failure).toBe(true);
    expect(fs.readFileSync(path.join(root, 'w5000')).equals(bytes)).toBe(true);
    const missing = await tftpRead(t, port, 'no-such-file', { timeoutMs: 300 });
    t.closeAll();
    expect(missing.ok).toBe(false);
    expect(missing.error?.code).toBe(1);
    expect(errorWords(missing.error!)).toMatch(/^error 1 \(file not found\)/);
  });

  test('through 30% seeded loss each way the file still arrives, and the ladder shows the losses', async () => {
    const bytes = randomBytes(20 * 512 + 100);
    fs.writeFileSync(path.join(root, 'lossy'), bytes);
    const t = context('lossy');
    const r = await tftpRead(t, port, 'lossy', { timeoutMs: 250, retries: 12, outgoing: { loss: 0.3 }, incoming: { loss: 0.3 } });
    t.closeAll();
    expect(r.ok, r.failure).toBe(true);
    expect(r.data.equals(bytes)).toBe(true);
    const f = Figure.parse(ladder(r, 'lossy read'));
    expect(f.kind === 'sequence' && f.messages.some((m) => m.dropped && /^(ACK|DATA) \d+/.test(m.label))).toBe(true);
  });

  test('late copies (every third datagram held back up to 200 ms) and duplicates both ways: a read and a write still finish whole', async () => {
    const bytes = randomBytes(30 * 512 + 7);
    fs.writeFileSync(path.join(root, 'late'), bytes);
    const t = context('late');
    const late = { reorder: 0.33, reorderMaxMs: 200, duplicate: 0.2 };
    const r = await tftpRead(t, port, 'late', { timeoutMs: 150, retries: 20, outgoing: late, incoming: late });
    const w = await tftpWrite(t, port, 'late-up', bytes, { timeoutMs: 150, retries: 20, outgoing: late, incoming: late });
    t.closeAll();
    expect(r.ok, r.failure).toBe(true);
    expect(r.data.equals(bytes)).toBe(true);
    // Some DATA came more than once (duplicates, late copies, in.tftpd's retransmissions): all absorbed.
    expect([...r.counts.values()].some((n) => n > 1)).toBe(true);
    expect(w.ok, w.failure).toBe(true);
    expect(fs.readFileSync(path.join(root, 'late-up')).equals(bytes)).toBe(true);
  });

  test('netascii both ways: what in.tftpd sends is the grader\'s toNetascii of the file, and what it stores of a netascii write is fromNetascii of it', async () => {
    // Random bytes: about one in 128 a CR or an LF, some of them on block boundaries.
    const local = randomBytes(40 * 512 + 3);
    fs.writeFileSync(path.join(root, 'text'), local);
    const t = context('netascii');
    const r = await tftpRead(t, port, 'text', { mode: 'netascii', timeoutMs: 300 });
    const wire = toNetascii(local);
    const w = await tftpWrite(t, port, 'text-up', wire, { mode: 'netascii', timeoutMs: 300 });
    t.closeAll();
    expect(r.ok, r.failure).toBe(true);
    expect(r.data.length).toBeGreaterThan(local.length);
    expect(r.data.equals(wire)).toBe(true);
    expect(w.ok, w.failure).toBe(true);
    expect(fs.readFileSync(path.join(root, 'text-up')).equals(local)).toBe(true);
  });
});

test('netascii: fromNetascii undoes toNetascii for any bytes; a lone CR LF becomes LF, CR NUL a CR', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (a) => fromNetascii(toNetascii(Buffer.from(a))).equals(Buffer.from(a))));
  expect(toNetascii(Buffer.from('a\nb\rc')).toString('latin1')).toBe('a\r\nb\r\0c');
  expect(fromNetascii(Buffer.from('a\r\nb\r\0c\rd', 'latin1')).toString('latin1')).toBe('a\nb\rc\rd');
});

// RFC 7440 windows against a real implementation: atftpd 0.8.0 (unpacked into /opt/atftpd by
// .ci/run, as its counterpart is). What the windowsize test's reads rely on: the grader's windowed
// reader gets whole windows from it and a read through loss completes; and the grader's windowed
// writer gets a file stored whole from it over a perfect network.
const ATFTPD = ['/usr/sbin/atftpd', '/opt/atftpd/usr/sbin/atftpd'].find((p) => fs.existsSync(p));

describe.runIf(!!ATFTPD)('the grader\'s windowed TFTP client against atftpd', () => {
  let aroot = '';
  let aport = 0;
  let atftpd: ChildProcess | undefined;
  beforeAll(async () => {
    // As root it must be told to stay root (it would become nobody, who cannot reach the folder).
    const identity = process.getuid?.() === 0 ? ['--user', 'root', '--group', 'root'] : [];
    ({ root: aroot, port: aport, server: atftpd } = await startServer('atftpd', (p, dir) => [ATFTPD!, ['--daemon', '--no-fork', '--port', String(p), '--bind-address', '127.0.0.1', '--retry-timeout', '1', '--no-multicast', ...identity, '--logfile', '/dev/null', dir]]));
  });
  afterAll(() => {
    atftpd?.kill('SIGKILL');
    fs.rmSync(aroot, { recursive: true, force: true });
  });

  test('windowsize 16: acknowledged, whole windows of 16 (the last shorter), 1 MiB byte for byte', async () => {
    const bytes = randomBytes(1024 * 1024);
    fs.writeFileSync(path.join(aroot, 'big'), bytes);
    const t = context('window-read');
    const r = await tftpRead(t, aport, 'big', { options: { windowsize: '16' }, timeoutMs: 1500 });
    t.closeAll();
    expect(r.ok, r.failure).toBe(true);
    expect(r.windowsize).toBe(16);
    expect(r.data.equals(bytes)).toBe(true);
    expect(r.timeouts).toBe(0);
    // 2,049 blocks: 128 whole windows, then the empty last block alone.
    expect(r.windowRuns).toEqual([...Array(128).fill(16), 1]);
  });

  test('a grader held up past its own timeout reads what came meanwhile before it believes the timeout', async () => {
    // 4,000 blocks: the read is surely still going when the loop is blocked.
    const bytes = randomBytes(4000 * 512 + 1);
    fs.writeFileSync(path.join(aroot, 'held'), bytes);
    const t = context('held');
    // 40 ms into the read the event loop is blocked for 300 ms, from the check phase: the next turn
    // starts with the expired retransmission timer, before the DATA waiting in the socket is read.
    const blocked = new Promise<void>((resolve) =>
      setTimeout(() =>
        setImmediate(() => {
          const until = performance.now() + 300;
          while (performance.now() < until);
          resolve();
        }), 40),
    );
    // 150 ms: far shorter than the 300 ms block, long enough that a loaded machine's ordinary delays never reach it.
    const r = await tftpRead(t, aport, 'held', { timeoutMs: 150, retries: 0 });
    await blocked;
    t.closeAll();
    expect(r.ok, r.failure).toBe(true);
    expect(r.timeouts).toBe(0);
    expect(r.data.equals(bytes)).toBe(true);
  });

  test('windowsize 8 through 15% loss each way, a block of the first window lost: the read completes whole', async () => {
    const bytes = randomBytes(60 * 512 + 33);
    fs.writeFileSync(path.join(aroot, 'lossy'), bytes);
    const t = context('window-lossy');
    const r = await tftpRead(t, aport, 'lossy', { options: { windowsize: '8' }, timeoutMs: 50, retries: 60, outgoing: { loss: 0.15, maxLossRun: 2 }, incoming: { loss: 0.15, maxLossRun: 2, lose: [3] } });
    t.closeAll();
    expect(r.ok, r.failure).toBe(true);
    expect(r.data.equals(bytes)).toBe(true);
  });

  test('a windowed write over a perfect network is stored whole', async () => {
    const bytes = randomBytes(40 * 512 + 5);
    const t = context('window-write');
    const w = await tftpWrite(t, aport, 'up', bytes, { options: { windowsize: '8' }, timeoutMs: 1500 });
    t.closeAll();
    expect(w.ok, w.failure).toBe(true);
    expect(w.windowsize).toBe(8);
    // atftpd writes its tail after its last ACK (its README): wait for the file to be whole.
    const until = performance.now() + 2000;
    while (fs.statSync(path.join(aroot, 'up'), { throwIfNoEntry: false })?.size !== bytes.length && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(fs.readFileSync(path.join(aroot, 'up')).equals(bytes)).toBe(true);
  });
});
