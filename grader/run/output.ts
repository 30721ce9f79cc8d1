// Keeps the head and the tail of a stream, capped, and counts what it dropped in between:
// a program that floods stdout costs the grader a fixed amount of memory, and the report still
// shows how the output started and how it ended.
import type { CapturedOutput } from '../results/schema.js';

export class HeadTail {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  private total = 0;

  constructor(
    private readonly headCap = 32 * 1024,
    private readonly tailCap = 32 * 1024,
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.headCap) {
      const take = chunk.subarray(0, this.headCap - this.headLen);
      this.head.push(take);
      this.headLen += take.length;
      chunk = chunk.subarray(take.length);
      if (!chunk.length) return;
    }
    this.tail.push(chunk);
    this.tailLen += chunk.length;
    // Trim whole chunks, then cut the oldest kept one, so the tail stays within its cap.
    while (this.tailLen - this.tail[0].length >= this.tailCap) this.tailLen -= this.tail.shift()!.length;
    if (this.tailLen > this.tailCap) {
      const cut = this.tailLen - this.tailCap;
      this.tail[0] = this.tail[0].subarray(cut);
      this.tailLen -= cut;
    }
  }

  get totalBytes(): number {
    return this.total;
  }

  snapshot(): CapturedOutput {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    return { head, tail, droppedBytes: this.total - this.headLen - this.tailLen, totalBytes: this.total };
  }

  /** The last `n` lines of everything kept (for "last lines of stderr: ..."). */
  lastLines(n: number): string[] {
    const s = this.snapshot();
    const text = s.droppedBytes > 0 ? s.tail : s.head + s.tail;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  }
}

/** "Last lines of stderr:" and the lines, indented, for a message; `ifEmpty` when there are none. */
export function stderrExcerpt(lines: string[], ifEmpty = ' It printed nothing on stderr.'): string {
  return lines.length ? `\nLast lines of its stderr:\n${lines.map((l) => '  ' + l).join('\n')}` : ifEmpty;
}
