// One document per submission and language: its files joined in path order. The fingerprinting
// library compares documents, not folders, and a student may split a server over several files
// (or a copier may move functions between them); joined, a moved function still matches. The
// segments map a line of the document back to a file and a line in it.
import type { SourceFile } from './source-files.js';

export interface Segment {
  file: string;
  /** 0-based first row of this file in the document. */
  firstRow: number;
  /** The file's lines. */
  lines: string[];
}

export interface Document {
  text: string;
  segments: Segment[];
}

export function joinFiles(files: SourceFile[]): Document {
  const segments: Segment[] = [];
  const parts: string[] = [];
  let row = 0;
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    // Every file ends with a newline in the document, so the next one starts on a row of its own.
    const lines = f.text.replace(/\r\n?/g, '\n').split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    segments.push({ file: f.path, firstRow: row, lines });
    parts.push(lines.join('\n') + '\n');
    row += lines.length;
  }
  return { text: parts.join(''), segments };
}

/** The segment that holds a 0-based document row (the last one for a row past the end). */
export function segmentAt(doc: Document, row: number): Segment {
  let lo = 0;
  let hi = doc.segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (doc.segments[mid].firstRow <= row) lo = mid;
    else hi = mid - 1;
  }
  return doc.segments[lo];
}
