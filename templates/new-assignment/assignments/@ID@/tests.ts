// The tests of @ID@, written against the public authoring API only (grader/authoring.ts).
// This is the example `sockgrade new` writes: a line-reversing server. Replace the contract
// and keep the shape: one function per test id of assignment.json, each failure saying what
// was sent, what came back, what was expected, and what to look at.
import { byteDiff, defineTests, quoteBytes, type Parser, type TcpClient, type TestContext } from '../../grader/authoring.js';

/** A frame is one line: everything up to and including "\n". */
const line: Parser<string> = (buf) => {
  const end = buf.indexOf(0x0a);
  if (end < 0) return buf.length > 64 * 1024 ? { status: 'invalid', reason: 'a line longer than 64 KiB', offset: 0 } : { status: 'incomplete' };
  return { status: 'complete', value: buf.subarray(0, end).toString('utf8'), length: end + 1 };
};

const reverse = (s: string) => [...s].reverse().join('');

const HINT_STREAM =
  'TCP is a byte stream: one recv() may hold part of a line, or several lines. Keep what you received in a buffer and answer each complete line in it.';
const HINT_CONCURRENT = 'Serve every connection at the same time (select/poll, asyncio, threads, or Node\'s net module); never wait for one client to finish a line.';

/** Read one line from `c` and check it is `sent` reversed. */
async function expectReversed(t: TestContext, c: TcpClient, sent: string, hint?: string): Promise<void> {
  const want = reverse(sent);
  const out = await c.read(line, Math.min(2000, t.remainingMs()));
  const what = `${c.name} sent ${JSON.stringify(sent + '\n')}`;
  if (out.status === 'complete' && out.value === want) return;
  const got =
    out.status === 'complete'
      ? `the server answered ${JSON.stringify(out.value + '\n')}`
      : out.status === 'timeout'
        ? out.raw.length
          ? `the server sent ${quoteBytes(out.raw)} and no "\\n" within the time limit`
          : 'no answer came within the time limit'
        : out.status === 'closed'
          ? `the server ${out.reset ? 'reset' : 'closed'} the connection${out.raw.length ? ` after sending ${quoteBytes(out.raw)}` : ''}`
          : `the answer is not a line (${out.reason})`;
  t.fail(`${what}; ${got}; expected ${JSON.stringify(want + '\n')}.`, {
    diff: byteDiff(Buffer.from(want + '\n'), out.raw),
    timeout: out.status === 'timeout',
    ...(hint ? { hint } : {}),
  });
}

export default defineTests({
  async 'one-line'(t) {
    const c = await t.connect();
    await c.write('hello sockets\n');
    await expectReversed(t, c, 'hello sockets');
    const word = t.key('w');
    await c.write(`${word}\n`);
    await expectReversed(t, c, word, 'After answering, keep reading the same connection: it carries many lines.');
  },

  async 'split-line'(t) {
    const c = await t.connect();
    await c.write('split me please\n', { chunking: { mode: 'bytes' }, pauseMs: 1 });
    await expectReversed(t, c, 'split me please', HINT_STREAM);
    await c.write('first\nsecond\n');
    await expectReversed(t, c, 'first', HINT_STREAM);
    await expectReversed(t, c, 'second', HINT_STREAM);
  },

  async 'two-clients'(t) {
    const slow = await t.connect();
    await slow.write('half a');
    t.log(`${slow.name} sent half a line and waits`);
    const other = await t.connect();
    await other.write('other client\n');
    await expectReversed(t, other, 'other client', `Your server seems to wait for ${slow.name} to finish its line. ${HINT_CONCURRENT}`);
    await slow.write(' line\n');
    await expectReversed(t, slow, 'half a line', HINT_STREAM);
  },
});
