// Redis-protocol conversations for tests: send commands, read replies with deadlines, and fail
// with what was sent, what came back, what was expected, and a hint for the classic mistake.
import { quoteBytes } from '../results/escape.js';
import { describeReply, encodeCommand, encodeResp, parseReply, type RespValue } from '../net/resp.js';
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
}

const DEFAULT_REPLY_MS = 2000;

/** A command as the student would type it in redis-cli, shortened: SET "k" "<512 KiB>". */
export function showCommand(args: Arg[]): string {
  return args
    .map((a, i) => {
      const b = typeof a === 'string' ? Buffer.from(a) : a;
      if (i === 0 && /^[A-Za-z]+$/.test(b.toString('latin1'))) return b.toString('latin1');
      return quoteBytes(b, { maxBytes: 24 });
    })
    .join(' ');
}

export function showExpected(e: Expected): string {
  return e === 'error' ? 'an error reply ("-ERR ...")' : `${describeReply(e)} ${quoteBytes(encodeResp(e), { maxBytes: 48 })}`;
}

/** The hint for a wrong reply, from what was expected and what came back. */
function mismatchHint(expected: Expected, got: RespValue, testHint: string | undefined): string | undefined {
  if (got.type === 'error' && expected !== 'error')
    return `Your server answered with an error ("${got.value}") where none was due.${testHint ? ' ' + testHint : ''}`;
  if (expected === 'error')
    return 'This input must be answered with an error reply: a line starting with "-", such as "-ERR wrong number of arguments\\r\\n". The text after "-" is up to you.';
  if (expected.type === 'bulk' && expected.value === null && got.type === 'bulk' && got.value?.length === 0)
    return 'An empty string ("$0\\r\\n\\r\\n") is not nil. A missing key (or a SET NX/XX that did nothing) is answered with the null bulk string "$-1\\r\\n".';
  if (expected.type === 'bulk' && got.type === 'simple')
    return 'Values are sent back as bulk strings ("$<length>\\r\\n<bytes>\\r\\n"), which can carry any bytes; a simple string ("+...") cannot.';
  if (expected.type === 'integer' && (got.type === 'bulk' || got.type === 'simple'))
    return 'Integer replies are written as ":<number>\\r\\n", not as a string.';
  if (expected.type === 'bulk' && expected.value && got.type === 'bulk' && got.value && got.value.length !== expected.value.length)
    return `The value came back with ${got.value.length} bytes instead of ${expected.value.length}. Is it stored as text? Decoding bytes as UTF-8 changes them; keep values as raw bytes.`;
  if (expected.type === 'bulk' && expected.value && got.type === 'bulk' && got.value) {
    const at = firstDifference(expected.value, got.value);
    return `The value's bytes differ from byte ${at} on. Keep values as raw bytes end to end (never decode them as text).`;
  }
  return undefined;
}

export class RespConnection {
  constructor(
    readonly client: TcpClient,
    private readonly t: TestContext,
  ) {}

  get name(): string {
    return this.client.name;
  }

  send(args: Arg[], opts: WriteOptions = {}): Promise<void> {
    return this.client.write(encodeCommand(args), opts);
  }

  /** Read one reply, failing with a precise message if it does not come or is not valid RESP. */
  async reply(what: string, expected: Expected | undefined, opts: { timeoutMs?: number; hint?: string } = {}): Promise<{ value: RespValue; raw: Buffer }> {
    const ms = Math.min(opts.timeoutMs ?? DEFAULT_REPLY_MS, Math.max(1, this.t.remainingMs() - 50));
    const out: ReadOutcome<RespValue> = await this.client.read(parseReply, ms);
    const exp = expected ? `; expected ${showExpected(expected)}` : '';
    switch (out.status) {
      case 'complete':
        return { value: out.value, raw: out.raw };
      case 'timeout':
        if (!out.raw.length)
          fail(`${this.name}: sent ${what}${exp}; received nothing within ${ms} ms.`, {
            timeout: true,
            hint:
              opts.hint ??
              'Your server did not answer. Does it parse the whole command (an array of bulk strings), write the reply, and not wait for more bytes than were sent?',
          });
        fail(`${this.name}: sent ${what}${exp}; received ${quoteBytes(out.raw, { maxBytes: 80 })} and then nothing more for ${ms} ms: the reply is incomplete.`, {
          timeout: true,
          hint: opts.hint ?? 'Every RESP line ends with "\\r\\n", and a bulk string carries exactly the number of bytes its length says.',
          ...(expected && expected !== 'error' ? { diff: byteDiff(encodeResp(expected), out.raw) } : {}),
        });
      case 'closed':
        fail(
          `${this.name}: sent ${what}${exp}; the server ${out.reset ? 'reset' : 'closed'} the connection` +
            (out.raw.length ? ` after sending only ${quoteBytes(out.raw, { maxBytes: 80 })}.` : ' without replying.'),
          { hint: opts.hint ?? 'Did your server crash, or close the connection after one command? A connection carries many commands.' },
        );
      case 'invalid':
        fail(`${this.name}: sent ${what}${exp}; the reply is not valid RESP: ${out.reason} (at byte ${out.offset}).`, {
          hint: out.reason.includes('"\\n" alone')
            ? 'End every line of a reply with "\\r\\n" (carriage return and line feed), not "\\n" alone.'
            : (opts.hint ?? 'A reply starts with one of + - : $ *, every line ends with "\\r\\n", and a bulk string carries exactly as many bytes as its length says.'),
          ...(expected && expected !== 'error' ? { diff: byteDiff(encodeResp(expected), out.raw) } : {}),
        });
    }
  }

  /** Check a reply already read against what was expected. */
  check(what: string, expected: Expected, got: { value: RespValue; raw: Buffer }, hint?: string): void {
    if (expected === 'error' ? got.value.type === 'error' : encodeResp(expected).equals(encodeResp(got.value))) return;
    const message = `${this.name}: sent ${what}; expected ${showExpected(expected)}; received ${describeReply(got.value)} ${quoteBytes(got.raw, { maxBytes: 48 })}.`;
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
    this.check(what, expected, got, opts.hint);
    // One command was outstanding, so bytes already buffered beyond its reply are extra.
    const extra = this.client.buffered;
    if (extra.length)
      fail(`${this.name}: sent ${what}; the reply ${quoteBytes(got.raw, { maxBytes: 48 })} was right, but ${extra.length} more bytes came with it: ${quoteBytes(extra, { maxBytes: 60 })}.`, {
        hint: 'Send exactly one reply per command: check for a reply written twice, or a stray line (a debug print, a prompt, a banner) on the socket.',
      });
    return got.value;
  }
}

/** Open a connection and wrap it for RESP. */
export async function connectResp(t: TestContext, opts?: { timeoutMs?: number }): Promise<RespConnection> {
  return new RespConnection(await t.connect(opts), t);
}
