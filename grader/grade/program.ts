// The program under test, whatever its role (a server started once, a client run per check,
// peers started by the tests): one interface, so the policy that keeps every verdict about its
// own test lives in grade.ts once — healthy before each test, a crash charged to the test it
// happened in, a test whose program died or hung under it run again on a fresh one.
import type { ProgramStart, TestResult } from '../results/schema.js';
import type { HeadTail } from '../run/output.js';
import type { RunTestInput } from './run-test.js';

/** What getting the program ready for a test did. */
export type Readiness =
  | { ok: true; /** A sentence for the report when the grader had to start it again. */ restarted?: string }
  | { ok: false; /** The program never started (its first start) or could not be started again. */ first: boolean; message: string; hint: string };

/** What the program did to the test it just ran, as facts for the policy. */
export interface Aftermath {
  /**
   * Why this test's failure may come from the program's history rather than from the test: it
   * died or stopped answering under a program that had run earlier tests. Undefined: the
   * verdict is the test's own.
   */
  suspect?: string;
  /** The health check after the test found the program dead, hung or stopped (its time is the grader's, not the test's). */
  unhealthy?: boolean;
}

export interface ProgramUnderTest {
  readonly role: 'server' | 'client' | 'peers';
  readonly starts: ProgramStart[];
  readonly stdout: HeadTail;
  readonly stderr: HeadTail;
  /** Before a test: start it, or start it again when it is dead, hung or stopped, or when `fresh` is asked. */
  prepare(testId: string, opts: { fresh: boolean; why?: string; signal?: AbortSignal }): Promise<Readiness>;
  /** What the test's context gets to reach the program. */
  contextFor(testId: string): Pick<RunTestInput, 'server' | 'runProgram' | 'clusters'>;
  /** After a test: charge an exit to it (failing it if it had passed) and say whether its verdict may be the history's. */
  finish(result: TestResult, ran: { connectionLost: boolean }): Promise<Aftermath>;
  /** At the end of the grade: stop everything. */
  stop(): Promise<void>;
}
