// What a test throws to fail with a student-facing explanation.
import type { Diff, Timing, TimingMeasurement } from '../results/schema.js';

export interface FailureDetails {
  hint?: string;
  diff?: Diff;
  /** The failure is a deadline that passed with nothing (or not enough) received: status `timeout`. */
  timeout?: boolean;
  /** The failure compared a measured time or rate against a bound (see failTiming). */
  timing?: Timing;
}

export class TestFailure extends Error {
  readonly hint?: string;
  readonly diff?: Diff;
  readonly timeout: boolean;
  readonly timing?: Timing;
  constructor(message: string, details: FailureDetails = {}) {
    super(message);
    this.name = 'TestFailure';
    this.hint = details.hint;
    this.diff = details.diff;
    this.timeout = details.timeout ?? false;
    this.timing = details.timing;
  }

  /** Everything but the message, to fail again with another message (or more timing). */
  get details(): FailureDetails {
    return {
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
      ...(this.diff ? { diff: this.diff } : {}),
      ...(this.timeout ? { timeout: true } : {}),
      ...(this.timing ? { timing: this.timing } : {}),
    };
  }
}

export function fail(message: string, details: FailureDetails = {}): never {
  throw new TestFailure(message, details);
}

type Measure = Omit<TimingMeasurement, 'comparison' | 'unit'> & { unit?: string };

/** A measurement whose bound is a ceiling: `retransmitted after 2,310 ms — bound: at most 800 ms`. */
export function atMost(label: string, measured: number, bound: number, opts: Omit<Measure, 'label' | 'measured' | 'bound'> = {}): TimingMeasurement {
  return { label, measured, bound, unit: opts.unit ?? 'ms', comparison: 'at most', ...(opts.why ? { why: opts.why } : {}) };
}

/** A measurement whose bound is a floor (a rate, or a wait that must not be cut short). */
export function atLeast(label: string, measured: number, bound: number, opts: Omit<Measure, 'label' | 'measured' | 'bound'> = {}): TimingMeasurement {
  return { label, measured, bound, unit: opts.unit ?? 'ms', comparison: 'at least', ...(opts.why ? { why: opts.why } : {}) };
}

export interface TimingFailure {
  message: string;
  hint?: string;
  measurements: TimingMeasurement[];
  /**
   * Whether every answer was right, so that only time was off. The test must establish it:
   * `true` when it has already checked the answers, `false` when it cannot know (nothing came
   * back, or the answers are wrong), or a check to run now (expectLines, expectExit, ...): if it
   * throws a TestFailure, that failure — the program is wrong — is the verdict, and the timing
   * rides along as detail.
   */
  answersRight: boolean | (() => unknown);
}

/**
 * Fail on timing: the measured values against their bounds, and whether the answers were right.
 * A wrong answer wins over a late one: "wrong" is what the student must fix first.
 */
export function failTiming(f: TimingFailure): never {
  let right: boolean;
  if (typeof f.answersRight === 'function') {
    try {
      f.answersRight();
      right = true;
    } catch (e) {
      if (!(e instanceof TestFailure)) throw e;
      throw withTiming(e, f.measurements);
    }
  } else right = f.answersRight;
  return fail(f.message, { ...(f.hint !== undefined ? { hint: f.hint } : {}), timing: { onlyTiming: right, measurements: f.measurements } });
}

/** The same failure, with these measurements as secondary detail (it is not a timing-only failure). */
export function withTiming(e: TestFailure, measurements: TimingMeasurement[]): TestFailure {
  const before = e.timing?.measurements ?? [];
  return new TestFailure(e.message, { ...e.details, timing: { onlyTiming: false, measurements: [...before, ...measurements] } });
}
