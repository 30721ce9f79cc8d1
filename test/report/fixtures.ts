// Realistic Results values for the report tests: what a run of the kv-server assignment against
// a half-working submission looks like, plus a failed build and a clean pass.
import { escapedOffset, escapeBytes } from '../../grader/results/escape.js';
import {
  Results,
  SCHEMA_VERSION,
  type CapturedOutput,
  type Diff,
  type GroupResult,
  type TestResult,
  type TranscriptEntry,
} from '../../grader/results/schema.js';

const b64 = (s: string | Uint8Array): string => Buffer.from(s as string).toString('base64');

/** A RESP command as bytes: resp('SET', 'k', 'v'). */
export function resp(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

export const connect = (t: number, conn = 'c1', text?: string): TranscriptEntry => ({
  t,
  conn,
  kind: 'connect',
  ...(text ? { text } : {}),
});
export const send = (t: number, data: string | Uint8Array, conn = 'c1', size?: number): TranscriptEntry => ({
  t,
  conn,
  kind: 'send',
  data: b64(data),
  size: size ?? Buffer.from(data as string).length,
});
export const recv = (t: number, data: string | Uint8Array, conn = 'c1', size?: number): TranscriptEntry => ({
  t,
  conn,
  kind: 'recv',
  data: b64(data),
  size: size ?? Buffer.from(data as string).length,
});
export const event = (t: number, kind: TranscriptEntry['kind'], conn = 'c1', text?: string): TranscriptEntry => ({
  t,
  conn,
  kind,
  ...(text !== undefined ? { text } : {}),
});

/** A diff computed the way the assertions do: escape both, caret at the first differing byte. */
export function bytesDiff(expected: string | Uint8Array, received: string | Uint8Array): Diff {
  const e = Buffer.from(expected as string);
  const r = Buffer.from(received as string);
  let i = 0;
  while (i < e.length && i < r.length && e[i] === r[i]) i++;
  return { expected: escapeBytes(e), received: escapeBytes(r), caret: escapedOffset(e, i) };
}

type TestInput = Partial<TestResult> & Pick<TestResult, 'id' | 'title' | 'status'>;

function test(group: string, points: number, t: TestInput): TestResult {
  return {
    group,
    pointsPossible: points,
    pointsEarned: t.status === 'passed' ? points : 0,
    durationMs: 10,
    transcript: [],
    transcriptDropped: 0,
    log: [],
    figures: [],
    visibility: 'visible',
    ...t,
  };
}

function output(text: string, opts: { keep?: number } = {}): CapturedOutput {
  const total = Buffer.byteLength(text);
  const keep = opts.keep ?? Infinity;
  if (total <= keep * 2) return { head: text, tail: '', droppedBytes: 0, totalBytes: total };
  return {
    head: text.slice(0, keep),
    tail: text.slice(text.length - keep),
    droppedBytes: total - keep * 2,
    totalBytes: total,
  };
}

/** Counts and score from the tests, the way the engine computes them. */
function finish(base: Omit<Results, 'counts' | 'score'>): Results {
  const tests = base.groups.flatMap((g) => g.tests);
  const counts = { passed: 0, failed: 0, timeout: 0, error: 0, skipped: 0 };
  for (const t of tests) counts[t.status]++;
  const earned = tests.reduce((s, t) => s + t.pointsEarned, 0);
  const possible = tests.reduce((s, t) => s + t.pointsPossible, 0);
  return Results.parse({
    ...base,
    counts,
    score: { earned, possible, percent: possible ? (earned / possible) * 100 : 0 },
  });
}

export const HOSTILE = '<script>alert(1)</script>';
export const ANSI_RED = '\x1b[31m';
export const ANSI_CLEAR = '\x1b[2J\x1b[H';
const hostileStdout =
  'server listening on 127.0.0.1:41234\n' +
  `got command: ${HOSTILE}\n` +
  '```\nnot a code block\n````\n' +
  `${ANSI_RED}ERROR${'\x1b[0m'} something bad\n` +
  `${ANSI_CLEAR}screen cleared\n` +
  '<img src="https://evil.example/x.png" onerror="alert(2)">\n' +
  '\u202eevil bidi override\n' +
  'done\n';

const stderrLines = Array.from({ length: 60 }, (_, i) =>
  i < 55 ? `debug: handled command ${i + 1}` : `Traceback line ${i - 54}: KeyError: 'x' at server.py:${100 + i}`,
);

/** 120 entries kept of 160: the grader dropped 40 from the middle of a 1,000-command pipeline. */
function pipelineTranscript(): TranscriptEntry[] {
  const out: TranscriptEntry[] = [connect(0.4)];
  let t = 1;
  for (let i = 0; out.length < 120; i++) {
    out.push(i % 2 === 0 ? send(t, resp('INCR', 'counter')) : recv(t + 0.3, `:${(i + 1) / 2}\r\n`));
    t += 0.7;
  }
  return out;
}

const largeValue = Buffer.alloc(512 * 1024, 'v');
const largeCommand = resp('SET', 'big', largeValue.toString());

/** A partial run (the budget ran out) with one of everything. */
export function fullRun(): Results {
  const basics: GroupResult = {
    id: 'basics',
    title: 'Stage 1: listen and answer',
    description: 'The server binds to the port it is given and answers simple commands.',
    tests: [
      test('basics', 4, {
        id: 'ping',
        title: 'answers PING with +PONG',
        status: 'passed',
        durationMs: 12.4,
        transcript: [
          connect(0.3, 'c1', 'connected to 127.0.0.1:41234'),
          send(1.1, resp('PING')),
          recv(2.9, '+PONG\r\n'),
          event(3.2, 'close'),
        ],
        log: ['sent PING, waiting for +PONG'],
      }),
      test('basics', 4, {
        id: 'ping-many',
        title: 'answers many commands on one connection',
        status: 'passed',
        durationMs: 31,
      }),
      test('basics', 4, {
        id: 'echo',
        title: 'ECHO and PING <message> return a bulk string',
        status: 'failed',
        durationMs: 8.7,
        message: 'ECHO "hello world" got the wrong reply: only the first word was echoed.',
        hint: 'A bulk string is $<length>\\r\\n<bytes>\\r\\n, and the length counts every byte of the argument, spaces included.',
        diff: bytesDiff('$11\r\nhello world\r\n', '$5\r\nhello\r\n'),
        transcript: [
          connect(0.2),
          send(0.9, resp('ECHO', 'hello world')),
          recv(2.4, '$5\r\nhello\r\n'),
          event(2.6, 'close'),
        ],
        log: ['sending ECHO with a 11-byte argument', 'reply did not match'],
      }),
      test('basics', 3, {
        id: 'case-insensitive',
        title: 'command names are case-insensitive',
        status: 'passed',
        pointsEarned: 2,
        durationMs: 5,
        message: 'ping and PING were answered, but PiNg was not: 2 of 3 points.',
      }),
    ],
  };
  const concurrency: GroupResult = {
    id: 'concurrency',
    title: 'Stage 2: many clients at once',
    description: 'Several clients are connected at the same time; none may wait for another.',
    tests: [
      test('concurrency', 5, {
        id: 'interleaved-clients',
        title: 'three open clients served interleaved and in reverse order',
        status: 'passed',
        durationMs: 44,
      }),
      test('concurrency', 5, {
        id: 'idle-client-does-not-block',
        title: 'a client that sent half a command does not block the others',
        status: 'timeout',
        durationMs: 3001,
        message: 'c2 got no reply to PING within 3000 ms while c1 had sent half a command.',
        hint: 'Your server seems to block in recv() on c1. Use select/poll, non-blocking sockets, or a thread per client.',
        transcript: [
          connect(0.3, 'c1'),
          send(0.8, '*1\r\n$4\r\nPI', 'c1'),
          connect(1.2, 'c2'),
          send(1.6, resp('PING'), 'c2'),
          event(3000.2, 'note', 'test', 'gave up waiting for c2 after 3000 ms'),
        ],
        log: ['c1 sends half a command and then stays silent', 'c2 sends PING; expecting +PONG while c1 is idle'],
      }),
      test('concurrency', 5, {
        id: 'hundred-clients',
        title: '100 concurrent clients',
        status: 'error',
        durationMs: 140,
        message: 'connect ECONNREFUSED 127.0.0.1:41234: the program is not listening (it exited with code 1 during this test).',
        transcript: [connect(0.3, 'c1'), event(1.5, 'error', 'c57', 'connect ECONNREFUSED 127.0.0.1:41234')],
      }),
    ],
  };
  const framing: GroupResult = {
    id: 'framing',
    title: 'Stage 3: TCP is a byte stream',
    tests: [
      test('framing', 5, {
        id: 'pipelined-1000',
        title: '1,000 commands coalesced in one write, answered in order',
        status: 'failed',
        durationMs: 1432,
        message: 'Reply 61 was :60 — replies came out of order or one was lost.',
        diff: bytesDiff(':61\r\n', ':60\r\n'),
        transcript: pipelineTranscript(),
        transcriptDropped: 40,
      }),
    ],
  };
  const strings: GroupResult = {
    id: 'strings',
    title: 'Stage 4: keys and values',
    tests: [
      test('strings', 5, {
        id: 'large-value',
        title: 'a 512 KiB value',
        status: 'failed',
        durationMs: 250,
        message: 'GET big returned 65,536 bytes of the 524,288-byte value: the value was cut.',
        diff: {
          ...bytesDiff(`$524288\r\n${'v'.repeat(40)}`, `$65536\r\n${'v'.repeat(40)}`),
        },
        transcript: [
          connect(0.2),
          send(1, largeCommand.slice(0, 512), 'c1', largeCommand.length),
          recv(30, '+OK\r\n'),
          send(31, resp('GET', 'big')),
          recv(60, `$65536\r\n${'v'.repeat(500)}`, 'c1', 65536 + 8),
        ],
      }),
      test('strings', 5, {
        id: 'binary-values',
        title: 'values with every byte 0-255 and embedded \\r\\n',
        status: 'failed',
        durationMs: 20,
        message: 'GET bin returned different bytes than SET stored.',
        diff: bytesDiff(
          Buffer.from([0x24, 0x34, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0xff, 0x0d, 0x0a]),
          Buffer.from([0x24, 0x34, 0x0d, 0x0a, 0x00, 0x0a, 0xff, 0x0d, 0x0a]),
        ),
      }),
    ],
  };
  const robustness: GroupResult = {
    id: 'robustness',
    title: 'Stage 6: errors and hostile clients',
    tests: [
      test('robustness', 5, {
        id: 'malformed-protocol',
        title: 'malformed protocol on one connection does not affect the others',
        status: 'failed',
        durationMs: 17,
        message: `Expected an error reply starting with "-", got "${HOSTILE}" and a \`\`\` fence.`,
        diff: bytesDiff('-ERR protocol error\r\n', `${HOSTILE}\r\n\`\`\`\`\r\n${ANSI_RED}`),
        transcript: [
          connect(0.1),
          send(0.4, 'GARBAGE\r\n'),
          recv(1.2, `${HOSTILE}\r\n\`\`\`\`\r\n${ANSI_RED}red${ANSI_CLEAR}`),
          event(1.5, 'reset', 'c1', 'reset by the program (ECONNRESET)'),
        ],
        log: [`program answered: ${HOSTILE}`],
      }),
      test('robustness', 5, {
        id: 'half-close',
        title: 'a client that half-closes still gets its replies',
        status: 'skipped',
        durationMs: 0,
        message: 'not run: the 60 s time budget ran out',
      }),
      test('robustness', 5, {
        id: 'abrupt-disconnect',
        title: 'a client reset in the middle of a command does not affect the others',
        status: 'skipped',
        durationMs: 0,
        message: 'not run: the 60 s time budget ran out',
      }),
    ],
  };
  return finish({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'sockgrade', version: '0.1.0' },
    assignment: { id: 'kv-server', title: 'A key-value server that speaks the Redis protocol' },
    submission: { dir: '/home/student/kv', language: 'python', run: 'python3 server.py --port {port}' },
    seed: '7f3a9c',
    replay: 'npx sockgrade grade kv-server /home/student/kv --seed 7f3a9c',
    startedAt: '2025-11-23T22:31:05.123Z',
    durationMs: 61234,
    completeness: 'budget-exceeded',
    build: { status: 'skipped', exitCode: null, durationMs: 0, output: output('') },
    groups: [basics, concurrency, framing, strings, robustness],
    program: {
      role: 'server',
      starts: [
        {
          pid: 4242,
          port: 41234,
          command: 'python3 server.py --port 41234',
          startedAtMs: 12,
          ready: true,
          exit: { code: 1, signal: null, stoppedByGrader: false, atMs: 4410, duringTest: 'hundred-clients' },
        },
        {
          pid: 4301,
          port: 41234,
          command: 'python3 server.py --port 41234',
          startedAtMs: 4520,
          startedForTest: 'pipelined-1000',
          ready: true,
          exit: { code: null, signal: 'SIGTERM', stoppedByGrader: true, atMs: 61100 },
          cleanup: 'stopped with SIGTERM in 12 ms; nothing left behind',
        },
      ],
      stdout: output(hostileStdout),
      stderr: output(stderrLines.join('\n') + '\n', { keep: 600 }),
    },
    notes: [
      'The program exited by itself during hundred-clients (exit code 1) and was restarted for the next test.',
      'The time budget (60 s) ran out: 2 tests did not run.',
    ],
    official: false,
    leaderboard: [],
    environment: { node: 'v20.20.2', platform: 'linux x64' },
  });
}

/** The build failed: nothing ran. */
export function buildFailed(): Results {
  const r = fullRun();
  const buildLog =
    'gcc -Wall -O2 -o server server.c\n' +
    "server.c: In function 'handle_client':\n" +
    "server.c:42:5: error: 'buf' undeclared (first use in this function)\n" +
    '   42 |     buf[n] = 0;\n' +
    '      |     ^~~\n' +
    'make: *** [Makefile:3: server] Error 1\n';
  return finish({
    ...r,
    completeness: 'complete',
    submission: { ...r.submission, language: 'c', build: 'make', run: './server --port {port}' },
    build: { command: 'make', status: 'failed', exitCode: 2, durationMs: 1234, output: output(buildLog) },
    groups: r.groups.map((g) => ({
      ...g,
      tests: g.tests.map((t) => ({
        ...t,
        status: 'skipped' as const,
        pointsEarned: 0,
        durationMs: 0,
        message: 'not run: the build failed',
        hint: undefined,
        diff: undefined,
        transcript: [],
        transcriptDropped: 0,
        log: [],
      })),
    })),
    program: { role: 'server', starts: [], stdout: output(''), stderr: output('') },
    notes: [],
  });
}

/** Everything passed. */
export function allPassed(): Results {
  const r = fullRun();
  return finish({
    ...r,
    completeness: 'complete',
    groups: r.groups.map((g) => ({
      ...g,
      tests: g.tests.map((t) => ({
        ...t,
        status: 'passed' as const,
        pointsEarned: t.pointsPossible,
        message: undefined,
        hint: undefined,
        diff: undefined,
        durationMs: t.durationMs || 3,
      })),
    })),
    program: { ...r.program, starts: r.program.starts.slice(1), stderr: output('') },
    notes: [],
  });
}

export function allTests(r: Results): TestResult[] {
  return r.groups.flatMap((g) => g.tests);
}
