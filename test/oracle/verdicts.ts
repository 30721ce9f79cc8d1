// What the three differential oracles share: a disagreement between an oracle's judgement, a
// scenario's graded verdict and its declaration, and a small pool that runs programs a few at a
// time.

/** A (program, test) where "differs from the oracle on the test's feature" and the grade or the declaration disagree. */
export interface Disagreement {
  program: string;
  test: string;
  oracle: string;
  graded?: 'fails' | 'passes';
  declared?: 'fails' | 'passes';
}

/** Run `fn` over `items`, at most `jobs` at a time, results in order. */
export async function pool<T, R>(items: T[], jobs: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}
