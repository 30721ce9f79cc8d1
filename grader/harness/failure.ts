// What a test throws to fail with a student-facing explanation.
import type { Diff } from '../results/schema.js';

export interface FailureDetails {
  hint?: string;
  diff?: Diff;
  /** The failure is a deadline that passed with nothing (or not enough) received: status `timeout`. */
  timeout?: boolean;
}

export class TestFailure extends Error {
  readonly hint?: string;
  readonly diff?: Diff;
  readonly timeout: boolean;
  constructor(message: string, details: FailureDetails = {}) {
    super(message);
    this.name = 'TestFailure';
    this.hint = details.hint;
    this.diff = details.diff;
    this.timeout = details.timeout ?? false;
  }
}

export function fail(message: string, details: FailureDetails = {}): never {
  throw new TestFailure(message, details);
}
