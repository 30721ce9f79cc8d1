// A seeded unreliable network for one direction of traffic: what happens to each datagram (or
// chunk of a stream) is decided from the test's random stream, so a lossy run replays exactly
// with the same seed. The policy decides; a FaultyChannel carries the decisions out with timers
// and says what it did to each unit, for the transcript. Nothing here touches a socket.
import type { Random } from '../harness/random.js';

export interface FaultPolicy {
  /** Probability that a unit is lost (in Gilbert–Elliott's good state, when `burst` is set). */
  loss?: number;
  /** Probability that a delivered unit arrives twice (one held for reordering arrives once). */
  duplicate?: number;
  /** Probability that a unit is held back and released after the next `reorderAfter` units (or `reorderMaxMs`, whichever first). */
  reorder?: number;
  reorderAfter?: number;
  reorderMaxMs?: number;
  /** Fixed delay of every unit (ms), plus a uniform extra of up to `jitterMs`. */
  delayMs?: number;
  jitterMs?: number;
  /** A bandwidth cap: a unit leaves only once the units before it have crossed at this rate. */
  bytesPerSecond?: number;
  /**
   * Burst loss (Gilbert–Elliott): each unit, the network moves from good to bad with probability
   * `enter` and from bad to good with `leave`; in the bad state units are lost with `loss`.
   */
  burst?: { enter: number; leave: number; loss: number };
  /**
   * The most units lost in a row (by `loss` or `burst`): after this many, the next is delivered
   * whatever its draw says. A fair-loss link: a protocol that retransmits a bounded number of
   * times can then always get through, so a test of it is fair whatever the seed.
   */
  maxLossRun?: number;
  /**
   * These units (numbered from 1 in this direction) are lost whatever the draws say: a loss a
   * test can count on, so passing it never rests on a lucky seed that lost nothing. Within
   * `maxLossRun`: when the run is already full, the next unit that may be lost is lost instead.
   */
  lose?: number[];
  /** Everything is lost while set (a partition). */
  partitioned?: boolean;
}

/** What the network does to one unit. */
export type FaultDecision =
  | { kind: 'drop'; why: 'loss' | 'burst' | 'partition' }
  | {
      kind: 'deliver';
      /** When each copy is to arrive, in ms from now (two copies: duplicated). */
      delaysMs: number[];
      /** Held back until `reorderAfter` later units have gone (or `reorderMaxMs`). */
      held: boolean;
    };

/** Check a policy's numbers; a sentence naming the first that is wrong, or undefined. */
export function policyProblem(p: FaultPolicy): string | undefined {
  const prob = (name: string, v: number | undefined) => (v !== undefined && !(v >= 0 && v <= 1) ? `${name} must be a probability (0 to 1), not ${v}` : undefined);
  const nonNeg = (name: string, v: number | undefined) => (v !== undefined && !(v >= 0 && Number.isFinite(v)) ? `${name} must be a number ≥ 0, not ${v}` : undefined);
  return (
    prob('loss', p.loss) ??
    prob('duplicate', p.duplicate) ??
    prob('reorder', p.reorder) ??
    prob('burst.enter', p.burst?.enter) ??
    prob('burst.leave', p.burst?.leave) ??
    prob('burst.loss', p.burst?.loss) ??
    nonNeg('reorderAfter', p.reorderAfter) ??
    nonNeg('reorderMaxMs', p.reorderMaxMs) ??
    nonNeg('delayMs', p.delayMs) ??
    nonNeg('jitterMs', p.jitterMs) ??
    nonNeg('maxLossRun', p.maxLossRun) ??
    (p.lose?.find((n) => !(Number.isInteger(n) && n >= 1)) !== undefined ? `lose must list unit numbers from 1, not ${p.lose.find((n) => !(Number.isInteger(n) && n >= 1))}` : undefined) ??
    (p.bytesPerSecond !== undefined && !(p.bytesPerSecond > 0) ? `bytesPerSecond must be > 0, not ${p.bytesPerSecond}` : undefined)
  );
}

/**
 * The decisions for one direction. Every decision draws the same number of random values
 * whatever the policy's outcome, so a change to one unit's fate never shifts the next ones'.
 */
export class FaultDecider {
  private bad = false;
  private busyUntil = 0;
  private lostRun = 0;
  private units = 0;
  private forcedDue = 0;

  constructor(
    public policy: FaultPolicy,
    private readonly random: Random,
  ) {
    const problem = policyProblem(policy);
    if (problem) throw new RangeError(`fault policy: ${problem}`);
  }

  decide(size: number, now: number): FaultDecision {
    const p = this.policy;
    const [rState, rLoss, rDup, rReorder, rJitter, rJitter2] = [this.random(), this.random(), this.random(), this.random(), this.random(), this.random()];
    if (p.burst) this.bad = this.bad ? rState >= p.burst.leave : rState < p.burst.enter;
    if (p.partitioned) return { kind: 'drop', why: 'partition' };
    if (p.lose?.includes(++this.units)) this.forcedDue++;
    const mayLose = !(p.maxLossRun !== undefined && this.lostRun >= p.maxLossRun);
    const forced = this.forcedDue > 0 && mayLose;
    const lose = forced || (p.burst && this.bad ? rLoss < p.burst.loss : rLoss < (p.loss ?? 0));
    if (lose && mayLose) {
      if (forced) this.forcedDue--;
      this.lostRun++;
      return { kind: 'drop', why: p.burst && this.bad && !forced ? 'burst' : 'loss' };
    }
    this.lostRun = 0;
    let leaveAt = now;
    if (p.bytesPerSecond) {
      leaveAt = Math.max(now, this.busyUntil) + (size * 1000) / p.bytesPerSecond;
      this.busyUntil = leaveAt;
    }
    const base = leaveAt - now + (p.delayMs ?? 0);
    const delaysMs = [base + rJitter * (p.jitterMs ?? 0)];
    if (rDup < (p.duplicate ?? 0)) delaysMs.push(base + rJitter2 * (p.jitterMs ?? 0));
    return { kind: 'deliver', delaysMs, held: rReorder < (p.reorder ?? 0) };
  }
}

/** What the channel did to a unit, as the transcript says it. */
export interface FaultEvent {
  /** The unit's number on this channel, from 1. */
  seq: number;
  size: number;
  what: 'dropped' | 'delivered' | 'duplicated' | 'released out of order';
  /** Why it was dropped, or how long it was delayed. */
  detail: string;
  /** performance.now() when the unit was handed to the channel, and when this happened to it. */
  sentAt: number;
  at: number;
}

/**
 * One direction of an unreliable network: `send(unit)` hands a unit over; `deliver` is called
 * for each copy that arrives, when it arrives. A unit held for reordering goes out right after
 * the next `reorderAfter` units have arrived (or been lost), or after `reorderMaxMs`.
 */
export class FaultyChannel<T extends { length: number }> {
  private seq = 0;
  private readonly held: Array<{ unit: T; seq: number; sentAt: number; after: number; timer: NodeJS.Timeout }> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly decider: FaultDecider,
    private readonly deliver: (unit: T) => void,
    private readonly record: (e: FaultEvent, unit: T) => void = () => undefined,
  ) {}

  send(unit: T): void {
    if (this.closed) return;
    const seq = ++this.seq;
    const sentAt = performance.now();
    const d = this.decider.decide(unit.length, sentAt);
    if (d.kind === 'drop') {
      this.record({ seq, size: unit.length, what: 'dropped', detail: d.why === 'partition' ? 'partitioned' : d.why === 'burst' ? 'lost in a burst' : 'lost', sentAt, at: sentAt }, unit);
      return this.releaseHeld();
    }
    const p = this.decider.policy;
    if (d.held) {
      const timer = setTimeout(() => this.release(seq), p.reorderMaxMs ?? 200);
      this.held.push({ unit, seq, sentAt, after: Math.max(1, p.reorderAfter ?? 1), timer });
      return;
    }
    d.delaysMs.forEach((ms, copy) => this.later(ms, unit, { seq, size: unit.length, what: copy === 0 ? 'delivered' : 'duplicated', detail: `delayed ${Math.round(ms)} ms`, sentAt, at: 0 }));
  }

  /**
   * Hand a unit over that the network must leave alone (delivered at once, never lost, copied or
   * held): it draws nothing from the seeded stream, so every other unit's fate is what it was.
   */
  pass(unit: T): void {
    if (this.closed) return;
    const seq = ++this.seq;
    const sentAt = performance.now();
    this.later(0, unit, { seq, size: unit.length, what: 'delivered', detail: 'spared', sentAt, at: 0 });
  }

  /** A later unit went (delivered or lost): units that have waited for enough of them go now. */
  private releaseHeld(): void {
    for (const h of [...this.held]) if (--h.after <= 0) this.release(h.seq);
  }

  private release(seq: number): void {
    const i = this.held.findIndex((h) => h.seq === seq);
    if (i < 0) return;
    const [h] = this.held.splice(i, 1);
    clearTimeout(h.timer);
    this.later(0, h.unit, { seq, size: h.unit.length, what: 'released out of order', detail: 'held back, sent after later ones', sentAt: h.sentAt, at: 0 });
  }

  private later(ms: number, unit: T, e: FaultEvent): void {
    const go = () => {
      if (this.closed) return;
      this.record({ ...e, at: performance.now() }, unit);
      this.deliver(unit);
      if (e.what === 'delivered') this.releaseHeld();
    };
    if (ms <= 0) return go();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      go();
    }, ms);
    this.timers.add(timer);
  }

  /** Drop everything still in flight or held; deliver nothing more. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const h of this.held) clearTimeout(h.timer);
    this.timers.clear();
    this.held.length = 0;
  }
}
