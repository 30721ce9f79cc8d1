// Resource limits for the student's processes, and the plain sentence that says which one a
// program ran into. Memory, processes, CPU time and file size are kernel limits (setrlimit via
// util-linux's prlimit, or the shell's ulimit where there is no prlimit); output is counted by
// the grader as it reads; wall time is the assignment's deadlines and budget.
import { z } from 'zod';

export const ProgramLimits = z
  .object({
    /** Memory one process may allocate (RLIMIT_DATA: heap and private mappings), in MiB. */
    memoryMiB: z.number().int().min(16).max(65_536).default(512),
    /**
     * The stack of each thread, in MiB (RLIMIT_STACK; glibc sizes every new thread's stack by it).
     * Thread stacks are private mappings that count against `memoryMiB`: at Linux's usual 8 MiB a
     * thread-per-client server could start only about 60 threads within 512 MiB and fail at 100
     * clients for the limit, not for a bug. 2 MiB gives it about 250.
     */
    stackMiB: z.number().int().min(1).max(1024).default(2),
    /**
     * Processes and threads the program may run at once (RLIMIT_NPROC, counted per user: every
     * process and thread of the run together, since the sandbox gives the run a user of its own).
     */
    processes: z.number().int().min(8).max(65_536).default(512),
    /** CPU time one process may use, in seconds (RLIMIT_CPU: SIGXCPU, then SIGKILL a second later). */
    cpuSeconds: z.number().int().min(1).max(3600).default(120),
    /** Size of any one file the program writes, in MiB (RLIMIT_FSIZE: SIGXFSZ). */
    fileSizeMiB: z.number().int().min(1).max(65_536).default(64),
    /** Bytes one run may print on stdout and stderr together before it is stopped, in MiB. */
    outputMiB: z.number().int().min(1).max(4096).default(16),
    /** How long the build may take, in seconds. */
    buildSeconds: z.number().int().min(1).max(3600).default(120),
    /**
     * What a submission may hold to be graded, in MiB of files (each at its full size: a sparse
     * file counts as what it reads as) and in files and folders; node_modules and .git are not
     * counted (never copied). Over either, it is not graded, and the report says why.
     */
    submissionMiB: z.number().int().min(1).max(65_536).default(256),
    submissionFiles: z.number().int().min(10).max(10_000_000).default(50_000),
  })
  .strict();
export type ProgramLimits = z.infer<typeof ProgramLimits>;

export const DEFAULT_LIMITS: ProgramLimits = ProgramLimits.parse({});

const MiB = 1024 * 1024;

/**
 * The kernel-enforced limits as [prlimit option, ulimit flag, value] (soft = hard, except CPU:
 * SIGXCPU first, SIGKILL a second later). `processes: false` leaves the process limit out:
 * without a user of its own, it would count every process of the person grading.
 */
function kernelLimits(l: ProgramLimits, opts: { processes: boolean }): Array<[string, string]> {
  return [
    [`--data=${l.memoryMiB * MiB}`, `-d ${l.memoryMiB * 1024}`], // ulimit -d is in KiB
    [`--stack=${l.stackMiB * MiB}`, `-s ${l.stackMiB * 1024}`], // ulimit -s is in KiB
    ...(opts.processes ? ([[`--nproc=${l.processes}`, `-u ${l.processes}`]] as Array<[string, string]>) : []),
    [`--cpu=${l.cpuSeconds}:${l.cpuSeconds + 1}`, `-t ${l.cpuSeconds}`],
    [`--fsize=${l.fileSizeMiB * MiB}`, `-f ${l.fileSizeMiB * 2048}`], // ulimit -f counts 512-byte blocks
  ];
}

/** prlimit's options for the kernel-enforced limits. */
export function prlimitArgs(l: ProgramLimits, opts = { processes: true }): string[] {
  return kernelLimits(l, opts).map(([p]) => p);
}

/** The same limits as a shell prefix, for machines without prlimit (macOS): each ulimit that fails is skipped. */
export function ulimitPrefix(l: ProgramLimits, opts = { processes: true }): string {
  return kernelLimits(l, opts)
    .map(([, u]) => `ulimit ${u} 2>/dev/null;`)
    .join(' ');
}

const FILE_TOO_LARGE = /File too large|EFBIG/;
const OUT_OF_MEMORY = /MemoryError|out of memory|Cannot allocate memory|ENOMEM|bad_alloc|allocation failed|Failed to reserve|heap limit/i;

/**
 * Which limit an exit points to, as a sentence, or undefined. Signals are certain (the kernel
 * sends SIGXCPU and SIGXFSZ only for these limits); running out of memory is recognised by the
 * message the runtime prints (Python's MemoryError, Node's "heap out of memory", C's ENOMEM).
 */
export function limitFromExit(exit: { code: number | null; signal: string | null }, stderrTail: string[], l: ProgramLimits): string | undefined {
  if (exit.signal === 'SIGXCPU') return `it used more than ${l.cpuSeconds} s of CPU time (the limit) and was stopped`;
  const crashed = exit.signal !== null || (exit.code !== null && exit.code !== 0);
  const said = (re: RegExp) => crashed && stderrTail.some((line) => re.test(line));
  // Python ignores SIGXFSZ: its write fails with EFBIG instead.
  if (exit.signal === 'SIGXFSZ' || said(FILE_TOO_LARGE)) return `it tried to write a file larger than ${l.fileSizeMiB} MiB (the limit) and was stopped`;
  if (said(OUT_OF_MEMORY)) return `it ran out of memory: a process may use at most ${l.memoryMiB} MiB (the limit), and an allocation beyond that failed`;
  if (said(FORK_FAILED)) return processLimitSentence(l);
  return undefined;
}

/** The sentence for a run that printed too much, or ran as many processes as it may. */
export function outputLimitSentence(l: ProgramLimits): string {
  return `it printed more than ${l.outputMiB} MiB on stdout and stderr (the limit) and was stopped`;
}

/** A failed fork or thread start, as shells and runtimes word it (not a socket's EAGAIN). */
const FORK_FAILED = /fork: retry|Cannot fork|can't start new thread|os\.fork\(\)|fork\(\) failed|spawn EAGAIN|pthread_create/i;

export function processLimitSentence(l: ProgramLimits): string {
  return `it tried to run more than ${l.processes} processes and threads at once (the limit); starting more failed, and all of them were stopped`;
}
