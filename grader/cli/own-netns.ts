// `sockgrade grade` re-runs itself inside a network namespace of its own (run/netns.ts), so the
// program under test and the grader's clients share a private loopback: the program can reach
// nothing but the grader, and its ports never collide with anything on the machine. The outer
// process only relays: the terminal is shared (live output, colours), Ctrl-C is passed on
// through a pipe (the namespace's first process would die of the signal, taking the grade with
// it), and the inner grader's exit code is returned.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { detectIsolation, NETNS_VAR } from '../run/netns.js';

/** Tells the inner grader to take Ctrl-C from its stdin. */
export const INTERRUPT_VIA_STDIN = 'SOCKGRADE_INTERRUPT_STDIN';

/** The inner grader's exit code, or undefined when this machine gives no namespace (or this is already inside one). */
export async function rerunInOwnNetns(): Promise<number | undefined> {
  if (process.env[NETNS_VAR]) return undefined;
  const iso = await detectIsolation('auto');
  if (iso.kind === 'none') return undefined;
  const [cmd, ...args] = iso.wrap([process.execPath, ...process.execArgv, process.argv[1], ...process.argv.slice(2)]);
  const child = spawn(cmd, args, {
    stdio: ['pipe', 'inherit', 'inherit'],
    // Its own process group: Ctrl-C reaches only this relay, which passes it on.
    detached: true,
    env: { ...process.env, [NETNS_VAR]: iso.kind, [INTERRUPT_VIA_STDIN]: '1' },
  });
  child.stdin.on('error', () => undefined);
  const relay = () => child.stdin.write('interrupt\n');
  process.on('SIGINT', relay);
  process.on('SIGTERM', relay);
  // If this relay dies anyway, bubblewrap's --die-with-parent (or unshare's --kill-child) ends the grade.
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  process.off('SIGINT', relay);
  process.off('SIGTERM', relay);
  // Killed by a signal: the shell's convention, 128 + its number.
  return code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
}
