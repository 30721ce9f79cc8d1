// A class on disk for the similarity tests, made the way copying happens: two students hand in
// the reference solution with their own names for things, one of them with the command
// functions in another order; a third wrote an honest server of their own (fixtures/honest-kv);
// several hand in the starter as they got it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { at } from '../helpers.js';

export const SOLUTION = at('solutions', 'kv-server', 'python', 'server.py');
export const STARTER = at('starter', 'kv-server', 'python');
export const HONEST = at('test', 'similarity', 'fixtures', 'honest-kv');
export const MANIFEST = '{"assignment": "kv-server", "run": "python3 server.py"}\n';

/** Whole-word renames, as a copier does with find-and-replace. */
export function rename(src: string, names: Record<string, string>): string {
  let out = src;
  for (const [from, to] of Object.entries(names)) out = out.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
  return out;
}

/** The top-level `def cmd_...` functions of the solution in reverse order (Python looks them up at run time, so it still works). */
export function reverseCommands(src: string): string {
  const lines = src.split('\n');
  const starts = lines.flatMap((l, i) => (l.startsWith('def cmd_') ? [i] : []));
  const end = lines.findIndex((l) => l.startsWith('# name -> (handler'));
  if (starts.length < 2 || end < 0) throw new Error('the solution no longer has the command functions this fixture reorders');
  const blocks = starts.map((s, k) => lines.slice(s, k + 1 < starts.length ? starts[k + 1] : end));
  return [...lines.slice(0, starts[0]), ...blocks.reverse().flat(), ...lines.slice(end)].join('\n');
}

export const ALICE_NAMES = { store: 'kv', args: 'argv', parser: 'decoder', replies: 'outbox', Store: 'KeySpace', RespParser: 'StreamDecoder', execute: 'run_command', deadline: 'expires_at' };
export const BOB_NAMES = { store: 'db', args: 'words', parser: 'reader_state', replies: 'answers', pending: 'queued', Store: 'Database', RespParser: 'Parser', execute: 'dispatch', handler: 'fn' };

export function writeSubmission(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'sockgrade.json'), MANIFEST);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

export function copyFolder(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

/** alice and bob copied the solution; carol wrote her own; the starter was handed in by dave, erin and fay. */
export function makeClass(prefix = 'sockgrade-similarity-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const solution = fs.readFileSync(SOLUTION, 'utf8');
  writeSubmission(path.join(dir, 'alice'), { 'server.py': rename(solution, ALICE_NAMES) });
  writeSubmission(path.join(dir, 'bob'), { 'server.py': rename(reverseCommands(solution), BOB_NAMES) });
  copyFolder(HONEST, path.join(dir, 'carol'));
  for (const id of ['dave', 'erin', 'fay']) copyFolder(STARTER, path.join(dir, id));
  return dir;
}
