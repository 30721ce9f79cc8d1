// Runs one test with its deadline and turns whatever happens into a TestResult: a pass, a
// failure with its explanation, a timeout that says what the test was waiting for, or an error
// in the test itself (the grader's bug, reported as such, never blamed on the student).
import { setMaxListeners } from 'node:events';
import type { TestDefinition } from '../assignment/definition.js';
import { TestContextImpl, type ContextInit } from '../harness/context.js';
import type { TestFn } from '../harness/define.js';
import { TestFailure } from '../harness/failure.js';
import type { TestResult } from '../results/schema.js';

export interface RunTestInput {
  def: TestDefinition;
  groupId: string;
  fn: TestFn;
  seed: string;
  /** The program under test, as the test context sees it (a server, or a client to run). */
  server?: ContextInit['server'];
  runProgram?: ContextInit['runProgram'];
  clusters?: ContextInit['clusters'];
  files?: string;
  /** The test's deadline: its own timeout, cut short by what is left of the run's budget. */
  timeoutMs: number;
  /** Aborted when grading is interrupted. */
  interrupt?: AbortSignal;
}

class DeadlineReached extends Error {}

export async function runTest(input: RunTestInput): Promise<{ result: TestResult; connectionLost: boolean }> {
  const { def } = input;
  const start = performance.now();
  const ac = new AbortController();
  // A test may hold hundreds of connections, each listening for the abort.
  setMaxListeners(0, ac.signal);
  const onInterrupt = () => ac.abort(new Error('interrupted'));
  input.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  let extend: (ms: number) => void = () => undefined;
  const ctx = new TestContextImpl({
    testId: def.id,
    seed: input.seed,
    deadlineAt: start + input.timeoutMs,
    extendDeadline: (ms) => extend(ms),
    signal: ac.signal,
    ...(input.server ? { server: input.server } : {}),
    ...(input.runProgram ? { runProgram: input.runProgram } : {}),
    ...(input.clusters ? { clusters: input.clusters } : {}),
    ...(input.files ? { files: input.files } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  let deadlineAt = start + input.timeoutMs;
  let extendedMs = 0;
  const deadline = new Promise<never>((_, reject) => {
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        ac.abort(new DeadlineReached());
        reject(new DeadlineReached());
      }, Math.max(0, deadlineAt - performance.now()));
    };
    arm();
    extend = (ms: number) => {
      deadlineAt += ms;
      extendedMs += ms;
      arm();
    };
    ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true });
  });
  deadline.catch(() => undefined);

  let status: TestResult['status'] = 'passed';
  let message: string | undefined;
  let hint: string | undefined;
  let diff: TestResult['diff'];
  let timing: TestResult['timing'];
  try {
    await Promise.race([input.fn(ctx), deadline]);
  } catch (e) {
    if (e instanceof TestFailure) {
      status = e.timeout ? 'timeout' : 'failed';
      message = e.message;
      hint = e.hint;
      diff = e.diff;
      timing = e.timing;
    } else if (e instanceof DeadlineReached) {
      status = 'timeout';
      message = `the test did not finish within its deadline of ${input.timeoutMs} ms${extendedMs ? ` (plus ${Math.round(extendedMs)} ms for starting programs)` : ''}.`;
      hint = input.runProgram
        ? 'Your program may be stuck (waiting for an answer that already came, or never exiting), or much too slow.'
        : input.clusters
          ? 'Your peers may be stuck (blocked on one connection, or waiting for bytes that already arrived), or much too slow.'
          : 'Your server may be stuck (blocked on one client, or waiting for bytes that already arrived), or much too slow.';
    } else if (input.interrupt?.aborted) {
      status = 'skipped';
      message = 'grading was interrupted during this test';
    } else {
      status = 'error';
      const err = e as Error;
      message = `internal error in the test itself (not your program's fault; please report it): ${err?.stack ?? String(e)}`;
    }
  } finally {
    clearTimeout(timer);
    input.interrupt?.removeEventListener('abort', onInterrupt);
    ac.abort();
    ctx.closeAll();
  }
  let earned = status === 'passed' ? def.points : 0;
  if (status === 'passed' && ctx.awarded && ctx.awarded.fraction < 1) {
    status = 'failed';
    earned = Math.round(def.points * ctx.awarded.fraction * 100) / 100;
    message = ctx.awarded.message;
  }
  const result: TestResult = {
    id: def.id,
    title: def.title,
    group: input.groupId,
    status,
    pointsEarned: earned,
    pointsPossible: def.points,
    durationMs: Math.round((performance.now() - start) * 10) / 10,
    ...(message ? { message } : {}),
    ...(hint ?? (status !== 'passed' ? def.hint : undefined) ? { hint: hint ?? def.hint } : {}),
    ...(diff ? { diff } : {}),
    ...(timing ? { timing } : {}),
    transcript: ctx.transcript.entries(),
    transcriptDropped: ctx.transcript.dropped,
    log: ctx.logLines,
    figures: ctx.figures,
    visibility: def.visibility,
    ...(Object.keys(ctx.metrics).length ? { metrics: ctx.metrics } : {}),
  };
  return { result, connectionLost: ctx.sawConnectionLoss };
}
