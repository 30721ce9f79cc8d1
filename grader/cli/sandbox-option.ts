// --sandbox, shared by grade and batch.
import { ConfigError } from '../errors.js';
import type { SandboxMode } from '../run/sandbox.js';

export const SANDBOX_HELP =
  "auto | on | off: run the student's program in a bubblewrap sandbox (scratch copy, read-only system, no network but the grader's) where the machine offers one; on insists; off runs it as you, in its folder";

export function parseSandbox(text: string | undefined): SandboxMode {
  if (text === undefined || text === 'auto' || text === 'on' || text === 'off') return text ?? 'auto';
  throw new ConfigError(`--sandbox: unknown value "${text}"`, 'Choose auto (bubblewrap where it works), on (insist on it) or off.');
}
