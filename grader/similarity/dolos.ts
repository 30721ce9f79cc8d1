// The fingerprinting library, @dodona/dolos-lib (winnowing over tree-sitter syntax trees, so
// renamed variables and reformatted code still match). It is an optional dependency: its parsers
// are native addons built from source at install, and a student's `npx sockgrade` must not need
// a C++ compiler. So it is loaded only when a batch asks for the similarity report, by a
// specifier TypeScript does not resolve (the grader builds without it), and typed here by the
// few members we use.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
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

let loaded: Promise<LoadedDolos> | undefined;

export function loadDolos(): Promise<LoadedDolos> {
  loaded ??= (async () => {
    const specifier: string = DOLOS_PACKAGE;
    let api: DolosApi;
    try {
      api = (await import(specifier)) as DolosApi;
    } catch (e) {
      loaded = undefined;
      throw new SimilarityUnavailable(
        `${DOLOS_PACKAGE} could not be loaded (${(e as Error).message.split('\n')[0]}). It is an optional dependency whose parsers are built from source: install g++, make and python3, then run npm install again in the sockgrade folder.`,
      );
    }
    return { api, version: dolosVersion() };
  })();
  return loaded;
}

function dolosVersion(): string {
  try {
    // The package exports only its entry point (dist/index.js); its package.json is two folders up.
    const entry = createRequire(path.join(packageRoot, 'package.json')).resolve(DOLOS_PACKAGE);
    return JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}
