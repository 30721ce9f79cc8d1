// Mistakes in a submission's set-up that no test should have to discover: a build or run
// command whose program does not exist, and links that lead out of the submission folder.
// Each is a configuration error (exit code 2) with what to fix, not 24 failed tests.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { MANIFEST_FILE } from './manifest.js';

// Words the shell runs itself: nothing to look up.
const SHELL_WORDS = new Set(['cd', 'exec', 'export', 'env', 'set', 'source', '.', 'eval', 'if', 'for', 'while', 'case', 'test', '[', 'true', 'false', 'echo', 'printf', 'command', 'time', 'nohup', 'sh', 'bash']);

/** The program a command line starts: its first word after VAR=value assignments; undefined when it is not a plain word. */
export function firstProgram(command: string): string | undefined {
  for (const word of command.trim().split(/\s+/)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) continue;
    return /^[A-Za-z0-9._+\/-]+$/.test(word) && !SHELL_WORDS.has(word) ? word : undefined;
  }
  return undefined;
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Throws a ConfigError when the program a command starts cannot be found (PATH, or a path in
 * the submission). `dir` is where to look (the sandbox's scratch copy, after a build there),
 * `shownAs` the folder the student knows.
 */
export function checkCommand(field: 'build' | 'run', command: string, dir: string, PATH: string, shownAs = dir): void {
  const prog = firstProgram(command);
  if (!prog) return;
  const where = `${MANIFEST_FILE}: the ${field} command "${command}"`;
  if (prog.includes('/')) {
    const file = path.resolve(dir, prog);
    if (!fs.existsSync(file))
      throw new ConfigError(`${where} starts ${prog}, which does not exist in ${shownAs}${field === 'run' ? ' (after the build)' : ''}`, field === 'run' ? 'Check the path, and that your build command writes that file.' : 'Check the path.');
    if (!executable(file)) throw new ConfigError(`${where} starts ${prog}, which is not an executable file`, `Make it executable (chmod +x ${prog}), or start it with its interpreter (e.g. "python3 ${prog}").`);
    return;
  }
  const found = PATH.split(path.delimiter).some((d) => d && executable(path.join(d, prog)));
  if (!found) throw new ConfigError(`${where} starts "${prog}", which is not installed (not found on PATH)`, `Check the spelling, or install ${prog}. Common commands: python3, node, java.`);
}

const SKIP = new Set(['node_modules', '.git', '.venv', 'venv', '__pycache__']);
const MAX_ENTRIES = 20_000;

/**
 * Throws a ConfigError when a link inside the submission leads outside it: a program graded
 * from a folder must not reach the grader's files (or another student's) through it.
 * Dependency and environment folders (node_modules, .git, a Python virtualenv whatever its
 * name: its interpreter links out by design) are not walked.
 */
export function checkLinksStayInside(dir: string): void {
  const root = fs.realpathSync(dir);
  let seen = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (++seen > MAX_ENTRIES) return;
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) {
        const target = path.resolve(d, fs.readlinkSync(p));
        let real = target;
        try {
          real = fs.realpathSync(p);
        } catch {
          /* dangling: judge the link's own target */
        }
        if (real !== root && !real.startsWith(root + path.sep))
          throw new ConfigError(`${path.relative(root, p)} in the submission is a link to ${target}, outside the submission folder`, 'Copy the file into the submission instead: a submission is graded from its own folder only.');
      } else if (e.isDirectory() && !SKIP.has(e.name) && !fs.existsSync(path.join(p, 'pyvenv.cfg'))) walk(p);
    }
  };
  walk(root);
}
