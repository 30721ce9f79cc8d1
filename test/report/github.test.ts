// GitHub Actions output: workflow-command escaping as the runner decodes it, one ::error per
// test that did not pass, hidden tests never described, and the job summary = the Markdown report.
import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, githubAnnotations, githubOutputs } from '../../grader/report/github.js';
import { renderMarkdown } from '../../grader/report/markdown.js';
import { allPassed, allTests, fullRun } from './fixtures.js';

/** What the runner does with a command line: split it, then undo the escapes. */
function decodeCommand(line: string): { command: string; props: Record<string, string>; message: string } {
  const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/s.exec(line);
  if (!m) throw new Error(`not a workflow command: ${line}`);
  const unData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const unProp = (s: string) => unData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));
  const props: Record<string, string> = {};
  for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    props[kv.slice(0, i)] = unProp(kv.slice(i + 1));
  }
  return { command: m[1], props, message: unData(m[3]) };
}

describe('GitHub Actions annotations', () => {
  it('escapes %, CR and LF in data, and also : and , in properties', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
    // Escaping % first: an input that already looks escaped survives the round trip.
    const tricky = 'literal %0A and %3A, then: a real\nnewline';
    const line = `::error title=${escapeProperty(tricky)}::${escapeData(tricky)}`;
    expect(line.split('\n')).toHaveLength(1);
    const back = decodeCommand(line);
    expect(back.props.title).toBe(tricky);
    expect(back.message).toBe(tricky);
  });

  it('one ::error per test not fully passed, naming it, with message and hint', () => {
    const r = fullRun();
    const lines = githubAnnotations(r);
    const notFull = allTests(r).filter((t) => !(t.status === 'passed' && t.pointsEarned >= t.pointsPossible));
    expect(lines).toHaveLength(notFull.length);
    lines.forEach((line, i) => {
      expect(line.split('\n')).toHaveLength(1);
      const c = decodeCommand(line);
      const t = notFull[i];
      expect(c.command).toBe('error');
      expect(Object.keys(c.props)).toEqual(['title']);
      expect(c.props.title).toContain(t.id);
      expect(c.props.title).toContain(`${t.pointsEarned}/${t.pointsPossible} points`);
      if (t.message) expect(c.message).toContain(t.message.split('\n')[0].replace(/\r/g, ''));
      if (t.hint) expect(c.message).toContain('Hint: ');
    });
    expect(githubAnnotations(allPassed())).toEqual([]);
  });

  it('hidden tests are annotated without their name or content', () => {
    const r = fullRun();
    const t = allTests(r).find((x) => x.id === 'echo')!;
    t.visibility = 'hidden';
    const line = githubAnnotations(r).map(decodeCommand).find((c) => c.props.title.includes('hidden'))!;
    expect(line.props.title).not.toContain('echo');
    expect(line.message).not.toContain(t.message!);
    expect(githubAnnotations(r).join('\n')).not.toContain('hello world');
  });

  it('the job summary is the Markdown report', () => {
    const r = fullRun();
    expect(githubOutputs(r).summary).toBe(renderMarkdown(r));
  });
});
