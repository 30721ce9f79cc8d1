// What the peers instrument needs from the test that holds it, and what it needs from the engine
// to start a peer: small interfaces of its own, so that nothing under grader/peers imports the
// test context (which hands clusters out) or the engine that runs processes.
import type { Transcript } from '../net/transcript.js';
import type { Figure } from '../results/schema.js';

/** The test a cluster serves now (a test context is one). */
export interface PeersScope {
  readonly signal: AbortSignal;
  readonly transcript: Transcript;
  /** The test's seeded randomness. */
  random(): number;
  /** The run's seed and the test's id: what the network's fault decisions are seeded from. */
  readonly seed: string;
  readonly testId: string;
  log(line: string): void;
  defer(fn: () => unknown): void;
  figure(f: Figure): void;
  remainingMs(): number;
  extendDeadline(ms: number): void;
}

/** One peer to start: its id, its port, its neighbours' addresses. */
export interface PeerSpec {
  id: string;
  port: number;
  peers: string[];
  /** A folder of this peer's own (made by the cluster, outside the submission): readable and writable by it alone; "{dir}". */
  folder?: string;
  /** More values for the assignment's "{name}" placeholders (a file the test wrote for this peer). */
  vars?: Record<string, string>;
  /**
   * Asked when the peer ends by itself: a reason when the test allows that (it had done what the
   * test needed of it, e.g. written the whole file), undefined when the exit is a fault.
   */
  exitAllowed?: () => string | undefined;
}

/** A running peer, as a test may see and control it. */
export interface PeerProcess {
  readonly id: string;
  readonly port: number;
  readonly pid: number;
  readonly running: boolean;
  /** SIGKILL, at once: a crash. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL: the end of the test. */
  stop(): Promise<void>;
  stderrLines(n: number): string[];
  /** How it ended ("exited with code 1", "was killed by SIGKILL (…)"), or "is still running". */
  describeEnd(): string;
  /** The test has said how this peer ended, in its own failure: the engine adds nothing about it. */
  exitReported(): void;
}

export type StartPeer = (
  spec: PeerSpec,
  signal?: AbortSignal,
) => Promise<{ ok: true; peer: PeerProcess } | { ok: false; message: string; hint: string }>;
