import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderHtml, renderJson, renderMarkdown, renderTerminal, writeReports } from '../../grader/report/index.js';
import { fullRun } from './fixtures.js';
import { ANY_ESC } from './helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sockgrade-report-'));
  dirs.push(d);
  return d;
}

describe('writeReports', () => {
  it('writes the files it says, creating the folder', async () => {
    const r = fullRun();
    const dir = join(await tmp(), 'nested', 'sockgrade-report');
    const written = await writeReports(r, dir, ['html', 'markdown', 'json', 'terminal']);
    // results.json first: if anything later fails, the results are already safe.
    expect(written).toEqual([
      { format: 'json', path: join(dir, 'results.json') },
      { format: 'html', path: join(dir, 'report.html') },
      { format: 'markdown', path: join(dir, 'report.md') },
      { format: 'terminal', path: join(dir, 'report.txt') },
    ]);
    expect((await readdir(dir)).sort()).toEqual(['report.html', 'report.md', 'report.txt', 'results.json']);
    expect(await readFile(join(dir, 'report.html'), 'utf8')).toBe(renderHtml(r));
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toBe(renderMarkdown(r));
    expect(await readFile(join(dir, 'results.json'), 'utf8')).toBe(renderJson(r));
    const txt = await readFile(join(dir, 'report.txt'), 'utf8');
    expect(txt).toBe(renderTerminal(r, { color: false, verbose: false }));
    expect(txt).not.toMatch(ANY_ESC);
  });

  it('a format that cannot be written costs only itself: the others, results.json first, are written', async () => {
    const dir = await tmp();
    // A folder where report.html should go makes that one write fail.
    await mkdir(join(dir, 'report.html'));
    await expect(writeReports(fullRun(), dir, ['html', 'markdown', 'json'])).rejects.toThrow(/could not write every report \(html: .*EISDIR/);
    expect((await readdir(dir)).sort()).toEqual(['report.html', 'report.md', 'results.json']);
    expect(await readFile(join(dir, 'results.json'), 'utf8')).toBe(renderJson(fullRun()));
  });

  it('writes only what was asked, once each', async () => {
    const dir = await tmp();
    const written = await writeReports(fullRun(), dir, ['json', 'json']);
    expect(written).toEqual([{ format: 'json', path: join(dir, 'results.json') }]);
    expect(await readdir(dir)).toEqual(['results.json']);
    expect(await writeReports(fullRun(), dir, [])).toEqual([]);
  });
});
