// The grader side of a batch worker (`sockgrade __batch-worker`, started by the batch inside a
// network namespace of its own): grades the submissions it is sent on stdin, one at a time,
// in this one process, and answers each on stdout. One process for many grades saves the
// start-up of Node, the grader's modules and its templates (~0.6 s of CPU) per submission,
// which is what keeps 8 grades at a time on 2 cores mostly waiting, not computing.
import readline from 'node:readline';
import { ConfigError } from '../errors.js';
import { grade } from '../grade/grade.js';
import { writeReports } from '../report/index.js';
import type { WorkerJob, WorkerReply } from './protocol.js';

export async function workerMain(): Promise<void> {
  let current: AbortController | undefined;
  // The batch stops a worker with SIGTERM: the grade in progress stops its program; its result is not kept.
  const onTerm = () => {
    current?.abort();
    process.exitCode = 130;
    // A grade that does not come back from the abort must not keep the worker alive.
    setTimeout(() => process.exit(130), 3000).unref();
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onTerm);
  const reply = (r: WorkerReply) => new Promise<void>((resolve) => process.stdout.write(JSON.stringify(r) + '\n', () => resolve()));
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  // For the project's tests only: make this worker crash or hang on one submission, to prove
  // the batch survives its grader dying ("crash:<id>" or "hang:<id>").
  const [faultKind, faultId] = (process.env.SOCKGRADE_TEST_WORKER_FAULT ?? '').split(':');
  for await (const line of lines) {
    if (!line.trim()) continue;
    const job = JSON.parse(line) as WorkerJob;
    current = new AbortController();
    if (job.id === faultId && faultKind === 'crash') setTimeout(() => process.exit(70), 300);
    if (job.id === faultId && faultKind === 'hang') await new Promise(() => {});
    try {
      const results = await grade({ dir: job.dir, assignment: job.assignment, seed: job.seed, official: job.official, sandbox: job.sandbox, privateDirs: job.privateDirs, interrupt: current.signal });
      if (current.signal.aborted) break;
      await writeReports(results, job.reportDir, ['html', 'markdown', 'json']);
      await reply({ id: job.id, kind: 'graded' });
    } catch (e) {
      if (current.signal.aborted) break;
      if (e instanceof ConfigError) await reply({ id: job.id, kind: 'config-error', error: `${e.message}${e.fix ? `\n${e.fix}` : ''}` });
      else {
        // The message for the gradebook; the stack for whoever debugs the grader (SOCKGRADE_DEBUG=1).
        if (process.env.SOCKGRADE_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
        await reply({ id: job.id, kind: 'internal-error', error: (e as Error)?.message ?? String(e) });
      }
    }
  }
}
