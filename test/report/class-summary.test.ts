// The class summary, checked as a browser would see it: parsed by a real HTML parser
// (linkedom), then the sections, the numbers in them, the links and the escaping are read
// from the DOM rather than from the markup's text.
import { existsSync } from 'node:fs';
import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import { classSummaryView, renderClassSummary, reportHref } from '../../grader/report/class-summary.js';
import type { Batch } from '../../grader/results/batch.js';
import { batch, bigClass, errored, graded, HOSTILE_NAME, smallClass, TESTS } from './batch-fixtures.js';

type Doc = Document;

function dom(html: string): Doc {
  return parseHTML(html).document as unknown as Doc;
}

const text = (el: Element | null | undefined): string => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
const all = (root: ParentNode, sel: string): Element[] => [...root.querySelectorAll(sel)];
const stat = (d: Doc, name: string): string => text(d.querySelector(`[data-stat="${name}"]`));
/** A test's pass rate cell as `80% 4/5` (its two lines joined by a space). */
const rateOf = (d: Doc, id: string): string =>
  all(d, `[data-test="${id}"] [data-rate] > *`).map(text).filter(Boolean).join(' ');

/** Checks every rendering must pass, whatever the batch. */
function checkPage(html: string, b: Batch): Doc {
  expect(html.startsWith('<!doctype html>')).toBe(true);
  const d = dom(html);
  // Self-contained and inert: no scripts, nothing fetched, a CSP behind the escaping.
  expect(all(d, 'script, img, iframe, object, embed, link, base, form, audio, video, source, svg image')).toEqual([]);
  const csp = d.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain('script-src');
  for (const style of all(d, 'style')) expect(style.textContent).not.toMatch(/url\(|@import/i);
  for (const el of all(d, '*')) {
    for (const attr of el.getAttributeNames()) expect(attr.startsWith('on'), `${el.tagName} ${attr}`).toBe(false);
  }
  // Every link is an anchor of this page or a student's report beside it.
  const ids = new Set(all(d, '[id]').map((e) => e.getAttribute('id')));
  for (const a of all(d, 'a')) {
    const href = a.getAttribute('href') ?? '';
    if (href.startsWith('#')) expect(ids.has(href.slice(1)), href).toBe(true);
    else {
      const url = new URL(href, 'file:///out/class-summary.html');
      expect(url.protocol).toBe('file:');
      expect(url.pathname.startsWith('/out/') && url.pathname.endsWith('/report.html'), href).toBe(true);
    }
  }
  // The sections a TA navigates by.
  for (const id of ['overview', 'distribution', 'tests', 'first-failures', 'slowest', 'errors', 'submissions']) {
    expect(d.getElementById(id), id).not.toBeNull();
  }
  expect(text(d.querySelector('h1'))).toBe(b.assignment.title);
  const body = text(d.body);
  expect(body).not.toMatch(/\bNaN\b|\bundefined\b|\bInfinity\b|\[object /);
  // One row per submission, each linking to its report.
  const rows = all(d, '#submissions tbody tr');
  expect(rows).toHaveLength(b.entries.length);
  const gradedCount = b.entries.filter((e) => e.status === 'graded').length;
  expect(stat(d, 'total')).toBe(String(b.entries.length));
  expect(stat(d, 'graded')).toBe(String(gradedCount));
  expect(stat(d, 'errored')).toBe(String(b.entries.length - gradedCount));
  // The histogram holds every graded submission exactly once.
  const bins = all(d, '#distribution [data-bin]');
  if (gradedCount > 0) {
    expect(bins).toHaveLength(11);
    expect(bins.reduce((s, el) => s + Number(el.getAttribute('data-count')), 0)).toBe(gradedCount);
  } else expect(bins).toHaveLength(0);
  return d;
}

describe('renderClassSummary on a small class', () => {
  const b = smallClass();
  const html = renderClassSummary(b);
  const d = checkPage(html, b);

  it('heads the page with the assignment, seed, counts, grading mode, isolation and scope', () => {
    expect(text(d.querySelector('.kicker code'))).toBe('kv-server');
    expect(stat(d, 'total')).toBe('6');
    expect(stat(d, 'graded')).toBe('5');
    expect(stat(d, 'errored')).toBe('1');
    // Scores 100, 50, 20, 0, 45: mean 43, median 45; errored submission not counted.
    expect(stat(d, 'mean')).toBe('43%');
    expect(stat(d, 'median')).toBe('45%');
    expect(stat(d, 'full')).toBe('1');
    expect(text(d.querySelector('[data-meta="seed"]'))).toBe('7f3a9c');
    expect(text(d.querySelector('[data-meta="official"]'))).toMatch(/^official/);
    expect(text(d.querySelector('[data-meta="isolation"]'))).toBe('a network namespace per submission (bubblewrap)');
    expect(text(d.querySelector('[data-meta="scope"]'))).toMatch(/whole class/);
    expect(text(d.querySelector('[role="alert"]'))).toContain('1 of 6 submissions could not be graded');
  });

  it('says when it shows one shard, and when grading was not official', () => {
    const shard = dom(renderClassSummary({ ...b, shard: { index: 2, count: 3 }, official: false }));
    expect(text(shard.querySelector('[data-meta="scope"]'))).toMatch(/^shard 2 of 3/);
    expect(text(shard.querySelector('[data-meta="official"]'))).toMatch(/^not official/);
  });

  it('draws the score distribution in ten-point bins plus full marks, with mean and median', () => {
    const bins = Object.fromEntries(all(d, '[data-bin]').map((el) => [el.getAttribute('data-bin'), Number(el.getAttribute('data-count'))]));
    expect(bins).toEqual({
      '0–10': 1, // dan, 0
      '10–20': 0,
      '20–30': 1, // carol, 20
      '30–40': 0,
      '40–50': 1, // eve, 45
      '50–60': 1, // bob, 50 (a bin's lower bound is in it)
      '60–70': 0,
      '70–80': 0,
      '80–90': 0,
      '90–100': 0,
      '100': 1, // alice
    });
    // Bar heights are proportional to the counts (the tallest is 100%).
    const heights = all(d, '.hist-bar').map((el) => el.getAttribute('style'));
    expect(heights.filter((h) => h === 'height: 100%')).toHaveLength(5);
    expect(heights.filter((h) => h === 'height: 0%')).toHaveLength(6);
    const line = text(d.querySelector('[data-stats]'));
    expect(line).toContain('mean 43% (43/100 points)');
    expect(line).toContain('median 45%');
    expect(line).toContain('lowest 0%');
    expect(line).toContain('highest 100%');
  });

  it('lists the pass rate of every test in the assignment order, the hardest highlighted', () => {
    const rows = all(d, '#tests tbody tr');
    expect(rows.map((r) => r.getAttribute('data-test'))).toEqual(TESTS.map((t) => t.id));
    const rate = (id: string) => rateOf(d, id);
    expect(rate('ping')).toBe('80% 4/5');
    expect(rate('split-commands')).toBe('40% 2/5');
    expect(rate('many-clients')).toBe('20% 1/5');
    expect(rate('expiry')).toBe('40% 2/5');
    // Rates 20, 40, 40, 40, 80, 80: the 20% stands out; the three at 40% with it would make
    // four, more than the three highlighted at most, so ties are left unmarked together.
    const hard = rows.filter((r) => r.classList.contains('hard')).map((r) => r.getAttribute('data-test'));
    expect(hard).toEqual(['many-clients']);
    for (const r of rows) expect(Boolean(r.querySelector('.tag.hard'))).toBe(r.classList.contains('hard'));
    expect(text(d.querySelector('[data-test="expiry"] .tag.hidden'))).toBe('hidden');
    expect(d.querySelector('[data-test="ping"] .tag.hidden')).toBeNull();
    const many = all(d, '[data-test="many-clients"] td').map(text);
    expect(many[2]).toBe('30'); // points
    expect(many[4]).toContain('1 passed, 2 failed, 1 timed out, 1 error');
    expect(many[5]).toBe('6'); // mean points: 30 / 5
    expect(many[6]).toBe('120'); // points lost: 4 × 30
    const pipelined = all(d, '[data-test="pipelined"] td').map(text);
    expect(pipelined[2]).toBe('12.5');
    expect(pipelined[5]).toBe('6'); // (12.5 + 5 + 12.5) / 5: partial credit counts
    // The status bar's segments are the shares of graded submissions.
    const segs = all(d, '[data-test="many-clients"] .stack > span').map((s) => [s.className, s.getAttribute('style')]);
    expect(segs).toEqual([
      ['passed', 'width: 20.00%'],
      ['failed', 'width: 40.00%'],
      ['timeout', 'width: 20.00%'],
      ['error', 'width: 20.00%'],
    ]);
  });

  it('finds the most common first failure, merging messages that differ only in numbers', () => {
    const rows = all(d, '#first-failures tbody tr');
    // split-commands first failed for bob and carol; ping (dan, errors everywhere) and
    // many-clients (eve) once each, in the assignment's order.
    expect(rows.map((r) => [r.getAttribute('data-first-failure'), r.querySelector('[data-count]')?.getAttribute('data-count')])).toEqual([
      ['split-commands', '2'],
      ['ping', '1'],
      ['many-clients', '1'],
    ]);
    const split = rows[0];
    const msgs = all(split, '[data-message-count]');
    expect(msgs).toHaveLength(1);
    expect(msgs[0].getAttribute('data-message-count')).toBe('2');
    expect(text(msgs[0])).toContain('2 wordings, numbers differ');
    expect(text(split)).toContain('40%'); // 2 of 5 graded
    expect(all(split, '.who a').map((a) => [text(a), a.getAttribute('href')])).toEqual([
      ['s02-bob', './s02-bob/report.html'],
      ['s03-carol', './s03-carol/report.html'],
    ]);
    expect(text(rows[1])).toContain('your program exited with code 1 before listening on port 41234');
    expect(text(rows[2])).toContain('1 timed out');
    expect(d.querySelector('[data-no-failure]')?.getAttribute('data-no-failure')).toBe('1');
  });

  it('ranks the slowest submissions, and flags a grade that used up its time budget', () => {
    const rows = all(d, '#slowest tbody tr');
    expect(rows.map((r) => r.getAttribute('data-entry'))).toEqual(['s04-dan', 's05-eve', 's03-carol', 's01-alice', 's02-bob', 's06-frank']);
    expect(text(rows[0])).toContain('30.0 s');
    expect(text(rows[0].querySelector('.tag.incomplete'))).toBe('time budget used up');
    expect(rows[5].classList.contains('errored')).toBe(true);
  });

  it('shows each erroring submission with its error, and links every submission to its report', () => {
    const errs = all(d, '#errors tbody tr');
    expect(errs).toHaveLength(1);
    // An errored submission has no report: its id is shown, not linked.
    expect(errs[0].querySelector('a')).toBeNull();
    expect(text(errs[0].querySelector('.sid'))).toBe('s06-frank');
    expect(errs[0].querySelector('pre')?.textContent).toBe('sockgrade.json: "run" is missing (a command that starts your program)');
    const subs = all(d, '#submissions tbody tr');
    expect(subs.map((r) => r.querySelector('a')?.getAttribute('href'))).toEqual([
      ...['s01-alice', 's02-bob', 's03-carol', 's04-dan', 's05-eve'].map((id) => `./${id}/report.html`),
      undefined,
    ]);
    expect(subs.map((r) => text(r.querySelector('[data-score]')))).toEqual(['100/100', '50/100', '20/100', '0/100', '45/100', '—']);
  });

  it('shows hostile names as text: no element, no attribute comes out of student data', () => {
    expect(html).not.toContain('<script>');
    const bob = d.querySelector('#submissions [data-entry="s02-bob"]')!;
    expect(text(bob.querySelectorAll('td')[1])).toBe(HOSTILE_NAME);
    expect(bob.querySelectorAll('script')).toHaveLength(0);
  });
});

describe('renderClassSummary with hostile ids and messages', () => {
  const nasty = [
    graded('<img src=x onerror=alert(1)>', { ping: { status: 'failed', message: '</li><script>alert(2)</script>' } }, { name: '"><b>x</b>' }),
    graded('javascript:alert(3)', {}, { name: 'Ev\u202eil\x1b[31m' }),
    graded('a#b?c d%', {}, {}),
    errored('..', '</pre><a href="https://evil.example">click</a>\x07', { reportDir: 'nested/dir with space' }),
  ];
  const b = batch(nasty);
  const html = renderClassSummary(b);
  const d = checkPage(html, b);

  it('escapes ids, names, messages and errors everywhere they appear', () => {
    expect(all(d, 'img, b, script')).toEqual([]);
    expect(all(d, 'a').every((a) => !(a.getAttribute('href') ?? '').includes('evil'))).toBe(true);
    expect(text(d.querySelector('#first-failures [data-message-count]'))).toContain('</li><script>alert(2)</script>');
    expect(d.querySelector('#errors pre')?.textContent).toBe('</pre><a href="https://evil.example">click</a>\\x07');
    expect(text(d.querySelector('#submissions [data-entry="javascript:alert(3)"] td:nth-child(2)'))).toBe('Ev\\u202eil\\x1b[31m');
  });

  it('makes every report link a relative file path, percent-encoded segment by segment', () => {
    const hrefs = all(d, '#submissions a').map((a) => a.getAttribute('href'));
    expect(hrefs).toEqual([
      './%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/report.html',
      './a%23b%3Fc%20d%25/report.html',
      './javascript%3Aalert(3)/report.html',
    ]);
    const url = new URL(hrefs[2]!, 'file:///out/class-summary.html');
    expect(url.protocol).toBe('file:');
    expect(decodeURIComponent(url.pathname)).toBe('/out/javascript:alert(3)/report.html');
    expect(reportHref('a/b')).toBe('./a/b/report.html');
    expect(reportHref('nested/dir with space')).toBe('./nested/dir%20with%20space/report.html');
    expect(reportHref('./x/')).toBe('./x/report.html');
  });
});

describe('renderClassSummary at the edges', () => {
  it('renders an empty batch', () => {
    const b = batch([]);
    const d = checkPage(renderClassSummary(b), b);
    expect(stat(d, 'mean')).toBe('—');
    expect(text(d.querySelector('#distribution'))).toContain('No graded submission');
    expect(text(d.querySelector('#submissions'))).toContain('No submissions in this batch');
    expect(text(d.querySelector('#errors'))).toContain('every submission was graded');
    expect(all(d, '#tests tbody tr')).toHaveLength(TESTS.length);
    expect(rateOf(d, 'ping')).toBe('— 0/0');
    expect(d.querySelector('[role="alert"]')).toBeNull();
  });

  it('renders a batch in which every submission errored', () => {
    const b = batch([errored('a', 'bad manifest'), errored('b', 'grader crashed')]);
    const d = checkPage(renderClassSummary(b), b);
    expect(text(d.querySelector('#distribution'))).toContain('every submission errored');
    expect(all(d, '#errors tbody tr')).toHaveLength(2);
    expect(all(d, '#first-failures tbody tr')).toHaveLength(0);
    expect(all(d, '#tests tr.hard')).toHaveLength(0);
    expect(text(d.querySelector('[role="alert"]'))).toContain('2 of 2 submissions could not be graded');
  });

  it('renders a single submission, and a class where everyone passed (nothing is "hardest")', () => {
    const b = batch([graded('only')]);
    const d = checkPage(renderClassSummary(b), b);
    expect(stat(d, 'mean')).toBe('100%');
    expect(stat(d, 'median')).toBe('100%');
    expect(all(d, '#tests tr.hard')).toHaveLength(0);
    expect(all(d, '#first-failures tbody tr')).toHaveLength(0);
    expect(d.querySelector('[data-no-failure]')?.getAttribute('data-no-failure')).toBe('1');
  });

  it('highlights at most three hardest tests, and none when many tie for the lowest rate', () => {
    const failing = (ids: string[]) => Object.fromEntries(ids.map((id) => [id, 'failed' as const]));
    // Five tests failed by the same one of two submissions: all at 50%, none stands out.
    const tie = batch([graded('a'), graded('b', failing(['echo', 'split-commands', 'pipelined', 'many-clients', 'expiry']))]);
    expect(classSummaryView(tie).hardest).toEqual([]);
    expect(all(dom(renderClassSummary(tie)), '#tests tr.hard')).toHaveLength(0);
    // Distinct rates: the three lowest, in the assignment's order.
    const steps = batch([
      graded('a', failing(['expiry', 'many-clients', 'pipelined', 'split-commands'])),
      graded('b', failing(['expiry', 'many-clients', 'pipelined'])),
      graded('c', failing(['expiry', 'many-clients'])),
      graded('d', failing(['expiry'])),
    ]);
    expect(classSummaryView(steps).hardest).toEqual(['pipelined', 'many-clients', 'expiry']);
  });

  it('renders 300 submissions with numbers that match the batch', () => {
    const b = bigClass(300);
    const d = checkPage(renderClassSummary(b), b);
    const gradedEntries = b.entries.filter((e) => e.status === 'graded');
    expect(gradedEntries.length).toBeGreaterThan(250);
    // Pass counts, computed here independently of the summary's own code.
    for (const t of TESTS) {
      const passed = gradedEntries.filter((e) => e.tests.some((r) => r.id === t.id && r.status === 'passed')).length;
      expect(rateOf(d, t.id)).toMatch(new RegExp(` ${passed}/${gradedEntries.length}$`));
    }
    // Every graded submission is in one first-failure row or among those that passed everything.
    const ff = all(d, '#first-failures tbody tr');
    const inRows = ff.reduce((s, r) => s + Number(r.querySelector('[data-count]')?.getAttribute('data-count')), 0);
    const none = Number(d.querySelector('[data-no-failure]')?.getAttribute('data-no-failure'));
    expect(inRows + none).toBe(gradedEntries.length);
    expect(ff.reduce((s, r) => s + all(r, '.who a').length, 0)).toBe(inRows);
    // Rows by count, largest first.
    const counts = ff.map((r) => Number(r.querySelector('[data-count]')?.getAttribute('data-count')));
    expect([...counts].sort((x, y) => y - x)).toEqual(counts);
    // The slowest ten, slowest first, and they really are the slowest.
    const slow = all(d, '#slowest tbody tr').map((r) => r.getAttribute('data-entry'));
    const expected = [...b.entries].sort((x, y) => y.durationMs - x.durationMs || (x.id < y.id ? -1 : 1)).slice(0, 10).map((e) => e.id);
    expect(slow).toEqual(expected);
    expect(all(d, '#errors tbody tr')).toHaveLength(b.entries.length - gradedEntries.length);
    // Mean as the view computes it equals the mean of the data.
    const mean = gradedEntries.reduce((s, e) => s + e.score!.percent, 0) / gradedEntries.length;
    expect(stat(d, 'mean')).toBe(`${Number(mean.toFixed(1))}%`);
    const hardest = classSummaryView(b).hardest;
    expect(hardest.length).toBeGreaterThanOrEqual(1);
    expect(hardest.length).toBeLessThanOrEqual(3);
    // The fixture makes later tests harder: the last one is the hardest.
    expect(hardest).toContain('expiry');
  });
});

// A real browser, when Debian's chromium is installed: the page renders, lays out the
// histogram with visible bars, and requests nothing. The DOM checks above always run.
const CHROMIUM = '/usr/bin/chromium';
describe.skipIf(!existsSync(CHROMIUM))('renderClassSummary in chromium', () => {
  it('renders with no request and no console error; bars have the drawn heights', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('data:') && r.url() !== 'about:blank') requests.push(r.url());
      });
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.setContent(renderClassSummary(smallClass()), { waitUntil: 'load' });
      expect(requests).toEqual([]);
      expect(problems).toEqual([]);
      expect(await page.title()).toBe('Class summary · A key-value server (RESP) · sockgrade');
      // The full-marks bar (1 submission) and an empty bin, measured in layout pixels.
      const full = await page.locator('[data-bin="100"] .hist-bar').boundingBox();
      const empty = await page.locator('[data-bin="10–20"] .hist-bar').boundingBox();
      const area = await page.locator('[data-bin="100"] .hist-area').boundingBox();
      expect(full && area && Math.abs(full.height - area.height)).toBeLessThan(2);
      expect(empty?.height ?? 0).toBeLessThan(1);
      // Nothing runs: no script can even be injected through the page's CSP.
      expect(await page.evaluate(() => document.scripts.length)).toBe(0);
      // The link to a report is a relative file next to the summary.
      expect(await page.locator('#submissions a').first().getAttribute('href')).toBe('./s01-alice/report.html');
    } finally {
      await browser.close();
    }
  });
});
