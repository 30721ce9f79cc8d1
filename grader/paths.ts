// Where the package's own folders are, whether running from source (vitest, tsx) or compiled (dist/).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'sockgrade') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('sockgrade: cannot find the package root (package.json named "sockgrade")');
    dir = up;
  }
}

export const packageRoot = findRoot();
export const assignmentsDir = path.join(packageRoot, 'assignments');
export const startersDir = path.join(packageRoot, 'starter');
/** True when this code is the compiled copy in dist/ (then assignment tests load from dist too). */
export const runningCompiled = fileURLToPath(import.meta.url).endsWith('.js');
/** The grader's own node_modules/.bin. */
export const toolsBin = path.join(packageRoot, 'node_modules', '.bin');
/** Wrappers for submissions that bring no tools of their own (bin/tools/tsc). */
export const wrappersBin = path.join(packageRoot, 'bin', 'tools');

/** The grader's TypeScript compiler and type definitions, wherever npm put them (hoisted or not). */
export function typescriptTools(): { tsc: string; typeRoots: string } | undefined {
  try {
    const require = createRequire(path.join(packageRoot, 'package.json'));
    const tsc = require.resolve('typescript/bin/tsc');
    const typeRoots = path.dirname(path.dirname(require.resolve('@types/node/package.json')));
    return { tsc, typeRoots };
  } catch {
    return undefined;
  }
}

export function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version;
}

/** Where official grading finds hidden tests when this installation has none: a course pack folder (`--pack`). */
export const PACK_VAR = 'SOCKGRADE_PACK';
