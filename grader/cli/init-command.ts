// `sockgrade init <assignment> <dir>`: copy a starter to begin from.
import fs from 'node:fs';
import path from 'node:path';
import { readDefinition } from '../assignment/load.js';
import { ConfigError } from '../errors.js';
import { startersDir } from '../paths.js';

const SKIP = new Set(['node_modules', 'dist', 'sockgrade-report', '__pycache__']);

export function initCommand(assignment: string, dir: string, lang: string): string {
  readDefinition(assignment); // unknown assignment: a clear error
  const from = path.join(startersDir, assignment, lang);
  if (!fs.existsSync(from)) {
    const langs = fs.existsSync(path.join(startersDir, assignment)) ? fs.readdirSync(path.join(startersDir, assignment)) : [];
    throw new ConfigError(`no ${lang} starter for ${assignment}`, `Available: ${langs.join(', ') || '(none)'}. Choose one with --lang.`);
  }
  const to = path.resolve(dir);
  if (fs.existsSync(to) && (!fs.statSync(to).isDirectory() || fs.readdirSync(to).length > 0))
    throw new ConfigError(`${to} already exists and is not an empty folder`, 'Choose a new folder name, so nothing of yours is overwritten.');
  fs.cpSync(from, to, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) && !src.endsWith('.tsbuildinfo') });
  return to;
}
