// `sockgrade export gradescope <assignment> [--out file.zip]`: write the autograder zip.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { gradescopeZip } from '../export/gradescope.js';

export interface ExportCliOptions {
  out?: string;
  apt?: string;
}

export function exportCommand(platform: string, assignment: string, opts: ExportCliOptions): string {
  if (platform !== 'gradescope') throw new ConfigError(`export: unknown platform "${platform}"`, 'Supported: gradescope.');
  const out = path.resolve(opts.out ?? `sockgrade-gradescope-${assignment}.zip`);
  const apt = (opts.apt ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const zip = gradescopeZip(assignment, { aptPackages: apt });
  if (!fs.existsSync(path.dirname(out))) throw new ConfigError(`--out: the folder ${path.dirname(out)} does not exist`);
  fs.writeFileSync(out, zip);
  const rel = path.relative(process.cwd(), out) || out;
  console.log(`Wrote ${rel} (${(zip.length / 1024 / 1024).toFixed(1)} MB): the Gradescope autograder for ${assignment}.`);
  console.log('Upload it under Configure Autograder (Ubuntu 22.04 base image). Each submission is graded with the hidden tests;');
  console.log('a submission without sockgrade.json is graded with the starter\'s for its language.');
  return out;
}
