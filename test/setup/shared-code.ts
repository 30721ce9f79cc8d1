// The project's broken scenarios and engine fixtures import shared code from a sibling folder
// (test/scenarios/<assignment>/_base, test/fixtures/engine/_lib) instead of repeating it. The
// sandbox shows a program nothing outside its own folder, so the tests name those folders as
// course code the programs may read, as a course with a shared library would
// (SOCKGRADE_SANDBOX_READONLY; batch workers inherit it).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared: string[] = [];
for (const parent of [path.join(root, 'scenarios'), path.join(root, 'fixtures')])
  for (const group of fs.existsSync(parent) ? fs.readdirSync(parent) : [])
    for (const name of ['_base', '_lib']) {
      const d = path.join(parent, group, name);
      if (fs.existsSync(d)) shared.push(d);
    }
process.env.SOCKGRADE_SANDBOX_READONLY = shared.join(path.delimiter);
