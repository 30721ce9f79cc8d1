// Checks run for many clients at once (a hundred connections, fifty HTTP clients): all of them
// run to the end, and the test fails once, with how many failed and the first failure in full.
import type { TestContext } from './context.js';
import { TestFailure } from './failure.js';

export async function allClients<T>(t: TestContext, items: T[], what: string, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map((it, i) => fn(it, i)));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed.length) return;
  const first = failed[0].reason;
  if (!(first instanceof TestFailure)) throw first;
  t.fail(`${failed.length} of ${items.length} ${what} failed. The first: ${first.message}`, first.details);
}
