// The counterparts need their real programs installed (.ci/run installs them): fail loudly, not
// by skipping, when one is missing.
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';

test.each(['redis-server', 'dig', 'aria2c', 'ctorrent'])('%s is installed', (cmd) => {
  // On the PATH and executable (ctorrent has no option that exits 0).
  expect(() => execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })).not.toThrow();
});
