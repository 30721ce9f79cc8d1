// Timing failures in every report: a test that failed on time alone says "Your answers were
// right, but too slow:" and lists each measured value against its bound, first; a test that was
// wrong as well is reported as wrong, with the timing after the message as detail.
import { describe, expect, it } from 'vitest';
import { atLeast, atMost, failTiming, TestFailure } from '../../grader/harness/failure.js';
import {
  githubAnnotations,
  plainDetails,
  renderGradescope,
  renderHtml,
  renderJunit,
  renderMarkdown,
  renderTerminal,
  renderTestLine,
} from '../../grader/report/index.js';
import { timingView } from '../../grader/report/view.js';
import { Results, type TestResult, type Timing } from '../../grader/results/schema.js';
import { allTests, fullRun, HOSTILE } from './fixtures.js';

const LATE: Timing = {
  onlyTiming: true,
  measurements: [atMost('retransmitted after', 2310.4, 800, { why: 'T = 400 ms, doubled for a loaded machine' })],
};
const WRONG_AND_LATE: Timing = {
  onlyTiming: false,
  measurements: [atMost('the key set with PX 100 was still there after', 1162, 1100, { why: 'its 100 ms to live, plus 1,000 ms' })],
};

/** The kv-server fixture run, with one failure on time alone (echo) and one wrong and late (pipelined-1000). */
function runWithTiming(): Results {
  const r = fullRun();
  const tests = allTests(r);
  const echo = tests.find((t) => t.id === 'echo')!;
  Object.assign(echo, {
    message: 'your client retransmitted only after 2310 ms; --timeout-ms was 400 ms.',
    diff: undefined,
    timing: LATE,
  } satisfies Partial<TestResult>);
  delete echo.diff;
  tests.find((t) => t.id === 'pipelined-1000')!.timing = WRONG_AND_LATE;
  // What the engine writes goes through the schema: the field must survive it.
  return Results.parse(r);
}

const text = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('timingView', () => {
  it('says which way a bound was missed: a late time or a low rate is slow, an early time is early', () => {
    expect(timingView(LATE).headline).toBe('Your answers were right, but too slow:');
    expect(timingView(LATE).rows[0].text).toBe('retransmitted after 2,310 ms — bound: at most 800 ms (T = 400 ms, doubled for a loaded machine)');
    const early = timingView({ onlyTiming: true, measurements: [atLeast('retransmitted after', 120, 320)] });
    expect(early.headline).toBe('Your answers were right, but too early:');
    expect(early.tag).toBe('TOO EARLY');
    const rate = timingView({ onlyTiming: true, measurements: [atLeast('answered', 512, 1000, { unit: 'commands/s' })] });
    expect(rate.headline).toBe('Your answers were right, but too slow:');
    expect(rate.rows[0].text).toBe('answered 512 commands/s — bound: at least 1,000 commands/s');
    const both = timingView({ onlyTiming: true, measurements: [atLeast('first retry after', 100, 320), atMost('gave up after', 3000, 1550)] });
    expect(both.headline).toBe('Your answers were right, but the timing was off:');
    expect(both.rows.map((x) => x.missed)).toEqual([true, true]);
  });

  it('leads a wrong answer\'s timing with a plain "Timing:", never with "answers were right"', () => {
    const v = timingView(WRONG_AND_LATE);
    expect(v.headline).toBe('Timing:');
    expect(v.lines.join('\n')).not.toMatch(/right/);
  });

  it('marks which measurements missed their bound', () => {
    const v = timingView({ onlyTiming: true, measurements: [atMost('first value after', 200, 800), atMost('last value after', 4100, 3500)] });
    expect(v.rows.map((x) => x.missed)).toEqual([false, true]);
    expect(v.headline).toBe('Your answers were right, but too slow:');
  });
});

describe('the results schema', () => {
  it('keeps a test\'s timing and refuses one without measurements', () => {
    const r = runWithTiming();
    expect(allTests(r).find((t) => t.id === 'echo')!.timing).toEqual({ ...LATE, measurements: [{ ...LATE.measurements[0], unit: 'ms' }] });
    const broken = JSON.parse(JSON.stringify(r));
    broken.groups[0].tests[2].timing = { onlyTiming: true, measurements: [] };
    expect(Results.safeParse(broken).success).toBe(false);
  });
});

describe('failTiming (harness)', () => {
  const m = [atMost('retransmitted after', 900, 800)];
  const caught = (fn: () => unknown): TestFailure => {
    try {
      fn();
    } catch (e) {
      return e as TestFailure;
    }
    throw new Error('did not fail');
  };

  it('is timing only when the answer check passes', () => {
    const e = caught(() => failTiming({ message: 'late', measurements: m, answersRight: () => undefined }));
    expect(e).toBeInstanceOf(TestFailure);
    expect(e.message).toBe('late');
    expect(e.timing).toEqual({ onlyTiming: true, measurements: m });
  });

  it('reports a wrong answer as wrong, its own message, hint and diff kept, the timing as detail', () => {
    const wrong = new TestFailure('printed the wrong address', { hint: 'h', diff: { expected: 'a', received: 'b', caret: 0 }, timeout: true });
    const e = caught(() =>
      failTiming({
        message: 'late',
        measurements: m,
        answersRight: () => {
          throw wrong;
        },
      }),
    );
    expect(e.message).toBe('printed the wrong address');
    expect(e.details).toEqual({ hint: 'h', diff: { expected: 'a', received: 'b', caret: 0 }, timeout: true, timing: { onlyTiming: false, measurements: m } });
  });

  it('says not timing only when the test says the answers are not known to be right', () => {
    expect(caught(() => failTiming({ message: 'x', measurements: m, answersRight: false })).timing?.onlyTiming).toBe(false);
    expect(caught(() => failTiming({ message: 'x', measurements: m, answersRight: true })).timing?.onlyTiming).toBe(true);
  });

  it('lets a bug in the check itself through (not a student failure)', () => {
    const bug = new TypeError('oops');
    expect(caught(() => failTiming({ message: 'x', measurements: m, answersRight: () => { throw bug; } }))).toBe(bug);
  });
});

describe('reports', () => {
  const r = runWithTiming();
  const tests = allTests(r);
  const echo = tests.find((t) => t.id === 'echo')!;
  const pipelined = tests.find((t) => t.id === 'pipelined-1000')!;

  it('terminal: the line is tagged TOO SLOW; the details lead with the answers being right and the numbers', () => {
    expect(renderTestLine(echo, { color: false })).toMatch(/^ {2}✗ echo .*TOO SLOW$/);
    expect(renderTestLine(pipelined, { color: false })).not.toMatch(/SLOW|TIMING/);
    const out = text(renderTerminal(r, { color: true, verbose: false }));
    const block = out.slice(out.indexOf('FAIL  echo'), out.indexOf('FAIL  pipelined-1000'));
    expect(block).toMatch(
      /Your answers were right, but too slow:\n {6}✗ retransmitted after 2,310 ms — bound: at most 800 ms \(T = 400 ms, doubled for a loaded machine\)\n\n {4}your client retransmitted only after 2310 ms/,
    );
  });

  it('terminal: a wrong and late test is reported as wrong, the timing after its diff', () => {
    const out = renderTerminal(r, { color: false, verbose: false });
    const block = out.slice(out.indexOf('pipelined-1000 ·'));
    const wrong = block.indexOf('Reply 61 was :60');
    const timing = block.indexOf('Timing:');
    expect(wrong).toBeGreaterThan(-1);
    expect(timing).toBeGreaterThan(block.indexOf('Received:'));
    expect(block.slice(0, block.indexOf('Transcript'))).not.toContain('answers were right');
    expect(block).toContain('✗ the key set with PX 100 was still there after 1,162 ms — bound: at most 1,100 ms');
  });

  it('HTML: a table of measured against bound, before the message; escaped', () => {
    const hostile = runWithTiming();
    allTests(hostile).find((t) => t.id === 'echo')!.timing = { onlyTiming: true, measurements: [atMost(HOSTILE, 5, 1, { why: HOSTILE })] };
    expect(renderHtml(hostile)).not.toContain(HOSTILE);
    const html = renderHtml(r);
    const article = html.slice(html.indexOf('id="test-basics-echo"'));
    const head = article.indexOf('Your answers were right, but too slow:');
    expect(head).toBeGreaterThan(-1);
    expect(head).toBeLessThan(article.indexOf('class="message"'));
    expect(article).toMatch(/<tr class="missed"><td>retransmitted after 2,310 ms<\/td><td>at most 800 ms<\/td><td class="why">T &#x3D; 400 ms, doubled for a loaded machine<\/td><\/tr>/);
    const other = html.slice(html.indexOf('id="test-framing-pipelined-1000"'));
    expect(other.indexOf('Timing:')).toBeGreaterThan(other.indexOf('class="message"'));
    expect(other.slice(0, other.indexOf('</article>'))).not.toContain('answers were right');
  });

  it('Markdown: the headline in bold and a table, before the message', () => {
    const md = renderMarkdown(r);
    const section = md.slice(md.indexOf('<code>echo</code>'));
    expect(section).toMatch(/\*\*Your answers were right, but too slow:\*\*\n\n\| measured \| bound \| why this bound \|\n\| --- \| --- \| --- \|\n\| \*\*retransmitted after 2,310 ms\*\* \| at most 800 ms \| T = 400 ms, doubled for a loaded machine \|\n\nyour client/);
    const other = md.slice(md.indexOf('<code>pipelined-1000</code>'));
    expect(other.indexOf('Timing:')).toBeGreaterThan(other.indexOf('Reply 61'));
  });

  it('JUnit, Gradescope and GitHub annotations carry the same words and numbers', () => {
    const xml = renderJunit(r);
    expect(xml).toContain('message="Your answers were right, but too slow: retransmitted after 2,310 ms — bound: at most 800 ms');
    expect(xml).toContain('message="Reply 61 was :60');
    const gs = JSON.parse(renderGradescope(r)) as { tests: Array<{ name: string; output: string }> };
    const out = gs.tests.find((t) => t.name.includes('echo'))!.output;
    expect(out).toContain('Your answers were right, but too slow:\n  retransmitted after 2,310 ms — bound: at most 800 ms');
    expect(out.indexOf('too slow')).toBeLessThan(out.indexOf('your client retransmitted'));
    const ann = githubAnnotations(r).find((l) => l.includes('sockgrade echo'))!;
    expect(decodeURIComponent(ann.split('::')[2])).toMatch(/\nYour answers were right, but too slow:\n {2}retransmitted after 2,310 ms/);
    const plain = plainDetails(pipelined);
    expect(plain.indexOf('Timing:')).toBeGreaterThan(plain.indexOf('Received:'));
  });

  it('a passed test shows no timing, even if one was recorded', () => {
    const pass = { ...tests.find((t) => t.id === 'ping')!, timing: LATE };
    expect(plainDetails(pass)).not.toContain('too slow');
    expect(renderTestLine(pass, { color: false })).not.toContain('SLOW');
  });
});
