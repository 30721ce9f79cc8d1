// Without the library, or with its native parsers unbuilt (a machine without a C++ compiler, a
// prebuilt binary for a newer libstdc++), the similarity report is skipped with a reason and the
// batch goes on: the process must not die of the failed load, and the summary says why.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseHTML } from 'linkedom';
import { describe, expect, test } from 'vitest';
import { renderClassSummary } from '../../grader/report/class-summary.js';
import { loadDolos, SimilarityUnavailable } from '../../grader/similarity/dolos.js';
import { smallClass } from '../report/batch-fixtures.js';

/** A folder laid out like sockgrade's, with stand-ins for the library and its native dependency. */
function fakeInstall(treeSitter: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-fake-dolos-'));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write('package.json', '{"name": "sockgrade"}');
  write('node_modules/@dodona/dolos-lib/package.json', '{"name": "@dodona/dolos-lib", "version": "0.0.1", "type": "module", "exports": "./dist/index.js"}');
  write('node_modules/@dodona/dolos-lib/dist/index.js', 'import Parser from "tree-sitter";\nexport const Dolos = class {};\nexport const File = class {};\nexport const Options = {};\n');
  write('node_modules/tree-sitter/package.json', '{"name": "tree-sitter", "main": "index.js"}');
  write('node_modules/tree-sitter/index.js', treeSitter);
  write('node_modules/@dodona/dolos-parsers/package.json', '{"name": "@dodona/dolos-parsers", "main": "index.js"}');
  write('node_modules/@dodona/dolos-parsers/index.js', 'module.exports = {};\n');
  return root;
}

describe('loadDolos when the library cannot work', () => {
  test('not installed: a reason that says what to install', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-no-dolos-'));
    fs.writeFileSync(path.join(root, 'package.json'), '{"name": "sockgrade"}');
    const err = await loadDolos(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimilarityUnavailable);
    expect((err as Error).message).toMatch(/is not installed.*g\+\+, make and python3/);
  });

  test('a native parser that does not load is a reason, not a crash of the process', async () => {
    const root = fakeInstall("throw new Error(\"/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.31' not found\");\n");
    const err = await loadDolos(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimilarityUnavailable);
    expect((err as Error).message).toMatch(/native parsers .* do not load \(.*GLIBCXX_3\.4\.31/);
    // Still alive a moment later (Node 20 rethrows a failed native load inside an ESM import as an uncaught error).
    await new Promise((r) => setTimeout(r, 100));
  });

  test('a stand-in whose native parts load is loaded: the reason above was the parser', async () => {
    const root = fakeInstall('module.exports = function Parser() {};\n');
    const d = await loadDolos(root);
    expect(d.version).toBe('0.0.1');
  });

  test('the class summary shows why there is no similarity report, escaped, and links to none', () => {
    const html = renderClassSummary(smallClass(), { similarity: { skipped: 'the parsers <b>do not</b> load' } });
    const { document } = parseHTML(html);
    const note = document.querySelector('[data-similarity]');
    expect(note?.getAttribute('data-similarity')).toBe('skipped');
    expect(note?.textContent).toContain('Similarity report not written: the parsers <b>do not</b> load');
    expect(document.querySelector('[data-similarity] b')).toBeNull();
    expect([...document.querySelectorAll('a')].map((a) => a.getAttribute('href'))).not.toContain('./similarity.html');
  });

  test('a summary without the similarity step says nothing of it', () => {
    const { document } = parseHTML(renderClassSummary(smallClass()));
    expect(document.querySelector('[data-similarity]')).toBeNull();
  });
});
