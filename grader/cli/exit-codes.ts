// Exit codes, documented in the README: scripts and CI depend on them.
export const EXIT = {
  /** Every test passed (or the score reached --fail-under). */
  passed: 0,
  /** Some test did not pass. */
  failed: 1,
  /** Usage or configuration error: bad option, missing or invalid manifest, unknown assignment. */
  config: 2,
  /** The grader itself failed. */
  internal: 3,
  /** Interrupted (Ctrl-C); partial results were written. */
  interrupted: 130,
} as const;
