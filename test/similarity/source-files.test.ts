// What the similarity analysis reads of a submission: source files only, never what tools wrote
// or fetched, never through a symlink, never a binary or a huge file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { joinFiles, segmentAt } from '../../grader/similarity/documents.js';
import { languageOf, MAX_FILE_BYTES, scanSources } from '../../grader/similarity/source-files.js';

function folder(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-sources-'));
  for (const [name, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), data);
  }
  return dir;
}

describe('scanSources', () => {
  test('reads source files by extension, sorted, and leaves out dependencies, build output, reports and VCS folders', () => {
    const dir = folder({
      'server.py': 'print(1)\n',
      'lib/util.py': 'x = 1\n',
      'src/main.ts': 'let a = 1;\n',
      'src/types.d.ts': 'declare const a: number;\n',
      'README.md': '# hi\n',
      'sockgrade.json': '{}',
      'node_modules/dep/index.js': 'module.exports = 1;\n',
      'dist/main.js': 'var a = 1;\n',
      '.git/hooks/pre-commit.py': 'print(2)\n',
      '.venv/lib/site.py': 'print(3)\n',
      'sockgrade-report/report.js': 'x\n',
      '__pycache__/server.cpython-311.py': 'x\n',
      'bundle.min.js': 'x\n',
    });
    const scan = scanSources(dir);
    expect(scan.files.map((f) => [f.path, f.language])).toEqual([
      ['lib/util.py', 'python'],
      ['server.py', 'python'],
      ['src/main.ts', 'typescript'],
    ]);
    expect(scan.skipped.size).toBe(0);
  });

  test('skips binaries, files over 1 MiB and symlinks, and counts why', () => {
    const dir = folder({
      'server.c': 'int main(void) { return 0; }\n',
      'blob.c': Buffer.from([0x69, 0x6e, 0x74, 0x00, 0x01, 0x02]),
      'huge.py': 'x = 1\n'.repeat(Math.ceil(MAX_FILE_BYTES / 6) + 10),
    });
    fs.symlinkSync('/etc/hostname', path.join(dir, 'stolen.py'));
    fs.symlinkSync('/usr/lib', path.join(dir, 'linked-folder'));
    const scan = scanSources(dir);
    expect(scan.files.map((f) => f.path)).toEqual(['server.c']);
    expect(Object.fromEntries(scan.skipped)).toEqual({ binary: 1, 'larger than 1 MiB': 1, 'symbolic link (not followed)': 1 });
  });

  test('reads at most 8 MiB of source from one submission', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`part${i}.py`] = 'x = 1\n'.repeat(170_000); // ~1 MB each
    const scan = scanSources(folder(files));
    expect(scan.files).toHaveLength(8);
    expect(Object.fromEntries(scan.skipped)).toEqual({ 'over 8 MiB of source in all': 2 });
  });

  test('a header is C, or C++ when C++ sources sit beside it', () => {
    expect(scanSources(folder({ 'a.c': 'int x;\n', 'a.h': 'int x;\n' })).files.map((f) => f.language)).toEqual(['c', 'c']);
    expect(scanSources(folder({ 'a.cpp': 'int x;\n', 'a.h': 'int x;\n' })).files.map((f) => f.language)).toEqual(['cpp', 'cpp']);
    expect(languageOf('Main.JAVA')).toBe('java');
    expect(languageOf('notes.txt')).toBeUndefined();
  });
});

describe('joinFiles', () => {
  test('joins files in path order and maps document rows back to files and lines', () => {
    const doc = joinFiles([
      { path: 'b.py', language: 'python', text: 'b1\r\nb2' },
      { path: 'a.py', language: 'python', text: 'a1\na2\na3\n' },
    ]);
    expect(doc.text).toBe('a1\na2\na3\nb1\nb2\n');
    expect(segmentAt(doc, 0).file).toBe('a.py');
    expect(segmentAt(doc, 2).file).toBe('a.py');
    const b = segmentAt(doc, 3);
    expect([b.file, b.firstRow, b.lines]).toEqual(['b.py', 3, ['b1', 'b2']]);
  });
});
