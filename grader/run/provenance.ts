// What a grade's program ran: every executable seen among its processes (build and run), with
// its command line and when it was seen. Sampled from /proc every 250 ms while the grade's runs
// are alive, and after every test (a process that lives less than that between two looks may be
// missed: the forbidden programs are replaced by stand-ins in the sandbox too). Processes are
// told apart by what a program cannot shed: its process group, or its sandbox's PID namespace.
import { allProcesses, executableOf, executablePath, hasProcfs, pidNamespace } from './procfs.js';
import { liveRunsOf } from './process.js';
import type { Confinement } from './sandbox.js';

export interface SeenExecutable {
  exe: string;
  command: string;
  /** Milliseconds since the watch started. */
  firstMs: number;
  lastMs: number;
}

/** The grader's own wrappers around every command: not the student's doing. */
const WRAPPERS = new Set(['/usr/bin/bwrap', '/usr/bin/setpriv', '/usr/bin/prlimit', '/bin/bwrap', '/bin/setpriv', '/bin/prlimit']);
/** At most this many distinct executables are kept (a program that runs a new one every moment). */
const MAX_SEEN = 200;
const INTERVAL_MS = 250;

export interface ProvenanceWatch {
  /** Looks once more and stops; what was seen, in the order first seen. */
  stop(): SeenExecutable[];
  /** The watch's clock: milliseconds since it started (what firstMs and lastMs are in). */
  nowMs(): number;
  /** Looks now (after each test, and before the program is stopped). */
  sample(): void;
}

export function watchExecutables(confinement: Confinement): ProvenanceWatch {
  const t0 = performance.now();
  const seen = new Map<string, SeenExecutable>();
  /** pid → what it ran when last seen: its command line is read again only when it exec'd something else. */
  const known = new Map<number, { exe: string; key: string }>();
  /** When the last look was (a process first seen now started after it, or when its run started, whichever is later). */
  let lastLook = 0;
  const sample = () => {
    if (!hasProcfs) return;
    const runs = liveRunsOf(confinement);
    const now = Math.round(performance.now() - t0);
    if (!runs.length) {
      lastLook = now;
      return;
    }
    const byGroup = new Map(runs.map((r) => [r.pid, r]));
    const byNs = new Map(runs.flatMap((r) => {
      const ns = r.liveNamespace()?.ns;
      return ns ? [[ns, r] as const] : [];
    }));
    for (const p of allProcesses()) {
      const run = byGroup.get(p.pgrp) ?? (byNs.size ? byNs.get(pidNamespace(p.pid) ?? '') : undefined);
      if (!run) continue;
      const exe = executablePath(p.pid);
      if (!exe || WRAPPERS.has(exe)) continue;
      let k = known.get(p.pid);
      if (k?.exe !== exe) {
        const e = executableOf(p.pid);
        if (!e) continue;
        k = { exe, key: `${e.exe}\0${e.command}` };
        known.set(p.pid, k);
        const from = Math.max(lastLook, Math.round(run.startedAt - t0));
        if (!seen.has(k.key) && seen.size < MAX_SEEN) seen.set(k.key, { ...e, firstMs: Math.min(from, now), lastMs: now });
      }
      const s = seen.get(k.key);
      if (s) s.lastMs = now;
    }
    lastLook = now;
  };
  const timer = setInterval(sample, INTERVAL_MS);
  timer.unref();
  let stopped: SeenExecutable[] | undefined;
  return {
    sample,
    nowMs: () => Math.round(performance.now() - t0),
    stop: () => {
      if (stopped) return stopped;
      sample();
      clearInterval(timer);
      stopped = [...seen.values()];
      return stopped;
    },
  };
}
