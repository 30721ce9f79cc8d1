import { describe, expect, it } from 'vitest';
import { bytesText, showBase64, showBytes } from '../../grader/report/bytes.js';
import { diffView } from '../../grader/report/diff.js';
import { formatDuration, formatPercent, formatPoints, pluralize, sanitizeText } from '../../grader/report/format.js';
import { codeSpan, fence, longestRun, mdEscape } from '../../grader/report/markdown-escape.js';
import { transcriptRows, TERMINAL_LIMITS } from '../../grader/report/view.js';
import { bytesDiff, fullRun, recv, send } from './fixtures.js';
import { caretBlocks } from './helpers.js';

describe('numbers', () => {
  it('formats durations like a person would say them', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(0.4)).toBe('<1 ms');
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(999.6)).toBe('1.0 s');
    expect(formatDuration(1432)).toBe('1.4 s');
    expect(formatDuration(61234)).toBe('1 min 1 s');
    expect(formatDuration(-1)).toBe('—');
  });

  it('formats points, percents and counts', () => {
    expect(formatPoints(4, 4)).toBe('4/4');
    expect(formatPoints(2.5, 4)).toBe('2.5/4');
    expect(formatPoints(1 / 3, 1)).toBe('0.33/1');
    expect(formatPercent(87)).toBe('87%');
    expect(formatPercent(99.7)).toBe('99%'); // never rounds up to a full score
    expect(formatPercent(0.2)).toBe('1%'); // nor down to nothing
    expect(formatPercent(100)).toBe('100%');
    expect(pluralize(1, 'timeout')).toBe('1 timeout');
    expect(pluralize(2, 'entry', 'entries')).toBe('2 entries');
    expect(pluralize(1234, 'byte')).toBe('1,234 bytes');
  });
});

describe('sanitizeText', () => {
  it('makes control characters visible and keeps text', () => {
    expect(sanitizeText('a\x1b[31mred\x1b[0m')).toBe('a\\x1b[31mred\\x1b[0m');
    expect(sanitizeText('one\r\ntwo\rthree\tfour\x00')).toBe('one\ntwo\\rthree\tfour\\x00');
    expect(sanitizeText('\u202eevil')).toBe('\\u202eevil');
    expect(sanitizeText('\x9b31m')).toBe('\\x9b31m'); // the one-byte CSI
    expect(sanitizeText('héllo — ✓')).toBe('héllo — ✓');
  });
});

describe('showBytes', () => {
  it('escapes and quotes, cutting only between escapes', () => {
    expect(showBytes(Buffer.from('+PONG\r\n')).quoted).toBe('"+PONG\\r\\n"');
    const cut = showBytes(Buffer.from([0, 1, 2, 3]), 9);
    expect(cut.quoted).toBe('"\\x00\\x01"');
    expect(cut.more).toBe(2);
    expect(bytesText(cut)).toBe('"\\x00\\x01" … 2 more bytes');
  });

  it('counts bytes the grader never stored', () => {
    const s = showBase64(Buffer.from('abc').toString('base64'), Infinity, 1000);
    expect(bytesText(s)).toBe('"abc" … 997 more bytes');
  });
});

describe('diffView', () => {
  function lines(e: string, r: string, caret: number, window = Infinity) {
    const v = diffView({ expected: e, received: r, caret }, window);
    const text = `Expected: ${v.expected.text}\nReceived: ${v.received.text}\n${' '.repeat(10 + v.caret)}^`;
    return { v, text, block: caretBlocks(text)[0] };
  }

  it('keeps short diffs whole', () => {
    const { v, block } = lines('+PONG\\r\\n', '-ERR\\r\\n', 0);
    expect(v.expected.text).toBe('"+PONG\\r\\n"');
    expect(v.caret).toBe(1);
    expect(block.caretColumn).toBe(block.differsAt);
  });

  it('windows long diffs around the difference, never inside an escape', () => {
    const e = '\\x00'.repeat(300) + 'A' + '\\r\\n'.repeat(300);
    const r = '\\x00'.repeat(300) + 'B' + '\\r\\n'.repeat(300);
    const { v, block } = lines(e, r, 1200, 90);
    expect(v.expected.text.startsWith('"…\\x00')).toBe(true);
    expect(v.expected.text.endsWith('\\n…"')).toBe(true);
    expect(v.expected.text.length).toBeLessThan(100);
    expect(block.caretColumn).toBe(block.differsAt);
    expect(v.expected.differs.startsWith('A')).toBe(true);
  });

  it('puts the caret right for any pair of byte strings and any window', () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 400; i++) {
      const len = rand(300);
      const a = Buffer.from(Array.from({ length: len }, () => (rand(3) === 0 ? rand(256) : 97 + rand(3))));
      const b = Buffer.from(a);
      const at = rand(len + 1);
      const other = Buffer.from(Array.from({ length: rand(40) }, () => rand(256)));
      const received = Buffer.concat([b.subarray(0, at), other]);
      if (received.equals(a)) continue;
      const d = bytesDiff(a, received);
      const { block } = lines(d.expected, d.received, d.caret, [20, 50, 96, Infinity][rand(4)]);
      expect(block.caretColumn, `${d.expected}\n${d.received}`).toBe(block.differsAt);
    }
  });

  it('recomputes a caret that does not match the text', () => {
    const { block } = lines('abcdef', 'abcXef', 0);
    expect(block.caretColumn).toBe(3 + 1);
  });
});

describe('transcriptRows', () => {
  it('marks where the grader dropped entries, and what the format leaves out', () => {
    const t = fullRun().groups[2].tests[0]; // pipelined-1000: 120 kept, 40 dropped
    const all = transcriptRows(t, { ...TERMINAL_LIMITS, transcriptEntries: Infinity });
    const gaps = all.filter((r) => r.gap);
    expect(gaps).toEqual([{ gap: true, text: '… 40 more entries' }]);
    expect(all.findIndex((r) => r.gap)).toBe(60); // the first half is kept, the gap follows it
    const short = transcriptRows(t, { ...TERMINAL_LIMITS, transcriptEntries: 10 });
    expect(short.filter((r) => !r.gap).length).toBe(10);
    expect(short.filter((r) => r.gap)).toEqual([{ gap: true, text: '… 150 more entries' }]);
  });

  it('labels directions', () => {
    const rows = transcriptRows(
      { ...fullRun().groups[0].tests[0], transcript: [send(1, 'PING\r\n'), recv(2, '+PONG\r\n')], transcriptDropped: 0 },
      TERMINAL_LIMITS,
    );
    expect(rows.map((r) => (r.gap ? r.text : `${r.arrow} ${r.text}`))).toEqual(['> "PING\\r\\n"', '< "+PONG\\r\\n"']);
  });
});

describe('markdown escaping', () => {
  it('fences with more backticks than the text holds', () => {
    expect(fence('plain')).toBe('```\nplain\n```');
    expect(fence('a ```` b')).toBe('`````\na ```` b\n`````');
    expect(longestRun('x``y```z')).toBe(3);
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
  });

  it('escapes inline text', () => {
    expect(mdEscape('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mdEscape('*bold* _it_ [x](y) | `c`')).toBe('\\*bold\\* \\_it\\_ \\[x\\](y) \\| \\`c\\`');
    expect(mdEscape('# not a heading\n- not a list\n1. not a list')).toBe(
      '\\# not a heading<br>\\- not a list<br>1\\. not a list',
    );
  });
});
