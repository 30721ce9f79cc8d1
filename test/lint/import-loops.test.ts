// The engine's modules form no import loop (type-only imports count too: a loop of types is a
// loop of concepts, and the one between the test context and the cluster once hid a workload
// inside the network instrument), and the peers instrument knows no workload by name.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { at } from '../helpers.js';

const grader = at('grader');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports and re-exports of a module, as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) out.push(path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts')));
  return out;
}

/** Every cycle found by depth-first search, each as the list of files around it. */
function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((g) => fs.existsSync(g))]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') found.push([...stack.slice(stack.indexOf(g)), g].map((x) => path.relative(grader, x)));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found;
}

test('no import loop in grader/', () => {
  expect(cycles(sources(grader))).toEqual([]);
});

test('the loop finder finds a loop (two modules that import each other)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-loops-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
    fs.writeFileSync(path.join(dir, 'b.ts'), "export { type A } from './a.js';\nexport type B = number;\n");
    expect(cycles(sources(dir)).length).toBe(1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the peers instrument names no workload: grader/peers holds no gossip or broadcast word', () => {
  for (const f of sources(path.join(grader, 'peers'))) {
    const text = fs.readFileSync(f, 'utf8');
    expect(text, path.relative(grader, f)).not.toMatch(/gossip|broadcast|read_ok|\bvalues? (?:broadcast|learned)/i);
  }
});
