// One door for assignments: eslint.config.js lets an assignment import the grader only through
// grader/authoring.js and the kits in grader/kits/. Sharp (a reach into the engine is refused)
// and fair (what the shipped assignments import passes), checked with ESLint's own API.
import { ESLint } from 'eslint';
import { describe, expect, test } from 'vitest';
import { at } from '../helpers.js';

const eslint = new ESLint({ cwd: at() });
const lint = async (code: string, file = 'assignments/some-assignment/tests.ts') => (await eslint.lintText(code, { filePath: at(file) }))[0].messages.map((m) => m.message);

describe('assignments import the grader through one door', () => {
  test.each([
    "import { connectResp } from '../../grader/harness/resp.js';",
    "import { grade } from '../../grader/grade/grade.js';",
    "import { resp } from '../../grader/net/resp.js';",
    "import type { Results } from '../../grader/results/schema.js';",
    "export { TcpClient } from '../../grader/net/tcp-client.js';",
  ])('refused: %s', async (code) => {
    const messages = await lint(code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/only from grader\/authoring\.js and the protocol kits/);
  });

  test.each([
    "import { defineTests, type TestContext } from '../../grader/authoring.js';",
    "import { connectResp, resp } from '../../grader/kits/resp.js';",
    "import { dnsServer } from '../../grader/kits/dns.js';",
    "import net from 'node:net';",
    "import { parse } from './http.js';",
  ])('allowed: %s', async (code) => {
    expect(await lint(code)).toEqual([]);
  });

  test('the rule applies to new assignments made from the template too', async () => {
    expect(await lint("import { fail } from '../../grader/harness/failure.js';", 'templates/new-assignment/assignments/@ID@/tests.ts')).toHaveLength(1);
  });
});
