// The grader's TFTP client (RFC 1350, with RFC 2347 options): a correct, patient client behind
// the seeded fault layer, that reads or writes one file and keeps everything it saw — each
// datagram with where it came from, how often each DATA block arrived, what strangers were told
// — so a test judges the server by facts, and the report draws the exchange as a ladder.
import type { FaultPolicy } from '../net/faults.js';
import { LossyUdpSocket, type Datagram } from '../net/lossy-udp.js';
import { ack, data as dataPacket, describe, error, ERROR_NAMES, parse, request, type Parsed } from '../net/tftp-wire.js';
import type { TestContext } from './context.js';

export interface TransferOptions {
  /** What the network does to what the grader sends, and to what it receives. */
  outgoing?: FaultPolicy;
  incoming?: FaultPolicy;
  mode?: string;
  /** RFC 2347 options to ask for ("blksize": "1024", "tsize": "0", "timeout": "1"). */
  options?: Record<string, string>;
  /** The grader's own retransmission timeout (ms) and how many times it retransmits. */
  timeoutMs?: number;
  retries?: number;
  /** Reads: stop answering after this many DATA blocks (a client that vanished); keep listening for `watchMs`. */
  vanishAfterBlocks?: number;
  watchMs?: number;
  /** Reads: wait this long before acknowledging each block (a slow but live reader; keep it under the server's timeout). */
  ackDelayMs?: number;
  /** Reads: send every ACK twice (a duplicate ACK a correct server ignores). */
  duplicateAcks?: boolean;
  /** Reads: after this many blocks, a stranger (another socket) sends an ACK to the transfer's port; what it gets back is kept. */
  stranger?: { afterBlocks: number };
  /**
   * Windowed reads on a perfect network: end the read as soon as the server stops short of a
   * window (the grader's timeout came before W blocks did) instead of going on a block a timeout.
   */
  stopOnShortWindow?: boolean;
  /** The lifeline's name in the ladder and the transcript. */
  name?: string;
}

export interface Arrival {
  at: number;
  port: number;
  packet: Parsed;
}

export interface TransferResult {
  /** The file arrived whole (read) or every block was acknowledged (write). */
  ok: boolean;
  /** A read's bytes, as far as they came. */
  data: Buffer;
  /** The server's ERROR, if it sent one (on the transfer's port or the listening one). */
  error?: { code: number; message: string; port: number };
  /** Why the grader gave up, in words, when it did (no answer, a violation). */
  failure?: string;
  /** The port the server answered from (its transfer ID), and the port the request went to. */
  tid?: number;
  requestPort: number;
  /** Options the server acknowledged (OACK), if any. */
  oack?: Record<string, string>;
  /** Everything that reached the grader's socket, after the network's faults. */
  arrivals: Arrival[];
  /** Reads: how many times each DATA block number arrived. Writes: how many times each ACK did. */
  counts: Map<number, number>;
  /** Datagrams from ports other than the transfer's: answered with ERROR 5, as a client must. */
  strangers: number;
  /** How many times the grader sent its request (more than once when no answer came in time). */
  requests: number;
  /** How many times the grader waited its whole timeout for something new and sent again. */
  timeouts: number;
  /** The window the server acknowledged (RFC 7440 windowsize), when one was asked for and given. */
  windowsize?: number;
  /**
   * Windowed reads: how many new blocks, in order, arrived before each ACK the grader sent (a
   * full window, the last block, a gap, or a timeout). A server that sends whole windows shows
   * the window size here; one that waits after each block shows 1s.
   */
  windowRuns?: number[];
  /** What the stranger (`stranger` option) got back from the server. */
  strangerReplies?: Parsed[];
  durationMs: number;
  socket: LossyUdpSocket;
}

const BLOCK = 512;
/** The grader's own retransmission timeout when a test gives none. */
const TIMEOUT_MS = 400;

/** The window an OACK grants to a transfer that asked for one (RFC 7440); 1 is lock-step. */
function grantedWindow(o: TransferOptions, oack: Record<string, string>): number {
  return oack.windowsize && o.options?.windowsize ? Math.max(1, Number(oack.windowsize) || 1) : 1;
}

async function open(t: TestContext, o: TransferOptions, spare?: (data: Buffer, direction: 'out' | 'in') => boolean): Promise<LossyUdpSocket> {
  const s = await LossyUdpSocket.bind({ name: o.name ?? 'grader', random: t.random, transcript: t.transcript, keep: 4000, label: (d) => describe(d), ...(o.outgoing ? { outgoing: o.outgoing } : {}), ...(o.incoming ? { incoming: o.incoming } : {}), ...(spare ? { spare } : {}) });
  t.defer(() => s.close());
  return s;
}

/** The ladder of a transfer, for the report (labels are TFTP packets). */
export function ladder(r: TransferResult, title: string) {
  return r.socket.ladder({ title, remote: 'your server', label: (d) => describe(d) });
}

/** What the grader sends, and sends again after each timeout: one datagram, or a window of them. */
type Outgoing = Buffer | Buffer[];

/**
 * Run a transfer to its end: `onPacket` handles each datagram from the transfer's port and says
 * whether the transfer is over; the last datagram (or window) sent is sent again after each
 * timeout. `pend` marks progress without sending: the timer restarts, and what it will send is
 * `b` (a windowed reader waits for the rest of a window, and re-acknowledges if it does not come).
 */
function drive(
  t: TestContext,
  s: LossyUdpSocket,
  port: number,
  first: Buffer,
  o: TransferOptions,
  onPacket: (p: Parsed, from: Datagram, send: (b: Outgoing) => void, pend: (b: Outgoing) => void) => 'more' | 'done' | 'vanish' | { failure: string } | { hold: Promise<void> },
  /** Called before each retransmission; a sentence returned ends the transfer as a failure. */
  onResend?: () => string | void,
): Promise<Omit<TransferResult, 'data' | 'counts' | 'ok' | 'socket' | 'requestPort' | 'oack'> & { finished: boolean }> {
  const timeoutMs = o.timeoutMs ?? TIMEOUT_MS;
  const retries = o.retries ?? 5;
  const t0 = performance.now();
  const arrivals: Arrival[] = [];
  let tid: number | undefined;
  let strangers = 0;
  let requests = 1;
  let last: Outgoing = first;
  let tries = 0;
  let timeouts = 0;
  return new Promise((resolve) => {
    // One retransmission timer, refreshed on every send (a 65,537-block transfer sends as many
    // packets: refreshing costs far less than a new timer each time).
    let timer: NodeJS.Timeout | undefined;
    let watchTimer: NodeJS.Timeout | undefined;
    let watching = false;
    // Held: the grader answers nothing (and retransmits nothing) until the held step is over.
    let holding = false;
    let off = () => {};
    const disarm = () => {
      clearTimeout(timer);
      timer = undefined;
    };
    let over = false;
    const end = (r: { finished: boolean; failure?: string; error?: TransferResult['error'] }) => {
      over = true;
      disarm();
      clearTimeout(watchTimer);
      off();
      t.signal.removeEventListener('abort', aborted);
      resolve({ ...r, ...(tid !== undefined ? { tid } : {}), arrivals, strangers, requests, timeouts, durationMs: performance.now() - t0 });
    };
    const aborted = () => end({ finished: false, failure: 'the test ran out of time' });
    // A timeout is believed only after the datagrams that came meanwhile are read: the grader's own
    // event loop may have been held up (a loaded machine), and timers run before I/O in a turn.
    const fire = () => {
      timer = undefined;
      setImmediate(() => {
        if (!over && !timer && !holding && !watching) timedOut();
      });
    };
    const timedOut = () => {
      timeouts++;
      if (++tries > retries) return end({ finished: false, failure: `no answer after ${retries} retransmissions, ${timeoutMs} ms apart` });
      if (tid === undefined) requests++;
      const stop = onResend?.();
      if (stop) return end({ finished: false, failure: stop });
      for (const b of Array.isArray(last) ? last : [last]) s.send(b, tid ?? port);
      arm();
    };
    const arm = () => {
      if (timer) timer.refresh();
      else timer = setTimeout(fire, timeoutMs);
    };
    const send = (b: Outgoing) => {
      // A held step may finish after the transfer did (the test ran out of time): nothing more is sent.
      if (over) return;
      last = b;
      tries = 0;
      for (const one of Array.isArray(b) ? b : [b]) {
        s.send(one, tid ?? port);
        if (o.duplicateAcks && parse(one).kind === 'ACK') s.send(one, tid ?? port);
      }
      arm();
    };
    const pend = (b: Outgoing) => {
      if (over) return;
      last = b;
      tries = 0;
      arm();
    };
    off = s.onMessage((d) => {
      const p = parse(d.data);
      arrivals.push({ at: performance.now(), port: d.port, packet: p });
      // The first answer names the transfer's port; a datagram from any other is a stranger's.
      if (tid === undefined && d.port !== port && p.kind !== 'ERROR') tid = d.port;
      else if (tid === undefined && d.port === port && p.kind !== 'ERROR') tid = port;
      // An ERROR from another port than the transfer's is a stranger's (a second transfer the
      // server started for a repeated request): not this transfer's end, and never answered.
      if (p.kind === 'ERROR' && tid !== undefined && d.port !== tid) {
        strangers++;
        return;
      }
      if (p.kind === 'ERROR') return end({ finished: false, error: { code: p.code, message: p.message, port: d.port } });
      if (d.port !== tid) {
        strangers++;
        s.send(error(5, 'Unknown transfer ID'), d.port);
        return;
      }
      if (watching || holding) return;
      const next = onPacket(p, d, send, pend);
      if (next === 'done') return end({ finished: true });
      if (next === 'vanish') {
        // Gone without a word: nothing more is sent; what the server does next is only watched.
        watching = true;
        disarm();
        watchTimer = setTimeout(() => end({ finished: false, failure: 'the grader stopped answering on purpose' }), o.watchMs ?? 3000);
        return;
      }
      if (typeof next === 'object' && 'hold' in next) {
        holding = true;
        disarm();
        void next.hold.then(() => {
          holding = false;
        });
        return;
      }
      if (typeof next === 'object') return end({ finished: false, failure: next.failure });
    });
    t.signal.addEventListener('abort', aborted);
    s.send(first, port);
    arm();
  });
}

/** Read `filename` from the server listening on `port`. */
export async function tftpRead(t: TestContext, port: number, filename: string, o: TransferOptions = {}): Promise<TransferResult> {
  const s = await open(t, o);
  const chunks: Buffer[] = [];
  const counts = new Map<number, number>();
  let blksize = BLOCK;
  let expected = 1;
  let blocks = 0;
  let oack: Record<string, string> | undefined;
  let strangerReplies: Parsed[] | undefined;
  // RFC 7440: with a window of W, the grader acknowledges every W-th block in order (and the last);
  // a block after a gap gets the ACK of the last block in order at once, a silence of a timeout too.
  let window = 1;
  const windowRuns: number[] = [];
  let run = 0;
  let gapAcked = false;
  const endRun = () => {
    windowRuns.push(run);
    run = 0;
  };
  const r = await drive(t, s, port, request('RRQ', filename, o.mode ?? 'octet', o.options ?? {}), o, (p, _d, send, pend) => {
    if (p.kind === 'OACK' && expected === 1) {
      // The OACK again: our ACK 0 was lost (or is late); acknowledge it again, as a repeated DATA.
      if (!oack) {
        oack = p.options;
        if (p.options.blksize) blksize = Number(p.options.blksize);
        window = grantedWindow(o, p.options);
      }
      send(ack(0));
      return 'more';
    }
    if (window > 1) return windowed(p, send, pend);
    if (p.kind !== 'DATA') return { failure: `expected DATA ${expected}, got ${p.kind === 'invalid' ? `a datagram that is not TFTP (${p.reason})` : p.kind}` };
    counts.set(p.block, (counts.get(p.block) ?? 0) + 1);
    if (p.block === (expected & 0xffff)) {
      if (p.data.length > blksize) return { failure: `DATA ${p.block} carries ${p.data.length} bytes, more than the block size ${blksize}` };
      chunks.push(Buffer.from(p.data));
      blocks++;
      if (o.vanishAfterBlocks !== undefined && blocks >= o.vanishAfterBlocks) return 'vanish';
      if (o.stranger && blocks === o.stranger.afterBlocks && _d.port !== port) {
        // The stranger speaks while the transfer is surely alive: the grader holds its ACK until the
        // stranger has its answer (or has waited long enough for one), then the transfer goes on.
        const replies: Parsed[] = (strangerReplies = []);
        const block = p.block;
        expected++;
        return {
          hold: strangerSays(t, _d.port, ack(block), replies).then(() => send(ack(block))),
        };
      }
      expected++;
      if (p.data.length < blksize) {
        send(ack(p.block));
        return 'done';
      }
      if (o.ackDelayMs) {
        const block = p.block;
        return { hold: new Promise<void>((r) => setTimeout(r, o.ackDelayMs)).then(() => send(ack(block))) };
      }
      send(ack(p.block));
      return 'more';
    }
    // A block already acknowledged (our ACK was lost): acknowledge it again (RFC 1350).
    if (p.block === ((expected - 1) & 0xffff)) {
      send(ack(p.block));
      return 'more';
    }
    // An older copy, delayed in the network past the blocks after it: nothing to do.
    const behind = ((expected - 1 - p.block) & 0xffff);
    if (behind > 0 && behind < 0x8000 && expected - 1 - behind >= 1) return 'more';
    return { failure: `DATA ${p.block} arrived while DATA ${expected & 0xffff} was due` };
  }, () => {
    if (window <= 1) return;
    const short = run;
    endRun();
    if (o.stopOnShortWindow && expected > 1 && short < window)
      return `after ${short} of a window of ${window} blocks your server sent nothing more for ${o.timeoutMs ?? TIMEOUT_MS} ms (waiting for an ACK after every block is lock-step)`;
  });
  // Windowed reads: the probes above (vanishAfterBlocks, stranger, ackDelayMs) are lock-step's only.
  function windowed(p: Parsed, send: (b: Buffer) => void, pend: (b: Buffer) => void): 'more' | 'done' | { failure: string } {
    if (p.kind !== 'DATA') return { failure: `expected DATA ${expected & 0xffff}, got ${p.kind === 'invalid' ? `a datagram that is not TFTP (${p.reason})` : p.kind}` };
    counts.set(p.block, (counts.get(p.block) ?? 0) + 1);
    if (p.block === (expected & 0xffff)) {
      if (p.data.length > blksize) return { failure: `DATA ${p.block} carries ${p.data.length} bytes, more than the block size ${blksize}` };
      chunks.push(Buffer.from(p.data));
      blocks++;
      expected++;
      run++;
      gapAcked = false;
      if (p.data.length < blksize || run >= window) {
        endRun();
        send(ack(p.block));
        return p.data.length < blksize ? 'done' : 'more';
      }
      // The window goes on: no ACK yet, but the timer starts again (and would acknowledge this block).
      pend(ack(p.block));
      return 'more';
    }
    // A block ahead of the one due (one before it was lost): tell the sender where to start again, once.
    const ahead = (p.block - expected) & 0xffff;
    if (ahead > 0 && ahead < 0x8000 && !gapAcked) {
      gapAcked = true;
      endRun();
      send(ack((expected - 1) & 0xffff));
    }
    // Anything else (an old copy, a window sent again): already here; the timer answers a lost ACK.
    return 'more';
  }
  return {
    ...r,
    ok: r.finished && !r.error,
    data: Buffer.concat(chunks),
    counts,
    requestPort: port,
    ...(oack ? { oack } : {}),
    ...(window > 1 ? { windowsize: window, windowRuns } : {}),
    ...(strangerReplies ? { strangerReplies } : {}),
    socket: s,
  };
}

/**
 * One datagram from a fresh socket of the grader's to `port`, and the first answer to it (from any
 * port), or undefined when none came within `waitMs`. For what a transfer cannot send: malformed
 * requests, stray DATA on the listening port.
 */
export async function tftpExchange(t: TestContext, port: number, packet: Buffer, o: { waitMs?: number; name?: string } = {}): Promise<{ packet: Parsed; port: number; socket: LossyUdpSocket } | { packet?: undefined; socket: LossyUdpSocket }> {
  const s = await open(t, { name: o.name ?? 'grader' });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ socket: s }), o.waitMs ?? 1000);
    const off = s.onMessage((m) => {
      clearTimeout(timer);
      off();
      resolve({ packet: parse(m.data), port: m.port, socket: s });
    });
    s.send(packet, port);
  });
}

/** A stranger's socket sends `packet` to `port` and waits for its first answer (at most 300 ms: a server answers at once); later answers are kept too. */
async function strangerSays(t: TestContext, port: number, packet: Buffer, replies: Parsed[]): Promise<void> {
  const stranger = await open(t, { name: 'stranger' });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 300);
    stranger.onMessage((m) => {
      replies.push(parse(m.data));
      clearTimeout(timer);
      resolve();
    });
    stranger.send(packet, port);
  });
}

/** Write `bytes` as `filename` to the server listening on `port`. */
export async function tftpWrite(t: TestContext, port: number, filename: string, bytes: Buffer, o: TransferOptions = {}): Promise<TransferResult> {
  const counts = new Map<number, number>();
  let blksize = BLOCK;
  let sent = 0; // the last DATA block sent (0: none yet); windowed, the highest sent
  let oack: Record<string, string> | undefined;
  // RFC 7440: with a window of W, blocks base … base+W-1 go at once; an ACK of k among them moves
  // the window to k+1 (what was sent after k goes again), a timeout sends the window again.
  let window = 1;
  let base = 1;
  const sendWindow = (send: (b: Buffer[]) => void) => {
    const end = Math.min(base + window - 1, total());
    const packets: Buffer[] = [];
    for (let n = base; n <= end; n++) packets.push(dataPacket(n, payload(n)));
    sent = Math.max(sent, end);
    send(packets);
  };
  const payload = (n: number) => bytes.subarray((n - 1) * blksize, n * blksize);
  const total = () => Math.floor(bytes.length / blksize) + 1;
  // The final ACK is never lost: RFC 1350 lets a server end the transfer on sending it (dallying
  // to answer a re-sent last block is only encouraged), so losing it would fail a correct server.
  const s = await open(t, o, (d, direction) => {
    if (direction !== 'in' || sent !== total()) return false;
    const p = parse(d);
    return p.kind === 'ACK' && p.block === (sent & 0xffff);
  });
  const r = await drive(t, s, port, request('WRQ', filename, o.mode ?? 'octet', o.options ?? {}), o, (p, _d, send) => {
    // The OACK again: DATA 1 was lost (or is late); our own timer sends it again.
    if (p.kind === 'OACK' && oack && sent === 1) return 'more';
    if (p.kind === 'OACK' && sent === 0 && !oack) {
      oack = p.options;
      if (p.options.blksize) blksize = Number(p.options.blksize);
      window = grantedWindow(o, p.options);
      if (window > 1) {
        sendWindow(send);
        return 'more';
      }
      sent = 1;
      send(dataPacket(1, payload(1)));
      return 'more';
    }
    if (p.kind !== 'ACK') return { failure: `expected ACK ${sent & 0xffff}, got ${p.kind === 'invalid' ? `a datagram that is not TFTP (${p.reason})` : p.kind}` };
    counts.set(p.block, (counts.get(p.block) ?? 0) + 1);
    if (window > 1) {
      // The ACK's block as a full number, counted from the last one acknowledged (numbers wrap).
      const k = base - 1 + ((p.block - (base - 1)) & 0xffff);
      // Acknowledged already, or not sent yet: nothing to do (no Sorcerer's Apprentice).
      if (k < base || k > sent) return 'more';
      if (k === total()) return 'done';
      base = k + 1;
      sendWindow(send);
      return 'more';
    }
    // A duplicate ACK is ignored: only a timeout sends DATA again (no Sorcerer's Apprentice).
    if (p.block !== (sent & 0xffff)) return 'more';
    if (sent === total()) return 'done';
    sent++;
    send(dataPacket(sent, payload(sent)));
    return 'more';
  });
  return { ...r, ok: r.finished && !r.error, data: bytes, counts, requestPort: port, ...(oack ? { oack } : {}), ...(window > 1 ? { windowsize: window } : {}), socket: s };
}

/** An ERROR as a sentence: "error 1 (file not found): “no such file”". */
export function errorWords(e: { code: number; message: string }): string {
  const m = e.message.length > 100 ? `${e.message.slice(0, 100)}…` : e.message;
  return `error ${e.code} (${ERROR_NAMES[e.code] ?? 'an unknown code'})${m ? `: "${m}"` : ''}`;
}
