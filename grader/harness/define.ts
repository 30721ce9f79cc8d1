// How an assignment's tests.ts declares its tests: a function per test id of assignment.json.
import type { TestContext } from './context.js';

export type TestFn = (t: TestContext) => Promise<void>;
export type TestSuite = Record<string, TestFn>;

export function defineTests<T extends TestSuite>(tests: T): T {
  return tests;
}
