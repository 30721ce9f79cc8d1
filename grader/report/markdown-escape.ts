// Escaping for Markdown (GitHub-flavoured, as rendered in job summaries and PR comments):
// inline text that cannot start a heading, a list, a link or raw HTML; code spans and fenced
// code blocks whose fence is longer than any backtick run inside, so no content can close them.

/** Inline text: Markdown punctuation backslash-escaped, `<` `>` `&` as entities, newlines as <br>. */
export function mdEscape(text: string): string {
  return text
    .replace(/[\\`*_[\]|~#!]/g, (c) => '\\' + c)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .split('\n')
    .map((line) => line.replace(/^(\s*)([-+=])/, '$1\\$2').replace(/^(\s*\d+)([.)])/, '$1\\$2'))
    .join('<br>');
}

/** Length of the longest run of `ch` in `text`. */
export function longestRun(text: string, ch = '`'): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

/** An inline code span: `x`, or ``a`b`` when the text holds backticks. */
export function codeSpan(text: string): string {
  const oneLine = text.replace(/\r?\n/g, ' ');
  const ticks = '`'.repeat(longestRun(oneLine) + 1);
  const pad = /^[` ]|[` ]$/.test(oneLine) ? ' ' : '';
  return ticks + pad + oneLine + pad + ticks;
}

/** A code span inside a table cell, where `|` ends the cell even inside code. */
export function codeCell(text: string): string {
  return codeSpan(text).replace(/\|/g, '\\|');
}

/** A fenced code block whose fence is longer than any backtick run in `text`. */
export function fence(text: string, lang = ''): string {
  const ticks = '`'.repeat(Math.max(3, longestRun(text) + 1));
  const body = text.endsWith('\n') ? text : text + '\n';
  return `${ticks}${lang}\n${body}${ticks}`;
}
