import { describe, expect, it } from 'vitest';
import {
  lineWidths,
  renderGroupHeader,
  renderTerminal,
  renderTerminalSummary,
  renderTestLine,
} from '../../grader/report/index.js';
import { allPassed, allTests, ANSI_CLEAR, buildFailed, fullRun, HOSTILE } from './fixtures.js';
import { ANY_ESC, caretBlocks } from './helpers.js';

const plain = { color: false, verbose: false };

describe('renderTestLine', () => {
  const r = fullRun();
  const tests = allTests(r);
  const widths = lineWidths(tests);
  const byId = (id: string) => tests.find((t) => t.id === id)!;

  it('shows a symbol per status, the id, the title, points and duration', () => {
    expect(renderTestLine(byId('ping'), { color: false })).toMatch(/^ {2}✓ ping +answers PING with \+PONG +4\/4 +12 ms$/);
    expect(renderTestLine(byId('echo'), { color: false })).toMatch(/^ {2}✗ echo /);
    const timeout = renderTestLine(byId('idle-client-does-not-block'), { color: false });
    expect(timeout).toMatch(/^ {2}⏱ idle-client-does-not-block/);
    expect(timeout).toMatch(/3\.0 s +TIMEOUT$/);
    expect(renderTestLine(byId('hundred-clients'), { color: false })).toMatch(/^ {2}! hundred-clients .*ERROR$/);
    expect(renderTestLine(byId('half-close'), { color: false })).toMatch(/^ {2}- half-close .*SKIPPED$/);
  });

  it('lines up the points and duration columns across tests', () => {
    const lines = tests.map((t) => renderTestLine(t, { color: false, widths }));
    const pointsCol = 2 + 2 + widths.id + 2 + widths.title + 2;
    for (const [i, line] of lines.entries()) {
      const t = tests[i];
      expect(line.slice(pointsCol, pointsCol + 5).trim(), line).toBe(`${t.pointsEarned}/${t.pointsPossible}`);
      expect(line.slice(pointsCol + 5, pointsCol + 7), line).toBe('  ');
    }
    // Every line is one line, and long titles are cut rather than pushing the columns.
    for (const line of lines) expect(line).not.toContain('\n');
    expect(lines.find((l) => l.includes('abrupt-disconnect'))).toContain('…');
  });

  it('colours only when asked', () => {
    for (const t of tests) expect(renderTestLine(t, { color: false })).not.toMatch(ANY_ESC);
    expect(renderTestLine(byId('ping'), { color: true })).toContain('\x1b[32m'); // green ✓
    expect(renderTestLine(byId('echo'), { color: true })).toContain('\x1b[31m'); // red ✗
    expect(renderTestLine(byId('idle-client-does-not-block'), { color: true })).toContain('\x1b[33m'); // yellow
  });

  it('prints a group header on its own line after a blank line', () => {
    expect(renderGroupHeader({ id: 'basics', title: 'Stage 1: listen and answer' }, { color: false })).toBe(
      '\nStage 1: listen and answer',
    );
    expect(renderGroupHeader({ id: 'basics', title: 'Stage 1' }, { color: true })).toMatch(ANY_ESC);
  });
});

describe('renderTerminal', () => {
  const r = fullRun();
  const out = renderTerminal(r, plain);

  it('names every test and shows every message', () => {
    for (const t of allTests(r)) {
      expect(out).toContain(t.id);
      if (t.message) expect(out).toContain(t.message);
    }
  });

  it('puts the caret exactly under the first differing character', () => {
    const blocks = caretBlocks(out);
    expect(blocks.length).toBe(5); // echo, pipelined-1000, large-value, binary-values, malformed-protocol
    for (const b of blocks) expect(b.caretColumn, `${b.expected}\n${b.received}\n${b.caretLine}`).toBe(b.differsAt);
    // The echo diff differs mid-string: `"$1` against `"$5`.
    const echo = blocks.find((b) => b.expected.startsWith('"$11'))!;
    expect(echo.caretColumn).toBe(2);
    expect([...echo.expected][echo.caretColumn]).toBe('1');
    expect([...echo.received][echo.caretColumn]).toBe('5');
    // With an escape, the caret goes under its backslash: `\r` against `\n`.
    const binary = blocks.find((b) => b.expected.includes('\\xff'))!;
    expect(binary.expected.slice(binary.caretColumn, binary.caretColumn + 2)).toBe('\\r');
    expect(binary.received.slice(binary.caretColumn, binary.caretColumn + 2)).toBe('\\n');
  });

  it('shows transcripts in readable form', () => {
    expect(out).toContain('c1 > "*2\\r\\n$4\\r\\nECHO\\r\\n$11\\r\\nhello world\\r\\n"');
    expect(out).toContain('c1 < "$5\\r\\nhello\\r\\n"');
    expect(out).toMatch(/\+0\.2 ms {2}c1 · connected/);
    expect(out).toMatch(/c1 · closed/);
    expect(out).toMatch(/c1 · reset by the program \(ECONNRESET\)/);
    expect(out).toMatch(/test · gave up waiting for c2/);
  });

  it('cuts long data and says how much was left out', () => {
    const line = out.split('\n').find((l) => l.includes('c1 > "*3\\r\\n$3\\r\\nSET'))!;
    expect(line).toMatch(/… 524,\d{3} more bytes$/);
    expect(line.length).toBeLessThan(160);
    // The grader's own cut (size > stored) counts too: 65,544 bytes, 500 stored, fewer shown.
    expect(out).toMatch(/c1 < "\$65536\\r\\nv+" … 65,\d{3} more bytes/);
  });

  it('marks transcript entries that were dropped', () => {
    const section = detailsOf(out, 'pipelined-1000');
    expect(section).toMatch(/… \d+ more entries/);
    // 40 dropped by the grader, plus what the terminal leaves out to stay short.
    const n = Number(/… (\d+) more entries/.exec(section)![1]);
    expect(n).toBeGreaterThanOrEqual(40);
    expect(section.split('\n').filter((l) => / c1 [<>] /.test(l)).length).toBeLessThanOrEqual(40);
  });

  it('indents every detail line under its test', () => {
    const section = out.slice(out.indexOf('Failed tests'), out.indexOf('── Skipped'));
    for (const line of section.split('\n').slice(1)) {
      if (line === '' || /^ (FAIL|PARTIAL|TIMEOUT|ERROR) /.test(line)) continue;
      expect(line, 'detail line indented').toMatch(/^ {4}/);
    }
  });

  it('shows log lines and hints', () => {
    expect(detailsOf(out, 'echo')).toContain('reply did not match');
    expect(detailsOf(out, 'echo')).toMatch(/^ {4}hint: A bulk string is/m);
  });

  it('shows the stderr tail, notes, partial warning, score, seed and replay', () => {
    expect(out).toContain('Program stderr (last');
    expect(out).toContain("Traceback line 5: KeyError: 'x' at server.py:159");
    expect(out).not.toContain('debug: handled command 1\n');
    expect(out).toContain('pid 4242 exited by itself (exit code 1)');
    for (const n of r.notes) expect(out).toContain(n);
    expect(out).toContain('Partial results: the time budget ran out');
    expect(out).toContain('Score: 15/60 (25%) — 4 passed, 5 failed, 1 timeout, 1 error, 2 skipped');
    expect(out).toContain('7f3a9c');
    expect(out).toContain(r.replay);
  });

  it('never passes a program’s control characters through', () => {
    expect(out).not.toMatch(ANY_ESC);
    expect(out).toContain('\\x1b[31m');
    expect(out).toContain(HOSTILE); // plain text in a terminal: harmless
    const coloured = renderTerminal(r, { color: true, verbose: false });
    expect(coloured).toMatch(ANY_ESC);
    expect(coloured).not.toContain(ANSI_CLEAR);
    // Every escape sequence in the coloured output is one of ours: SGR colour codes.
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(ANY_ESC);
  });

  it('shows details of passed tests only when verbose', () => {
    expect(out).not.toContain('sent PING, waiting for +PONG');
    const verbose = renderTerminal(r, { color: false, verbose: true });
    expect(verbose).toContain('sent PING, waiting for +PONG');
    expect(verbose).toContain('Details (');
  });

  it('shows a failed build and its output first', () => {
    const b = renderTerminalSummary(buildFailed(), plain);
    expect(b.indexOf('Build failed')).toBeLessThan(b.indexOf('Skipped'));
    expect(b).toContain('$ make');
    expect(b).toContain("server.c:42:5: error: 'buf' undeclared");
    expect(b).toContain('exit code 2');
    expect(b).toContain('all 13 tests');
    expect(b).toContain('not run: the build failed');
  });

  it('keeps a clean run short', () => {
    const s = renderTerminalSummary(allPassed(), plain);
    expect(s).toContain('All tests passed.');
    expect(s).toContain('Score: 60/60 (100%) — 13 passed');
    expect(s).not.toContain('stderr');
    expect(s).not.toContain('Partial');
    expect(s.split('\n').length).toBeLessThan(10);
  });
});

/** The summary block of one test: from its badge line to the next blank-line-separated badge or rule. */
function detailsOf(out: string, id: string): string {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^ [A-Z]+ +${id} ·`).test(l));
  expect(start, `details of ${id}`).toBeGreaterThanOrEqual(0);
  let end = start + 1;
  while (end < lines.length && !/^( [A-Z]+ |── )/.test(lines[end])) end++;
  return lines.slice(start, end).join('\n');
}
