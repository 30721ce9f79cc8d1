// results.json: exactly the Results schema (validated, so a bad value fails here rather than
// in whatever tool reads the file later), pretty-printed.
import { Results } from '../results/schema.js';

export function renderJson(r: Results): string {
  return JSON.stringify(Results.parse(r), null, 2) + '\n';
}
