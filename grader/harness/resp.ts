// Redis-protocol conversations for tests: send commands, read replies with deadlines, and fail
// with what was sent, what came back, what was expected, and a hint for the classic mistake.
import { quoteBytes } from '../results/escape.js';
import { encodeCommand, encodeResp, parseReply, type RespValue } from '../net/resp.js';
import type { ReadOutcome, TcpClient, WriteOptions } from '../net/tcp-client.js';
import type { TestContext } from './context.js';
import { byteDiff, firstDifference } from './diff.js';
import { fail } from './failure.js';

export type Arg = string | Buffer;
/** An expected reply: an exact value, or "any error reply" (error texts are never compared). */
export type Expected = RespValue | 'error';

export interface ExpectOptions extends WriteOptions {
  timeoutMs?: number;
  /** A hint that fits this test better than the generic one. */
  hint?: string;
  /**
   * A collateral read: the reply's string form (bulk or simple) is this other test's to judge.
   * The right content in the other form passes here, with a note saying which test charges it.
   */
  formatJudgedBy?: string;
}

const DEFAULT_REPLY_MS = 2000;

/**
 * Bytes shown of a long argument or value: enough to recognise it, short enough for one line.
 * Text reads well for longer ("-ERR unknown command 'FOO', with..."); binary is four characters a byte.
 */
const PREVIEW_BYTES = 8;
const PREVIEW_TEXT_BYTES = 40;
/** The most characters the quoted bytes around a bad one may take. */
const AROUND_CHARS = 48;
/** Arguments and values up to this size are shown whole. */
const WHOLE_BYTES = 32;

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** Bytes quoted, or their first few and their size: `"\xc0;&\x0f"…(524,288 bytes)`. */
function quoteShort(b: Uint8Array): string {
  const head = b.subarray(0, PREVIEW_TEXT_BYTES);
  const text = head.filter((x) => x < 0x20 || x >= 0x7f).length <= 4;
  const max = text ? PREVIEW_TEXT_BYTES : PREVIEW_BYTES;
  return b.length <= Math.max(max, WHOLE_BYTES) ? quoteBytes(b) : `${quoteBytes(b.subarray(0, max))}…(${count(b.length, 'byte')})`;
}

/** A command as the student would type it in redis-cli, shortened: SET "k" "\x00\x01"…(524,288 bytes). */
export function showCommand(args: Arg[]): string {
  return args
    .map((a, i) => {
      const b = typeof a === 'string' ? Buffer.from(a) : a;
      if (i === 0 && /^[A-Za-z]+$/.test(b.toString('latin1'))) return b.toString('latin1');
      return quoteShort(b);
    })
    .join(' ');
}

/**
 * A reply in words, each part said once: simple string "PONG", error "ERR ...", integer 3,
 * nil "$-1\r\n", an empty bulk string "$0\r\n\r\n", bulk string "hello", or a long bulk string
 * by its size and first bytes (the diff shows the bytes where they differ).
 */
export function showValue(v: RespValue): string {
  switch (v.type) {
    case 'simple':
      return `simple string ${quoteShort(Buffer.from(v.value))}`;
    case 'error':
      return `error ${quoteShort(Buffer.from(v.value))}`;
    case 'integer':
      return `integer ${v.value}`;
    case 'bulk':
      if (v.value === null) return 'nil "$-1\\r\\n"';
      if (!v.value.length) return 'an empty bulk string "$0\\r\\n\\r\\n"';
      // A long value by its size alone: its bytes are in the diff, at the first difference.
      return v.value.length <= WHOLE_BYTES ? `bulk string ${quoteBytes(v.value)}` : `bulk string of ${count(v.value.length, 'byte')}`;
    case 'array':
      return v.value === null ? 'nil array "*-1\\r\\n"' : `array of ${count(v.value.length, 'item')} ${quoteShort(encodeResp(v))}`;
  }
}

export function showExpected(e: Expected): string {
  return e === 'error' ? 'an error reply ("-ERR ...")' : showValue(e);
}

const HINT_BULK = 'Values are sent back as bulk strings ("$<length>\\r\\n<bytes>\\r\\n"), which can carry any bytes; a simple string ("+...") cannot.';
const HINT_ERROR =
  'Answer this with an error reply: one line starting with "-", such as "-ERR <what was wrong>\\r\\n" (the text is up to you), and keep the connection open.';

/** Bytes that text handling could change: control bytes other than tab, or anything non-ASCII. */
const isBinary = (b: Uint8Array) => b.some((x) => x >= 0x7f || (x < 0x20 && x !== 0x09));

/** A string reply (bulk or simple) carrying exactly `want`, whatever its form. */
export function sameText(v: RespValue, want: Arg): boolean {
  const w = typeof want === 'string' ? Buffer.from(want) : want;
  if (v.type === 'bulk') return v.value !== null && v.value.equals(w);
  return v.type === 'simple' && Buffer.from(v.value, 'utf8').equals(w);
}

/** The hint for a wrong reply, from what was expected and what came back. */
function mismatchHint(expected: Expected, got: RespValue, testHint: string | undefined): string | undefined {
  if (got.type === 'error' && expected !== 'error') return `Your server answered with an error where none was due.${testHint ? ' ' + testHint : ''}`;
  // The test knows why this input deserves an error (arity, options, ...); the generic advice is the fallback.
  if (expected === 'error') return testHint ?? HINT_ERROR;
  if (expected.type === 'bulk' && expected.value === null && got.type === 'bulk' && got.value?.length === 0)
    return 'An empty string ("$0\\r\\n\\r\\n") is not nil. A missing key (or a SET NX/XX that did nothing) is answered with the null bulk string "$-1\\r\\n".';
  // A nil expected and "+OK" received is a command that did something it should not have (the
  // test's follow-up knows what), not a value in the wrong string form.
  if (expected.type === 'bulk' && expected.value !== null && got.type === 'simple') return HINT_BULK;
  if (expected.type === 'integer' && (got.type === 'bulk' || got.type === 'simple'))
    return 'Integer replies are written as ":<number>\\r\\n", not as a string.';
  // The byte-level hints fit only binary values: plain text that comes back different is another
  // value (an old one, another key's), which the test's own hint explains better.
  if (expected.type === 'bulk' && expected.value && !isBinary(expected.value)) return undefined;
  if (expected.type === 'bulk' && expected.value && got.type === 'bulk' && got.value && got.value.length !== expected.value.length)
    return `The value came back with ${count(got.value.length, 'byte')} instead of ${count(expected.value.length, 'byte')}. Is it stored as text? Decoding bytes as UTF-8 changes them; keep values as raw bytes.`;
  if (expected.type === 'bulk' && expected.value && got.type === 'bulk' && got.value) {
    const at = firstDifference(expected.value, got.value);
    return `The value's bytes differ from byte ${at} on. Keep values as raw bytes end to end (never decode them as text).`;
  }
  return undefined;
}

/**
 * The bytes around a bad one, quoted: a few before it, a few after, "…" where cut. What came
 * back may hold many replies (or a whole 512 KiB value): the place that broke is what matters.
 */
export function around(raw: Uint8Array, offset: number, maxChars = AROUND_CHARS): string {
  // Binary bytes quote to four characters each: narrow the window until the quote fits, so the
  // message's length (and the lint's verdict on it) never depends on the random bytes of a value.
  for (let before = 16, after = 8; ; before = Math.max(2, before - 4), after = Math.max(2, after - 2)) {
    const start = Math.max(0, offset - before);
    const end = Math.min(raw.length, offset + after);
    const quoted = quoteBytes(raw.subarray(start, end));
    if (quoted.length <= maxChars || (before === 2 && after === 2)) return `${start > 0 ? '…' : ''}${quoted}${end < raw.length ? '…' : ''}`;
  }
}

/** The connections each test opened through connectResp, in order: to tell "one client at a time" from "no answer at all". */
const opened = new WeakMap<TestContext, RespConnection[]>();

export class RespConnection {
  /** Replies read whole on this connection so far. */
  private answered = 0;

  constructor(
    readonly client: TcpClient,
    private readonly t: TestContext,
  ) {}

  get name(): string {
    return this.client.name;
  }

  /** How many replies came whole on this connection. */
  get replies(): number {
    return this.answered;
  }

  send(args: Arg[], opts: WriteOptions = {}): Promise<void> {
    return this.client.write(encodeCommand(args), opts);
  }

  /**
   * An earlier connection of this test that got answers and is still open: if this one gets
   * nothing, the server is most likely serving that one alone.
   */
  private servedInstead(): RespConnection | undefined {
    const all = opened.get(this.t) ?? [];
    const mine = all.indexOf(this);
    return all.slice(0, mine === -1 ? all.length : mine).find((c) => c !== this && c.answered > 0 && !c.client.peerClosed && !c.client.socket.destroyed);
  }

  private closedHint(testHint: string | undefined): string {
    if (this.answered > 0)
      return `Your server hung up after answering ${count(this.answered, 'command')} on this connection. If it crashed, its stderr says why; if not, it closes connections too early: a connection carries many commands, so keep reading from it until the client closes it (recv() returns 0).`;
    return testHint ?? 'Did your server crash on this command (its stderr says why), or close the connection before replying? Reply to every command and keep the connection open for the next.';
  }

  /** Read one reply, failing with a precise message if it does not come or is not valid RESP. */
  async reply(what: string, expected: Expected | undefined, opts: { timeoutMs?: number; hint?: string } = {}): Promise<{ value: RespValue; raw: Buffer }> {
    const ms = Math.min(opts.timeoutMs ?? DEFAULT_REPLY_MS, Math.max(1, this.t.remainingMs() - 50));
    const out: ReadOutcome<RespValue> = await this.client.read(parseReply, ms);
    const exp = expected ? `; expected ${showExpected(expected)}` : '';
    const before = this.answered ? ` (after ${count(this.answered, 'reply', 'replies')} on this connection)` : '';
    switch (out.status) {
      case 'complete':
        this.answered++;
        return { value: out.value, raw: out.raw };
      case 'timeout': {
        const other = this.answered ? undefined : this.servedInstead();
        const concurrent = other
          ? `Your server answered ${other.name} but never ${this.name}, while ${other.name} was still open: it seems to serve one client at a time. Serve every connection at once (select/poll, asyncio, Node's net module, or a thread per client).`
          : undefined;
        if (!out.raw.length)
          fail(`${this.name}: sent ${what}${exp}; received nothing within ${Math.round(ms)} ms${before}.`, {
            timeout: true,
            hint:
              concurrent ??
              opts.hint ??
              'Your server did not answer. Does it parse the whole command (an array of bulk strings), write the reply, and not wait for more bytes than were sent?',
          });
        fail(`${this.name}: sent ${what}${exp}; received only ${quoteShort(out.raw)}, then nothing for ${ms} ms: the reply is incomplete.`, {
          timeout: true,
          hint: concurrent ?? opts.hint ?? 'Every RESP line ends with "\\r\\n", and a bulk string carries exactly the number of bytes its length says.',
          ...(expected && expected !== 'error' ? { diff: byteDiff(encodeResp(expected), out.raw) } : {}),
        });
      }
      case 'closed':
        fail(
          `${this.name}: sent ${what}${exp}; the server ${out.reset ? 'reset (RST)' : 'closed'} the connection` +
            (out.raw.length ? ` after sending only ${quoteShort(out.raw)}${before}.` : ` without replying${before}.`),
          { hint: this.closedHint(opts.hint) },
        );
      case 'invalid': {
        const shown = around(out.raw, out.offset);
        const bulkAsSimple = expected && expected !== 'error' && expected.type === 'bulk' && out.raw[0] === 0x2b; // '+'
        fail(`${this.name}: sent ${what}${exp}; received ${shown}, not valid RESP: ${out.reason} at byte ${out.offset}.`, {
          hint: bulkAsSimple
            ? `${HINT_BULK} Here the value's own bytes broke the simple string.`
            : out.reason.includes('without "\\r"')
              ? 'End every line of a reply with "\\r\\n" (carriage return and line feed), not "\\n" alone.'
              : (opts.hint ?? 'A reply starts with one of + - : $ *, every line ends with "\\r\\n", and a bulk string carries exactly as many bytes as its length says.'),
          ...(expected && expected !== 'error' ? { diff: byteDiff(encodeResp(expected), out.raw) } : {}),
        });
      }
    }
  }

  /** Check a reply already read against what was expected (formatJudgedBy: see ExpectOptions). */
  check(what: string, expected: Expected, got: { value: RespValue; raw: Buffer }, hint?: string, formatJudgedBy?: string): void {
    if (expected === 'error' ? got.value.type === 'error' : encodeResp(expected).equals(encodeResp(got.value))) return;
    if (formatJudgedBy && expected !== 'error' && expected.type === 'bulk' && expected.value !== null && got.value.type === 'simple' && sameText(got.value, expected.value)) {
      this.t.log(`${this.name}: ${what} got the right value as a ${showValue(got.value)}, not a bulk string; ${formatJudgedBy} judges that, not this test`);
      return;
    }
    const message = `${this.name}: sent ${what}; expected ${showExpected(expected)}; received ${showValue(got.value)}.`;
    fail(message, {
      // The specific diagnosis of this reply beats the test's general advice.
      hint: mismatchHint(expected, got.value, hint) ?? hint,
      ...(expected !== 'error' ? { diff: byteDiff(encodeResp(expected), got.raw) } : {}),
    });
  }

  /** Send a command and check its reply, and that nothing else came with it. */
  async expect(args: Arg[], expected: Expected, opts: ExpectOptions = {}): Promise<RespValue> {
    await this.send(args, opts);
    const what = showCommand(args);
    const got = await this.reply(what, expected, opts);
    this.check(what, expected, got, opts.hint, opts.formatJudgedBy);
    // One command was outstanding, so bytes already buffered beyond its reply are extra.
    const extra = this.client.buffered;
    if (extra.length) {
      const twice = extra.subarray(0, got.raw.length).equals(got.raw);
      const came = twice
        ? `the same ${count(got.raw.length, 'byte')} came again${extra.length > got.raw.length ? `, and ${count(extra.length - got.raw.length, 'more byte')}` : ''}`
        : `${count(extra.length, 'more byte')} came with it: ${quoteShort(extra)}`;
      fail(`${this.name}: sent ${what}; the reply ${quoteShort(got.raw)} was right, but ${came}.`, {
        hint: twice
          ? 'The same reply came twice: your server writes each reply two times (check for a second send/write of the same buffer). Send exactly one reply per command.'
          : 'Send exactly one reply per command: check for a stray line (a debug print, a prompt, a banner) written to the socket.',
      });
    }
    return got.value;
  }
}

/** Open a connection and wrap it for RESP. */
export async function connectResp(t: TestContext, opts?: { timeoutMs?: number }): Promise<RespConnection> {
  const c = new RespConnection(await t.connect(opts), t);
  const list = opened.get(t) ?? [];
  list.push(c);
  opened.set(t, list);
  return c;
}
