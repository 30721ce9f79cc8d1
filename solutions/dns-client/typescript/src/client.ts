// dns-client reference solution: ask one DNS question over UDP and print the answer.
//
// Run:  node dist/client.js --server 127.0.0.1:5353 --timeout-ms 1000 --retries 2 [--type MX] example.com
//       (build first: npx tsc -p .)
//
// Design in one paragraph: the query is encoded by hand (RFC 1035: a 12-byte header, then the
// question as length-prefixed labels). One UDP socket sends it and stays open for the whole run,
// so an answer to any earlier attempt is still received. Each attempt is one setTimeout of T ms,
// started when the query is sent and never restarted: a datagram that is ignored (wrong sender,
// wrong ID, wrong question, not a response, unparseable) does not give the server more time.
// After 1+R attempts without an acceptable response the client gives up. A response with TC=1 is
// asked again over TCP. Names are decoded with compression, following only pointers that go
// strictly backwards, at most MAX_POINTERS of them, so a hostile packet can neither loop nor
// crash us.
//
// Only node: modules.

import crypto from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 };
const TYPE_NAMES = new Map(Object.entries(TYPES).map(([name, code]) => [code, name]));
const CLASS_IN = 1;

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** Bytes in one label. */
const MAX_LABEL = 63;
/** Bytes of a whole name in wire format, the root byte included. */
const MAX_NAME = 255;
/**
 * A name has at most 127 labels, so no honest name needs more pointers than that. (Pointers
 * that go strictly backwards cannot loop anyway; this is belt and braces.)
 */
const MAX_POINTERS = 127;

/** Exit codes of the contract. */
const EXIT = { ok: 0, usage: 1, noAnswer: 2, nxdomain: 3, otherRcode: 4 } as const;

const USAGE = 'usage: node dist/client.js --server HOST:PORT --timeout-ms T --retries R [--type A|AAAA|CNAME|NS|MX|TXT] NAME';

class UsageError extends Error {}

/** The bytes are not a DNS message we can decode (or not one we asked for). */
class Malformed extends Error {}

/** Diagnostics go to stderr: stdout carries only the answer records. */
function note(message: string): void {
  process.stderr.write(`dns-client: ${message}\n`);
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

interface Args {
  host: string;
  port: number;
  family: 4 | 6;
  timeoutMs: number;
  retries: number;
  qtype: number;
  labels: Buffer[];
}

/** "www.Example.com." -> [www, Example, com] as bytes. The root is "." -> []. */
function parseName(text: string): Buffer[] {
  if (text === '') throw new UsageError("the name is empty (the root is written '.')");
  if (text === '.') return [];
  const raw = Buffer.from(text.endsWith('.') ? text.slice(0, -1) : text, 'utf8'); // a trailing dot means the same name
  const labels: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i < raw.length && raw[i] !== 0x2e) continue;
    labels.push(raw.subarray(start, i));
    start = i + 1;
  }
  for (const label of labels) {
    if (label.length === 0) throw new UsageError(`empty label in "${text}"`);
    if (label.length > MAX_LABEL) throw new UsageError(`label of ${label.length} bytes in "${text}": at most ${MAX_LABEL}`);
  }
  const wire = labels.reduce((n, label) => n + 1 + label.length, 1);
  if (wire > MAX_NAME) throw new UsageError(`"${text}" takes ${wire} bytes in a DNS message: at most ${MAX_NAME}`);
  return labels;
}

/** IP:PORT, [IPv6]:PORT, or an IP alone (port 53). An address, not a host name: looking up a name would need DNS. */
function parseServer(text: string): { host: string; port: number; family: 4 | 6 } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?|([0-9.]+)(?::([0-9]{1,5}))?|([0-9A-Fa-f:.]+))$/.exec(text);
  if (!m) throw new UsageError(`--server "${text}": expected IP:PORT, e.g. 127.0.0.1:5353`);
  const host = m[1] ?? m[3] ?? m[5];
  const port = Number(m[2] ?? m[4] ?? '53');
  if (port < 1 || port > 65535) throw new UsageError(`--server "${text}": the port must be 1 to 65535`);
  const family = net.isIP(host);
  if (family !== 4 && family !== 6) throw new UsageError(`--server "${text}": "${host}" is not an IP address`);
  return { host, port, family };
}

function parseInteger(option: string, text: string, minimum: number): number {
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < minimum) throw new UsageError(`${option} "${text}": expected a whole number >= ${minimum}`);
  return Number(text);
}

function parseArgs(argv: string[]): Args {
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(EXIT.ok);
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('='); // --type MX and --type=MX
      const key = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (!['server', 'timeout-ms', 'retries', 'type'].includes(key)) throw new UsageError(`unknown option ${arg}`);
      let value: string;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (++i < argv.length) value = argv[i];
      else throw new UsageError(`${arg} needs a value`);
      values.set(key, value);
    } else if (arg.startsWith('-') && arg.length > 1) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }

  if (positional.length !== 1) throw new UsageError(positional.length ? 'expected exactly one NAME' : 'no NAME to look up');
  const serverText = values.get('server');
  if (serverText === undefined) throw new UsageError('--server HOST:PORT is required');
  const typeText = (values.get('type') ?? 'A').toUpperCase();
  let qtype: number;
  if (TYPES[typeText] !== undefined) qtype = TYPES[typeText];
  else if (/^TYPE[0-9]{1,5}$/.test(typeText) && Number(typeText.slice(4)) <= 65535) qtype = Number(typeText.slice(4)); // RFC 3597 spelling
  else throw new UsageError(`--type "${values.get('type')}": expected one of ${Object.keys(TYPES).join(', ')}`);

  const labels = parseName(positional[0]);
  const server = parseServer(serverText);
  return {
    ...server,
    timeoutMs: parseInteger('--timeout-ms', values.get('timeout-ms') ?? '1000', 1),
    retries: parseInteger('--retries', values.get('retries') ?? '2', 0),
    qtype,
    labels,
  };
}

// ---------------------------------------------------------------------------
// Encoding the query
// ---------------------------------------------------------------------------

/** Each label as one length byte and the bytes; a zero byte (the root) ends the name. */
function encodeName(labels: Buffer[]): Buffer {
  return Buffer.concat([...labels.flatMap((label) => [Buffer.from([label.length]), label]), Buffer.from([0])]);
}

function encodeQuery(id: number, labels: Buffer[], qtype: number): Buffer {
  // Header: ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT (six 16-bit big-endian fields).
  // Flags 0x0100: QR=0 (query), OPCODE=0 (standard query), RD=1 (recursion desired).
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName(labels), tail]);
}

// ---------------------------------------------------------------------------
// Decoding responses
// ---------------------------------------------------------------------------

/**
 * Decode the (possibly compressed) name at `offset`. Returns its labels and the offset just
 * after the name *where it started*: a pointer ends the name in place, whatever it points to.
 *
 * Every pointer must point strictly before the start of the stretch of labels being read (the
 * name's start, or the previous pointer's target). Positions then only ever decrease, so
 * decoding always ends; a pointer to itself, to something after it, or into a loop is
 * rejected, and so is a name over 255 bytes.
 */
function readName(msg: Buffer, offset: number): { labels: Buffer[]; end: number } {
  const labels: Buffer[] = [];
  let length = 1; // the root byte
  let end = -1; // where the name ends in place: set at the first pointer or at the root
  let pos = offset;
  let floor = offset; // pointers must point below this
  let pointers = 0;
  for (;;) {
    if (pos >= msg.length) throw new Malformed(`a name at offset ${offset} runs past the end of the message`);
    const n = msg[pos];
    if ((n & 0xc0) === 0xc0) {
      // A pointer: 11 and a 14-bit offset.
      if (pos + 1 >= msg.length) throw new Malformed(`a compression pointer at offset ${pos} is cut off`);
      const target = ((n & 0x3f) << 8) | msg[pos + 1];
      if (end < 0) end = pos + 2;
      if (target >= floor) throw new Malformed(`the compression pointer at offset ${pos} points to ${target}, not strictly backwards`);
      if (++pointers > MAX_POINTERS) throw new Malformed(`more than ${MAX_POINTERS} compression pointers in one name`);
      pos = floor = target;
    } else if (n & 0xc0) {
      // 01 and 10: label types nobody uses.
      throw new Malformed(`unknown label type 0x${n.toString(16)} at offset ${pos}`);
    } else if (n === 0) {
      // The root: the end of the name.
      return { labels, end: end < 0 ? pos + 1 : end };
    } else {
      if (pos + 1 + n > msg.length) throw new Malformed(`a label of ${n} bytes at offset ${pos} runs past the end of the message`);
      length += 1 + n;
      if (length > MAX_NAME) throw new Malformed(`a name at offset ${offset} is longer than ${MAX_NAME} bytes`);
      labels.push(msg.subarray(pos + 1, pos + 1 + n));
      pos += 1 + n;
    }
  }
}

interface DnsRecord {
  owner: Buffer[];
  type: number;
  class: number;
  ttl: number;
  /** Already in presentation form. */
  rdata: Buffer;
}

interface Response {
  id: number;
  flags: number;
  question?: { labels: Buffer[]; type: number; class: number };
  /** Offset of the answer section. */
  answersAt: number;
  answers: DnsRecord[];
}

const isResponse = (r: Response): boolean => (r.flags & 0x8000) !== 0;
const truncated = (r: Response): boolean => (r.flags & 0x0200) !== 0;
const rcode = (r: Response): number => r.flags & 0x000f;

function parseHeaderAndQuestion(msg: Buffer): Response {
  if (msg.length < 12) throw new Malformed(`${msg.length} bytes: shorter than a DNS header (12)`);
  const resp: Response = { id: msg.readUInt16BE(0), flags: msg.readUInt16BE(2), answersAt: 12, answers: [] };
  if (msg.readUInt16BE(4) !== 1) return resp; // no question to compare: not an answer to ours
  const { labels, end } = readName(msg, 12);
  if (end + 4 > msg.length) throw new Malformed('the question is cut off');
  resp.question = { labels, type: msg.readUInt16BE(end), class: msg.readUInt16BE(end + 2) };
  resp.answersAt = end + 4;
  return resp;
}

/** Decode the ANSWER section (the other sections are not needed). */
function parseAnswers(msg: Buffer, resp: Response): void {
  const ancount = msg.readUInt16BE(6);
  let offset = resp.answersAt;
  for (let i = 0; i < ancount; i++) {
    const { labels, end } = readName(msg, offset);
    offset = end;
    if (offset + 10 > msg.length) throw new Malformed('a resource record is cut off');
    const type = msg.readUInt16BE(offset);
    const klass = msg.readUInt16BE(offset + 2);
    const ttl = msg.readUInt32BE(offset + 4);
    const rdlength = msg.readUInt16BE(offset + 8);
    offset += 10;
    if (offset + rdlength > msg.length) throw new Malformed(`RDLENGTH ${rdlength} runs past the end of the message`);
    resp.answers.push({ owner: labels, type, class: klass, ttl, rdata: formatRdata(msg, offset, rdlength, type) });
    offset += rdlength;
  }
}

// ---------------------------------------------------------------------------
// Presentation: names and rdata as text (Buffers, because TXT bytes are printed as they are)
// ---------------------------------------------------------------------------

/**
 * Absolute, with the trailing dot; the root is ".". Like dig, a dot or a backslash inside a
 * label is escaped with a backslash, and bytes that are not printable ASCII are written \DDD
 * (decimal), so the text always means exactly one name.
 */
function formatName(labels: Buffer[]): Buffer {
  if (labels.length === 0) return Buffer.from('.');
  let out = '';
  for (const label of labels) {
    for (const byte of label) {
      if (byte === 0x2e || byte === 0x5c) out += '\\' + String.fromCharCode(byte);
      else if (byte >= 0x21 && byte <= 0x7e) out += String.fromCharCode(byte);
      else out += '\\' + String(byte).padStart(3, '0');
    }
    out += '.';
  }
  return Buffer.from(out, 'latin1');
}

/**
 * RFC 5952: lower-case hex without leading zeros; the longest run of two or more zero groups
 * becomes "::" (the first one on a tie); a lone zero group stays "0".
 */
function formatIPv6(raw: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => raw.readUInt16BE(2 * i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      // strictly longer: the first run wins a tie
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

function readRdataName(msg: Buffer, offset: number, rdlength: number): Buffer {
  // Names in RDATA may be compressed too: decode them from the whole message.
  const { labels, end } = readName(msg, offset);
  if (end !== offset + rdlength) throw new Malformed('a name in RDATA does not fill RDLENGTH exactly');
  return formatName(labels);
}

function formatRdata(msg: Buffer, offset: number, rdlength: number, type: number): Buffer {
  const rdata = msg.subarray(offset, offset + rdlength);
  switch (type) {
    case TYPES.A:
      if (rdlength !== 4) throw new Malformed(`an A record with ${rdlength} bytes of RDATA, not 4`);
      return Buffer.from(Array.from(rdata).join('.'));
    case TYPES.AAAA:
      if (rdlength !== 16) throw new Malformed(`an AAAA record with ${rdlength} bytes of RDATA, not 16`);
      return Buffer.from(formatIPv6(rdata));
    case TYPES.CNAME:
    case TYPES.NS:
      return readRdataName(msg, offset, rdlength);
    case TYPES.MX:
      if (rdlength < 3) throw new Malformed('an MX record too short for a preference and a name');
      return Buffer.concat([Buffer.from(`${msg.readUInt16BE(offset)} `), readRdataName(msg, offset + 2, rdlength - 2)]);
    case TYPES.TXT: {
      // One or more <character-string>s: a length byte, then that many bytes.
      const parts: Buffer[] = [];
      for (let pos = 0; pos < rdlength; ) {
        const n = rdata[pos];
        if (pos + 1 + n > rdlength) throw new Malformed('a TXT string runs past RDLENGTH');
        if (parts.length) parts.push(Buffer.from(' '));
        parts.push(Buffer.from('"'));
        for (const byte of rdata.subarray(pos + 1, pos + 1 + n)) {
          parts.push(byte === 0x22 || byte === 0x5c ? Buffer.from([0x5c, byte]) : Buffer.from([byte]));
        }
        parts.push(Buffer.from('"'));
        pos += 1 + n;
      }
      return Buffer.concat(parts);
    }
    default:
      // Any other type: RFC 3597's generic form.
      return Buffer.from(`\\# ${rdlength}` + (rdlength ? ` ${rdata.toString('hex')}` : ''));
  }
}

/** One line of output: owner, TTL, class, type, rdata, separated by one tab each. */
function formatRecord(owner: Buffer, ttl: number, klass: number, type: number, rdata: Buffer): Buffer {
  const typeText = TYPE_NAMES.get(type) ?? `TYPE${type}`;
  const classText = klass === CLASS_IN ? 'IN' : `CLASS${klass}`;
  return Buffer.concat([owner, Buffer.from(`\t${ttl}\t${classText}\t${typeText}\t`), rdata, Buffer.from('\n')]);
}

// ---------------------------------------------------------------------------
// Which responses to believe
// ---------------------------------------------------------------------------

/** bytes.lower(): only A-Z change. */
function lower(label: Buffer): Buffer {
  return Buffer.from(label.map((b) => (b >= 0x41 && b <= 0x5a ? b + 0x20 : b)));
}

function sameName(a: Buffer[], b: Buffer[]): boolean {
  return a.length === b.length && a.every((label, i) => lower(label).equals(lower(b[i])));
}

/** Return the response if it answers our question; throw Malformed (with the reason) if it must be ignored. */
function checkResponse(msg: Buffer, ids: Set<number>, args: Args): Response {
  const resp = parseHeaderAndQuestion(msg);
  if (!isResponse(resp)) throw new Malformed('QR=0: a query, not a response');
  if (!ids.has(resp.id)) throw new Malformed(`ID ${resp.id} is not the ID of a query we sent`);
  const q = resp.question;
  if (!q) throw new Malformed('it does not repeat our question (QDCOUNT is not 1)');
  if (!sameName(q.labels, args.labels) || q.type !== args.qtype || q.class !== CLASS_IN)
    throw new Malformed(`it answers another question (${formatName(q.labels).toString('latin1')} type ${q.type} class ${q.class})`);
  // A truncated response may hold a partial answer section: only decode a full one.
  if (!truncated(resp)) parseAnswers(msg, resp);
  return resp;
}

// ---------------------------------------------------------------------------
// UDP with retransmission, and TCP when the answer was truncated
// ---------------------------------------------------------------------------

/** crypto, not Math.random: an off-path attacker must not be able to guess the ID. */
function newId(used: Set<number>): number {
  for (;;) {
    const id = crypto.randomInt(0x10000);
    if (!used.has(id)) return id;
  }
}

async function askUdp(args: Args, ids: Set<number>): Promise<Response | null> {
  const sock = dgram.createSocket(args.family === 6 ? 'udp6' : 'udp4');
  // The server's address, parsed: a BlockList compares addresses, not spellings.
  const server = new net.BlockList();
  server.addAddress(args.host, args.family === 6 ? 'ipv6' : 'ipv4');

  let accept!: (r: Response) => void;
  const accepted = new Promise<Response>((resolve) => (accept = resolve));
  let done = false;
  sock.on('message', (msg, rinfo) => {
    if (done) return;
    if (rinfo.port !== args.port || !server.check(rinfo.address, rinfo.family === 'IPv6' ? 'ipv6' : 'ipv4')) {
      note(`ignored a datagram from ${rinfo.address}:${rinfo.port}: not the server's address and port`);
      return;
    }
    try {
      const resp = checkResponse(msg, ids, args);
      done = true;
      accept(resp);
    } catch (err) {
      // Malformed, or a bounds check we forgot (RangeError): either way, not an answer.
      note(`ignored a datagram: ${(err as Error).message}`);
    }
  });
  sock.on('error', (err) => note(`socket error: ${err.message}`));

  try {
    // Not connect()ed: we check the sender of every datagram ourselves.
    await new Promise<void>((resolve) => sock.bind(0, resolve));
    for (let attempt = 0; attempt <= args.retries; attempt++) {
      const id = newId(ids);
      ids.add(id);
      sock.send(encodeQuery(id, args.labels, args.qtype), args.port, args.host, (err) => {
        if (err) note(`attempt ${attempt + 1}: cannot send: ${err.message}`);
      });
      // One timer per attempt, started now and never restarted by ignored datagrams.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), args.timeoutMs)));
      const resp = await Promise.race([accepted, timeout]);
      clearTimeout(timer);
      if (resp) return resp;
      if (attempt < args.retries) note(`no answer within ${args.timeoutMs} ms; sending the query again`);
    }
    return null;
  } finally {
    done = true;
    sock.close();
  }
}

/** One TCP exchange: each message preceded by its length, two bytes big-endian. */
function tcpExchange(args: Args, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: args.host, port: args.port });
    let buf = Buffer.alloc(0);
    const finish = (err: Error | null, msg?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${args.timeoutMs} ms`)), args.timeoutMs);
    sock.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      sock.write(Buffer.concat([length, query]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(null, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error(`the server closed the connection after ${buf.length} bytes`)));
  });
}

/** The same question over TCP. Each attempt has T ms to connect, send and receive; at most 1+R attempts. */
async function askTcp(args: Args, ids: Set<number>): Promise<Response | null> {
  for (let attempt = 0; attempt <= args.retries; attempt++) {
    const id = newId(ids);
    ids.add(id);
    try {
      const msg = await tcpExchange(args, encodeQuery(id, args.labels, args.qtype));
      const resp = checkResponse(msg, new Set([id]), args);
      if (truncated(resp)) parseAnswers(msg, resp);
      return resp;
    } catch (err) {
      note(`TCP attempt ${attempt + 1}: ${(err as Error).message}`);
    }
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    note(err.message);
    process.stderr.write(USAGE + '\n');
    return EXIT.usage;
  }

  const ids = new Set<number>(); // every ID sent in this run: an answer to any of them counts
  let resp = await askUdp(args, ids);
  if (!resp) {
    note(`no acceptable response after ${1 + args.retries} attempts`);
    return EXIT.noAnswer;
  }
  if (truncated(resp)) {
    note('the response is truncated (TC=1): asking again over TCP');
    resp = await askTcp(args, ids);
    if (!resp) {
      note('no acceptable response over TCP');
      return EXIT.noAnswer;
    }
  }

  process.stdout.write(Buffer.concat(resp.answers.map((r) => formatRecord(formatName(r.owner), r.ttl, r.class, r.type, r.rdata))));
  const code = rcode(resp);
  if (code === 0) return EXIT.ok;
  note(`the server answered ${RCODE_NAMES[code] ?? `RCODE ${code}`}`);
  return code === 3 ? EXIT.nxdomain : EXIT.otherRcode;
}

// Set the exit code and let Node exit once stdout is flushed and every socket is closed.
process.exitCode = await main(process.argv.slice(2));
