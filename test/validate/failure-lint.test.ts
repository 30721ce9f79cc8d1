// The failure-message lint: good messages (real ones, as the grader writes them today) pass;
// each kind of bad message is caught, and the student's own output inside a message (stderr
// excerpts, quoted replies) is never held against the grader.
import { describe, expect, test } from 'vitest';
import type { TestResult } from '../../grader/results/schema.js';
import { graderWords, lintFailure, MAX_FIRST_LINE } from '../../grader/validate/failure-lint.js';

function result(over: Partial<TestResult>): TestResult {
  return {
    id: 'ping',
    title: 'answers PING with +PONG',
    group: 'basics',
    status: 'failed',
    pointsEarned: 0,
    pointsPossible: 4,
    durationMs: 12,
    transcript: [],
    transcriptDropped: 0,
    log: [],
    figures: [],
    visibility: 'visible',
    ...over,
  };
}

describe('messages that pass', () => {
  test.each<[string, Partial<TestResult>]>([
    [
      'a wrong reply with a specific hint and a diff',
      {
        message: 'c1: sent GET "key:t14nqj:1"; expected nil "$-1\\r\\n"; received an empty bulk string "$0\\r\\n\\r\\n".',
        hint: 'An empty string ("$0\\r\\n\\r\\n") is not nil. A missing key (or a SET NX/XX that did nothing) is answered with the null bulk string "$-1\\r\\n".',
        diff: { expected: '$-1\\r\\n', received: '$0\\r\\n\\r\\n', caret: 1 },
      },
    ],
    [
      'a crash, with the program\'s own stack trace and an "undefined" in its stderr',
      {
        message: [
          'c7: sent PING; expected simple string "PONG"; the server reset (RST) the connection without replying.',
          'Your server exited with code 1 during this test.',
          'Last lines of its stderr:',
          "  TypeError: Cannot read properties of undefined (reading 'length')",
          '      at Socket.<anonymous> (/home/student/kv/server.js:41:20)',
          '      at emitErrorCloseNT (node:internal/streams/destroy:128:3)',
        ].join('\n'),
        hint: 'Catch errors per connection (ECONNRESET, broken pipe, a parse error) and close just that connection; one client must never take the server down.',
      },
    ],
    ['a JSON line of the program\'s, shown as sent', { message: 'peer n1 answered a read with {"type":"read_ok","messages":null,"in_reply_to":{"x":undefined}}: "messages" must be an array of integers.', hint: 'read_ok carries "messages": [<integers>].' }],
    ['a reply the student wrote as "undefined", quoted', { message: 'c1: sent ECHO "hi"; expected bulk string "hi"; received simple string "undefined".', hint: 'Values are sent back as bulk strings.' }],
    ['a test that did not run because the server never started: it points at that test', { status: 'error', message: 'not run: your server did not start (see test "ping")' }],
    ['a skipped test', { status: 'skipped', message: 'not run: grading was interrupted' }],
    ['a passed test', { status: 'passed', pointsEarned: 4, message: undefined }],
    [
      'a timing failure with finite measurements',
      {
        message: 'your client retransmitted 971 ms after its first query; the decoy at 360 ms seems to have restarted its 600 ms timer.',
        hint: 'Each attempt has a deadline fixed when the query is sent.',
        timing: { onlyTiming: true, measurements: [{ label: 'retransmitted after', measured: 971, bound: 780, unit: 'ms', comparison: 'at most' }] },
      },
    ],
  ])('%s', (_name, over) => {
    expect(lintFailure(result(over))).toEqual([]);
  });
});

describe('messages that are caught', () => {
  test.each<[string, Partial<TestResult>, RegExp]>([
    ['no message', { message: undefined, hint: 'x' }, /no message/],
    ['an empty message', { message: '  ', hint: 'x' }, /no message/],
    ['"undefined" in the grader\'s own words', { message: 'c1: sent PING; expected undefined; received nothing within 2000 ms.', hint: 'Answer.' }, /"undefined"/],
    ['"[object Object]"', { message: 'peer n1 answered a read with [object Object].', hint: 'Answer.' }, /object Object/],
    ['"NaN"', { message: 'only NaN of 2000 commands were answered.', hint: 'Answer.' }, /"NaN"/],
    ['"undefined" in the hint', { message: 'c1: sent PING; received nothing within 2000 ms.', hint: 'Your server undefined.' }, /the hint shows "undefined"/],
    [
      "the grader's own stack trace",
      {
        status: 'error',
        message: "internal error in the test itself (not your program's fault; please report it): TypeError: x is not a function\n    at Object.ping (file:///work/main/dist/assignments/kv-server/tests.js:44:13)",
      },
      /stack trace/,
    ],
    ['no hint at all', { message: 'c1: sent PING; expected simple string "PONG"; received nothing within 2000 ms.' }, /no hint/],
    ['an empty hint', { message: 'c1: sent PING; received nothing within 2000 ms.', hint: ' ' }, /no hint/],
    ['a first line too long for a terminal', { message: `c1: sent SET "${'\\x00'.repeat(60)}"; expected simple string "OK".`, hint: 'Answer.' }, new RegExp(`at most ${MAX_FIRST_LINE}`)],
    ['a byte dump', { message: `c1: sent GET k.\nreceived "${'\\xff'.repeat(40)}"`, hint: 'Answer.' }, /dump of 40 escaped bytes/],
    ['a message of 60 lines', { message: Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\n'), hint: 'Answer.' }, /60 lines long/],
    ['a raw status word', { message: "a second client sent a broadcast and got no reply line (timeout).", hint: 'Answer.' }, /internal status word \(timeout\)/],
    ['a lazy plural', { message: 'your client printed 1 line(s) (1 expected); line 1 differs.', hint: 'Print the records.' }, /"line\(s\)"/],
    ['a hint that repeats the message', { message: 'Your server did not answer in time.', hint: 'Your server did not answer in time.' }, /repeats the message/],
    [
      'a hint that repeats a sentence of the message',
      {
        message: 'c1: sent PING; the reply is not valid RESP. End every line of a reply with "\\r\\n", not with a bare line feed.',
        hint: 'End every line of a reply with "\\r\\n", not with a bare line feed. RESP is strict.',
      },
      /repeats a sentence/,
    ],
    ['a hint too long to be advice', { message: 'c1: sent PING; received nothing within 2000 ms.', hint: 'Check this. '.repeat(50) }, /the hint is \d+ characters/],
    ['a diff without a difference', { message: 'c1: sent PING; expected "+PONG\\r\\n".', hint: 'Answer.', diff: { expected: '+PONG\\r\\n', received: '+PONG\\r\\n', caret: 0 } }, /nothing to see/],
    [
      'a timing measurement that is not a number',
      {
        message: 'the key was still there.',
        hint: 'Expire keys.',
        timing: { onlyTiming: false, measurements: [{ label: 'still there after', measured: Number.NaN, bound: 1100, unit: 'ms', comparison: 'at most' }] },
      },
      /not a finite number/,
    ],
    ['partial credit with no message', { status: 'failed', pointsEarned: 2, message: undefined }, /no message/],
  ])('%s', (_name, over, problem) => {
    const problems = lintFailure(result(over));
    expect(problems.join('\n')).toMatch(problem);
  });
});

test("the grader's words leave out the program's stderr and quoted data", () => {
  const text = ['c1: sent ECHO "undefined"; received nothing.', 'Last lines of its stderr:', '  undefined is not a function', 'It exited with code 1.'].join('\n');
  expect(graderWords(text)).toBe(['c1: sent ECHO ""; received nothing.', 'Last lines of its stderr:', 'It exited with code 1.'].join('\n'));
});
