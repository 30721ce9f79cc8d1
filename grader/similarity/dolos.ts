// The fingerprinting library, @dodona/dolos-lib (winnowing over tree-sitter syntax trees, so
// renamed variables and reformatted code still match). It is a development dependency (installed in
// the project's checkout and CI, and by a TA who wants the report): its parsers are native addons
// built from source at install, and a student's `npx sockgrade` must neither need a C++ compiler
// nor spend minutes compiling them. So it is loaded only when a batch asks for the similarity report, by a path
// TypeScript does not resolve (the grader builds without it), and typed here by the few members
// we use.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../paths.js';

export const DOLOS_PACKAGE = '@dodona/dolos-lib';

export interface DolosRegion {
  startRow: number;
  startCol: number;
  endRow: number;
  endCol: number;
}

export interface DolosFragment {
  /** One per fingerprint the fragment spans. */
  pairs: unknown[];
  leftSelection: DolosRegion;
  rightSelection: DolosRegion;
}

export interface DolosTokenizedFile {
  path: string;
}

export interface DolosSharedFingerprint {
  occurrencesOf(file: DolosTokenizedFile): unknown[];
}

export interface DolosFileEntry {
  file: DolosTokenizedFile;
  /** Fingerprints this file shares with the index, the ignored (starter) ones excluded. */
  shared: Set<DolosSharedFingerprint>;
}

export interface DolosPair {
  leftFile: DolosTokenizedFile;
  rightFile: DolosTokenizedFile;
  leftEntry: DolosFileEntry;
  rightEntry: DolosFileEntry;
  /** Occurrences, in each file, of the fingerprints both share. */
  leftCovered: number;
  rightCovered: number;
  longest: number;
  buildFragments(): DolosFragment[];
}

export interface DolosReport {
  allPairs(): DolosPair[];
  entries(): DolosFileEntry[];
}

export interface DolosFile {
  readonly path: string;
}

export interface DolosApi {
  Dolos: new (options: { language: string; kgramLength?: number; kgramsInWindow?: number }) => {
    analyze(files: DolosFile[], name?: string, ignored?: DolosFile): Promise<DolosReport>;
  };
  File: new (path: string, content: string) => DolosFile;
  Options: { defaultKgramLength: number; defaultKgramsInWindow: number };
}

export interface LoadedDolos {
  api: DolosApi;
  version: string;
}

/** Thrown when the library is not installed or its native parsers did not build. */
export class SimilarityUnavailable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SimilarityUnavailable';
  }
}

const loaded = new Map<string, Promise<LoadedDolos>>();

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0];

const HOW_TO_FIX = `It is not installed with the package students use (its parsers are compiled from source): install g++, make and python3, then run \`npm install ${'@dodona/dolos-lib'}@3.5.1\` where sockgrade is installed (a checkout of sockgrade has it after npm ci).`;

/** The library as installed beside `root` (sockgrade's own folder unless a test says otherwise). */
export function loadDolos(root: string = packageRoot): Promise<LoadedDolos> {
  let p = loaded.get(root);
  if (!p) {
    p = load(root);
    // A failure is not kept: a TA may install the library and run the batch again in the same process (tests do).
    p.catch(() => loaded.delete(root));
    loaded.set(root, p);
  }
  return p;
}

async function load(root: string): Promise<LoadedDolos> {
  let entry: string;
  try {
    entry = createRequire(path.join(root, 'package.json')).resolve(DOLOS_PACKAGE);
  } catch {
    throw new SimilarityUnavailable(`${DOLOS_PACKAGE} is not installed. ${HOW_TO_FIX}`);
  }
  // The native parts first, with require: a native addon that fails to load inside an ESM
  // import graph is rethrown by Node 20 as an uncaught error after the import's own rejection,
  // which would end the batch before it writes the gradebook (seen with tree-sitter's prebuilt
  // binary, which needs a newer libstdc++ than Debian 12's). Loaded here, they are cached, and
  // the import below reuses them.
  const fromDolos = createRequire(entry);
  try {
    fromDolos('tree-sitter');
    fromDolos('@dodona/dolos-parsers');
  } catch (e) {
    throw new SimilarityUnavailable(`the native parsers of ${DOLOS_PACKAGE} do not load (${firstLine(e)}). ${HOW_TO_FIX}`);
  }
  let api: DolosApi;
  try {
    api = (await import(pathToFileURL(entry).href)) as DolosApi;
  } catch (e) {
    throw new SimilarityUnavailable(`${DOLOS_PACKAGE} could not be loaded (${firstLine(e)}). ${HOW_TO_FIX}`);
  }
  return { api, version: versionOf(entry) };
}

function versionOf(entry: string): string {
  try {
    // The package exports only its entry point (dist/index.js); its package.json is two folders up.
    return JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
