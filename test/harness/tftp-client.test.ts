// The grader's TFTP client against a real TFTP server (tftpd-hpa's in.tftpd, run by hand on
// loopback): reads and writes byte for byte, sizes around the block boundary, the server's
// transfer port, errors in words, and the same file through 30% seeded loss both ways. A client
// that judges servers must first be right against a real one.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestContextImpl } from '../../grader/harness/context.js';
import { errorWords, tftpRead, tftpWrite } from '../../grader/harness/tftp.js';
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

describe.runIf(canRun)('the grader\'s TFTP client against tftpd-hpa', () => {
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-tftpd-'));
    port = await freeUdpPort();
    server = spawn(IN_TFTPD!, ['-L', '-a', `127.0.0.1:${port}`, '-c', '-p', '-s', '-u', 'root', '-T', '100000', root], { stdio: 'ignore' });
    // Ready once bound: an event the kernel shows, looked at until it is there.
    const until = performance.now() + 5000;
    while (!isBoundUdp(port) && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(isBoundUdp(port)).toBe(true);
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
});
