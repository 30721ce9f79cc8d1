// A problem with what the user gave us (a manifest, an option, a folder): a clear message and
// exit code 2, never a stack trace.
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** zod issues as lines a person can act on: `"run": expected a string`. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length ? `"${i.path.join('.')}"` : 'the file';
      return `  - ${where}: ${i.message}`;
    })
    .join('\n');
}
