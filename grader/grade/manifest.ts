// sockgrade.json: the submission's manifest, the public contract between a student's folder and the grader.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, formatZodIssues } from '../errors.js';

export const MANIFEST_FILE = 'sockgrade.json';

export const Manifest = z
  .object({
    assignment: z.string().min(1, 'name the assignment, e.g. "kv-server"'),
    /** Runs once, in the submission folder, before any test. */
    build: z.string().min(1).optional(),
    /** Starts the program; the assignment's arguments are appended. */
    run: z.string().min(1, 'give the shell command that starts your program, e.g. "python3 server.py"'),
    /** Informational (reports show it). */
    language: z.string().optional(),
  })
  .strict();
export type Manifest = z.infer<typeof Manifest>;

const EXAMPLE = '{"assignment": "kv-server", "run": "python3 server.py"}';

/** The absolute path of an existing folder, or a ConfigError saying it is missing or a file. */
export function requireFolder(dir: string, what: string, fix: string): string {
  const abs = path.resolve(dir);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new ConfigError(`${what} ${abs} does not exist`, fix);
  }
  if (!st.isDirectory()) throw new ConfigError(`${abs} is a file, not a folder`, fix);
  return abs;
}

export function checkSubmissionDir(dir: string): string {
  return requireFolder(dir, 'submission folder', 'Pass the folder that holds your sockgrade.json (default: the current folder), not a file in it.');
}

/**
 * Read the manifest. With `assignmentOverride`, a missing manifest is tolerated only if the
 * run command can come from elsewhere — it cannot, so the manifest is always required.
 */
/** The largest manifest read: it is a few lines, and the student's to fill. */
const MANIFEST_MAX_BYTES = 64 * 1024;

/**
 * The manifest's text: a regular file only (a FIFO would block the grader forever, a link could
 * point anywhere), and only its first 64 KiB. Undefined when there is none.
 */
function manifestText(file: string): string | undefined {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) {
    if (st) throw new ConfigError(`${file} is not a regular file`, `Make ${MANIFEST_FILE} a plain JSON file, for example:\n  ${EXAMPLE}`);
    return undefined;
  }
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(Math.min(st.size, MANIFEST_MAX_BYTES));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (st.size > MANIFEST_MAX_BYTES) throw new ConfigError(`${file} is larger than 64 KiB`, `It holds a few lines, for example:\n  ${EXAMPLE}`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export function readManifest(dir: string, assignmentOverride?: string): Manifest {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string | undefined;
  try {
    text = manifestText(file);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
  }
  if (text === undefined) {
    throw new ConfigError(`no ${MANIFEST_FILE} in ${dir}`, `Create it with the command that starts your program, for example:\n  ${EXAMPLE}\nor start from a starter: sockgrade init <assignment> <folder>`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`, `It should look like ${EXAMPLE}`);
  }
  if (assignmentOverride && raw && typeof raw === 'object' && !Array.isArray(raw)) raw = { ...raw, assignment: assignmentOverride };
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`${file} is not a valid manifest:\n${formatZodIssues(parsed.error)}`, `It should look like ${EXAMPLE} (with an optional "build" command).`);
  }
  return parsed.data;
}

/** The assignment a submission's manifest names, or undefined when it has no readable one (never throws). */
export function readManifestAssignment(dir: string): string | undefined {
  try {
    const raw = JSON.parse(manifestText(path.join(dir, MANIFEST_FILE)) ?? '');
    return raw && typeof raw.assignment === 'string' ? raw.assignment : undefined;
  } catch {
    return undefined;
  }
}
