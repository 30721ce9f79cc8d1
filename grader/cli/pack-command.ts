// `sockgrade pack --out <dir>`: the course pack, what official grading needs and the package
// students install leaves out: every assignment's compiled hidden tests, as <id>/hidden.js. Run
// from the course's own checkout (built); a TA's batch or a platform bundle names it with --pack.
import fs from 'node:fs';
import path from 'node:path';
import { isHiddenTest } from '../assignment/definition.js';
import { listAssignments } from '../assignment/load.js';
import { ConfigError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { EXIT } from './exit-codes.js';

export function packCommand(opts: { out: string }): number {
  const out = path.resolve(opts.out);
  const written: string[] = [];
  for (const def of listAssignments()) {
    const hidden = def.groups.flatMap((g) => g.tests).filter(isHiddenTest);
    if (!hidden.length) continue;
    const file = path.join(packageRoot, 'dist', 'assignments', def.id, 'hidden.js');
    if (!fs.existsSync(file))
      throw new ConfigError(`${def.id} has ${hidden.length} hidden test(s), but this installation has no ${path.relative(packageRoot, file)}`, 'Run `sockgrade pack` in the course\'s own checkout, after `npm run build` (the npm package leaves the hidden tests out).');
    fs.mkdirSync(path.join(out, def.id), { recursive: true });
    fs.copyFileSync(file, path.join(out, def.id, 'hidden.js'));
    written.push(`${def.id}/hidden.js (${hidden.map((t) => t.id).join(', ')})`);
  }
  process.stdout.write(written.length ? `course pack written to ${out}:\n${written.map((w) => `  ${w}\n`).join('')}` : 'no assignment has hidden tests: nothing to pack\n');
  return EXIT.passed;
}
