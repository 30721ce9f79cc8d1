import { describe, expect, it } from 'vitest';
import { csvNumber, neutralizeFormula, renderGradebookCsv } from '../../grader/report/gradebook.js';
import { batch, bigClass, errored, graded, HOSTILE_NAME, smallClass, TESTS, TOTAL } from './batch-fixtures.js';

/**
 * A strict RFC 4180 parser: CRLF record ends (the last one included), fields quoted only as a
 * whole, `""` for a quote inside. Anything else throws, so a malformed file fails the test.
 */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const record: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new Error('unterminated quoted field');
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
            } else {
              i++;
              break;
            }
          } else field += text[i++];
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
          if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} in an unquoted field at ${i}`);
          field += text[i++];
        }
      }
      record.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`expected , or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 10))}`);
    }
    records.push(record);
  }
  return records;
}

/** The parsed gradebook as objects keyed by the header. */
function rows(csv: string): Record<string, string>[] {
  const [header, ...body] = parseCsv(csv);
  return body.map((r) => Object.fromEntries(header.map((h, k) => [h, r[k]])));
}

const FIXED = ['id', 'name', 'email', 'status', 'score', 'max', 'percent'];

describe('the test parser (so that the checks below can fail)', () => {
  it('rejects what is not RFC 4180', () => {
    expect(() => parseCsv('a,b\n')).toThrow();
    expect(() => parseCsv('a,"b\r\n')).toThrow();
    expect(() => parseCsv('a,b"c\r\n')).toThrow();
    expect(() => parseCsv('a,"b"c\r\n')).toThrow();
    expect(parseCsv('a,"b,""c""\r\nd"\r\n')).toEqual([['a', 'b,"c"\r\nd']]);
  });
});

describe('renderGradebookCsv', () => {
  const b = smallClass();
  const csv = renderGradebookCsv(b);
  const parsed = parseCsv(csv);

  it('has the fixed columns, then one column per test in the assignment order, then the flags', () => {
    expect(parsed[0]).toEqual([...FIXED, ...TESTS.map((t) => t.id), 'flags']);
    expect(csv.startsWith('id,name,email,status,score,max,percent,ping,echo,split-commands,')).toBe(true);
    // Every record has as many fields as the header, and ends with CRLF.
    for (const r of parsed) expect(r).toHaveLength(FIXED.length + TESTS.length + 1);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replace(/\r\n/g, '')).not.toMatch(/\r|(?<!")\n/);
  });

  it('has one row per submission, sorted by id (code-unit order, whatever the input order)', () => {
    const ids = parsed.slice(1).map((r) => r[0]);
    expect(ids).toEqual(['s01-alice', 's02-bob', 's03-carol', 's04-dan', 's05-eve', 's06-frank']);
    const mixed = batch([graded('b'), graded('B'), graded('a'), graded('_'), graded('10'), graded('9')]);
    expect(rows(renderGradebookCsv(mixed)).map((r) => r.id)).toEqual(['10', '9', 'B', '_', 'a', 'b']);
  });

  it('writes scores and per-test points as plain numbers', () => {
    const byId = Object.fromEntries(rows(csv).map((r) => [r.id, r]));
    expect(byId['s01-alice']).toMatchObject({ status: 'graded', score: '100', max: '100', percent: '100', 'split-commands': '12.5', expiry: '25' });
    expect(byId['s02-bob']).toMatchObject({ score: '50', percent: '50', ping: '10', 'split-commands': '0', pipelined: '5', 'many-clients': '0', expiry: '25' });
    expect(byId['s05-eve']).toMatchObject({ score: '45', percent: '45', 'many-clients': '0', expiry: '0' });
    // Sum of the per-test columns is the score, for every graded row.
    for (const r of rows(csv).filter((r) => r.status === 'graded')) {
      expect(TESTS.reduce((s, t) => s + Number(r[t.id]), 0)).toBeCloseTo(Number(r.score), 6);
    }
  });

  it('formats numbers without trailing junk or float noise', () => {
    expect(csvNumber(12.5)).toBe('12.5');
    expect(csvNumber(12.5 * 1)).not.toBe('12.500');
    expect(csvNumber(4)).toBe('4');
    expect(csvNumber(0.1 + 0.2)).toBe('0.3');
    expect(csvNumber(100 / 3)).toBe('33.33');
    expect(csvNumber(2 / 3)).toBe('0.67');
    expect(csvNumber(0)).toBe('0');
    expect(csvNumber(-0)).toBe('0');
    expect(csvNumber(1e-9)).toBe('0');
    expect(csvNumber(1234567)).toBe('1234567');
    const third = batch([graded('x', { ping: 'failed', echo: 'failed', expiry: { status: 'failed', earned: 25 / 3 } })]);
    const r = rows(renderGradebookCsv(third))[0];
    expect(r).toMatchObject({ score: '63.33', percent: '63.33', expiry: '8.33' });
    // Every number cell of every row is a plain decimal: digits, at most one point, no trailing zero.
    for (const row of rows(renderGradebookCsv(bigClass(60)))) {
      for (const k of ['score', 'max', 'percent', ...TESTS.map((t) => t.id)]) {
        if (row[k] !== '') expect(row[k], k).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
      }
    }
  });

  it('leaves the score and per-test cells of an errored submission empty, never a made-up zero', () => {
    const frank = rows(csv).find((r) => r.id === 's06-frank')!;
    expect(frank.status).toBe('error');
    expect(frank.score).toBe('');
    expect(frank.percent).toBe('');
    expect(frank.max).toBe(String(TOTAL));
    for (const t of TESTS) expect(frank[t.id]).toBe('');
    // Even when an error entry carries a partial score, it is not exported as a grade.
    const odd = batch([errored('z', 'the grader crashed', { score: { earned: 10, possible: 100, percent: 10 } })]);
    expect(rows(renderGradebookCsv(odd))[0]).toMatchObject({ status: 'error', score: '', percent: '' });
  });

  it('round-trips hostile names: quotes, commas, newlines survive RFC 4180 quoting', () => {
    const bob = rows(csv).find((r) => r.id === 's02-bob')!;
    expect(bob.name).toBe(HOSTILE_NAME);
    const nl = batch([graded('n1', {}, { name: 'two\r\nlines, "quoted"', email: 'x@y' })]);
    const out = renderGradebookCsv(nl);
    // A newline in a name is shown as a space: one submission, one physical line.
    expect(out.split('\r\n')).toHaveLength(3);
    expect(rows(out)[0].name).toBe('two lines, "quoted"');
  });

  it('never lets a spreadsheet evaluate student-controlled text as a formula', () => {
    const names = ['=1+2', '+1', '-2+3', '@SUM(A1)', ' =cmd', '\t=1', '\r=1', '＝1+1', 'Plain Name', "'quoted already", ''];
    const b2 = batch(names.map((n, k) => graded(`=id${k}`, {}, { name: n, email: `-${k}@x` })));
    const out = rows(renderGradebookCsv(b2));
    for (const r of out) {
      for (const k of ['id', 'name', 'email']) {
        expect(r[k], `${k} ${JSON.stringify(r[k])}`).not.toMatch(/^\s*[=+\-@＝]|^[\t\r]/);
      }
      expect(r.id.startsWith("'=id")).toBe(true);
    }
    const shown = out.map((r) => r.name);
    expect(shown).toContain("'=1+2");
    expect(shown).toContain("'-2+3");
    expect(shown).toContain("'@SUM(A1)");
    expect(shown).toContain("' =cmd");
    expect(shown).toContain('Plain Name');
    expect(shown).toContain("'quoted already");
    expect(shown).toContain('');
    expect(neutralizeFormula('a=b')).toBe('a=b');
    expect(neutralizeFormula('=a')).toBe("'=a");
  });

  it('escapes control characters and bidi overrides in names, so a row reads as it is', () => {
    const b3 = batch([graded('c', {}, { name: 'Ev\u202eil\x1b[31m' })]);
    expect(rows(renderGradebookCsv(b3))[0].name).toBe('Ev\\u202eil\\x1b[31m');
  });

  it('is deterministic: equal verdicts give byte-identical files, whatever the times and order', () => {
    const again = smallClass();
    again.entries.reverse();
    again.startedAt = '2030-01-01T00:00:00.000Z';
    again.durationMs = 5;
    again.shard = { index: 2, count: 3 };
    for (const e of again.entries) {
      e.durationMs += 777;
      e.finishedAt = '2030-01-01T00:00:09.000Z';
      for (const t of e.tests) t.durationMs += 13;
    }
    expect(renderGradebookCsv(again)).toBe(csv);
    // ...and a different verdict changes it.
    const changed = smallClass();
    const eve = changed.entries.find((e) => e.id === 's05-eve')!;
    eve.tests.find((t) => t.id === 'expiry')!.pointsEarned = 25;
    eve.score!.earned = 70;
    eve.score!.percent = 70;
    expect(renderGradebookCsv(changed)).not.toBe(csv);
  });

  it('renders an empty batch as the header alone, and a large class in one line per submission', () => {
    expect(renderGradebookCsv(batch([]))).toBe(`${[...FIXED, ...TESTS.map((t) => t.id), 'flags'].join(',')}\r\n`);
    const big = renderGradebookCsv(bigClass(300));
    const body = parseCsv(big).slice(1);
    expect(body).toHaveLength(300);
    expect(new Set(body.map((r) => r[0])).size).toBe(300);
  });

  it('leaves a cell empty for a test a graded submission has no result for', () => {
    const e = graded('p', {});
    e.tests = e.tests.filter((t) => t.id !== 'expiry');
    const r = rows(renderGradebookCsv(batch([e])))[0];
    expect(r.expiry).toBe('');
    expect(r.ping).toBe('10');
  });
});
