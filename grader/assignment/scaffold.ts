// `sockgrade new <id>`: writes a new assignment's four folders from templates/new-assignment/,
// a complete, working minimal example (a line-reversing server with its tests, handout,
// solution, starter and broken scenarios) that `sockgrade validate` passes as written. Paths and
// texts carry @ID@ and @TITLE@ placeholders.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { packageRoot } from '../paths.js';

const TEMPLATE = path.join(packageRoot, 'templates', 'new-assignment');
const ID = /^[a-z][a-z0-9-]*[a-z0-9]$/;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)).map((f) => path.join(e.name, f)) : [e.name]));
}

export interface Scaffolded {
  /** The folders made, relative to the root. */
  folders: string[];
  files: string[];
}

export function scaffoldAssignment(id: string, title: string | undefined, root = packageRoot): Scaffolded {
  if (!ID.test(id)) throw new ConfigError(`"${id}" is not a usable assignment id`, 'Use lower-case letters, digits and dashes, starting with a letter (e.g. "http-server").');
  const folders = ['assignments', 'starter', 'solutions', path.join('test', 'scenarios')].map((d) => path.join(d, id));
  const taken = folders.filter((f) => fs.existsSync(path.join(root, f)));
  if (taken.length) throw new ConfigError(`assignment "${id}" already exists: ${taken.join(', ')}`, 'Choose another id, or remove those folders first.');
  const name = title?.trim() || `${id} (a line-reversing server: the example to replace)`;
  const values: Record<string, (ext: string) => string> = {
    ID: () => id,
    // In JSON the title is a string's contents; elsewhere it is text.
    TITLE: (ext) => (ext === '.json' ? JSON.stringify(name).slice(1, -1) : name),
  };
  const files = filesUnder(TEMPLATE);
  const written: string[] = [];
  for (const rel of files) {
    const target = rel.replaceAll('@ID@', id);
    const text = fs.readFileSync(path.join(TEMPLATE, rel), 'utf8').replace(/@(ID|TITLE)@/g, (_, k: string) => values[k](path.extname(rel)));
    const to = path.join(root, target);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, text, { mode: fs.statSync(path.join(TEMPLATE, rel)).mode & 0o777 });
    written.push(target);
  }
  return { folders, files: written };
}
