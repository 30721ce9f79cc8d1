// The counterparts need their real programs installed (.ci/run installs them): fail loudly, not
// by skipping, when one is missing.
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';

test.each([
  ['redis-server', ['--version']],
  ['dig', ['-v']],
])('%s is installed', (cmd, args) => {
  expect(() => execFileSync(cmd, args, { stdio: 'ignore' })).not.toThrow();
});
