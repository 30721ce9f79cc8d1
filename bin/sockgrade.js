#!/usr/bin/env node
// The published entry point: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via prepare).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/grader/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('sockgrade: the compiled grader is missing (dist/). Run `npm run build` in the sockgrade folder.');
  process.exit(3);
}
await import(main.href);
