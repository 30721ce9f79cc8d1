// The tftp-server tests, written only against the public authoring API and the TFTP kit. The
// grader is a correct, patient TFTP client behind a seeded unreliable network; each test puts
// the files it needs in the server's root (t.folder), transfers, and judges by facts: the bytes,
// the ports datagrams came from, how often each block arrived. Every failure shows the exchange
// as a ladder of datagrams with what the network did to each.
import fs from 'node:fs';
import path from 'node:path';
import { defineTests, firstDifference, type TestContext } from '../../grader/authoring.js';
import { describe, errorWords, fromNetascii, ladder, tftpExchange, tftpRead, tftpWrite, type TransferResult } from '../../grader/kits/tftp.js';

/** The retransmission timeout the grader gives the server (--timeout-ms in assignment.json). */
const T = 100;

const HINT_TID =
  'Answer every request from a new UDP socket bound to port 0 (the kernel picks a free port: the transfer ID), and run the whole transfer on it. The listening socket only receives requests.';
const HINT_BLOCKS =
  'Send the file in DATA blocks of 512 bytes numbered from 1, each after the ACK of the one before. The last block is shorter than 512 bytes; when the size is a multiple of 512, send a last, empty DATA block.';
const HINT_RETRANSMIT = `Wait T ms (--timeout-ms, here ${T}) for the ACK (reading) or the next DATA (writing); when nothing comes, send your last packet again. Only a timeout sends again.`;

const HINT_NETASCII_READ =
  'In netascii mode a read sends the file as text: each LF as CR LF and each CR as CR NUL; convert first, then cut the converted bytes into blocks of 512 (a block never carries more). Octet mode sends the bytes as they are.';
const HINT_NETASCII_WRITE =
  'In netascii mode a write arrives as text: turn CR LF back into LF and CR NUL into CR before writing; a CR at the end of a block waits for the next block to say which pair it starts.';

const HINT_WINDOW_OACK = 'Accept windowsize (RFC 7440) like blksize: answer it in the OACK with the window you will use, at most what was asked (here at least 8 when 16 is asked).';
const HINT_WINDOW_SEND =
  'With windowsize W, send W DATA blocks back to back, then wait; an ACK of block k says every block up to k arrived, so the next window starts at k+1 (what you sent after k goes again); a timeout sends the whole window again.';
const HINT_WINDOW_RECEIVE =
  'With windowsize W, write only the block that comes next in order; a block after a gap (one before it was lost) is not written: acknowledge the last block you have in order, so the client starts again after it. Acknowledge every W-th block in order and the last one.';

/** The grader's lossy network: 25% lost each way, never more than two in a row (a server that retransmits 5 times always gets through). */
const LOSSY = { loss: 0.25, maxLossRun: 2 };

/** 10% of datagrams held back until the next one has gone (or 150 ms): a late copy arrives after a retransmitted one. */
const REORDER = { reorder: 0.1, reorderMaxMs: 150 };

/** A name of this test's own in the root. */
const fileName = (t: TestContext, what: string) => `${what}-${t.key('f').split(':')[1]}.bin`;

/** Printable text with no CR or LF: lower-case letters and spaces from the test's own stream. */
function words(t: TestContext, n: number): Buffer {
  const b = t.randomBytes(n);
  for (let i = 0; i < n; i++) b[i] = b[i]! % 7 === 0 ? 0x20 : 0x61 + (b[i]! % 26);
  return b;
}

/**
 * A text in netascii's network form whose pairs fall where students' conversions break: the CR LF
 * of the first line is split between blocks 1 and 2, a CR NUL between blocks 2 and 3, then lines
 * with a lone CR (CR NUL) here and there. Returned with the local text it stands for.
 */
function netasciiText(t: TestContext): { wire: Buffer; local: Buffer } {
  const CRLF = Buffer.from('\r\n');
  const CRNUL = Buffer.from('\r\0');
  const parts = [words(t, 511), CRLF, words(t, 510), CRNUL];
  for (let line = 0; line < 30; line++) parts.push(words(t, 20 + (line * 7) % 40), ...(line % 4 === 1 ? [CRNUL, words(t, 6)] : []), CRLF);
  const wire = Buffer.concat(parts);
  return { wire, local: fromNetascii(wire) };
}

/** A new file in the root: 'wx' never follows or overwrites what the program may have put there (a symlink out). */
function put(t: TestContext, name: string, bytes: Buffer): void {
  fs.writeFileSync(path.join(t.folder, name), bytes, { flag: 'wx' });
}

/** The transfer as a picture for the report, then a failure if it went wrong. */
function expectTransfer(t: TestContext, r: TransferResult, what: string, hint: string): void {
  if (r.ok) return;
  t.figure(ladder(r, what));
  // A write request sent again (its answer was lost) that the server took for a new transfer,
  // which found the file the first one had created.
  if (r.error?.code === 6 && r.requests > 1)
    t.fail(`${what}: your server answered ${errorWords(r.error)} to a request the grader had sent ${r.requests} times.\nNo answer had come in time, so the grader sent it again, from the same port: that is the same transfer, not a new one.`, {
      hint: 'Remember the client address and port of each running transfer; a request that comes again from the same address and port while its transfer runs is a retransmission: ignore it (the transfer\'s own timer sends its first packet again).',
    });
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

/**
 * A regular file's bytes, or undefined: what the program left may be a symlink out of the root or
 * a FIFO that would block a plain read forever, and neither is followed or opened for reading.
 */
function readRegular(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd) : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The file a write left in the root, once it holds `want` (or has its size and the 100 ms allowed
 * after the last ACK are over, or after a second), and how late its last write came: a server must
 * write the file before it acknowledges the last block. Judged by the file's own modification time
 * against the last ACK's arrival, so a grader slowed by a loaded machine reads it late without
 * blaming the server; 100 ms are allowed (atftpd closes its file 0.3 ms after that ACK, and fixes a
 * netascii line end in it then), a server that writes on close after dallying 3 T is caught.
 */
async function written(t: TestContext, r: TransferResult, name: string, want: Buffer): Promise<Buffer | undefined> {
  const file = path.join(t.folder, name);
  const until = performance.now() + 1000;
  const lastAck = r.arrivals.filter((a) => a.packet.kind === 'ACK').at(-1)?.at;
  const lastAckAt = lastAck ?? performance.now();
  let got: Buffer | undefined;
  for (;;) {
    got = readRegular(file);
    const whole = got !== undefined && got.length >= want.length;
    if ((whole && (got!.equals(want) || performance.now() > lastAckAt + 150)) || performance.now() >= until) break;
    // No event says "a process wrote to this file" reliably on every filesystem: a brief poll, bounded.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (got && r.ok && lastAck !== undefined) {
    const late = Math.round(fs.lstatSync(file).mtimeMs - (performance.timeOrigin + lastAck));
    if (late > 100) {
      t.figure(ladder(r, `writing "${name}"`));
      t.fail(`writing "${name}": your server wrote the file's last bytes ${late} ms after acknowledging its last block.`, {
        hint: 'Write every block to the file (and close or flush it) before you send its ACK: the last ACK tells the client the file is stored.',
      });
    }
  }
  return got;
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
    const got = await written(t, r, name, bytes);
    if (!got) return t.fail(`writing a 1,300-byte file: every block was acknowledged, but there is no file "${name}" in the root.`, { hint: 'Create the file in the --root folder, under the name the WRQ gives.' });
    expectBytes(t, r, got, bytes, 'writing a 1,300-byte file');
  },

  async sizes(t) {
    for (const size of [0, 511, 512, 513, 1 << 20]) {
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
    const after = await written(t, r, name, before);
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
    const hint = 'Check every datagram on the listening port: a request needs an opcode of 1 or 2, a NUL-terminated file name and a NUL-terminated mode of "octet" or "netascii" (any case); anything else gets ERROR 4.';
    // A mode TFTP does not have.
    const r = await tftpRead(t, t.target.port, name, { mode: 'mail-to-nowhere', timeoutMs: 300 });
    if (r.error?.code !== 4) t.fail(`reading with mode "mail-to-nowhere": ${r.error ? `your server answered ${errorWords(r.error)}` : r.ok ? 'your server sent the file' : r.failure ?? 'no ERROR came'}; expected error 4 (illegal TFTP operation).`, { hint });
    // What a transfer never sends: a request cut short, and DATA or ACK where only requests belong.
    const odd: Array<[string, Buffer]> = [
      ['an RRQ whose file name has no NUL byte (and no mode)', Buffer.concat([Buffer.from([0, 1]), Buffer.from(name)])],
      ['a DATA block sent to the listening port', Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.from('stray')])],
      ['an ACK sent to the listening port', Buffer.from([0, 4, 0, 1])],
    ];
    for (const [what, packet] of odd) {
      const x = await tftpExchange(t, t.target.port, packet, { waitMs: 1000 });
      if (x.packet?.kind === 'ERROR' && x.packet.code === 4) continue;
      t.figure(x.socket.ladder({ title: what, remote: 'your server', label: (d) => describe(d) }));
      t.fail(`${what}: ${x.packet ? `your server answered ${x.packet.kind === 'ERROR' ? errorWords({ code: x.packet.code, message: x.packet.message }) : x.packet.kind}` : 'no answer within 1 s'}; expected error 4 (illegal TFTP operation).`, { hint });
    }
  },

  async 'lossy-read'(t) {
    const name = fileName(t, 'lossy');
    const bytes = t.randomBytes(20 * 512 + 77);
    put(t, name, bytes);
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: T / 2, retries: 30, outgoing: LOSSY, incoming: { ...LOSSY, ...REORDER, lose: [3] } });
    t.log(`${r.socket.events.filter((e) => e.what === 'dropped').length} datagrams lost on the way, ${r.arrivals.length} arrived`);
    expectTransfer(t, r, 'reading 10,317 bytes through loss and reordering', HINT_RETRANSMIT);
    expectBytes(t, r, r.data, bytes, 'reading 10,317 bytes through loss and reordering');
  },

  async 'lossy-write'(t) {
    // Two ACKs lost in a row (beside the random losses): the grader sends its DATA again twice, and
    // each copy must be acknowledged again (a server that re-acknowledges only once stalls here).
    const name = fileName(t, 'lossy-up');
    const bytes = t.randomBytes(20 * 512 + 77);
    const r = await tftpWrite(t, t.target.port, name, bytes, { timeoutMs: T / 2, retries: 30, outgoing: { ...LOSSY, ...REORDER, duplicate: 0.1 }, incoming: { ...LOSSY, lose: [3, 4] } });
    expectTransfer(t, r, 'writing 10,317 bytes through loss, reordering and duplicates', HINT_RETRANSMIT);
    const got = await written(t, r, name, bytes);
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
    // A server that answers duplicate ACKs sends nearly every block from the second on twice; a
    // timeout retransmission (the grader slow to acknowledge on a loaded machine) repeats one now
    // and then, and is no bug: more than half of blocks 2 … n twice is the Sorcerer's Apprentice.
    const repeated = [...r.counts.entries()].filter(([, n]) => n > 1);
    const later = [...r.counts.keys()].filter((b) => b >= 2).length;
    if (repeated.length) t.log(`${repeated.length} of ${r.counts.size} DATA blocks arrived more than once`);
    if (repeated.filter(([b]) => b >= 2).length * 2 > later) {
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
    const hint = 'On a transfer\'s socket, check where each datagram comes from: one from any other address or port gets ERROR 5 (sent to it) and changes nothing in the transfer.';
    expectTransfer(t, r, 'reading while a stranger sent an ACK to the transfer\'s port', hint);
    const at = firstDifference(bytes, r.data);
    // Wrong before block 4: nothing to do with the stranger, who spoke after block 3.
    if (at >= 0 && at < 3 * 512) expectBytes(t, r, r.data, bytes, 'reading while a stranger sent an ACK to the transfer\'s port');
    if (!r.data.equals(bytes)) {
      // The stranger's ACK (of the block the grader had just received) taken as the client's: the server moved on a block early.
      t.figure(ladder(r, 'a stranger on the transfer\'s port'));
      t.fail(`reading while a stranger sent an ACK to the transfer's port after block 3: ${r.data.length} bytes arrived instead of ${bytes.length}, different from block ${Math.floor(Math.max(0, at) / 512) + 1}: your server took the stranger's ACK for the client's and moved on.`, { hint });
    }
    const told = r.strangerReplies ?? [];
    if (!told.some((p) => p.kind === 'ERROR' && p.code === 5)) {
      t.figure(ladder(r, 'a stranger on the transfer\'s port'));
      t.fail(`a datagram from another port (a stranger) reached the transfer's port after block 3; your server ${told.length ? `answered it with ${told.map((p) => p.kind).join(', ')}` : 'did not answer it'}; expected error 5 (unknown transfer ID), sent to the stranger.`, { hint });
    }
  },

  async 'gives-up'(t) {
    const name = fileName(t, 'vanish');
    put(t, name, t.randomBytes(20 * 512));
    // Resends at about T, 2T … 5T (later on a busy machine), silence from 6T: watching to 10T sees a sixth.
    const watchMs = 10 * T + 200;
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: 3 * T, vanishAfterBlocks: 2, watchMs });
    // The grader got DATA 2 and went quiet: the server sends DATA 2 again every T ms, 5 times, then stops.
    const copies = r.arrivals.filter((a) => a.packet.kind === 'DATA' && a.packet.block === 2);
    const resent = copies.length - 1;
    const gaps = copies.slice(1).map((a, i) => Math.round(a.at - copies[i]!.at));
    if (gaps.length) t.log(`DATA 2 came again after ${gaps.join(', ')} ms`);
    // A timer can fire late on a busy machine, never early; but arrivals are timed when the grader
    // reads them, so one late read shortens the gap after it: judged on the mean gap.
    const mean = gaps.length ? (copies[copies.length - 1]!.at - copies[0]!.at) / gaps.length : 0;
    const early = gaps.length > 0 && mean < 0.7 * T;
    const late = gaps.length > 0 && mean > 4 * T;
    t.log(`DATA 2 came again ${resent} times after the grader stopped answering (watched for ${watchMs} ms)`);
    if (resent < 1 || resent > 5 || early || late) t.figure(ladder(r, 'the grader stops answering after DATA 2'));
    if (resent > 5) t.fail(`the grader got DATA 2 and never acknowledged it; your server sent it again ${resent} times in ${watchMs} ms: it must give up after 5 retransmissions.`, { hint: 'Count retransmissions; after the fifth with no answer, abandon the transfer (close its socket) and go on serving others.' });
    if (early) t.fail(`your server sent DATA 2 again every ${Math.round(mean)} ms on average (${gaps.join(', ')} ms), sooner than the timeout T = ${T} ms.`, { hint: HINT_RETRANSMIT });
    if (late) t.fail(`your server sent DATA 2 again every ${Math.round(mean)} ms on average (${gaps.join(', ')} ms), not every T = ${T} ms (--timeout-ms): it must use the timeout it is given.`, { hint: HINT_RETRANSMIT });
    if (resent < 1) t.fail(`the grader got DATA 2 and never acknowledged it; your server never sent it again: with no ACK after T = ${T} ms it must.`, { hint: HINT_RETRANSMIT });
    // Still serving others.
    await readBack(t, fileName(t, 'after'), t.randomBytes(600), 'reading another file after a client vanished');
  },

  async concurrent(t) {
    const reads = Array.from({ length: 12 }, (_, i) => ({ name: fileName(t, `cr${i}`), bytes: t.randomBytes(3000 + i * 517) }));
    const writes = Array.from({ length: 8 }, (_, i) => ({ name: fileName(t, `cw${i}`), bytes: t.randomBytes(2500 + i * 311) }));
    for (const f of reads) put(t, f.name, f.bytes);
    // A slow reader first: it acknowledges each block after 0.6 T (alive: the server must not give
    // up on it) and takes about 2 s in all. The others may not wait for it: each of them gives up
    // after 1 s without progress, so a server that serves one transfer after another fails them.
    const slow = fileName(t, 'slow');
    put(t, slow, t.randomBytes(30 * 512 + 10));
    const slowRead = tftpRead(t, t.target.port, slow, { timeoutMs: 300, ackDelayMs: 0.6 * T });
    const t0 = performance.now();
    const patience = { timeoutMs: 250, retries: 3 };
    const results = await Promise.all([...reads.map((f) => tftpRead(t, t.target.port, f.name, patience)), ...writes.map((f) => tftpWrite(t, t.target.port, f.name, f.bytes, patience))]);
    t.log(`20 transfers in ${Math.round(performance.now() - t0)} ms beside a slow one`);
    const hint = 'Serve every transfer at once: a socket per transfer in one select/poll loop, or a thread per transfer; never wait for one client before serving another.';
    for (const [i, r] of results.entries()) {
      const f = i < reads.length ? reads[i]! : writes[i - reads.length]!;
      const what = `${i < reads.length ? 'read' : 'write'} ${i + 1} of 20 (${f.bytes.length} bytes), beside a slow reader`;
      expectTransfer(t, r, what, hint);
      expectBytes(t, r, i < reads.length ? r.data : ((await written(t, r, f.name, f.bytes)) ?? Buffer.alloc(0)), f.bytes, what);
    }
    const s = await slowRead;
    expectTransfer(t, s, 'the slow reader (each block acknowledged after 60 ms)', hint);
  },

  async blksize(t) {
    const hint = 'Read the options after the mode (name NUL value NUL pairs). For blksize (8 to 65464) answer an OACK naming the size you accept (for a read, wait for ACK 0), then use it: blocks of that size, the last shorter (empty after an exact multiple).';
    const cases: Array<{ kind: 'read' | 'write'; blksize: number; size: number }> = [
      { kind: 'read', blksize: 1024, size: 5000 },
      { kind: 'read', blksize: 1024, size: 3072 },
      { kind: 'write', blksize: 1428, size: 4000 },
      { kind: 'read', blksize: 8, size: 100 },
    ];
    for (const c of cases) {
      const name = fileName(t, `bs${c.blksize}-${c.kind}-${c.size}`);
      const bytes = t.randomBytes(c.size);
      const what = `${c.kind === 'read' ? 'reading' : 'writing'} ${c.size} bytes with blksize ${c.blksize}`;
      if (c.kind === 'read') put(t, name, bytes);
      const r = c.kind === 'read'
        ? await tftpRead(t, t.target.port, name, { timeoutMs: 300, options: { blksize: String(c.blksize) } })
        : await tftpWrite(t, t.target.port, name, bytes, { timeoutMs: 300, options: { blksize: String(c.blksize) } });
      if (r.oack?.blksize !== String(c.blksize)) {
        t.figure(ladder(r, what));
        t.fail(`${what}: your server ${r.oack ? `acknowledged the options ${JSON.stringify(r.oack)}` : 'sent no OACK'}; expected an OACK with blksize ${c.blksize}.`, { hint });
      }
      expectTransfer(t, r, what, hint);
      const got = c.kind === 'read' ? r.data : ((await written(t, r, name, bytes)) ?? Buffer.alloc(0));
      expectBytes(t, r, got, bytes, what);
      const blocks = Math.floor(c.size / c.blksize) + 1;
      if (r.counts.size !== blocks) t.fail(`${what}: ${r.counts.size} blocks instead of ${blocks}.`, { hint });
    }
  },

  async tsize(t) {
    const hint = 'tsize (RFC 2349): in an RRQ it is 0 and your OACK gives the file\'s size in bytes; in a WRQ it is the size coming, and your OACK repeats it. Options you do not know are left out of the OACK; when none is left, answer as if there were no options.';
    const name = fileName(t, 'tsize');
    const bytes = t.randomBytes(2345);
    put(t, name, bytes);
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: 300, options: { tsize: '0' } });
    expectTransfer(t, r, 'reading with tsize 0', hint);
    if (r.oack?.tsize !== '2345') t.fail(`reading a 2,345-byte file with tsize 0: your server ${r.oack ? `acknowledged ${JSON.stringify(r.oack)}` : 'sent no OACK'}; expected an OACK with tsize 2345.`, { hint });
    const up = t.randomBytes(1800);
    const w = await tftpWrite(t, t.target.port, fileName(t, 'tsize-up'), up, { timeoutMs: 300, options: { tsize: '1800' } });
    expectTransfer(t, w, 'writing with tsize 1800', hint);
    if (w.oack?.tsize !== '1800') t.fail(`writing 1,800 bytes with tsize 1800: your server ${w.oack ? `acknowledged ${JSON.stringify(w.oack)}` : 'sent no OACK'}; expected an OACK with tsize 1800.`, { hint });
    // An option nobody knows is ignored: with nothing else asked, no OACK at all.
    const u = await tftpRead(t, t.target.port, name, { timeoutMs: 300, options: { 'x-colour': 'blue' } });
    expectTransfer(t, u, 'reading with an unknown option', hint);
    expectBytes(t, u, u.data, bytes, 'reading with an unknown option');
    if (u.oack) t.fail(`reading with only an unknown option ("x-colour"): your server sent the OACK ${JSON.stringify(u.oack)}; an unknown option is ignored, and with none accepted the answer is DATA 1.`, { hint });
  },

  async 'timeout-option'(t) {
    // timeout 1 (RFC 2349): the server retransmits after 1 s, not after --timeout-ms.
    const name = fileName(t, 'slow');
    put(t, name, t.randomBytes(5 * 512));
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: 3000, options: { timeout: '1' }, vanishAfterBlocks: 1, watchMs: 1600 });
    const hint = 'The timeout option (1 to 255 seconds) replaces --timeout-ms for that transfer: acknowledge it in the OACK and wait that long before sending again.';
    if (r.oack?.timeout !== '1') {
      t.figure(ladder(r, 'reading with the option timeout 1'));
      t.fail(`reading with the option timeout 1: your server ${r.oack ? `acknowledged ${JSON.stringify(r.oack)}` : 'sent no OACK'}; expected an OACK with timeout 1.`, { hint });
    }
    const copies = r.arrivals.filter((a) => a.packet.kind === 'DATA' && a.packet.block === 1);
    const gap = copies.length > 1 ? Math.round(copies[1]!.at - copies[0]!.at) : undefined;
    t.log(gap === undefined ? 'DATA 1 did not come again within 1.6 s' : `DATA 1 came again after ${gap} ms`);
    if (gap === undefined || gap < 800) {
      t.figure(ladder(r, 'reading with the option timeout 1'));
      t.fail(`reading with the option timeout 1 and not acknowledging DATA 1: your server ${gap === undefined ? 'did not send it again within 1.6 s' : `sent it again after ${gap} ms`}; expected after about 1 s.`, { hint });
    }
  },

  async netascii(t) {
    const { wire, local } = netasciiText(t);
    // A read: the file's lines arrive with CR LF, in blocks of 512 converted bytes.
    const name = fileName(t, 'text');
    put(t, name, local);
    const what = `reading a ${local.length.toLocaleString('en-US')}-byte text file in netascii mode`;
    const r = await tftpRead(t, t.target.port, name, { mode: 'netascii', timeoutMs: 300 });
    const long = r.arrivals.find((a) => a.packet.kind === 'DATA' && a.packet.data.length > 512);
    if (long?.packet.kind === 'DATA') {
      t.figure(ladder(r, what));
      t.fail(`${what}: DATA ${long.packet.block} carries ${long.packet.data.length} bytes: a 512-byte piece of the file was converted into one block, and converting makes it longer.`, { hint: HINT_NETASCII_READ });
    }
    expectTransfer(t, r, what, HINT_NETASCII_READ);
    if (r.data.equals(local)) t.fail(`${what}: your server sent the file's bytes as they are (LF, not CR LF, at each line end).`, { hint: HINT_NETASCII_READ });
    if (!r.data.equals(wire)) {
      t.figure(ladder(r, what));
      const at = firstDifference(wire, r.data);
      t.fail(`${what}: ${r.data.length} bytes arrived instead of the ${wire.length} of its netascii form${at >= 0 && at < Math.min(wire.length, r.data.length) ? `; the first difference is at byte ${at} (block ${Math.floor(at / 512) + 1})` : ''}.`, { hint: HINT_NETASCII_READ });
    }
    // A write: the same text sent in its network form is stored with the local line ends.
    const up = fileName(t, 'text-up');
    const upWhat = `writing a ${wire.length.toLocaleString('en-US')}-byte text in netascii mode`;
    const w = await tftpWrite(t, t.target.port, up, wire, { mode: 'netascii', timeoutMs: 300 });
    expectTransfer(t, w, upWhat, HINT_NETASCII_WRITE);
    const got = await written(t, w, up, local);
    if (!got) return t.fail(`${upWhat}: every block was acknowledged, but there is no file "${up}".`, { hint: HINT_NETASCII_WRITE });
    if (got.equals(local)) return;
    t.figure(ladder(w, upWhat));
    if (got.equals(wire)) t.fail(`${upWhat}: the file holds the bytes as they arrived (CR LF at each line end, CR NUL for a CR) instead of the text they stand for.`, { hint: HINT_NETASCII_WRITE });
    const perBlock = Buffer.concat(Array.from({ length: Math.ceil(wire.length / 512) }, (_, i) => fromNetascii(wire.subarray(i * 512, (i + 1) * 512))));
    if (got.equals(perBlock))
      t.fail(`${upWhat}: each block was converted on its own.\nThe CR that ends block 1 and the LF that starts block 2 stayed CR LF in the file, and block 2's last CR kept block 3's first NUL.`, { hint: HINT_NETASCII_WRITE });
    const at = firstDifference(local, got);
    t.fail(`${upWhat}: the file has ${got.length} bytes instead of ${local.length}${at >= 0 && at < Math.min(local.length, got.length) ? `; the first difference is at byte ${at}` : ''}.`, { hint: HINT_NETASCII_WRITE });
  },

  async windowsize(t) {
    // 1. Windows on a perfect network: 16 blocks back to back, then an ACK.
    const name = fileName(t, 'window');
    const bytes = t.randomBytes(40 * 512 + 100);
    put(t, name, bytes);
    const what = 'reading 41 blocks with windowsize 16';
    const r = await tftpRead(t, t.target.port, name, { options: { windowsize: '16' }, timeoutMs: 300, stopOnShortWindow: true });
    if (!r.error && !r.windowsize) {
      t.figure(ladder(r, what));
      return t.fail(`${what}: ${r.oack ? `your server's OACK (${Object.entries(r.oack).map(([k, v]) => `${k}=${v}`).join(' ') || 'empty'}) does not acknowledge windowsize` : 'no OACK came: your server did not acknowledge windowsize'}, so the transfer was lock-step.`, { hint: HINT_WINDOW_OACK });
    }
    expectTransfer(t, r, what, HINT_WINDOW_SEND);
    const w = r.windowsize!;
    if (w > 16 || w < 8) t.fail(`${what}: your server acknowledged windowsize ${w}; the grader asked for 16 (a server may answer with less, here at least 8, never more).`, { hint: HINT_WINDOW_OACK });
    expectBytes(t, r, r.data, bytes, what);
    // Before each ACK the grader sent, a whole window came (the last one may be shorter).
    const runs = r.windowRuns ?? [];
    if (r.timeouts > 0 || runs.slice(0, -1).some((n) => n < w)) {
      t.figure(ladder(r, what));
      t.fail(`${what} (acknowledged: ${w}): your server did not send whole windows of ${w} blocks back to back.\nBlocks between the grader's ACKs: ${runs.slice(0, 12).join(', ')}${runs.length > 12 ? ', …' : ''}${r.timeouts ? `; the grader waited its whole timeout ${r.timeouts} time${r.timeouts > 1 ? 's' : ''}` : ''}.`, { hint: HINT_WINDOW_SEND });
    }
    // 2. What windows are for: 1 MiB over a link with a 10 ms round trip.
    const big = fileName(t, 'window-big');
    const mib = t.randomBytes(1024 * 1024);
    put(t, big, mib);
    const bigWhat = 'reading 1 MiB with windowsize 16 over a 10 ms round trip';
    const b = await tftpRead(t, t.target.port, big, { options: { windowsize: '16' }, timeoutMs: 300, outgoing: { delayMs: 5 }, incoming: { delayMs: 5 } });
    expectTransfer(t, b, bigWhat, HINT_WINDOW_SEND);
    expectBytes(t, b, b.data, mib, bigWhat);
    // Lock-step pays a round trip per block: 2,049 of them.
    const lockStepMs = 2049 * 10;
    t.log(`1 MiB in ${Math.round(b.durationMs)} ms over a 10 ms round trip, ${b.windowRuns?.length ?? 0} windows (lock-step: at least ${lockStepMs / 1000} s)`);
    if (b.durationMs > lockStepMs / 2) {
      t.figure(ladder(b, bigWhat));
      t.fail(`${bigWhat}: ${(b.durationMs / 1000).toFixed(1)} s, more than half of what lock-step needs (${lockStepMs / 1000} s); ${b.timeouts} timeout${b.timeouts === 1 ? '' : 's'} of the grader's.`, { hint: HINT_WINDOW_SEND });
    }
    // 3. Through loss both ways, a gap in the first window each way: a read resumes after the
    // block the grader acknowledged, a write never stores a block that came after a gap.
    const lossy = { loss: 0.15, maxLossRun: 2 };
    const lname = fileName(t, 'window-lossy');
    const lbytes = t.randomBytes(60 * 512 + 33);
    put(t, lname, lbytes);
    const lWhat = 'reading 61 blocks with windowsize 8 through 15% loss each way';
    const l = await tftpRead(t, t.target.port, lname, { options: { windowsize: '8' }, timeoutMs: T / 2, retries: 30, outgoing: lossy, incoming: { ...lossy, lose: [3] } });
    if (!l.ok && !l.error && l.windowsize) {
      // Stuck: the grader kept acknowledging the last block it had in order, and the next never came.
      const k = Math.floor(l.data.length / 512);
      t.figure(ladder(l, lWhat));
      return t.fail(`${lWhat}: the grader acknowledged block ${k} again and again, and block ${k + 1} never came.`, {
        hint: 'An ACK of block k in the middle of a window says block k+1 was lost: the next window starts at k+1, not after the last block you sent.',
      });
    }
    expectTransfer(t, l, lWhat, HINT_WINDOW_SEND);
    expectBytes(t, l, l.data, lbytes, lWhat);
    // One block lost in the first window of a write (DATA 2): the blocks after it are not block 2.
    const gap = fileName(t, 'window-gap');
    const gapBytes = t.randomBytes(20 * 512 + 17);
    const gapWhat = 'writing 21 blocks with windowsize 8, DATA 2 lost';
    const g = await tftpWrite(t, t.target.port, gap, gapBytes, { options: { windowsize: '8' }, timeoutMs: T / 2, retries: 30, outgoing: { lose: [3] } });
    expectTransfer(t, g, gapWhat, HINT_WINDOW_RECEIVE);
    if (!g.windowsize) t.fail(`${gapWhat}: your server's answer to the WRQ did not acknowledge windowsize.`, { hint: HINT_WINDOW_OACK });
    const gapGot = await written(t, g, gap, gapBytes);
    if (gapGot && !gapGot.equals(gapBytes)) {
      t.figure(ladder(g, gapWhat));
      const at = firstDifference(gapBytes, gapGot);
      t.fail(`${gapWhat}: the file differs from the bytes sent from block ${Math.floor(Math.max(0, at) / 512) + 1} on.\nA block that came after a lost one was written in its place.`, { hint: HINT_WINDOW_RECEIVE });
    }
    if (!gapGot) t.fail(`${gapWhat}: every block was acknowledged, but there is no file "${gap}".`, { hint: HINT_WINDOW_RECEIVE });
    // A window's ACK lost, and the next one too: the grader sends that window again, every block of
    // it one the server has; after a timeout with nothing new, the server acknowledges its last
    // block again, as often as it takes (a server that re-acknowledges once stalls here).
    const again = fileName(t, 'window-again');
    const againBytes = t.randomBytes(20 * 512 + 9);
    const againWhat = 'writing 21 blocks with windowsize 8, the first window\'s ACK lost twice';
    const a = await tftpWrite(t, t.target.port, again, againBytes, { options: { windowsize: '8' }, timeoutMs: T / 2, retries: 30, incoming: { lose: [2, 3] } });
    if (!a.ok && !a.error && a.windowsize) {
      t.figure(ladder(a, againWhat));
      return t.fail(`${againWhat}: the grader sent that window again ${Math.max(0, a.timeouts - 1)} times, and your server never acknowledged it again.`, {
        hint: 'A writer whose window ACK was lost sends the same blocks again: nothing new for you. After T with no new block in order, send the ACK of the last block in order again (a duplicate must not restart that timer).',
      });
    }
    expectTransfer(t, a, againWhat, HINT_WINDOW_RECEIVE);
    const up = fileName(t, 'window-up');
    const upWhat = 'writing 61 blocks with windowsize 8 through 15% loss each way';
    const u = await tftpWrite(t, t.target.port, up, lbytes, { options: { windowsize: '8' }, timeoutMs: T / 2, retries: 30, outgoing: { ...lossy, lose: [3] }, incoming: lossy });
    expectTransfer(t, u, upWhat, HINT_WINDOW_RECEIVE);
    if (!u.windowsize) t.fail(`${upWhat}: your server's answer to the WRQ did not acknowledge windowsize.`, { hint: HINT_WINDOW_OACK });
    const got = await written(t, u, up, lbytes);
    if (!got) return t.fail(`${upWhat}: every block was acknowledged, but there is no file "${up}".`, { hint: HINT_WINDOW_RECEIVE });
    if (!got.equals(lbytes)) {
      t.figure(ladder(u, upWhat));
      const at = firstDifference(lbytes, got);
      const size = got.length === lbytes.length ? 'the file has the right size' : `the file has ${got.length.toLocaleString('en-US')} bytes instead of ${lbytes.length.toLocaleString('en-US')}`;
      t.fail(`${upWhat}: ${size}${at >= 0 && at < Math.min(got.length, lbytes.length) ? `, but differs from block ${Math.floor(at / 512) + 1} on.\nA block that came after a lost one was written in its place` : ''}.`, { hint: HINT_WINDOW_RECEIVE });
    }
  },

  async rollover(t) {
    // 65,537 blocks of 512 bytes (32 MiB and 3 bytes): block numbers run 1 … 65535, then 0, 1.
    const name = fileName(t, 'rollover');
    const blocks = 65_537;
    // 32 MiB made from 64 KiB of random bytes, each block stamped with its number (so a block sent
    // in the wrong place shows), without holding the event loop: other grades may share it, and a
    // correct server gives up on a client that is silent for 6 T.
    const pool = t.randomBytes(65_536);
    const bytes = Buffer.alloc((blocks - 1) * 512 + 3);
    for (let i = 0; i < blocks; i++) {
      const at = i * 512;
      pool.copy(bytes, at, (i * 1031) % (pool.length - 512), (i * 1031) % (pool.length - 512) + Math.min(512, bytes.length - at));
      if (bytes.length - at >= 4) bytes.writeUInt32BE(i + 1, at);
    }
    await fs.promises.writeFile(path.join(t.folder, name), bytes, { flag: 'wx' });
    const t0 = performance.now();
    const r = await tftpRead(t, t.target.port, name, { timeoutMs: 500 });
    t.log(`${blocks.toLocaleString('en-US')} blocks in ${Math.round(performance.now() - t0)} ms`);
    const hint = 'Block numbers are 16 bits: after block 65535 comes block 0, then 1, and so on (keep counting in a wider integer and send it modulo 65536).';
    expectTransfer(t, r, 'reading 65,537 blocks (the block number wraps past 65535)', hint);
    if (!r.data.equals(bytes)) {
      const at = firstDifference(bytes, r.data);
      t.fail(`reading 65,537 blocks of 512 bytes: ${r.data.length} bytes arrived instead of ${bytes.length}${at >= 0 && at < Math.min(bytes.length, r.data.length) ? `, different from byte ${at} (block ${Math.floor(at / 512) + 1})` : ''}.`, { hint });
    }
  },
});
