// Grades one submission of a batch in a child process: the grader re-executing itself (inside
// the submission's own network namespace when there is one). A child keeps submissions apart
// and lets the batch outlive anything one of them does to its grader: a crash, a hang, a
// config error are each recorded as that submission's error, and the batch goes on.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { ConfigError } from '../errors.js';
import { readManifestAssignment } from '../grade/manifest.js';
import { packageRoot } from '../paths.js';
import { Results } from '../results/schema.js';
import { BatchEntry } from '../results/batch.js';
import type { Isolation } from './isolation.js';
import type { Submission } from './submissions.js';

export interface WorkerOptions {
  seed: string;
  /** The batch's assignment. */
  assignment: string;
  /** --assignment was given: grade every submission as the batch's assignment, whatever its manifest says. */
  override: boolean;
  official: boolean;
  isolation: Isolation;
  /** The batch output folder; this submission's reports go to <out>/<reportDir>. */
  out: string;
  /** A grade still running after this is stopped and recorded as an error. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export type WorkerOutcome = { kind: 'done'; entry: BatchEntry } | { kind: 'interrupted' };

export const ENTRY_FILE = 'entry.json';

export function reportDirOf(id: string): string {
  return path.posix.join('submissions', id);
}

function cliMain(): string {
  const main = path.join(packageRoot, 'dist', 'grader', 'cli', 'main.js');
  if (!fs.existsSync(main)) throw new ConfigError('the compiled grader is missing (dist/)', 'Run `npm run build` in the sockgrade folder.');
  return main;
}

/** The entry of a submission graded earlier, if it finished (a resumed batch skips it). */
export function readEntry(out: string, id: string): BatchEntry | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(out, reportDirOf(id), ENTRY_FILE), 'utf8'));
    const parsed = BatchEntry.safeParse(raw);
    return parsed.success && parsed.data.id === id ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function writeEntry(out: string, entry: BatchEntry): void {
  const file = path.join(out, entry.reportDir, ENTRY_FILE);
  // Written last and atomically: a submission counts as done only once its entry exists whole.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(entry, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** The message a failed grader child left on stderr, without its usage noise. */
function errorText(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^sockgrade: /, '').trimEnd())
    .filter((l) => l && !/^npm warn/i.test(l) && !/SOCKGRADE_DEBUG/.test(l));
  const text = lines.slice(0, 12).join('\n');
  return text.length > 2000 ? text.slice(0, 2000) + '…' : text;
}

export async function gradeSubmission(sub: Submission, opts: WorkerOptions): Promise<WorkerOutcome> {
  const reportDir = reportDirOf(sub.id);
  const absReport = path.join(opts.out, reportDir);
  fs.rmSync(absReport, { recursive: true, force: true });
  fs.mkdirSync(absReport, { recursive: true });
  const base0 = () => ({
    id: sub.id,
    ...(sub.name ? { name: sub.name } : {}),
    ...(sub.email ? { email: sub.email } : {}),
    reportDir,
    finishedAt: new Date().toISOString(),
  });
  const named = opts.override ? undefined : readManifestAssignment(sub.dir);
  if (named && named !== opts.assignment) {
    const entry: BatchEntry = {
      ...base0(),
      status: 'error',
      error: `its sockgrade.json names the assignment "${named}", and this batch grades ${opts.assignment}. To grade it as ${opts.assignment} anyway, run the batch with --assignment ${opts.assignment}.`,
      tests: [],
      durationMs: 0,
    };
    writeEntry(opts.out, entry);
    return { kind: 'done', entry };
  }
  const argv = [
    process.execPath,
    cliMain(),
    'grade',
    sub.dir,
    '--report-dir',
    absReport,
    '--format',
    'html,markdown,json',
    '--seed',
    opts.seed,
    ...(opts.override ? ['--assignment', opts.assignment] : []),
    ...(opts.official ? ['--official'] : []),
  ];
  const [cmd, ...args] = opts.isolation.wrap(argv);
  const t0 = performance.now();
  const proc = execa(cmd, args, {
    reject: false,
    stdin: 'ignore',
    // The live test lines are not needed: results.json has everything; stderr holds the reason for a failure.
    stdout: 'ignore',
    // Its own process group, signalled as a whole: Ctrl-C in the batch's terminal reaches only
    // the batch, which stops its children itself; and bubblewrap's inner process, which
    // ignores SIGTERM, still dies with the group.
    detached: true,
    env: { NO_COLOR: '1', FORCE_COLOR: undefined, SOCKGRADE_BATCH: '1' },
    maxBuffer: 4 * 1024 * 1024,
  });
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      if (proc.pid) process.kill(-proc.pid, sig);
    } catch {
      /* already gone */
    }
  };
  // SIGTERM first (unsandboxed, the grader stops the program and writes its partial report), SIGKILL 5 s later.
  const stop = () => {
    signalGroup('SIGTERM');
    killTimer ??= setTimeout(() => signalGroup('SIGKILL'), 5000);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, opts.timeoutMs);
  opts.signal?.addEventListener('abort', stop, { once: true });
  // The grader exited but something of its group still holds its stderr open: do not wait on it for ever.
  proc.once('exit', () => {
    killTimer ??= setTimeout(() => signalGroup('SIGKILL'), 5000);
  });
  const r = await proc;
  clearTimeout(timer);
  clearTimeout(killTimer);
  opts.signal?.removeEventListener('abort', stop);
  const durationMs = Math.round(performance.now() - t0);
  const base = { ...base0(), durationMs };
  if (opts.signal?.aborted && !timedOut) return { kind: 'interrupted' };
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  let entry: BatchEntry;
  const results = readResults(absReport);
  if (timedOut) {
    entry = { ...base, status: 'error', error: `the grade did not end within ${Math.round(opts.timeoutMs / 1000)} s and was stopped (the grader's own limits should have ended it sooner: a bug in sockgrade or a machine overloaded)`, tests: [] };
  } else if ((r.exitCode === 0 || r.exitCode === 1) && results && results.assignment.id !== opts.assignment) {
    entry = { ...base, status: 'error', error: `it was graded as ${results.assignment.id}, not ${opts.assignment}`, tests: [] };
  } else if ((r.exitCode === 0 || r.exitCode === 1) && results) {
    entry = {
      ...base,
      status: 'graded',
      score: results.score,
      completeness: results.completeness,
      tests: results.groups.flatMap((g) =>
        g.tests.map((t) => ({
          id: t.id,
          status: t.status,
          pointsEarned: t.pointsEarned,
          pointsPossible: t.pointsPossible,
          durationMs: t.durationMs,
          ...(t.status !== 'passed' && t.message ? { message: firstLine(t.message) } : {}),
        })),
      ),
    };
  } else if (r.exitCode === 2) {
    entry = { ...base, status: 'error', error: errorText(stderr) || 'the submission could not be graded (configuration error)', tests: [] };
  } else {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
    entry = { ...base, status: 'error', error: `the grader ${how}${results ? '' : ' without writing results'}: ${errorText(stderr) || '(no message)'}`, tests: [] };
  }
  writeEntry(opts.out, entry);
  return { kind: 'done', entry };
}

function readResults(dir: string): Results | undefined {
  try {
    const parsed = Results.safeParse(JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim()) ?? s;
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}
