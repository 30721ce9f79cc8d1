import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../grader/report/index.js';
import { allPassed, allTests, buildFailed, fullRun, HOSTILE } from './fixtures.js';
import { ANY_ESC, caretBlocks, htmlText } from './helpers.js';

const esc = (s: string) => Handlebars.escapeExpression(s);

describe('renderHtml', () => {
  const r = fullRun();
  const html = renderHtml(r);

  it('is one self-contained page: no scripts, no external requests of any kind', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<(img|iframe|object|embed|link|base|form|audio|video|source)\b/i);
    expect(html).not.toMatch(/\b(src|href|action|srcset|poster)\s*=\s*["']?\s*(https?:|\/\/|data:|javascript:)/i);
    expect(html).not.toMatch(/url\(|@import/i);
    // Every link is to an anchor in the page, and every anchor exists.
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.length).toBeGreaterThan(10);
    for (const h of hrefs) {
      expect(h).toMatch(/^#[a-z0-9-]+$/);
      expect(html).toContain(`id="${h.slice(1)}"`);
    }
    expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none';`);
  });

  it('escapes everything the program printed', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;img src&#x3D;&quot;https://evil.example/x.png&quot;');
    expect(html).not.toMatch(ANY_ESC);
    expect(html).toContain('\\x1b[31m'); // the ANSI escape, made visible
    expect(html).toContain('\\u202eevil bidi override');
  });

  it('names every test and shows every message, each in its own section', () => {
    for (const t of allTests(r)) {
      expect(html).toContain(`<code class="tid">${esc(t.id)}</code>`);
      if (t.message) expect(html).toContain(esc(t.message));
      if (t.hint) expect(html).toContain(esc(t.hint));
    }
    expect(html.match(/<article class="test /g)?.length).toBe(allTests(r).length);
  });

  it('summarises at the top: title, score, bar, counts, seed, date, duration, partial warning', () => {
    const top = html.slice(0, html.indexOf('<nav'));
    expect(top).toContain(esc(r.assignment.title));
    expect(top).toContain('<span class="score-big">15</span>');
    expect(top).toContain('25%');
    expect(top).toContain('style="width: 25%"');
    expect(top).toMatch(/4 passed[\s\S]*5 failed[\s\S]*1 timed out[\s\S]*1 error[\s\S]*2 skipped/);
    expect(top).toContain('7f3a9c');
    expect(top).toContain('2025-11-23 22:31:05 UTC');
    expect(top).toContain('1 min 1 s');
    expect(top).toContain('Incomplete run.');
    expect(renderHtml(allPassed())).not.toContain('Incomplete run.');
  });

  it('has a table of contents by stage', () => {
    const nav = html.slice(html.indexOf('<nav'), html.indexOf('</nav>'));
    for (const g of r.groups) expect(nav).toContain(esc(g.title));
    for (const t of allTests(r)) expect(nav).toContain(esc(t.id));
  });

  it('puts the caret exactly under the first differing character', () => {
    const diffs = [...html.matchAll(/<div class="diff">\s*<pre>([\s\S]*?)<\/pre>/g)].map((m) => htmlText(m[1]));
    expect(diffs.length).toBe(5);
    for (const d of diffs) {
      const [b] = caretBlocks(d);
      expect(b, d).toBeDefined();
      expect(b.caretColumn, d).toBe(b.differsAt);
    }
  });

  it('shows transcripts as a two-column log, with cuts and drops spelled out', () => {
    expect(html).toContain('grader → your program');
    expect(html).toContain('<div class="bubble send"><code>&quot;*2\\r\\n$4\\r\\nECHO\\r\\n$11\\r\\nhello world\\r\\n&quot;</code>');
    expect(html).toContain('<div class="bubble recv"><code>&quot;$5\\r\\nhello\\r\\n&quot;</code>');
    expect(html).toMatch(/… 523,\d{3} more bytes/); // 512 KiB sent, 512 bytes stored
    expect(html).toContain('… 40 more entries');
    expect(html).toContain('40 entries dropped by the grader');
  });

  it('shows the program’s starts, exits and output with what was dropped', () => {
    const program = html.slice(html.indexOf('id="program"'), html.indexOf('id="notes"'));
    expect(program).toContain('exited by itself (exit code 1) at 4.4 s during hundred-clients');
    expect(program).toContain('stopped with SIGTERM in 12 ms; nothing left behind');
    expect(program).toMatch(/… [\d,]+ bytes dropped …/);
    expect(program).toContain('Traceback line 5');
    for (const n of r.notes) expect(html).toContain(esc(n));
    expect(html).toContain(`<pre class="cmd"><code>${esc(r.replay)}</code></pre>`);
  });

  it('leads with the build log when the build failed', () => {
    const b = renderHtml(buildFailed());
    expect(b).toContain('The build failed');
    expect(b.indexOf('id="build"')).toBeLessThan(b.indexOf('class="stage"'));
    expect(b).toContain(esc("server.c:42:5: error: 'buf' undeclared (first use in this function)"));
  });

  it('is balanced where it matters', () => {
    for (const tag of ['details', 'section', 'article', 'pre', 'div', 'table', 'ul', 'ol']) {
      const open = html.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
      const close = html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
      expect(close, tag).toBe(open);
    }
  });
});
