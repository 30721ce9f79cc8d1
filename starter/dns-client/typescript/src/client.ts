// dns-client starter: ask one DNS question over UDP and print the answer.
//
//   Build:  npx tsc -p .          (run `npm install` once first)
//   Run:    node dist/client.js --server 127.0.0.1:5353 --timeout-ms 1000 --retries 2 --type A example.com
//   Grade:  npx sockgrade grade .
//
// What is here already: the command line (parsed and checked), the UDP socket, one attempt that
// waits for one datagram, the exit codes, and the output format (printRecord). Run as it is, it
// sends a query with no question in it, ignores whatever comes back, and exits with code 2.
//
// What is missing (the TODOs), roughly in the order of the grader's stages:
//   1. encodeQuery(): the header flags, the question.                        (stage 1)
//   2. readName(), parseResponse(), rdataText(): decoding, with compression. (stages 1-3)
//   3. askUdp(): retransmission, with a deadline per attempt.                (stage 4)
//   4. checkResponse(): which datagrams to believe.                          (stage 5)
//   5. parseName(): refuse names DNS cannot carry.                           (stage 6)
//   6. askTcp(): the same question over TCP when TC=1.                       (stage 7)
// Read the handout first. Keep names and data as Buffers.

import crypto from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

const TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 };
const TYPE_NAMES = new Map(Object.entries(TYPES).map(([name, code]) => [code, name]));
const CLASS_IN = 1;

/** Exit codes of the contract. */
const EXIT = { ok: 0, usage: 1, noAnswer: 2, nxdomain: 3, otherRcode: 4 } as const;

const USAGE = 'usage: node dist/client.js --server HOST:PORT --timeout-ms T --retries R [--type A|AAAA|CNAME|NS|MX|TXT] NAME';

class UsageError extends Error {}

/**
 * Throw this for any datagram that must be ignored: bytes that are not a DNS message, or a
 * message that is not the answer to our question.
 */
class Malformed extends Error {}

/** Diagnostics go to stderr: stdout is only for the answer records. */
function note(message: string): void {
  process.stderr.write(`dns-client: ${message}\n`);
}

// ---------------------------------------------------------------------------
// Command line (done)
// ---------------------------------------------------------------------------

interface Args {
  host: string;
  port: number;
  family: 4 | 6;
  timeoutMs: number;
  retries: number;
  qtype: number;
  /** The NAME, e.g. [www, example, com] as Buffers; [] is the root. */
  labels: Buffer[];
}

/** "www.Example.com." -> [www, Example, com]. The root is "." -> []. */
function parseName(text: string): Buffer[] {
  if (text === '') throw new UsageError("the name is empty (the root is written '.')");
  if (text === '.') return [];
  const withoutDot = text.endsWith('.') ? text.slice(0, -1) : text; // a trailing dot means the same name
  const labels = withoutDot.split('.').map((label) => Buffer.from(label, 'utf8'));
  if (labels.some((label) => label.length === 0)) throw new UsageError(`empty label in "${text}"`);
  // TODO (stage 6): a label is at most 63 bytes, and the whole name at most 255 bytes in wire
  //   format (a length byte per label, the label bytes, and the final zero byte). Refuse longer
  //   ones here, with a UsageError: exit code 1, nothing sent.
  return labels;
}

/** IP:PORT, [IPv6]:PORT, or an IP alone (port 53). */
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

/** Options in any order (--type MX or --type=MX); NAME is the one positional argument. */
function parseArgs(argv: string[]): Args {
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
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
  if (TYPES[typeText] === undefined) throw new UsageError(`--type "${values.get('type')}": expected one of ${Object.keys(TYPES).join(', ')}`);
  const labels = parseName(positional[0]);
  return {
    ...parseServer(serverText),
    timeoutMs: parseInteger('--timeout-ms', values.get('timeout-ms') ?? '1000', 1),
    retries: parseInteger('--retries', values.get('retries') ?? '2', 0),
    qtype: TYPES[typeText],
    labels,
  };
}

// ---------------------------------------------------------------------------
// Encoding the query
// ---------------------------------------------------------------------------

/**
 * The whole query message: a 12-byte header, then one question. The header is six 16-bit
 * big-endian numbers: ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT (buf.writeUInt16BE).
 */
function encodeQuery(id: number, labels: Buffer[], qtype: number): Buffer {
  const header = Buffer.alloc(12); // all zeros
  header.writeUInt16BE(id, 0);
  // TODO (stage 1): flags at offset 2: QR=0 (a query), OPCODE=0 (a standard query), RD=1
  //   (recursion desired; RD is bit 8 of the flags, 0x0100). QDCOUNT=1 at offset 4.
  // TODO (stage 1): append the question: the name as labels (one length byte, then the label's
  //   bytes, for each label; then a zero byte for the root), then QTYPE and QCLASS (1 = IN) as
  //   two more 16-bit numbers. Buffer.concat([...]) joins Buffers.
  //   "a.example" is  01 61 07 65 78 61 6d 70 6c 65 00  followed by 00 01 00 01 for A, IN.
  return header;
}

// ---------------------------------------------------------------------------
// Decoding responses
// ---------------------------------------------------------------------------

interface DnsRecord {
  owner: Buffer[];
  type: number;
  ttl: number;
  /** Already as text, ready to print: "192.0.2.1", "10 mail.example.com." */
  rdata: Buffer;
}

interface Response {
  id: number;
  /** QR is 0x8000, TC is 0x0200, RCODE is the low 4 bits (flags & 0xf). */
  flags: number;
  /** The question the response repeats. */
  qname: Buffer[];
  qtype: number;
  qclass: number;
  answers: DnsRecord[];
}

/**
 * Decode the name that starts at msg[offset]. Return its labels and the offset of the first
 * byte after the name *where it started*.
 *
 * TODO (stage 1, then stage 2 for compression): read labels until the zero byte.
 *   - A byte 00xxxxxx is a label length (1-63); 0 is the root, the end of the name.
 *   - A byte 11xxxxxx starts a two-byte compression pointer: the other 14 bits are an offset
 *     from the start of the message where the rest of the name is. Jump there and keep
 *     reading; the name *here* ends after the two pointer bytes. The target may itself hold
 *     labels and then another pointer (a pointer to a pointer is fine).
 *   - Never trust the packet: check every length against msg.length before you read (a read
 *     past the end of a Buffer gives undefined or throws a RangeError), and make sure following
 *     pointers always ends (a pointer may point to itself!). A safe rule: each pointer must point
 *     strictly before the place where the current run of labels started; also stop after a
 *     bounded number of pointers.
 *   - Anything else (a label running past the end, bytes 01xxxxxx or 10xxxxxx, a name over
 *     255 bytes): throw Malformed.
 */
function readName(msg: Buffer, offset: number): { labels: Buffer[]; end: number } {
  throw new Malformed('readName() is not written yet');
}

/**
 * Labels as printed: absolute, with the trailing dot. [www, example] -> "www.example."; the
 * root, [], is ".". (Escaping a '.' inside a label as '\.' is a nicety the tests do not need.)
 */
function nameText(labels: Buffer[]): Buffer {
  if (labels.length === 0) return Buffer.from('.');
  return Buffer.concat(labels.flatMap((label) => [label, Buffer.from('.')]));
}

/** The RDATA at msg[offset, offset + rdlength), as text. Throw Malformed if it does not have the shape its type requires. */
function rdataText(msg: Buffer, offset: number, rdlength: number, type: number): Buffer {
  const rdata = msg.subarray(offset, offset + rdlength);
  if (type === TYPES.A) {
    if (rdlength !== 4) throw new Malformed(`an A record with ${rdlength} bytes of RDATA, not 4`);
    return Buffer.from(Array.from(rdata).join('.'));
  }
  // TODO (stage 2), see the handout for each format:
  //   AAAA:      16 bytes, printed in RFC 5952 form ("2001:db8::1").
  //   CNAME, NS: a name, which may be compressed: use readName(msg, offset), not the rdata
  //              slice, because pointers are offsets into the whole message.
  //   MX:        a 16-bit preference, then a name: "10 mail.example.com."
  //   TXT:       one or more strings, each a length byte and that many bytes:
  //              '"first" "second"', with " and \ escaped by a backslash.
  // Any other type: TYPE<n> and RFC 3597's generic form (done).
  return Buffer.from(`\\# ${rdlength}` + (rdlength ? ` ${rdata.toString('hex')}` : ''));
}

/**
 * Decode a whole response: the header, the question, and the answer section.
 *
 * TODO (stage 1): check there are 12 bytes of header and read them; read the question
 *   (readName, then QTYPE and QCLASS); then ANCOUNT resource records: owner name (readName),
 *   TYPE, CLASS, TTL (32 bits: readUInt32BE), RDLENGTH, and RDLENGTH bytes of RDATA (rdataText).
 *   Check every length against msg.length and throw Malformed for anything that does not fit.
 *   If TC is set, the answer section may be incomplete: don't decode it.
 */
function parseResponse(msg: Buffer): Response {
  throw new Malformed('parseResponse() is not written yet');
}

// ---------------------------------------------------------------------------
// Which responses to believe
// ---------------------------------------------------------------------------

/**
 * Throw Malformed (with the reason) if `resp` must be ignored.
 *
 * TODO (stage 5): as it is, anything that parses is believed, which lets you work on stages
 *   1-4 first. An off-path attacker can send you datagrams too; accept a response only if ALL
 *   of these hold:
 *     - it came from the server's address and port (`from` vs args.host and args.port);
 *     - QR = 1 (it is a response, not a query);
 *     - its ID is the ID of a query you sent in this run (`ids`);
 *     - it repeats your question: the same name (compared case-insensitively, ASCII letters
 *       only), the same type, class IN.
 */
function checkResponse(resp: Response, from: dgram.RemoteInfo, ids: Set<number>, args: Args): void {
}

// ---------------------------------------------------------------------------
// UDP, and TCP when the answer was truncated
// ---------------------------------------------------------------------------

/** Send the query; resolve with the accepted response, or null after 1+R attempts. */
async function askUdp(args: Args, ids: Set<number>): Promise<Response | null> {
  const sock = dgram.createSocket(args.family === 6 ? 'udp6' : 'udp4');
  sock.on('error', (err) => note(`socket error: ${err.message}`));
  await new Promise<void>((resolve) => sock.bind(0, resolve));

  // An unpredictable ID (crypto, not Math.random): see the handout, "spoofing".
  const id = crypto.randomInt(0x10000);
  ids.add(id);
  sock.send(encodeQuery(id, args.labels, args.qtype), args.port, args.host);

  // TODO (stage 4): this is one attempt that gives up at the first datagram. Instead: wait up
  //   to T ms per attempt, measured from when the query was sent, and keep listening after an
  //   ignored datagram. Ignored datagrams must NOT restart the timer: one setTimeout per
  //   attempt, never cleared by a bad datagram. When it fires, send the query again (a new ID
  //   is fine; answers to earlier attempts stay acceptable), at most args.retries more times.
  //   Keep one 'message' listener for the whole run, and close the socket at the end.
  const resp = await new Promise<Response | null>((resolve) => {
    const timer = setTimeout(() => {
      note(`no answer within ${args.timeoutMs} ms`);
      resolve(null);
    }, args.timeoutMs);
    sock.once('message', (msg, from) => {
      clearTimeout(timer);
      try {
        const r = parseResponse(msg);
        checkResponse(r, from, ids, args);
        resolve(r);
      } catch (err) {
        note(`ignored a datagram: ${(err as Error).message}`);
        resolve(null);
      }
    });
  });
  sock.close();
  return resp;
}

/**
 * The same question over TCP, at the same address and port.
 *
 * TODO (stage 7): net.connect({ host: args.host, port: args.port }), write the query preceded by
 *   its length as two bytes, big-endian; then collect 'data' chunks until you have two bytes of
 *   length and that many bytes of response (a chunk may hold any part of it). Check the response
 *   like a UDP one. Give up after a while (setTimeout), and handle the socket's 'error' event.
 */
async function askTcp(args: Args, ids: Set<number>): Promise<Response | null> {
  note('TCP is not written yet');
  return null;
}

/** One line on stdout: owner, TTL, IN, type, rdata, separated by single tabs. E.g. printRecord(Buffer.from('example.com.'), 300, 1, Buffer.from('192.0.2.1')). */
function printRecord(owner: Buffer, ttl: number, type: number, rdata: Buffer): void {
  const typeText = TYPE_NAMES.get(type) ?? `TYPE${type}`;
  process.stdout.write(Buffer.concat([owner, Buffer.from(`\t${ttl}\tIN\t${typeText}\t`), rdata, Buffer.from('\n')]));
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

  const ids = new Set<number>(); // the IDs of every query sent in this run
  let resp = await askUdp(args, ids);
  if (!resp) return EXIT.noAnswer;
  if (resp.flags & 0x0200) {
    // TC: truncated
    resp = await askTcp(args, ids);
    if (!resp) return EXIT.noAnswer;
  }

  for (const record of resp.answers) printRecord(nameText(record.owner), record.ttl, record.type, record.rdata);
  const rcode = resp.flags & 0xf;
  if (rcode === 0) return EXIT.ok;
  return rcode === 3 ? EXIT.nxdomain : EXIT.otherRcode;
}

// Set the exit code and let Node exit once stdout is flushed and every socket is closed.
process.exitCode = await main(process.argv.slice(2));
