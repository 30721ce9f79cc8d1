// What every command does with the terminal: colours only where a person reads them, and
// Ctrl-C as "stop and keep what is done" (a second Ctrl-C quits at once).
import { createColors } from 'picocolors';
import { EXIT } from './exit-codes.js';
import { INTERRUPT_VIA_STDIN } from './own-netns.js';

/** Colours on a terminal only (not in pipes, files or CI logs); NO_COLOR wins, FORCE_COLOR forces. */
export function useColor(): boolean {
  return !('NO_COLOR' in process.env) && ('FORCE_COLOR' in process.env || (process.stdout.isTTY === true && process.env.TERM !== 'dumb'));
}

export function colors() {
  return createColors(useColor());
}

/**
 * The first SIGINT/SIGTERM aborts the returned signal (after saying `what` will happen); a
 * second exits at once. `dispose` stops listening.
 */
export function interruptOnSignals(what: string): { signal: AbortSignal; dispose(): void } {
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write(`\nsockgrade: interrupted; ${what} (Ctrl-C again to quit at once)\n`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Inside a namespace made by `sockgrade grade` (own-netns.ts), Ctrl-C arrives as a line on stdin.
  const viaStdin = process.env[INTERRUPT_VIA_STDIN] === '1';
  if (viaStdin) process.stdin.on('data', onSignal);
  return {
    signal: interrupt.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (viaStdin) {
        process.stdin.off('data', onSignal);
        process.stdin.pause();
      }
    },
  };
}
