// Batch progress: on a terminal, one status line redrawn in place (done/total, failures,
// errors, ETA) under the finished submissions; elsewhere (CI logs, pipes) plain lines only.
import { formatNumber, sanitizeLine } from '../report/format.js';
import type { BatchEntry } from '../results/batch.js';

export interface ProgressOptions {
  tty: boolean;
  write: (s: string) => void;
  color: { red(s: string): string; green(s: string): string; yellow(s: string): string; dim(s: string): string; bold(s: string): string };
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export class Progress {
  private done = 0;
  private total = 0;
  private toGrade = 0;
  private gradedNow = 0;
  private failing = 0;
  private errors = 0;
  private running = 0;
  private readonly t0 = performance.now();
  private statusShown = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ProgressOptions) {}

  plan(total: number, alreadyDone: number, toGrade: number): void {
    this.total = total;
    this.done = alreadyDone;
    this.toGrade = toGrade;
    if (this.o.tty) {
      this.timer = setInterval(() => this.redraw(), 1000);
      this.timer.unref();
      this.redraw();
    }
  }

  started(): void {
    this.running++;
    this.redraw();
  }

  finished(e: BatchEntry): void {
    this.running--;
    this.done++;
    this.gradedNow++;
    const pc = this.o.color;
    let what: string;
    if (e.status === 'error') {
      this.errors++;
      const text = sanitizeLine((e.error ?? '').replace(/\s*\n\s*/g, ' '));
      what = pc.red(`error: ${text.length > 160 ? text.slice(0, 160) + '…' : text}`);
    } else {
      const s = e.score!;
      const full = s.earned >= s.possible;
      if (!full) this.failing++;
      const text = `${formatNumber(s.earned)}/${formatNumber(s.possible)} (${formatNumber(s.percent)}%)`;
      what = full ? pc.green(text) : s.earned === 0 ? pc.red(text) : pc.yellow(text);
    }
    const n = String(this.done).padStart(String(this.total).length);
    // The id is a folder name the student chose: escape sequences in it must not reach the TA's terminal.
    this.line(`[${n}/${this.total}] ${sanitizeLine(e.id)}  ${what}  ${pc.dim(`${(e.durationMs / 1000).toFixed(1)} s`)}`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clearStatus();
  }

  private line(s: string): void {
    this.clearStatus();
    this.o.write(s + '\n');
    this.redraw();
  }

  private clearStatus(): void {
    if (this.o.tty && this.statusShown) {
      this.o.write('\r\x1b[2K');
      this.statusShown = false;
    }
  }

  private redraw(): void {
    if (!this.o.tty || !this.total) return;
    const width = 24;
    const filled = Math.round((width * this.done) / this.total);
    const elapsed = performance.now() - this.t0;
    const left = this.toGrade - this.gradedNow;
    const eta = this.gradedNow > 0 && left > 0 ? ` · ETA ${clock((elapsed / this.gradedNow) * left)}` : '';
    const text = `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${this.done}/${this.total} · ${this.running} running · ${this.failing} below full marks · ${this.errors} errors${eta}`;
    this.o.write(`\r\x1b[2K${text}`);
    this.statusShown = true;
  }
}
