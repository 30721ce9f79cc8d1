// JUnit XML: well formed for real parsers whatever a student's program sent, and carrying what
// CI test views show (one testcase per test, failures with message, diff and transcript).
import { execFileSync } from 'node:child_process';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit, xmlAttr, xmlText } from '../../grader/report/junit.js';
import type { Results } from '../../grader/results/schema.js';
import { allPassed, allTests, buildFailed, connect, fullRun, recv, send } from './fixtures.js';

const FORBIDDEN = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

type Node = Record<string, unknown>;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
});

/** Validate with fast-xml-parser and with expat (Python's), then parse. */
function parse(xml: string): Node {
  expect(XMLValidator.validate(xml)).toBe(true);
  expect(xml).not.toMatch(FORBIDDEN);
  // expat rejects characters XML 1.0 forbids, which a lenient validator might let through.
  execFileSync('python3', ['-c', 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())'], { input: Buffer.from(xml, 'utf8') });
  return parser.parse(xml) as Node;
}

function cases(doc: Node): Node[] {
  const suites = (doc.testsuites as Node).testsuite as Node[];
  return suites.flatMap((s) => (s.testcase as Node[]) ?? []);
}

// Everything a hostile program could put in a message, a transcript or stderr.
const NASTY = 'a]]>b <tag attr="x"> & &amp; \x00NUL \x07bell \x1b[31mred \uFFFE \ud800lone 🎉 emoji \uFFFD replacement \r\n crlf';

function hostile(): Results {
  const r = fullRun();
  const t = r.groups[0].tests.find((x) => x.status === 'failed')!;
  t.message = NASTY;
  t.hint = NASTY;
  t.title = `title ${NASTY}`;
  t.transcript = [connect(0.1), send(1, Buffer.from([0x00, 0xff, 0x3c, 0x26, 0x5d, 0x5d, 0x3e])), recv(2, Buffer.from(NASTY, 'utf8'))];
  t.log = [NASTY];
  r.program.stderr = { head: NASTY, tail: '', droppedBytes: 0, totalBytes: NASTY.length };
  r.notes = [NASTY];
  return r;
}

describe('JUnit XML', () => {
  it('one testsuite per stage and one testcase per test, counts and classnames right', () => {
    const r = fullRun();
    const doc = parse(renderJunit(r));
    const root = doc.testsuites as Node;
    const tests = allTests(r);
    expect(Number(root.tests)).toBe(tests.length);
    expect(Number(root.failures)).toBe(r.counts.failed + r.counts.timeout);
    expect(Number(root.errors)).toBe(r.counts.error);
    expect(Number(root.skipped)).toBe(r.counts.skipped);
    const suites = root.testsuite as Node[];
    expect(suites.map((s) => s.name)).toEqual(r.groups.map((g) => `${r.assignment.id}.${g.id}`));
    const tc = cases(doc);
    expect(tc).toHaveLength(tests.length);
    tests.forEach((t, i) => {
      expect(tc[i].name).toBe(`${t.title} (${t.id})`);
      expect(tc[i].classname).toBe(`${r.assignment.id}.${t.group}`);
      expect(Number(tc[i].time)).toBeCloseTo(t.durationMs / 1000, 3);
      const kind = t.status === 'failed' || t.status === 'timeout' ? 'failure' : t.status === 'error' ? 'error' : t.status === 'skipped' ? 'skipped' : undefined;
      for (const k of ['failure', 'error', 'skipped']) expect(k in tc[i], `${t.id} ${k}`).toBe(k === kind);
      if (kind === 'failure') expect((tc[i].failure as Node).type).toBe(t.status === 'timeout' ? 'timeout' : 'failed');
    });
    // Properties say how to replay the run.
    const props = ((suites[0].properties as Node).property as Node[]).map((p) => [p.name, p.value]);
    expect(props).toContainEqual(['seed', r.seed]);
    expect(props).toContainEqual(['replay', r.replay]);
  });

  it('a failure carries the message, expected vs received with its caret, the transcript and the hint', () => {
    const r = fullRun();
    const t = r.groups[0].tests.find((x) => x.id === 'echo')!;
    const tc = cases(parse(renderJunit(r))).find((c) => c.name === `${t.title} (${t.id})`)!;
    const failure = tc.failure as Node;
    expect(failure.message).toBe(t.message);
    const body = failure['#text'] as string;
    expect(body).toContain('Expected: "$11\\r\\nhello world\\r\\n"');
    expect(body).toContain('Received: "$5\\r\\nhello\\r\\n"');
    const lines = body.split('\n');
    const e = lines.findIndex((l) => l.startsWith('Expected: '));
    // The caret sits under the first differing character ("1" of "$11" vs "5" of "$5").
    expect(lines[e + 2].indexOf('^')).toBe('Expected: "$'.length);
    expect(body).toMatch(/c1 > "\*2\\r\\n\$4\\r\\nECHO/);
    expect(body).toContain('Hint: A bulk string is');
  });

  it('hostile text: valid for two parsers, round-trips visibly, nothing forbidden survives', () => {
    const xml = renderJunit(hostile());
    const doc = parse(xml);
    const tc = cases(doc).find((c) => String(c.name).startsWith('title a]]>b'))!;
    const message = (tc.failure as Node).message as string;
    // What XML can hold comes back exactly; what it cannot is a visible escape.
    expect(message).toContain('a]]>b <tag attr="x"> & &amp;');
    expect(message).toContain('\\x00NUL');
    expect(message).toContain('\\x07bell');
    expect(message).toContain('🎉 emoji');
    expect(message).toContain('\uFFFD replacement');
    expect(message).not.toMatch(FORBIDDEN);
    const body = (tc.failure as Node)['#text'] as string;
    expect(body).toContain('"\\x00\\xff<&]]>"');
    expect(body).toContain('Hint: a]]>b');
    expect(xml).not.toContain('<![CDATA[');
  });

  it('escaping helpers: entities, forbidden characters, attribute line breaks', () => {
    expect(xmlText('<a & b>')).toBe('&lt;a &amp; b&gt;');
    expect(xmlText('x\x00y\x1fz\uFFFF')).toBe('x\\x00y\\x1fz\\uffff');
    expect(xmlText('\ud83c\udf89')).toBe('🎉');
    expect(xmlText('\udc00')).toBe('\\udc00');
    expect(xmlAttr('a "q"\n\tb\r')).toBe('a &quot;q&quot;&#10;&#9;b&#13;');
    // A multi-line attribute parses back with its line breaks (expat decodes character references).
    const xml = `<r a="${xmlAttr('one\ntwo\t"3"')}"/>`;
    parse(xml);
    const back = execFileSync('python3', ['-c', 'import sys, json, xml.dom.minidom; print(json.dumps(xml.dom.minidom.parseString(sys.stdin.read()).documentElement.getAttribute("a")))'], { input: xml, encoding: 'utf8' });
    expect(JSON.parse(back)).toBe('one\ntwo\t"3"');
  });

  it('a clean pass has no failures; a failed build says why in system-err', () => {
    const ok = parse(renderJunit(allPassed()));
    expect(cases(ok).every((c) => !('failure' in c) && !('error' in c) && !('skipped' in c))).toBe(true);
    const bf = buildFailed();
    const doc = parse(renderJunit(bf));
    const first = ((doc.testsuites as Node).testsuite as Node[])[0];
    expect(String(first['system-err'])).toMatch(/Build \(/);
  });
});
