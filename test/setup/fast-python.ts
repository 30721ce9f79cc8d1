// The project's tests start Python programs thousands of times (every gossip grade starts about
// 55 peers). Through a version-manager shim (pyenv's is a bash script) each start costs ~0.3 s
// of CPU before Python itself runs; on a two-core CI machine that alone decides whether timing
// tests keep their margins. So the tests put the real interpreter first on PATH, under the same
// name. Students' runs are untouched: this only changes the PATH of this test process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function realPython(): string | undefined {
  try {
    return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 10_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const onPath = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'python3')).find((p) => fs.existsSync(p));
const found = realPython();
// The interpreter itself, never a link to it (a link to the link would loop).
const real = found && fs.existsSync(found) ? fs.realpathSync(found) : undefined;
const dir = path.join(os.tmpdir(), `sockgrade-python-${process.getuid?.() ?? 0}`);
if (real && onPath && !real.startsWith(dir + path.sep) && fs.realpathSync(onPath) !== real) {
  fs.mkdirSync(dir, { recursive: true });
  const link = path.join(dir, 'python3');
  let current: string | undefined;
  try {
    current = fs.readlinkSync(link);
  } catch {
    /* no link yet */
  }
  if (current !== real) {
    // Made under another name and renamed over the old one: parallel workers never see it missing.
    const tmp = `${link}.${process.pid}`;
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(real, tmp);
    fs.renameSync(tmp, link);
  }
  process.env.PATH = `${dir}${path.delimiter}${process.env.PATH}`;
}
