import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../grader/report/index.js';
import { longestRun, mdEscape } from '../../grader/report/markdown-escape.js';
import { allPassed, allTests, buildFailed, fullRun, HOSTILE } from './fixtures.js';
import { ANY_ESC, caretBlocks, fencedBlocks } from './helpers.js';

describe('renderMarkdown', () => {
  const r = fullRun();
  const md = renderMarkdown(r);
  const { blocks, outside } = fencedBlocks(md);

  it('starts with the score line', () => {
    expect(md).toContain('**Score: 15/60 (25%)** — 4 passed, 5 failed, 1 timeout, 1 error, 2 skipped');
    expect(md).toContain('> [!WARNING]');
  });

  it('has a table per stage with a row per test', () => {
    for (const g of r.groups) {
      expect(md).toContain(`### ${mdEscape(g.title)}`);
    }
    const rows = md.split('\n').filter((l) => /^\| (✅|❌|⏱️|💥|⏭️) \|/.test(l));
    expect(rows.length).toBe(allTests(r).length);
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(6); // 4 cells, no stray pipe
    expect(md).toContain('| ⏱️ | `idle-client-does-not-block`');
    expect(md).toContain('| 💥 | `hundred-clients`');
    expect(md).toContain('| ⏭️ | `half-close`');
  });

  it('names every test and shows every message', () => {
    for (const t of allTests(r)) {
      expect(md).toContain('`' + t.id + '`');
      if (t.message) expect(md).toContain(mdEscape(t.message));
    }
  });

  it('has a details section per test that needs attention', () => {
    const summaries = [...md.matchAll(/<summary>(.*)<\/summary>/g)].map((m) => m[1]);
    for (const id of ['echo', 'case-insensitive', 'idle-client-does-not-block', 'hundred-clients', 'pipelined-1000', 'large-value', 'binary-values', 'malformed-protocol']) {
      expect(summaries.some((s) => s.includes(`<code>${id}</code>`)), id).toBe(true);
    }
    expect(summaries.some((s) => s.includes('<code>ping</code>'))).toBe(false);
    expect(md.match(/<details/g)?.length).toBe(md.match(/<\/details>/g)?.length);
  });

  it('uses a fence longer than any backtick run inside it', () => {
    expect(blocks.length).toBeGreaterThan(10);
    for (const b of blocks) expect(longestRun(b.body), b.body).toBeLessThan(b.fence.length);
    // The hostile reply holds ```` (four): its blocks need five.
    const hostile = blocks.filter((b) => b.body.includes(HOSTILE));
    expect(hostile.length).toBeGreaterThanOrEqual(2);
    for (const b of hostile) if (b.body.includes('````')) expect(b.fence.length).toBeGreaterThanOrEqual(5);
  });

  it('keeps student output inside code blocks or escaped', () => {
    expect(outside).not.toMatch(/<script/i);
    expect(outside).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(md).not.toMatch(ANY_ESC);
  });

  it('puts the caret exactly under the first differing character', () => {
    const diffs = blocks.filter((b) => b.body.startsWith('Expected: '));
    expect(diffs.length).toBe(5);
    for (const d of diffs) {
      const [c] = caretBlocks(d.body);
      expect(c.caretColumn, d.body).toBe(c.differsAt);
    }
  });

  it('shows transcripts, drops and hints', () => {
    expect(md).toContain('c1 > "*2\\r\\n$4\\r\\nECHO\\r\\n$11\\r\\nhello world\\r\\n"');
    expect(md).toContain('40 entries dropped by the grader');
    expect(md).toMatch(/… \d+ more entries/);
    expect(md).toContain('> **Hint:**');
  });

  it('ends with the seed and the replay command', () => {
    expect(md).toContain('Seed `7f3a9c`');
    expect(md.trimEnd().endsWith('```sh\n' + r.replay + '\n```')).toBe(true);
  });

  it('stays under the size limit by leaving details out, and says so', () => {
    expect(md.length).toBeLessThan(60_000);
    const small = renderMarkdown(r, { maxChars: 6000 });
    expect(small.length).toBeLessThanOrEqual(6000);
    expect(small).toMatch(/\d+ more tests? not shown here/);
    expect(small).toContain('**Score: 15/60 (25%)**');
    // Still well-formed.
    const { blocks: smallBlocks } = fencedBlocks(small);
    for (const b of smallBlocks) expect(longestRun(b.body)).toBeLessThan(b.fence.length);
  });

  it('shows a failed build', () => {
    const b = renderMarkdown(buildFailed());
    expect(b).toContain('> [!CAUTION]');
    expect(b).toContain("server.c:42:5: error: 'buf' undeclared");
    expect(b).toContain('not run: the build failed');
  });

  it('says little when everything passed', () => {
    const p = renderMarkdown(allPassed());
    expect(p.startsWith('## ✅')).toBe(true);
    expect(p).not.toContain('<details');
  });
});
