// `sockgrade grade --watch`: the student's loop. Grade, show one summary line and the first
// failure, wait for a change in the submission folder, grade again, until Ctrl-C.
//
// A round: the screen is cleared (a separator line when stdout is not a terminal); if the last
// complete round had failing tests, those are graded first, alone and with that round's seed
// (the same inputs that failed), so "did my fix work?" is answered in a second; then everything
// is graded with a fresh seed (or --seed), the report files are written as a normal grade
// writes them, and the round ends with one summary line, the first failure in full and
// "watching … for changes". A change during a round stops it (grade()'s interrupt) and starts
// the next; an interrupted round writes no report, so the files always describe a whole grade.
// What counts as a change: watch-files.ts.
//
// In its own network namespace (own-netns.ts) this runs in the inner grader: the folder is the
// same there (the namespace shares the file system), the terminal is shared, and Ctrl-C arrives
// through stdin as for a normal grade; leaving the namespace ends everything that ran in it.
import path from 'node:path';
import { createColors } from 'picocolors';
import { ConfigError } from '../errors.js';
import { grade, type GradeOptions } from '../grade/grade.js';
import { checkSubmissionDir } from '../grade/manifest.js';
import { formatDuration, formatPercent, formatPoints } from '../report/format.js';
import { lineWidths, renderFirstFailure, renderTestLine, type LineWidths } from '../report/terminal.js';
import { countsText } from '../report/view.js';
import { writeReports, type ReportFormat } from '../report/write.js';
import type { Results, TestResult } from '../results/schema.js';
import type { SandboxMode } from '../run/sandbox.js';
import { EXIT } from './exit-codes.js';
import { interruptOnSignals, useColor } from './terminal.js';
import { changedPaths, FolderWatcher, ignoredPaths, isSourceLike, snapshot, type Rel, type Snapshot } from './watch-files.js';

export interface WatchOptions {
  dir: string;
  assignment?: string;
  seed?: string;
  only?: string[];
  official: boolean;
  sandbox: SandboxMode;
  reportDir: string;
  formats: ReportFormat[];
  /** Also say what the watcher ignored and why (and write verbose reports). */
  verbose: boolean;
}

/** An editor's save is a burst of events (temp file, rename, chmod, a second write): wait for this much quiet. */
const QUIET_MS = 150;
/** Clear the screen and its scrollback, cursor home. */
const CLEAR = '\x1b[2J\x1b[3J\x1b[H';

const failed = (t: TestResult) => t.status !== 'passed';

function changeText(paths: Rel[]): string {
  const shown = paths.slice(0, 3).join(', ');
  return `changed: ${shown}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}`;
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

export async function watchCommand(o: WatchOptions): Promise<number> {
  const dir = checkSubmissionDir(o.dir);
  const tty = process.stdout.isTTY === true;
  const color = useColor();
  const pc = createColors(color);
  const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  const trace = o.verbose ? (s: string) => out(pc.dim(`  · ${s}`)) : undefined;
  // On a terminal, one status line redrawn in place while everything is graded.
  let statusShown = false;
  const status = (s: string) => {
    if (!tty) return;
    process.stdout.write(`\r\x1b[2K${s}`);
    statusShown = true;
  };
  const clearStatus = () => {
    if (statusShown) process.stdout.write('\r\x1b[2K');
    statusShown = false;
  };

  const ignored = ignoredPaths(dir, [o.reportDir]);
  const stop = interruptOnSignals('stopping the watch');
  let watcher: FolderWatcher;
  try {
    watcher = new FolderWatcher(dir, ignored, trace);
  } catch (e) {
    stop.dispose();
    throw new ConfigError(`cannot watch ${dir}: ${(e as Error).message}`, 'Grade without --watch, or free some inotify watches (fs.inotify.max_user_watches).');
  }
  /** Files our own builds and programs wrote into the folder (watch-files.ts, 3.): never a reason to grade. */
  const built = new Set<Rel>();
  const common: Omit<GradeOptions, 'interrupt' | 'events' | 'only' | 'seed'> = {
    dir,
    assignment: o.assignment,
    official: o.official,
    sandbox: o.sandbox,
    privateDirs: [o.reportDir],
  };
  /** The last complete round's failing tests (when not all of its tests failed) and its seed. */
  let failing: { ids: string[]; seed: string } | undefined;

  /** One round; undefined when it was interrupted (by a change or Ctrl-C). */
  async function round(n: number, why: string, signal: AbortSignal): Promise<Results | undefined> {
    const head = `sockgrade --watch · round ${n} · ${clock()} · ${why}`;
    if (tty) process.stdout.write(CLEAR);
    out(tty ? pc.bold(head) : `\n── ${head} ──`);

    if (failing) {
      const { ids, seed } = failing;
      out(`\nFailing last round, run first (seed ${seed}):`);
      let widths: LineWidths | undefined;
      let quick: Results | undefined;
      try {
        quick = await grade({
          ...common,
          only: ids,
          seed,
          interrupt: signal,
          events: {
            onStart: (info) => (widths = lineWidths(info.tests)),
            onBuildEnd: (b) => b.status !== 'passed' && out(pc.red(`  build ${b.status === 'timeout' ? 'timed out' : 'failed'}`)),
            onTestEnd: (t) => out(renderTestLine(t, { color, widths })),
          },
        });
      } catch (e) {
        // Those tests may be gone (the manifest names another assignment now): the full grade says what is wrong.
        if (!(e instanceof ConfigError)) throw e;
        out(pc.dim('  (they cannot be run alone now)'));
      }
      if (signal.aborted) return undefined;
      if (quick) {
        const tests = quick.groups.flatMap((g) => g.tests);
        const fixed = tests.filter((t) => !failed(t)).length;
        out(`  → ${fixed} of ${tests.length} pass now${fixed < tests.length ? `, ${tests.length - fixed} still failing` : ''}`);
      }
      out('');
    }

    let done = 0;
    let total = 0;
    let failures = 0;
    status(pc.dim('grading everything…'));
    const results = await grade({
      ...common,
      only: o.only,
      seed: o.seed,
      interrupt: signal,
      events: {
        onStart: (info) => (total = info.tests.length),
        onSandbox: (s) => {
          if (s.kind !== 'none') return;
          clearStatus();
          out(pc.yellow(`note: ${s.description}`));
        },
        onBuildStart: () => status(pc.dim('building…')),
        onTestEnd: (t) => {
          done++;
          if (failed(t)) failures++;
          status(pc.dim(`grading everything… ${done}/${total} tests${failures ? `, ${failures} not passed` : ''}`));
        },
      },
    });
    clearStatus();
    if (signal.aborted || results.completeness === 'interrupted') return undefined;

    let written: { format: ReportFormat; path: string }[] = [];
    try {
      written = await writeReports(results, o.reportDir, o.formats, { verbose: o.verbose });
    } catch (e) {
      out(pc.red(`sockgrade: ${(e as Error).message}`));
    }
    const tests = results.groups.flatMap((g) => g.tests);
    const allPassed = tests.length > 0 && tests.every((t) => !failed(t));
    const partial = results.completeness === 'budget-exceeded' ? ' · partial: the time budget ran out' : '';
    const line = `${formatPoints(results.score.earned, results.score.possible)} points (${formatPercent(results.score.percent)}) · ${countsText(results.counts)} · ${formatDuration(results.durationMs)} · seed ${results.seed}${partial}`;
    out(allPassed ? pc.green(pc.bold(`✓ ${line}`)) : pc.red(pc.bold(`✗ ${line}`)));
    const first = renderFirstFailure(results, { color });
    if (first) out('\n' + first.replace(/\n$/, ''));
    // The rest of what the summary would detail (as view.ts's needsAttention); after a failed build, nothing ran.
    const attention = tests.filter((t) => failed(t) ? t.status !== 'skipped' : t.pointsEarned < t.pointsPossible);
    const more = results.build.status === 'failed' || results.build.status === 'timeout' ? [] : attention.slice(1);
    const report = written.find((w) => w.format === 'html') ?? written[0];
    const where = report ? path.relative(process.cwd(), report.path) || report.path : undefined;
    if (more.length) out(`\n${more.length} more to look at: ${more.map((t) => t.id).join(', ')}${where ? pc.dim(` (all the details: ${where})`) : ''}`);
    else if (where) out(`\n${pc.dim(`report: ${where}`)}`);
    // Quick reruns only help when they are fewer than the whole grade.
    const notPassed = tests.filter(failed).map((t) => t.id);
    failing = notPassed.length > 0 && notPassed.length < tests.length ? { ids: notPassed, seed: results.seed } : undefined;
    return results;
  }

  const watching = () => out(`\n${pc.dim(`watching ${path.relative(process.cwd(), dir) || '.'} for changes (Ctrl-C to stop)`)}`);
  const paths = (a: Snapshot, b: Snapshot) => (r: Rel) => a.has(r) || b.has(r);

  try {
    let why = 'first round';
    for (let n = 1; ; n++) {
      const before = await snapshot(dir, ignored);
      // During the round, a change to a source file stops it (watch-files.ts, 3.).
      const changedNow = new AbortController();
      const monitorEnd = new AbortController();
      let changedDuring: Rel[] = [];
      const monitor = (async () => {
        for (;;) {
          await watcher.settled(QUIET_MS, monitorEnd.signal);
          const now = await snapshot(dir, ignored);
          const changed = changedPaths(before, now).filter((p) => !built.has(p) && isSourceLike(p, paths(before, now)));
          if (changed.length) {
            changedDuring = changed;
            changedNow.abort();
            return;
          }
        }
      })().catch(() => undefined); // ended by monitorEnd, or the watcher failed (the wait below reports it)

      const signal = AbortSignal.any([stop.signal, changedNow.signal]);
      try {
        await round(n, why, signal);
      } catch (e) {
        clearStatus();
        // Bad input before the first round: the usual message and exit 2 (main.ts). Later the
        // student is mid-edit (a manifest half typed): say it and keep watching.
        if (n === 1 || !(e instanceof Error)) throw e;
        if (e instanceof ConfigError) out(pc.red(`sockgrade: ${e.message}`) + (e.fix ? `\n${e.fix}` : ''));
        else out(pc.red(`sockgrade: internal error: ${e.message}`) + '\nThis is a bug in sockgrade, not in your program; watching goes on.');
      } finally {
        monitorEnd.abort();
        await monitor;
      }
      if (stop.signal.aborted) return EXIT.interrupted;
      if (changedNow.signal.aborted) {
        why = changeText(changedDuring);
        if (!tty) out(pc.dim(`(round ${n} stopped: ${why})`));
        continue;
      }

      // Files that changed during the round and are no sources were written by the build or the
      // program: ignored from now on. Sources changed too late to stop the round start the next.
      const after = await snapshot(dir, ignored);
      const during = changedPaths(before, after).filter((p) => !built.has(p));
      for (const p of during) {
        if (isSourceLike(p, paths(before, after))) continue;
        built.add(p);
        trace?.(`ignored from now on: ${p} (written during the grade, so by the build or your program)`);
      }
      const missed = during.filter((p) => !built.has(p));
      if (missed.length) {
        why = changeText(missed);
        continue;
      }

      watching();
      let base = after;
      for (;;) {
        let seen: Rel[];
        try {
          seen = await watcher.settled(QUIET_MS, stop.signal);
        } catch (e) {
          if (stop.signal.aborted) return EXIT.interrupted;
          throw new ConfigError(`stopped watching ${dir}: ${(e as Error).message}`, 'Start sockgrade grade --watch again.');
        }
        const now = await snapshot(dir, ignored);
        const changed = changedPaths(base, now).filter((p) => !built.has(p));
        if (changed.length) {
          why = changeText(changed);
          break;
        }
        base = now;
        trace?.(`no change in what the files hold: ${seen.join(', ')}`);
      }
    }
  } finally {
    clearStatus();
    watcher.close();
    stop.dispose();
  }
}
