// Network namespaces for grades. Best: a grade (the grader re-executing itself) runs in a
// network namespace of its own, with only a loopback, so its program can reach nothing else and
// two programs graded at once can never meet on a port; bubblewrap (Debian's bubblewrap) or
// util-linux's unshare make one. Elsewhere (macOS, no user namespaces) grades share the
// loopback and take free ports.
import { execa } from 'execa';
import { ConfigError } from '../errors.js';

/** Set in a grader that runs inside a namespace made for it (to its kind): it must not make another. */
export const NETNS_VAR = 'SOCKGRADE_NETNS';

export type IsolationMode = 'auto' | 'netns' | 'none';

export interface Isolation {
  kind: 'bwrap' | 'unshare' | 'none';
  /** One line for the batch's output and the class summary. */
  description: string;
  /** The command line that runs `argv` isolated. */
  wrap(argv: string[]): string[];
}

const bwrap: Isolation = {
  kind: 'bwrap',
  description: 'a network namespace per grader worker (bubblewrap): programs graded at the same time never share a loopback or a port',
  // The grader sees the file system as it is (its program gets a narrower view: sandbox.ts);
  // new network and PID namespaces, so nothing a grade started outlives it, and the namespace
  // dies with its parent. As root it keeps its capabilities, so that it can sandbox the program.
  wrap: (argv) => [
    'bwrap',
    '--dev-bind',
    '/',
    '/',
    '--proc',
    '/proc',
    '--unshare-net',
    '--unshare-pid',
    '--die-with-parent',
    ...(process.getuid?.() === 0 ? ['--cap-add', 'ALL'] : []),
    '--',
    ...argv,
  ],
};

function unshareIsolation(root: boolean): Isolation {
  return {
    kind: 'unshare',
    description: 'a network namespace per grader worker (unshare): programs graded at the same time never share a loopback or a port',
    // A new namespace's loopback is down: bring it up, then become the grader.
    wrap: (argv) => [
      'unshare',
      ...(root ? [] : ['--user', '--map-root-user']),
      '--net',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      '--',
      'sh',
      '-c',
      'ip link set lo up && exec "$@"',
      'sh',
      ...argv,
    ],
  };
}

const none: Isolation = {
  kind: 'none',
  description: 'no network namespaces on this machine: submissions share the loopback and take free ports',
  wrap: (argv) => argv,
};

/** Does it run at all? (A namespace tool may exist but be forbidden: no user namespaces.) Both bring the loopback up themselves. */
async function works(iso: Isolation): Promise<boolean> {
  const [cmd, ...args] = iso.wrap(['/bin/sh', '-c', 'true']);
  try {
    const r = await execa(cmd, args, { reject: false, timeout: 10_000, stdin: 'ignore' });
    return r.exitCode === 0;
  } catch {
    return false;
  }
}

let detected: Promise<Isolation> | undefined;

export async function detectIsolation(mode: IsolationMode): Promise<Isolation> {
  if (mode === 'none') return { ...none, description: 'none (--isolation none): submissions share the loopback and take free ports' };
  if (process.platform === 'linux') {
    const root = process.getuid?.() === 0;
    detected ??= (async () => {
      for (const iso of [bwrap, unshareIsolation(root)]) if (await works(iso)) return iso;
      return none;
    })();
    const iso = await detected;
    if (iso.kind !== 'none') return iso;
  }
  if (mode === 'netns')
    throw new ConfigError(
      'no network namespaces on this machine (--isolation netns)',
      'Install bubblewrap (Debian/Ubuntu: apt install bubblewrap), or grade with --isolation none (free ports on the shared loopback).',
    );
  return none;
}
