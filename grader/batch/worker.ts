// Grades the submissions of a batch in child processes: the grader re-executing itself (inside
// a network namespace of its own when there is one), one submission at a time per child. A
// child keeps simultaneous grades apart and lets the batch outlive anything one submission
// does to its grader: a crash, a hang, a config error are each recorded as that submission's
// error, and the batch goes on.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import readline from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { ConfigError } from '../errors.js';
import { readManifestAssignment } from '../grade/manifest.js';
import { packageRoot } from '../paths.js';
import { processesOfRun } from '../run/procfs.js';
import { Results } from '../results/schema.js';
import { BatchEntry } from '../results/batch.js';
import { NETNS_VAR, type Isolation } from '../run/netns.js';
import type { SandboxMode } from '../run/sandbox.js';
import type { WorkerJob, WorkerReply } from './protocol.js';
import type { Submission } from './submissions.js';

export interface WorkerOptions {
  seed: string;
  /** The batch's assignment. */
  assignment: string;
  /** --assignment was given: grade every submission as the batch's assignment, whatever its manifest says. */
  override: boolean;
  official: boolean;
  sandbox: SandboxMode;
  /** Never shown to a program: the class folder and the batch's output. */
  privateDirs: string[];
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

/**
 * One grader worker: a child process (in its own network namespace when there is one) that
 * grades the submissions it is given one at a time. When it dies or overruns, it is killed
 * with everything it started, and the next submission gets a fresh one.
 */
export class GraderWorker {
  private readonly proc: ResultPromise;
  private stderrTail = '';
  private pending: ((r: WorkerReply | { kind: 'exited'; how: string }) => void) | undefined;
  private exited: string | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  /** In every process the worker starts (environments are inherited, even by daemons). */
  private readonly token = `SOCKGRADE_WORKER=${randomBytes(8).toString('hex')}`;

  constructor(private readonly isolation: Isolation) {
    const [cmd, ...args] = isolation.wrap([process.execPath, cliMain(), '__batch-worker']);
    const [tokenName, tokenValue] = this.token.split('=');
    this.proc = execa(cmd, args, {
      reject: false,
      stdin: 'pipe',
      // Its own process group, signalled as a whole: Ctrl-C in the batch's terminal reaches only
      // the batch, which stops its workers itself; and bubblewrap's inner process, which ignores
      // SIGTERM, still dies with the group.
      detached: true,
      env: {
        NO_COLOR: '1',
        FORCE_COLOR: undefined,
        [tokenName]: tokenValue,
        ...(isolation.kind !== 'none' ? { [NETNS_VAR]: isolation.kind } : {}),
      },
      buffer: false,
    });
    readline.createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let reply: WorkerReply;
      try {
        reply = JSON.parse(line);
      } catch {
        return; // not ours
      }
      const p = this.pending;
      this.pending = undefined;
      p?.(reply);
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-4000);
    });
    this.proc.stdin!.on('error', () => {}); // a dead worker's stdin: the exit handler reports it
    void this.proc.then((r) => {
      this.exited = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`;
      clearTimeout(this.killTimer);
      this.killOrphans();
      const p = this.pending;
      this.pending = undefined;
      p?.({ kind: 'exited', how: this.exited });
    });
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  grade(job: WorkerJob): Promise<WorkerReply | { kind: 'exited'; how: string }> {
    if (this.exited) return Promise.resolve({ kind: 'exited', how: this.exited });
    return new Promise((resolve) => {
      this.pending = resolve;
      this.proc.stdin!.write(JSON.stringify(job) + '\n');
    });
  }

  /** SIGTERM to the whole group (an unsandboxed grader stops its program), SIGKILL 5 s later. */
  stop(): void {
    this.signal('SIGTERM');
    this.killTimer ??= setTimeout(() => this.signal('SIGKILL'), 5000);
  }

  /** No more work: the worker ends when its stdin does. */
  close(): void {
    this.proc.stdin?.end();
    this.killTimer ??= setTimeout(() => this.signal('SIGKILL'), 10_000);
    this.killTimer.unref();
  }

  /**
   * A worker that died mid-grade could not stop the program it was grading. In a namespace of
   * its own the kernel ended them together; without one, find what it started by the token in
   * their environment (Linux) and kill it.
   */
  private killOrphans(): void {
    if (this.isolation.kind !== 'none') return;
    for (const p of processesOfRun(this.token) ?? []) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      if (this.proc.pid) process.kill(-this.proc.pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Grade one submission on `worker` (started by `getWorker`, again if the last one died) and
 * record its entry. A grade that overruns `timeoutMs` costs the worker its life.
 */
export async function gradeSubmission(sub: Submission, getWorker: () => GraderWorker, opts: WorkerOptions): Promise<WorkerOutcome> {
  const reportDir = reportDirOf(sub.id);
  const absReport = path.join(opts.out, reportDir);
  fs.rmSync(absReport, { recursive: true, force: true });
  fs.mkdirSync(absReport, { recursive: true });
  const identity = () => ({
    id: sub.id,
    ...(sub.name ? { name: sub.name } : {}),
    ...(sub.email ? { email: sub.email } : {}),
    reportDir,
    finishedAt: new Date().toISOString(),
  });
  const named = opts.override ? undefined : readManifestAssignment(sub.dir);
  if (named && named !== opts.assignment) {
    const entry: BatchEntry = {
      ...identity(),
      status: 'error',
      error: `its sockgrade.json names the assignment "${named}", and this batch grades ${opts.assignment}. To grade it as ${opts.assignment} anyway, run the batch with --assignment ${opts.assignment}.`,
      tests: [],
      durationMs: 0,
    };
    writeEntry(opts.out, entry);
    return { kind: 'done', entry };
  }
  const worker = getWorker();
  const t0 = performance.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    worker.stop();
  }, opts.timeoutMs);
  const onAbort = () => worker.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const reply = await worker.grade({ id: sub.id, dir: sub.dir, reportDir: absReport, seed: opts.seed, official: opts.official, sandbox: opts.sandbox, privateDirs: opts.privateDirs, ...(opts.override ? { assignment: opts.assignment } : {}) });
  clearTimeout(timer);
  opts.signal?.removeEventListener('abort', onAbort);
  const base = { ...identity(), durationMs: Math.round(performance.now() - t0) };
  if (opts.signal?.aborted && !timedOut) return { kind: 'interrupted' };
  const results = reply.kind === 'graded' ? readResults(absReport) : undefined;
  let entry: BatchEntry;
  if (timedOut) {
    entry = { ...base, status: 'error', error: `the grade did not end within ${Math.round(opts.timeoutMs / 1000)} s and was stopped (the grader's own limits should have ended it sooner: a bug in sockgrade or a machine overloaded)`, tests: [] };
  } else if (reply.kind === 'exited') {
    entry = { ...base, status: 'error', error: `the grader ${reply.how} while grading this submission: ${errorText(worker.stderr) || '(no message)'}`, tests: [] };
  } else if (reply.kind === 'config-error') {
    entry = { ...base, status: 'error', error: reply.error, tests: [] };
  } else if (reply.kind === 'internal-error' || !results) {
    entry = { ...base, status: 'error', error: `internal error in sockgrade: ${reply.kind === 'internal-error' ? errorText(reply.error) : 'no readable results.json was written'}`, tests: [] };
  } else if (results.assignment.id !== opts.assignment) {
    entry = { ...base, status: 'error', error: `it was graded as ${results.assignment.id}, not ${opts.assignment}`, tests: [] };
  } else {
    entry = {
      ...base,
      status: 'graded',
      score: results.score,
      completeness: results.completeness,
      ...(results.forbidden?.length ? { forbidden: [...new Set(results.forbidden.map((f) => f.name))] } : {}),
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
