// A client that speaks newline-delimited JSON to one peer: send a request, wait for the reply
// whose in_reply_to matches, check its shape, and fail with the line that was wrong. Lines that
// answer nothing the client asked (an error object for a malformed line) are set aside.
import { TcpClient, type Parser } from '../net/tcp-client.js';
import { quoteBytes } from '../results/escape.js';
import { fail } from './failure.js';

const MAX_LINE = 8 << 20;

export const lineParser: Parser<Buffer> = (buf) => {
  const nl = buf.indexOf(10);
  if (nl === -1)
    return buf.length > MAX_LINE ? { status: 'invalid', reason: `no newline in the first ${MAX_LINE} bytes`, offset: MAX_LINE } : { status: 'incomplete' };
  return { status: 'complete', value: buf.subarray(0, nl), length: nl + 1 };
};

export type JsonObject = Record<string, unknown>;

export const HINT_FRAMING = 'Every reply is one JSON object on one line, ending in "\\n" (json.dumps(obj) + "\\n", JSON.stringify(obj) + "\\n").';

/** One line as a JSON object, or why not. */
export function parseLine(line: Buffer): { ok: true; value: JsonObject } | { ok: false; why: string } {
  let v: unknown;
  try {
    v = JSON.parse(line.toString('utf8'));
  } catch (e) {
    return { ok: false, why: `it is not JSON (${(e as Error).message})` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, why: 'it is JSON but not an object' };
  return { ok: true, value: v as JsonObject };
}

/**
 * A line as a student reads it: a printable JSON line as it is ({"type":"read","msg_id":1}, no
 * escaped quotes to untangle); anything else (control bytes, a newline, not UTF-8) quoted and escaped.
 */
export const show = (line: Buffer | string) => {
  const b = typeof line === 'string' ? Buffer.from(line) : line;
  const text = b.toString('utf8');
  if (b.length && b.length <= 160 && /^[\x20-\x7e]*$/.test(text)) return text;
  return quoteBytes(b, { maxBytes: 160 });
};

export class PeerClient {
  /** Replies that arrived for a request other than the one being waited for. */
  private readonly early = new Map<number, JsonObject>();
  /** Lines that answer no request (error objects for malformed input). */
  readonly unsolicited: JsonObject[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  constructor(
    readonly peer: string,
    readonly conn: TcpClient,
  ) {}

  get closed(): boolean {
    return !!this.conn.peerClosed;
  }

  newMsgId(): number {
    return this.nextId++;
  }

  /**
   * Send `req` (msg_id added) and wait for the object whose in_reply_to is its msg_id; checks
   * that it is of type `expect`. Requests on one client are answered one after the other.
   */
  request(req: JsonObject, expect: string, timeoutMs: number): Promise<JsonObject> {
    const run = this.chain.then(() => this.exchange(req, expect, timeoutMs));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async exchange(req: JsonObject, expect: string, timeoutMs: number): Promise<JsonObject> {
    const msgId = typeof req.msg_id === 'number' ? req.msg_id : this.newMsgId();
    const line = JSON.stringify({ ...req, msg_id: msgId });
    await this.conn.write(line + '\n');
    return this.awaitReply(msgId, expect, line, timeoutMs);
  }

  /**
   * Wait for the reply to `msgId` (the request was written by the caller). `hint` replaces the
   * generic one when no reply comes or the connection closes (the test knows the likely cause).
   */
  async awaitReply(msgId: number, expect: string, sent: string, timeoutMs: number, hint?: string): Promise<JsonObject> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const got = this.early.get(msgId);
      if (got) {
        this.early.delete(msgId);
        return this.check(got, expect, sent);
      }
      const out = await this.conn.read(lineParser, Math.max(1, deadline - performance.now()));
      if (out.status === 'timeout')
        fail(`peer ${this.peer}: no reply to ${show(sent)} within ${Math.round(timeoutMs)} ms${out.raw.length ? `; received so far, without a newline: ${show(out.raw)}` : ''}.`, {
          timeout: true,
          hint: out.raw.length ? HINT_FRAMING : (hint ?? 'Answer every request at once, before (not after) gossiping: a client must never wait for the network.'),
        });
      if (out.status === 'closed')
        fail(`peer ${this.peer} ${out.reset ? 'reset (RST)' : 'closed'} the connection instead of answering ${show(sent)}.`, {
          hint: hint ?? 'Keep a client connection open and keep answering its requests; catch errors per request, not per connection.',
        });
      if (out.status === 'invalid') fail(`peer ${this.peer}: ${out.reason} after ${show(sent)}.`, { hint: HINT_FRAMING });
      if (out.status !== 'complete') continue;
      const parsed = parseLine(out.value);
      if (!parsed.ok) fail(`peer ${this.peer} answered ${show(sent)} with the line ${show(out.value)}: ${parsed.why}.`, { hint: HINT_FRAMING });
      const reply = parsed.value;
      const to = reply.in_reply_to;
      if (to === msgId) return this.check(reply, expect, sent);
      if (typeof to === 'number') this.early.set(to, reply);
      else this.unsolicited.push(reply);
    }
  }

  private check(reply: JsonObject, expect: string, sent: string): JsonObject {
    if (reply.type !== expect)
      fail(`peer ${this.peer} answered ${show(sent)} with ${show(JSON.stringify(reply))}: its "type" is ${JSON.stringify(reply.type)}, expected "${expect}".`, {
        hint: `Reply to a ${expect.replace(/_ok$/, '')} request with {"type":"${expect}", ..., "in_reply_to": <its msg_id>}.`,
      });
    return reply;
  }

  close(): void {
    this.conn.close();
  }
}
