import { describe, expect, test } from 'vitest';
import { hexRows } from '../../grader/report/view.js';

describe('hex dump of binary messages', () => {
  test('rows of 16 bytes with offsets and ASCII; the marked byte bracketed without shifting columns', () => {
    const bytes = Buffer.from([...Array(20).keys()].map((i) => 0x41 + i));
    const plain = hexRows(bytes, 8);
    const marked = hexRows(bytes, 8, 17);
    expect(plain.rows.map((r) => r.text)).toEqual([
      '0000 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|',
      '0010 51 52 53 54                                      |QRST|',
    ]);
    expect(marked.rows[1].text).toBe('0010 51[52]53 54                                      |QRST|');
    expect(marked.rows[1].cells[1]).toEqual({ hex: '52', mark: true });
    expect(marked.rows[1].text.length).toBe(plain.rows[1].text.length);
  });
  test('stops at the row limit and counts the rest', () => {
    const r = hexRows(Buffer.alloc(100), 2);
    expect(r.rows).toHaveLength(2);
    expect(r.more).toBe(68);
  });
});
