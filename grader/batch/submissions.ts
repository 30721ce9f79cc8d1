// The submissions of a class: one subfolder each, named by the student's id; a roster may add
// names and emails; a shard is a deterministic slice of them.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { requireFolder } from '../grade/manifest.js';
import { parseCsv } from './csv.js';

export interface Submission {
  id: string;
  dir: string;
  name?: string;
  email?: string;
}

export interface Shard {
  index: number;
  count: number;
}

/** Every subfolder of `folder`, sorted by id; dot-folders and the batch's own output are left out. */
export function listSubmissions(folder: string, exclude: string[] = []): Submission[] {
  const abs = requireFolder(folder, 'submissions folder', 'Pass the folder that holds one subfolder per student.');
  const skip = new Set(exclude.map((e) => path.resolve(e)));
  const subs = fs
    .readdirSync(abs, { withFileTypes: true })
    .filter((d) => !d.name.startsWith('.') && d.name !== 'node_modules')
    .map((d) => ({ id: d.name, dir: path.join(abs, d.name) }))
    .filter((s) => !skip.has(s.dir) && isDir(s.dir))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (!subs.length) throw new ConfigError(`${abs} holds no submission folders`, 'Each student\'s submission is one subfolder, named by the student\'s id.');
  return subs;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A roster CSV with a header: an id column (id, username, login or student), optional name and email. */
export function readRoster(file: string): Map<string, { name?: string; email?: string }> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`cannot read the roster ${path.resolve(file)}`, 'Give a CSV file with a header line: id,name,email');
  }
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!rows.length) throw new ConfigError(`the roster ${file} is empty`, 'Give a CSV file with a header line: id,name,email');
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const idCol = col('id', 'username', 'login', 'student', 'student id', 'sis user id');
  if (idCol < 0) throw new ConfigError(`the roster ${file} has no id column (header: ${rows[0].join(', ')})`, 'Name the column of the submission folder names "id"; "name" and "email" are optional.');
  const nameCol = col('name', 'full name', 'student name');
  const emailCol = col('email', 'e-mail', 'mail');
  const roster = new Map<string, { name?: string; email?: string }>();
  for (const row of rows.slice(1)) {
    const id = row[idCol]?.trim();
    if (!id) continue;
    const name = nameCol >= 0 ? row[nameCol]?.trim() : undefined;
    const email = emailCol >= 0 ? row[emailCol]?.trim() : undefined;
    roster.set(id, { ...(name ? { name } : {}), ...(email ? { email } : {}) });
  }
  return roster;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count)
    throw new ConfigError(`--shard: "${text}" is not a slice like 2/5`, 'Write index/count with 1 <= index <= count, e.g. --shard 1/4 ... --shard 4/4.');
  return { index, count };
}

/**
 * The submissions of shard index/count: every count-th one in id order, starting at the
 * index-th. Depends only on the sorted ids, so every machine of a matrix cuts the class alike,
 * and the shards together hold each submission exactly once.
 */
export function sliceShard<T>(sorted: T[], shard: Shard | undefined): T[] {
  if (!shard) return sorted;
  return sorted.filter((_, k) => k % shard.count === shard.index - 1);
}
