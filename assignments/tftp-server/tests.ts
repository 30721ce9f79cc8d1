// The tftp-server tests, written only against the public authoring API and the TFTP kit. The
// grader is a correct, patient TFTP client behind a seeded unreliable network; each test puts
// the files it needs in the server's root (t.folder), transfers, and judges by facts: the bytes,
// the ports datagrams came from, how often each block arrived. Every failure shows the exchange
// as a ladder of datagrams with what the network did to each.
import fs from 'node:fs';
import path from 'node:path';
import { defineTests, firstDifference, type TestContext } from '../../grader/authoring.js';
import { errorWords, ladder, tftpRead, tftpWrite, type TransferResult } from '../../grader/kits/tftp.js';

/** The retransmission timeout the grader gives the server (--timeout-ms in assignment.json). */
const T = 100;

const HINT_TID =
  'Answer every request from a new UDP socket bound to port 0 (the kernel picks a free port: the transfer ID), and run the whole transfer on it. The listening socket only receives requests.';
const HINT_BLOCKS =
  'Send the file in DATA blocks of 512 bytes numbered from 1, each after the ACK of the one before. The last block is shorter than 512 bytes; when the size is a multiple of 512, send a last, empty DATA block.';
const HINT_RETRANSMIT = `Wait T ms (--timeout-ms, here ${T}) for the ACK (reading) or the next DATA (writing); when nothing comes, send your last packet again. Only a timeout sends again.`;

/** A name of this test's own in the root. */
const fileName = (t: TestContext, what: string) => `${what}-${t.key('f').split(':')[1]}.bin`;

function put(t: TestContext, name: string, bytes: Buffer): void {
  fs.writeFileSync(path.join(t.folder, name), bytes);
}

/** The transfer as a picture for the report, then a failure if it went wrong. */
function expectTransfer(t: TestContext, r: TransferResult, what: string, hint: string): void {
  if (r.ok) return;
  t.figure(ladder(r, what));
  if (r.error) t.fail(`${what}: your server answered ${errorWords(r.error)}.`, { hint });
  t.fail(`${what}: ${r.failure ?? 'the transfer did not finish'}.`, { hint });
}

function expectBytes(t: TestContext, r: TransferResult, got: Buffer, want: Buffer, what: string): void {
  if (got.equals(want)) return;
  t.figure(ladder(r, what));
  const at = firstDifference(want, got);
  t.fail(`${what}: ${got.length} bytes instead of ${want.length}${at >= 0 && at < Math.min(got.length, want.length) ? `; the first difference is at byte ${at} (block ${Math.floor(at / 512) + 1})` : ''}.`, { hint: HINT_BLOCKS });
}

async function readBack(t: TestContext, name: string, bytes: Buffer, what: string): Promise<TransferResult> {
  put(t, name, bytes);
  const r = await tftpRead(t, t.target.port, name, { timeoutMs: 300 });
  expectTransfer(t, r, what, HINT_BLOCKS);
  expectBytes(t, r, r.data, bytes, what);
  return r;
}

function written(t: TestContext, name: string): Buffer | undefined {
  try {
    return fs.readFileSync(path.join(t.folder, name));
  } catch {
    return undefined;
  }
}

export default defineTests({
  async 'read-small'(t) {
    await readBack(t, fileName(t, 'small'), t.randomBytes(1300), 'reading a 1,300-byte file');
  },

  async 'write-small'(t) {
    const name = fileName(t, 'upload');
    const bytes = t.randomBytes(1300);
    const r = await tftpWrite(t, t.target.port, name, bytes, { timeoutMs: 300 });
    expectTransfer(t, r, 'writing a 1,300-byte file', HINT_BLOCKS);
    const got = written(t, name);
    if (!got) return t.fail(`writing a 1,300-byte file: every block was acknowledged, but there is no file "${name}" in the root.`, { hint: 'Create the file in the --root folder, under the name the WRQ gives.' });
    expectBytes(t, r, got, bytes, 'writing a 1,300-byte file');
  },

  async sizes(t) {
    for (const size of [0, 511, 512, 513, 70_000]) {
      const r = await readBack(t, fileName(t, `size${size}`), t.randomBytes(size), `reading a ${size.toLocaleString('en-US')}-byte file`);
      const blocks = Math.floor(size / 512) + 1;
      if (r.counts.size !== blocks) t.fail(`reading a ${size}-byte file: ${r.counts.size} DATA blocks instead of ${blocks}.`, { hint: HINT_BLOCKS });
      t.log(`${size} bytes: ${blocks} blocks, the last of ${size % 512} bytes`);
    }
  },

  async 'transfer-ids'(t) {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await readBack(t, fileName(t, `tid${i}`), t.randomBytes(700), `read ${i + 1} of 3`);
      if (r.tid === r.requestPort) {
        t.figure(ladder(r, `read ${i + 1}: answered from the listening port`));
        t.fail(`read ${i + 1} of 3 was answered from port ${r.tid}, the port the request went to: a transfer must have a port of its own.`, { hint: HINT_TID });
      }
      ports.push(r.tid!);
    }
    t.log(`transfer ports: ${ports.join(', ')}`);
  },

  async 'not-found'(t) {
    const r = await tftpRead(t, t.target.port, fileName(t, 'missing'), { timeoutMs: 300 });
    if (r.error?.code === 1) return;
    t.figure(ladder(r, 'reading a missing file'));
    t.fail(`reading a file that does not exist: ${r.error ? `your server answered ${errorWords(r.error)}` : r.ok ? `your server sent ${r.data.length} bytes` : r.failure ?? 'no ERROR came'}; expected error 1 (file not found).`, {
      hint: 'When the file cannot be opened because it does not exist, answer ERROR with code 1 (to the client, from the transfer\'s port) and end the transfer.',
    });
  },

  async 'file-exists'(t) {
    const name = fileName(t, 'kept');
    const before = t.randomBytes(900);
    put(t, name, before);
    const r = await tftpWrite(t, t.target.port, name, t.randomBytes(600), { timeoutMs: 300 });
    const after = written(t, name);
    if (!after?.equals(before)) t.fail(`writing "${name}", which exists: your server ${after ? 'changed it' : 'removed it'}; a write must never overwrite a file.`, { hint: 'Open the file with O_CREAT|O_EXCL ("x" mode in Python, flag "wx" in Node): it fails when the file exists, and then you answer error 6.' });
    if (r.error?.code !== 6) {
      t.figure(ladder(r, 'writing a file that exists'));
      t.fail(`writing a file that exists: ${r.error ? `your server answered ${errorWords(r.error)}` : 'no ERROR came'}; expected error 6 (file already exists).`, { hint: 'A WRQ for a name that exists is refused with ERROR 6 before any DATA is acknowledged.' });
    }
  },

  async 'outside-root'(t) {
    // A file outside the root (beside it), and a symlink inside the root that leads to it.
    const secretName = `outside-${t.key('s').split(':')[1]}.txt`;
    const secret = path.join(path.dirname(t.folder), secretName);
    fs.writeFileSync(secret, 'not yours\n');
    t.defer(() => fs.rmSync(secret, { force: true }));
    fs.symlinkSync(secret, path.join(t.folder, 'link-out'));
    const tries = [`../${secretName}`, `sub/../../${secretName}`, secret, 'link-out'];
    fs.mkdirSync(path.join(t.folder, 'sub'), { recursive: true });
    for (const name of tries) {
      const r = await tftpRead(t, t.target.port, name, { timeoutMs: 300 });
      if (r.ok) {
        t.figure(ladder(r, `reading "${name}"`));
        t.fail(`reading "${name}" sent ${r.data.length} bytes of a file outside the root.`, { hint: 'Resolve the name inside the root (realpath) and refuse (ERROR 2) any path that ends outside it: "..", absolute paths, symlinks.' });
      }
      if (r.error?.code !== 2) t.fail(`reading "${name}": ${r.error ? `your server answered ${errorWords(r.error)}` : r.failure ?? 'no ERROR came'}; expected error 2 (access violation).`, { hint: 'A path that leaves the root is an access violation: ERROR 2.' });
    }
    const w = await tftpWrite(t, t.target.port, `../written-${secretName}`, Buffer.from('escape\n'), { timeoutMs: 300 });
    const escaped = fs.existsSync(path.join(path.dirname(t.folder), `written-${secretName}`));
    if (escaped) {
      fs.rmSync(path.join(path.dirname(t.folder), `written-${secretName}`), { force: true });
      t.fail(`writing "../written-${secretName}" created a file outside the root.`, { hint: 'Check a WRQ\'s name as strictly as an RRQ\'s.' });
    }
    if (w.error?.code !== 2) t.fail(`writing "../written-${secretName}": ${w.error ? `your server answered ${errorWords(w.error)}` : 'no ERROR came'}; expected error 2.`, { hint: 'A path that leaves the root is an access violation: ERROR 2.' });
  },

  async 'illegal-operation'(t) {
    const name = fileName(t, 'mode');
    put(t, name, t.randomBytes(100));
    // A mode TFTP does not have.
    const r = await tftpRead(t, t.target.port, name, { mode: 'mail-to-nowhere', timeoutMs: 300 });
    if (r.error?.code !== 4) t.fail(`reading with mode "mail-to-nowhere": ${r.error ? `your server answered ${errorWords(r.error)}` : r.ok ? 'your server sent the file' : r.failure ?? 'no ERROR came'}; expected error 4 (illegal TFTP operation).`, { hint: 'Accept the modes "octet" and "netascii" (in any case); refuse any other with ERROR 4.' });
  },

  async 'lossy-read'(t) {
    const name = fileName(t, 'lossy');
    const bytes = t.randomBytes(20 * 512 + 77);
    put(t, name, bytes);
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: 1.5 * T, retries: 15, outgoing: { loss: 0.25 }, incoming: { loss: 0.25 } });
    t.log(`${r.socket.events.filter((e) => e.what === 'dropped').length} datagrams lost on the way, ${r.arrivals.length} arrived`);
    expectTransfer(t, r, 'reading 10,317 bytes through 25% loss each way', HINT_RETRANSMIT);
    expectBytes(t, r, r.data, bytes, 'reading 10,317 bytes through 25% loss each way');
  },

  async 'lossy-write'(t) {
    const name = fileName(t, 'lossy-up');
    const bytes = t.randomBytes(20 * 512 + 77);
    const r = await tftpWrite(t, t.target.port, name, bytes, { timeoutMs: 1.5 * T, retries: 15, outgoing: { loss: 0.25, duplicate: 0.1 }, incoming: { loss: 0.25 } });
    expectTransfer(t, r, 'writing 10,317 bytes through 25% loss each way and 10% duplicates', HINT_RETRANSMIT);
    const got = written(t, name);
    if (!got) return t.fail(`writing through loss: every block was acknowledged, but there is no file "${name}".`, { hint: HINT_RETRANSMIT });
    // A block written twice makes the file longer: "each block once".
    if (!got.equals(bytes)) {
      t.figure(ladder(r, 'writing through loss'));
      t.fail(`writing through loss and duplicates: the file has ${got.length} bytes instead of ${bytes.length}${got.length > bytes.length ? ': a block that arrived twice was written twice' : ''}.`, {
        hint: 'A DATA block you have already written (its number is the one you last acknowledged) is acknowledged again but not written again.',
      });
    }
  },

  async 'duplicate-ack'(t) {
    // By hand: the grader acknowledges every DATA block twice and counts how often each block arrives.
    const name = fileName(t, 'sas');
    const bytes = t.randomBytes(10 * 512 + 5);
    put(t, name, bytes);
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: 1000, duplicateAcks: true });
    expectTransfer(t, r, 'reading while acknowledging every block twice', HINT_BLOCKS);
    const repeated = [...r.counts.entries()].filter(([, n]) => n > 1);
    if (repeated.length) {
      t.figure(ladder(r, 'every ACK sent twice'));
      t.fail(`every ACK was sent twice, and your server answered the second one too: ${repeated.length} of ${r.counts.size} DATA blocks arrived twice (blocks ${repeated.slice(0, 6).map(([b]) => b).join(', ')}${repeated.length > 6 ? ', …' : ''}).\nOn a real network each such duplicate doubles again: the Sorcerer's Apprentice bug.`, {
        hint: 'An ACK for a block already acknowledged is ignored; only a timeout sends DATA again (RFC 1123 4.2.3.1).',
      });
    }
  },

  async stranger(t) {
    const name = fileName(t, 'stranger');
    const bytes = t.randomBytes(8 * 512 + 1);
    put(t, name, bytes);
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: 300, stranger: { afterBlocks: 3 } });
    expectTransfer(t, r, 'reading while a stranger sent an ACK to the transfer\'s port', HINT_TID);
    expectBytes(t, r, r.data, bytes, 'reading while a stranger sent an ACK to the transfer\'s port');
    const told = r.strangerReplies ?? [];
    if (!told.some((p) => p.kind === 'ERROR' && p.code === 5)) {
      t.figure(ladder(r, 'a stranger on the transfer\'s port'));
      t.fail(`a datagram from another port (a stranger) reached the transfer's port after block 3; your server ${told.length ? `answered it with ${told.map((p) => p.kind).join(', ')}` : 'did not answer it'}; expected error 5 (unknown transfer ID), sent to the stranger.`, {
        hint: 'On a transfer\'s socket, check where each datagram comes from: one from any other address or port gets ERROR 5 (sent to it) and changes nothing in the transfer.',
      });
    }
  },

  async 'gives-up'(t) {
    const name = fileName(t, 'vanish');
    put(t, name, t.randomBytes(20 * 512));
    const watchMs = 12 * T + 1000;
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: 3 * T, vanishAfterBlocks: 2, watchMs });
    // The grader got DATA 2 and went quiet: the server sends DATA 2 again every T ms, 5 times, then stops.
    const resent = r.arrivals.filter((a) => a.packet.kind === 'DATA' && a.packet.block === 2).length - 1;
    t.log(`DATA 2 came again ${resent} times after the grader stopped answering (watched for ${watchMs} ms)`);
    if (resent < 1) t.fail(`the grader got DATA 2 and never acknowledged it; your server never sent it again: with no ACK after T = ${T} ms it must.`, { hint: HINT_RETRANSMIT });
    if (resent > 5) t.fail(`the grader got DATA 2 and never acknowledged it; your server sent it again ${resent} times in ${watchMs} ms: it must give up after 5 retransmissions.`, { hint: 'Count retransmissions; after the fifth with no answer, abandon the transfer (close its socket) and go on serving others.' });
    // Still serving others.
    await readBack(t, fileName(t, 'after'), t.randomBytes(600), 'reading another file after a client vanished');
  },

  async concurrent(t) {
    const reads = Array.from({ length: 12 }, (_, i) => ({ name: fileName(t, `cr${i}`), bytes: t.randomBytes(3000 + i * 517) }));
    const writes = Array.from({ length: 8 }, (_, i) => ({ name: fileName(t, `cw${i}`), bytes: t.randomBytes(2500 + i * 311) }));
    for (const f of reads) put(t, f.name, f.bytes);
    // A stalled transfer first: its client never answers; the others must not wait for it.
    put(t, 'stall.bin', t.randomBytes(4000));
    const stalled = tftpRead(t, t.target.port, 'stall.bin', { timeoutMs: 300, vanishAfterBlocks: 1, watchMs: 500 });
    const t0 = performance.now();
    const results = await Promise.all([...reads.map((f) => tftpRead(t, t.target.port, f.name, { timeoutMs: 500 })), ...writes.map((f) => tftpWrite(t, t.target.port, f.name, f.bytes, { timeoutMs: 500 }))]);
    t.log(`20 transfers in ${Math.round(performance.now() - t0)} ms`);
    results.forEach((r, i) => {
      const f = i < reads.length ? reads[i] : writes[i - reads.length];
      const what = `${i < reads.length ? 'read' : 'write'} ${i + 1} of 20 (${f.bytes.length} bytes)`;
      expectTransfer(t, r, what, 'Serve every transfer at once: a socket per transfer in one select/poll loop, or a thread per transfer; never wait for one client before serving another.');
      expectBytes(t, r, i < reads.length ? r.data : (written(t, f.name) ?? Buffer.alloc(0)), f.bytes, what);
    });
    await stalled;
  },
});
