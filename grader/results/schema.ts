// The one results schema. Every report format is rendered from a value of this type, and
// results.json is exactly this, so other tools can read it. Bump SCHEMA_VERSION on any
// incompatible change.
import { z } from 'zod';

export const SCHEMA_VERSION = 1;

/** One event in a test's conversation with the program: bytes sent or received, a connect, a close. */
export const TranscriptEntry = z.object({
  /** Milliseconds since the test started. */
  t: z.number(),
  /** Which connection of the test (c1, c2, ...); "test" for notes that belong to no connection. */
  conn: z.string(),
  kind: z.enum(['connect', 'send', 'recv', 'end', 'close', 'reset', 'error', 'note']),
  /** Bytes, base64-encoded, possibly cut to the first `stored` bytes (see `size`). */
  data: z.string().optional(),
  /** Total size of the bytes this entry stands for (may exceed what `data` holds). */
  size: z.number().int().optional(),
  /** Human text for connect/close/error/note entries. */
  text: z.string().optional(),
  /** A binary message (a datagram): reports show a hex dump rather than escaped text. */
  binary: z.boolean().optional(),
  /** The message decoded, one line (like dig's sections), or why it could not be. */
  decoded: z.string().optional(),
  /** Offset of the byte where decoding went wrong, marked in the hex dump. */
  markAt: z.number().int().nonnegative().optional(),
});
export type TranscriptEntry = z.infer<typeof TranscriptEntry>;

/** Expected vs received, already escaped for display, with the index of the first differing character. */
export const Diff = z.object({
  expected: z.string(),
  received: z.string(),
  /** Index into the escaped strings where they first differ. */
  caret: z.number().int().nonnegative(),
});
export type Diff = z.infer<typeof Diff>;

/**
 * Pictures of a distributed test (gossip-peer), as data: the report draws them (inline SVG in
 * the HTML report). Times are milliseconds since the test started; peers are named by id.
 */
export const TopologyFigure = z.object({
  kind: z.literal('topology'),
  title: z.string(),
  /** Positions in the unit square, chosen by the topology (grid, ring, line, tree, random). */
  peers: z.array(z.object({ id: z.string(), x: z.number(), y: z.number(), crashed: z.boolean().optional() })),
  /** Directed links: what `from` sent to `to` during the test (lines and bytes seen by the proxy). */
  links: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      lines: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      /** Lines the grader dropped on this link (a cut or a partition). */
      dropped: z.number().int().nonnegative().default(0),
    }),
  ),
  /** The link or peer a failure names, drawn highlighted ("n4->n5", or "n4"). */
  highlight: z.array(z.string()).default([]),
  /** What the arrows measure: lines (peers that speak lines), or bytes (a byte stream: who uploaded how much to whom). */
  measure: z.enum(['lines', 'bytes']).default('lines'),
});

export const SpreadFigure = z.object({
  kind: z.literal('spread'),
  title: z.string(),
  /** How many peers there are (the y axis). */
  peerCount: z.number().int().positive(),
  /** The bound the test allowed, in ms after the broadcast (a vertical line). */
  boundMs: z.number().optional(),
  /**
   * What a curve is and what its times count from, for the picture's words (default: a broadcast
   * value, from its broadcast; bittorrent-peer: a piece, from the swarm's start).
   */
  words: z
    .object({ item: z.string(), since: z.string(), axis: z.string(), none: z.string() })
    .default({ item: 'value', since: 'after the value was broadcast', axis: 'peers that know it', none: 'no values were broadcast' }),
  values: z.array(
    z.object({
      value: z.number(),
      origin: z.string(),
      broadcastAtMs: z.number(),
      /** When each peer that learned it first knew it, ascending (ms since the test started). */
      learnedAtMs: z.array(z.number()),
    }),
  ),
});

export const SequenceFigure = z.object({
  kind: z.literal('sequence'),
  title: z.string(),
  peers: z.array(z.string()),
  /** Peer-to-peer lines, as arrows; `dropped` lines end in a cross. */
  messages: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      sentAtMs: z.number(),
      deliveredAtMs: z.number().optional(),
      dropped: z.boolean().default(false),
      /** The line, shortened. */
      label: z.string(),
    }),
  ),
  /** How many lines were left out to keep the picture readable. */
  messagesOmitted: z.number().int().nonnegative().default(0),
  /** Faults and client requests, drawn across or on the lifelines. */
  marks: z.array(
    z.object({
      atMs: z.number(),
      kind: z.enum(['partition', 'heal', 'cut', 'crash', 'restart', 'broadcast', 'read']),
      /** Which peers it concerns (all when empty). */
      peers: z.array(z.string()).default([]),
      text: z.string(),
    }),
  ),
});

export const Figure = z.discriminatedUnion('kind', [TopologyFigure, SpreadFigure, SequenceFigure]);
export type Figure = z.infer<typeof Figure>;
export type TopologyFigure = z.infer<typeof TopologyFigure>;
export type SpreadFigure = z.infer<typeof SpreadFigure>;
export type SequenceFigure = z.infer<typeof SequenceFigure>;

export const TestStatus = z.enum(['passed', 'failed', 'timeout', 'error', 'skipped']);
export type TestStatus = z.infer<typeof TestStatus>;

/**
 * Who may see a test: visible (everyone, every run); hidden and after_due_date tests run in
 * official grading only (`--official`), and a student-facing platform shows them never or
 * after the due date (Gradescope's visibility values).
 */
export const Visibility = z.enum(['visible', 'hidden', 'after_due_date']);
export type Visibility = z.infer<typeof Visibility>;

/**
 * One measured time (or rate) a test compared against its bound: "retransmitted after 2,310 ms,
 * bound at most 800 ms". `unit` is "ms" for times; a rate names its own unit ("commands/s").
 */
export const TimingMeasurement = z.object({
  /** What was measured, phrased to precede the value: "retransmitted after", "answered". */
  label: z.string(),
  measured: z.number(),
  bound: z.number(),
  unit: z.string().default('ms'),
  /** The bound is a ceiling ("at most") or a floor ("at least"). */
  comparison: z.enum(['at most', 'at least']),
  /** Where the bound comes from: "T = 400 ms, doubled for a loaded machine". */
  why: z.string().optional(),
});
export type TimingMeasurement = z.infer<typeof TimingMeasurement>;

/**
 * A failure that involved timing. `onlyTiming`: the test checked that every answer was right,
 * and only time was off ("too slow", not "wrong"); false when the program was wrong as well
 * (then the timing is secondary detail).
 */
export const Timing = z.object({
  onlyTiming: z.boolean(),
  measurements: z.array(TimingMeasurement).min(1),
});
export type Timing = z.infer<typeof Timing>;

export const TestResult = z.object({
  id: z.string(),
  title: z.string(),
  group: z.string(),
  status: TestStatus,
  pointsEarned: z.number().nonnegative(),
  pointsPossible: z.number().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** What went wrong (or, for a pass with partial credit, what was missing). */
  message: z.string().optional(),
  hint: z.string().optional(),
  diff: Diff.optional(),
  transcript: z.array(TranscriptEntry),
  /** How many transcript entries were dropped to keep the report readable. */
  transcriptDropped: z.number().int().nonnegative().default(0),
  /** Lines the test logged while running (what it is doing, measurements). */
  log: z.array(z.string()),
  /** Pictures of the run (distributed tests), drawn by the HTML report. */
  figures: z.array(Figure).default([]),
  visibility: Visibility.default('visible'),
  /** Measurements the test reported (`t.metric`), for the assignment's leaderboard. */
  metrics: z.record(z.string(), z.number()).optional(),
  /** A failure that compared a measured time or rate against a bound: the numbers, and whether only time was off. */
  timing: Timing.optional(),
  /**
   * The test first ran on a program with a history (earlier tests) that died or stopped
   * answering during it; this result is from a second run on a fresh program, as `--only`
   * would give. What the first run saw is kept here.
   */
  firstRun: z.object({ status: TestStatus, message: z.string().optional(), why: z.string() }).optional(),
});
export type TestResult = z.infer<typeof TestResult>;

export const GroupResult = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  tests: z.array(TestResult),
});
export type GroupResult = z.infer<typeof GroupResult>;

/** Captured output: the head and the tail of a stream, with what was dropped in between. */
export const CapturedOutput = z.object({
  head: z.string(),
  tail: z.string(),
  droppedBytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative(),
});
export type CapturedOutput = z.infer<typeof CapturedOutput>;

export const BuildResult = z.object({
  command: z.string().optional(),
  status: z.enum(['skipped', 'passed', 'failed', 'timeout']),
  exitCode: z.number().int().nullable(),
  durationMs: z.number().nonnegative(),
  output: CapturedOutput,
});
export type BuildResult = z.infer<typeof BuildResult>;

/** One start of the student's program, and how it ended. */
export const ProgramStart = z.object({
  pid: z.number().int(),
  /** Which peer this start was (peers assignments: several copies run at once). */
  peer: z.string().optional(),
  port: z.number().int().optional(),
  command: z.string(),
  startedAtMs: z.number(),
  /** Test during which it was started (undefined: before the first test). */
  startedForTest: z.string().optional(),
  /**
   * Why the grader started it again (servers): the last one died or stopped answering
   * (`afterTest`: in or right after that test), a test was run again on a fresh program, or
   * every test gets a fresh one (isolated grading), or the port it was given was taken by another
   * program before it could bind it (`port-taken`: the grader's race, never the program's fault).
   */
  restart: z
    .object({
      reason: z.enum(['exited', 'unresponsive', 'stopped', 'rerun', 'isolated', 'port-taken']),
      afterTest: z.string().optional(),
      /** One sentence: what the probe or the exit showed. */
      detail: z.string(),
    })
    .optional(),
  ready: z.boolean(),
  exit: z
    .object({
      code: z.number().int().nullable(),
      signal: z.string().nullable(),
      /** True when the grader stopped it; false when it exited by itself. */
      stoppedByGrader: z.boolean(),
      atMs: z.number(),
      duringTest: z.string().optional(),
      /** It ended by itself at a point its test allows, and why ("it had written the whole file"): no fault by itself. */
      allowed: z.string().optional(),
      /** A limit it ran into, in plain words ("it used more than 512 MiB of memory and was stopped"). */
      limit: z.string().optional(),
    })
    .optional(),
  /** What stopping it took, and whether anything was left behind. */
  cleanup: z.string().optional(),
});
export type ProgramStart = z.infer<typeof ProgramStart>;

/** An executable the program ran (sampled from its processes while it ran). */
export const SeenExecutable = z.object({
  exe: z.string(),
  command: z.string(),
  /** First and last seen, in ms since the program's sandbox was ready. */
  firstMs: z.number(),
  lastMs: z.number(),
});

export const Results = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  tool: z.object({ name: z.literal('sockgrade'), version: z.string() }),
  assignment: z.object({ id: z.string(), title: z.string() }),
  submission: z.object({
    dir: z.string(),
    language: z.string().optional(),
    build: z.string().optional(),
    run: z.string(),
  }),
  seed: z.string(),
  /** The exact command that replays this run. */
  replay: z.string(),
  startedAt: z.string(),
  durationMs: z.number().nonnegative(),
  /** complete: every test ran; partial: the budget ran out or the grader was interrupted. */
  completeness: z.enum(['complete', 'budget-exceeded', 'interrupted']),
  score: z.object({
    earned: z.number().nonnegative(),
    possible: z.number().nonnegative(),
    percent: z.number().min(0).max(100),
  }),
  counts: z.object({
    passed: z.number().int(),
    failed: z.number().int(),
    timeout: z.number().int(),
    error: z.number().int(),
    skipped: z.number().int(),
  }),
  build: BuildResult,
  groups: z.array(GroupResult),
  program: z.object({
    /**
     * server: started by the grader and expected to keep running; client: run by tests, expected
     * to exit; peers: many copies started by the tests, wired to each other through the grader.
     */
    role: z.enum(['server', 'client', 'peers']).default('server'),
    starts: z.array(ProgramStart),
    stdout: CapturedOutput,
    stderr: CapturedOutput,
    /** Every executable its processes ran, build included (where /proc shows them). */
    executables: z.array(SeenExecutable).optional(),
  }),
  /** Forbidden programs (the assignment's real counterparts) that the program ran, and the tests that scored nothing for it. */
  forbidden: z.array(z.object({ name: z.string(), why: z.string(), exe: z.string(), command: z.string(), tests: z.array(z.string()) })).optional(),
  /** Things the student should know that belong to no single test (restarts, a leftover process). */
  notes: z.array(z.string()),
  /** An official run (`--official`): hidden tests ran too. */
  official: z.boolean().default(false),
  /** Hidden tests that exist but did not run (not an official run): how many, and their points. */
  hidden: z.object({ tests: z.number().int().nonnegative(), points: z.number().nonnegative() }).optional(),
  /** Measurements an assignment ranks submissions by (Gradescope's leaderboard). */
  leaderboard: z
    .array(z.object({ name: z.string(), value: z.number(), order: z.enum(['asc', 'desc']) }))
    .default([]),
  environment: z.object({
    node: z.string(),
    platform: z.string(),
    /** How the student's program was confined, in one line ("not sandboxed: …" where it was not). */
    sandbox: z.string().optional(),
    /**
     * The most memory the grader's own process held during this grade, in MiB (sampled): what a
     * program can make the grader spend is bounded, and this shows it.
     */
    graderRssMiB: z.number().nonnegative().optional(),
  }),
});
export type Results = z.infer<typeof Results>;
