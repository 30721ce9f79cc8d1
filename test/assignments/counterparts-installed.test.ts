// The counterparts need their real programs installed (.ci/run installs them): fail loudly, not
// by skipping, when one is missing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { expect, test } from 'vitest';

test.each(['redis-server', 'dig', 'aria2c', 'ctorrent'])('%s is installed', (cmd) => {
  // On the PATH and executable (ctorrent has no option that exits 0).
  expect(() => execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })).not.toThrow();
});

// The TFTP servers are in sbin (not on an ordinary user's PATH) or, for atftpd, unpacked into
// /opt/atftpd (its package conflicts with tftpd-hpa's): each where its run.sh looks, and asked
// who it is (atftpd's package ships an in.tftpd too).
test.each([
  { name: "tftpd-hpa's in.tftpd", files: ['/usr/sbin/in.tftpd'], version: /^tftp-hpa 5\./ },
  { name: 'atftpd', files: ['/usr/sbin/atftpd', '/opt/atftpd/usr/sbin/atftpd'], version: /^atftp-0\.8\./ },
])('$name is installed', ({ files, version }) => {
  const file = files.find((f) => fs.existsSync(f));
  expect(file, `none of ${files.join(', ')} exists`).toBeDefined();
  // Both print their version and exit 0 (in.tftpd -V on stdout, atftpd -V too).
  expect(execFileSync(file!, ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toMatch(version);
});
