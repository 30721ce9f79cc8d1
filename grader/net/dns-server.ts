// A DNS server whose every answer a test scripts: answer, delay, drop, answer from another port,
// answer with the wrong ID first, truncate (TC) and serve the full answer over TCP on the same
// port, or send broken bytes. Every datagram in and out goes into the transcript with its time.
import dgram from 'node:dgram';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import dnsPacket from 'dns-packet';
import { findWireProblem } from './dns-wire.js';
import type { Transcript } from './transcript.js';

/** The forged source of `fromOtherAddress` replies: loopback, but not the server's address. */
const OTHER_ADDRESS = '127.0.0.2';

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

function rdataText(a: dnsPacket.Answer): string {
  const d = (a as { data?: unknown }).data;
  if (Buffer.isBuffer(d)) return `\\# ${d.length} ${d.toString('hex')}`;
  if (Array.isArray(d)) return d.map((x) => JSON.stringify(Buffer.isBuffer(x) ? x.toString('latin1') : String(x))).join(' ');
  if (d && typeof d === 'object' && 'exchange' in d) {
    const mx = d as unknown as { preference: number; exchange: string };
    return `${mx.preference} ${mx.exchange}.`;
  }
  return typeof d === 'string' && /[a-z]/i.test(d) && a.type !== 'AAAA' ? `${d}.` : String(d);
}

/**
 * A DNS message in one line, like dig's sections: header, question, answers; or where and why
 * it cannot be decoded. Used in transcripts and test logs.
 */
export function describeDnsMessage(raw: Buffer): { text: string; markAt?: number } {
  const problem = findWireProblem(raw);
  if (problem) return { text: `malformed: ${problem.reason} (byte ${problem.offset})`, markAt: problem.offset };
  let p: dnsPacket.DecodedPacket;
  try {
    p = dnsPacket.decode(raw);
  } catch (e) {
    return { text: `malformed: ${(e as Error).message}` };
  }
  // dns-packet reports QR as `type` and leaves it out of `flags`.
  const flags = p.flags ?? 0;
  const isResponse = p.type === 'response';
  const bits = [isResponse ? 'qr' : '', flags & dnsPacket.TRUNCATED_RESPONSE ? 'tc' : '', flags & dnsPacket.RECURSION_DESIRED ? 'rd' : ''].filter(Boolean).join(' ');
  const opcode = (flags >> 11) & 0xf;
  const head = `${isResponse ? 'response' : 'query'} id=0x${(p.id ?? 0).toString(16).padStart(4, '0')} ${bits || 'no flags'}${opcode ? ` opcode=${opcode}` : ''}${isResponse ? ` ${RCODE_NAMES[flags & 0xf] ?? `rcode=${flags & 0xf}`}` : ''}`;
  const q = (p.questions ?? []).map((x) => `${x.name}. ${x.type} ${x.class ?? 'IN'}`).join(', ');
  const an = (p.answers ?? []).map((a) => `${a.name}. ${'ttl' in a ? a.ttl : ''} ${a.type} ${rdataText(a)}`).join('; ');
  return { text: `${head} | question: ${q || '(none)'}${an ? ` | answers: ${an}` : ''}` };
}

export interface DnsQuery {
  transport: 'udp' | 'tcp';
  raw: Buffer;
  /** Decoded, when the bytes are a DNS message at all. */
  packet?: dnsPacket.DecodedPacket;
  parseError?: string;
  from: { address: string; port: number };
  /** 1 for the first query this server saw (over either transport), 2 for the next, ... */
  n: number;
  /** Milliseconds since the server started. */
  atMs: number;
}

export interface DnsReply {
  bytes: Buffer;
  delayMs?: number;
  /** Send from a second socket on another port (a spoofed or misdirected answer). */
  fromOtherPort?: boolean;
  /**
   * Send from another loopback address, 127.0.0.2, with the server's own port number (a forged
   * source address). Where 127.0.0.2 cannot be bound (macOS has only 127.0.0.1), the reply is
   * not sent; `otherAddressAvailable()` says beforehand.
   */
  fromOtherAddress?: boolean;
  /** Send to where this earlier query came from (UDP), not to the current one's sender. */
  to?: DnsQuery;
  /**
   * TCP: write the framed reply (length prefix and message) in pieces, cut at these byte
   * offsets, `pieceGapMs` apart, so a client that takes one read for the whole reply sees a part.
   */
  pieces?: number[];
  pieceGapMs?: number;
}

/** What to send back for a query: nothing (drop), one reply, or several in order. */
export type DnsHandler = (q: DnsQuery) => DnsReply | DnsReply[] | undefined;

export interface DnsServerOptions {
  transcript: Transcript;
  udp: DnsHandler;
  /** Queries over TCP (two-byte length prefix); without a handler TCP connections are refused. */
  tcp?: DnsHandler;
}

const MAX_QUERIES = 10_000;

export class ScriptedDnsServer {
  readonly queries: DnsQuery[] = [];
  /** performance.now() when the server started; query times are relative to it. */
  readonly startedAt = performance.now();
  private waiters: Array<() => void> = [];
  private closed = false;
  /** MAX_QUERIES arrived: later ones are dropped. */
  private flooded = false;

  private constructor(
    private readonly opts: DnsServerOptions,
    private readonly udp: dgram.Socket,
    private readonly other: dgram.Socket,
    private readonly tcp: net.Server | undefined,
    readonly port: number,
  ) {
    udp.on('message', (raw, rinfo) =>
      void this.onQuery('udp', raw, { address: rinfo.address, port: rinfo.port }, (b, to) => udp.send(b, to?.port ?? rinfo.port, to?.address ?? rinfo.address), (b, to) => other.send(b, to?.port ?? rinfo.port, to?.address ?? rinfo.address)),
    );
    tcp?.on('connection', (sock) => this.onTcp(sock));
  }

  /** Bind UDP and (if scripted) TCP on the same free port of 127.0.0.1. */
  static async start(opts: DnsServerOptions): Promise<ScriptedDnsServer> {
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => udp.once('error', reject).bind(0, '127.0.0.1', () => resolve()));
      const port = udp.address().port;
      const other = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', () => resolve()));
      if (!opts.tcp) return new ScriptedDnsServer(opts, udp, other, undefined, port);
      const tcp = net.createServer();
      const ok = await new Promise<boolean>((resolve) => {
        tcp.once('error', () => resolve(false));
        tcp.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (ok) return new ScriptedDnsServer(opts, udp, other, tcp, port);
      // The UDP port's TCP twin was taken: try another pair.
      udp.close();
      other.close();
      if (attempt > 20) throw new Error('could not find a port free for both UDP and TCP');
    }
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Wait until `n` queries have arrived, or `timeoutMs` passed; true if they did. */
  async waitForQueries(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.queries.length < n) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  private otherAddress?: Promise<dgram.Socket | undefined>;

  /** A socket on 127.0.0.2 with the server's port, once; undefined where it cannot be bound. */
  otherAddressSocket(): Promise<dgram.Socket | undefined> {
    this.otherAddress ??= new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(undefined);
      });
      s.bind(this.port, OTHER_ADDRESS, () => resolve(s));
    });
    return this.otherAddress;
  }

  /** Whether replies `fromOtherAddress` can be sent here. */
  async otherAddressAvailable(): Promise<boolean> {
    return (await this.otherAddressSocket()) !== undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.udp.close();
    this.other.close();
    void this.otherAddress?.then((s) => s?.close());
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
  }

  private async onQuery(
    transport: 'udp' | 'tcp',
    raw: Buffer,
    from: DnsQuery['from'],
    send: (b: Buffer, to?: DnsQuery['from'], r?: DnsReply) => void,
    sendOther?: (b: Buffer, to?: DnsQuery['from']) => void,
  ): Promise<void> {
    // A client that floods the server: past this many queries they are counted, not kept (the
    // grader's memory is not the program's to spend); no test needs a tenth of them.
    if (this.queries.length >= MAX_QUERIES) {
      if (!this.flooded) this.opts.transcript.note(`more than ${MAX_QUERIES.toLocaleString('en-US')} queries: the rest were not answered or recorded`);
      this.flooded = true;
      return;
    }
    const q: DnsQuery = { transport, raw, from, n: this.queries.length + 1, atMs: Math.round(performance.now() - this.startedAt) };
    try {
      q.packet = dnsPacket.decode(raw);
    } catch (e) {
      q.parseError = (e as Error).message;
    }
    this.queries.push(q);
    this.record(transport, 'recv', raw);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
    const handler = transport === 'udp' ? this.opts.udp : this.opts.tcp;
    const replies = handler?.(q);
    for (const r of replies === undefined ? [] : Array.isArray(replies) ? replies : [replies]) {
      if (r.delayMs) await delay(r.delayMs, undefined, { ref: false });
      if (this.closed) return;
      if (r.fromOtherAddress) {
        const s = await this.otherAddressSocket();
        if (!s || this.closed) continue;
        this.record(`${transport} (from ${OTHER_ADDRESS})`, 'send', r.bytes);
        s.send(r.bytes, r.to?.from.port ?? from.port, r.to?.from.address ?? from.address);
        continue;
      }
      this.record(r.fromOtherPort ? `${transport} (other port)` : transport, 'send', r.bytes);
      if (r.fromOtherPort && sendOther) sendOther(r.bytes, r.to?.from);
      else send(r.bytes, r.to?.from, r);
    }
  }

  private record(conn: string, kind: 'send' | 'recv', bytes: Buffer): void {
    const d = describeDnsMessage(bytes);
    this.opts.transcript.message(conn, kind, bytes, { binary: true, decoded: d.text, ...(d.markAt !== undefined ? { markAt: d.markAt } : {}) });
  }

  private async writePieces(sock: net.Socket, framed: Buffer, cuts: number[], gapMs: number): Promise<void> {
    sock.setNoDelay(true);
    const bounds = [0, ...cuts.filter((c) => c > 0 && c < framed.length).sort((x, y) => x - y), framed.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      if (i > 0) await delay(gapMs, undefined, { ref: false });
      if (this.closed || sock.destroyed) return;
      sock.write(framed.subarray(bounds[i], bounds[i + 1]));
    }
  }

  private onTcp(sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.onQuery('tcp', msg, { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 }, (b, _to, r) => {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(b.length);
          const framed = Buffer.concat([len, b]);
          if (!r?.pieces?.length) return void sock.write(framed);
          void this.writePieces(sock, framed, r.pieces, r.pieceGapMs ?? 40);
        });
      }
    });
  }
}

export interface RecordSpec {
  type: 'A' | 'AAAA' | 'CNAME' | 'NS' | 'MX' | 'TXT';
  name: string;
  ttl?: number;
  data: unknown;
}

/** An ordinary response to `q` (same ID and question unless overridden), encoded by dns-packet. */
export function respond(
  q: DnsQuery,
  answers: RecordSpec[],
  opts: { rcode?: 'NOERROR' | 'SERVFAIL' | 'NXDOMAIN' | 'REFUSED'; tc?: boolean; id?: number; question?: dnsPacket.Question; qr?: boolean } = {},
): Buffer {
  const rcodes = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
  const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (opts.tc ? dnsPacket.TRUNCATED_RESPONSE : 0) | rcodes[opts.rcode ?? 'NOERROR'];
  const question = opts.question ?? q.packet?.questions?.[0];
  return dnsPacket.encode({
    type: opts.qr === false ? 'query' : 'response',
    id: opts.id ?? q.packet?.id ?? 0,
    flags,
    questions: question ? [question] : [],
    answers: answers.map((a) => ({ ttl: 60, ...a }) as dnsPacket.Answer),
  });
}

/** What is wrong with a query, as sentences (empty when it is a well-formed standard query for name/type). */
export function checkQuery(q: DnsQuery, expect: { name: string; type: string }): string[] {
  if (!q.packet) return [`the query is not a DNS message (${q.parseError ?? 'unparseable'})`];
  const p = q.packet;
  const problems: string[] = [];
  const flags = p.flags ?? 0;
  if (p.type === 'response') problems.push('QR is 1 (a response), not 0 (a query)');
  if ((flags >> 11) & 0xf) problems.push(`OPCODE is ${(flags >> 11) & 0xf}, not 0 (a standard query)`);
  if (!(flags & dnsPacket.RECURSION_DESIRED)) problems.push('RD (recursion desired) is 0, not 1');
  const qs = p.questions ?? [];
  if (qs.length !== 1) problems.push(`QDCOUNT is ${qs.length}, not 1`);
  const raw = q.raw;
  if (raw.length >= 12) {
    const f = raw.readUInt16BE(2);
    const extra = [
      [0x0400, 'AA'],
      [0x0200, 'TC'],
      [0x0080, 'RA'],
      [0x0070, 'Z'],
      [0x000f, 'RCODE'],
    ].filter(([mask]) => f & (mask as number)).map(([, n]) => n);
    if (extra.length) problems.push(`the flags are 0x${f.toString(16).padStart(4, '0')}: ${extra.join(', ')} must be 0 in a query (flags 0x0100)`);
    const counts = [['ANCOUNT', raw.readUInt16BE(6)], ['NSCOUNT', raw.readUInt16BE(8)], ['ARCOUNT', raw.readUInt16BE(10)]].filter(([, n]) => n !== 0);
    if (counts.length) problems.push(`${counts.map(([c, n]) => `${c} is ${n}`).join(', ')}, not 0`);
    // Where the question ends: its labels, the zero byte, type and class.
    let at = 12;
    while (at < raw.length && raw[at] !== 0 && raw[at] < 0x40) at += 1 + raw[at];
    const end = at + 1 + 4;
    if (qs.length === 1 && counts.length === 0 && raw.length > end) problems.push(`${raw.length - end} byte(s) follow the question; nothing may`);
  }
  const q0 = qs[0];
  if (q0) {
    if (q0.name.toLowerCase().replace(/\.$/, '') !== expect.name.toLowerCase().replace(/\.$/, '')) problems.push(`the question asks for "${q0.name}", not "${expect.name}"`);
    if (q0.type !== expect.type) problems.push(`the question's type is ${q0.type}, not ${expect.type}`);
    if ((q0.class ?? 'IN') !== 'IN') problems.push(`the question's class is ${q0.class}, not IN`);
  }
  return problems;
}
