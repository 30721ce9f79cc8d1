// What the three differential oracles share: a disagreement between an oracle's judgement, a
// scenario's graded verdict and its declaration, and the pool that runs programs a few at a time
// (validate's).

/** A (program, test) where "differs from the oracle on the test's feature" and the grade or the declaration disagree. */
export interface Disagreement {
  program: string;
  test: string;
  oracle: string;
  graded?: 'fails' | 'passes';
  declared?: 'fails' | 'passes';
}

/** Run `fn` over `items`, at most `jobs` at a time, results in order: validate's own pool. */
export { pool } from '../../grader/validate/validate.js';
