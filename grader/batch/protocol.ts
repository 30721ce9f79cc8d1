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
}

export type WorkerReply =
  | { id: string; kind: 'graded' }
  | { id: string; kind: 'config-error'; error: string }
  | { id: string; kind: 'internal-error'; error: string };
