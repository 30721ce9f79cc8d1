// What a sandboxed program sees of folders that the read-only system would otherwise show: a
// class folder under /opt (or a grader installed under /usr) is covered, so a submission there
// sees itself and nothing of its neighbours.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { HeadTail } from '../../grader/run/output.js';
import { RunningProcess } from '../../grader/run/process.js';
import { confine } from '../../grader/run/sandbox.js';

const hasBwrap = fs.existsSync('/usr/bin/bwrap');
let optWritable = false;
try {
  fs.accessSync('/opt', fs.constants.W_OK);
  optWritable = true;
} catch {
  /* not root: /opt is not ours to fill */
}
const classDir = path.join('/opt', `sockgrade-test-class-${process.pid}`);
afterAll(() => fs.rmSync(classDir, { recursive: true, force: true }));

describe.runIf(hasBwrap && optWritable)('the sandbox inside system folders', () => {
  test('a class folder under /opt: the program sees its own folder, not its neighbours', async () => {
    for (const id of ['alice', 'bob']) {
      fs.mkdirSync(path.join(classDir, id), { recursive: true });
      fs.writeFileSync(path.join(classDir, id, 'secret.txt'), `${id}'s secret\n`);
    }
    const dir = path.join(classDir, 'alice');
    const c = await confine({ dir, mode: 'on', PATH: process.env.PATH ?? '', private: [classDir] });
    const out = new HeadTail();
    try {
      const p = RunningProcess.start({ command: `ls ${classDir}; cat secret.txt; cat ../bob/secret.txt`, cwd: dir, env: { PATH: '/usr/bin:/bin' }, confinement: c, stdout: out, stderr: out });
      await p.exited;
      await p.stop();
    } finally {
      c.dispose();
    }
    const text = out.snapshot().head;
    expect(text).toContain("alice's secret");
    expect(text).not.toContain("bob's secret");
    expect(text.split('\n')[0]).toBe('alice');
    expect(text).toMatch(/bob\/secret\.txt: No such file or directory/);
  });
});
