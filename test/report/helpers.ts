// Shared checks for the report tests.
import { expect } from 'vitest';

/** Where an escaped string's tokens start (`\r`, `\x00` and `\\` are one token each). */
function tokenStarts(s: string): number[] {
  const out: number[] = [];
  for (const m of s.matchAll(/\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\.|[\s\S]/gu)) out.push(m.index);
  return out;
}

/** The column (in code points) where two displayed strings first differ, at the start of the escape it falls in. */
export function firstDifferenceColumn(a: string, b: string): number {
  const ca = [...a];
  const cb = [...b];
  let i = 0;
  while (i < ca.length && i < cb.length && ca[i] === cb[i]) i++;
  // Back up to the start of the token (on the shared prefix, both strings tokenize alike).
  const prefix = ca.slice(0, i).join('');
  const starts = tokenStarts(a.length >= prefix.length ? a : b).filter((s) => s <= prefix.length);
  const start = starts.length ? starts[starts.length - 1] : 0;
  return [...prefix.slice(0, start)].length;
}

export interface CaretBlock {
  expected: string;
  received: string;
  caretLine: string;
  /** Column of `^` minus the column where the quoted values start. */
  caretColumn: number;
  /** Column where the first differing character is, relative to the same start. */
  differsAt: number;
}

/**
 * Find every `Expected: …` / `Received: …` / `   ^` triple in plain text and measure where the
 * caret is against where the two lines really first differ.
 */
export function caretBlocks(text: string): CaretBlock[] {
  const lines = text.split('\n');
  const out: CaretBlock[] = [];
  for (let i = 0; i + 2 < lines.length; i++) {
    const e = lines[i];
    const r = lines[i + 1];
    const c = lines[i + 2];
    const ei = e.indexOf('Expected: ');
    if (ei < 0 || r.indexOf('Received: ') !== ei) continue;
    const start = [...e.slice(0, ei)].length + 'Expected: '.length;
    const expected = [...e].slice(start).join('');
    const received = [...r].slice(start).join('');
    const caretAt = [...c].indexOf('^');
    expect(caretAt, `caret line after\n${e}\n${r}\n${c}`).toBeGreaterThanOrEqual(0);
    expect(c.slice(0, c.indexOf('^')).trim(), 'nothing but spaces before the caret').toBe('');
    out.push({ expected, received, caretLine: c, caretColumn: caretAt - start, differsAt: firstDifferenceColumn(expected, received) });
  }
  return out;
}

// eslint-disable-next-line no-control-regex
export const ANY_ESC = /\x1b/;

/** Remove tags and decode the entities Handlebars produces. */
export function htmlText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&#x60;/g, '`')
    .replace(/&#x3D;/g, '=')
    .replace(/&amp;/g, '&');
}

export interface Fenced {
  fence: string;
  info: string;
  body: string;
}

/** Fenced code blocks of a Markdown text, parsed the CommonMark way (backtick fences only). */
export function fencedBlocks(md: string): { blocks: Fenced[]; outside: string } {
  const lines = md.split('\n');
  const blocks: Fenced[] = [];
  const outside: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})([^`]*)$/.exec(lines[i]);
    if (!open) {
      outside.push(lines[i]);
      continue;
    }
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^(`{3,})\s*$/.exec(lines[j]);
      if (close && close[1].length >= fence.length) break;
      body.push(lines[j]);
    }
    expect(j, `fence ${fence} opened at line ${i + 1} is closed`).toBeLessThan(lines.length);
    blocks.push({ fence, info: open[2], body: body.join('\n') });
    i = j;
  }
  return { blocks, outside: outside.join('\n') };
}
