import type { SandboxMode } from '../run/sandbox.js';

// What the batch and its grader workers say to each other: one JSON line per job and per reply.
export interface WorkerJob {
  id: string;
  /** The submission folder. */
  dir: string;
  /** Where to write report.html, report.md and results.json. */
  reportDir: string;
  seed: string;
  /** Grade as this assignment whatever the manifest says (the batch's --assignment). */
  assignment?: string;
  official: boolean;
  /** The sandbox mode for the submission's program (auto: bubblewrap where it works). */
  sandbox: SandboxMode;
  /** Folders the program must never see: the class folder and the batch's output. */
  privateDirs: string[];
}

export type WorkerReply =
  | { id: string; kind: 'graded' }
  | { id: string; kind: 'config-error'; error: string }
  | { id: string; kind: 'internal-error'; error: string };
