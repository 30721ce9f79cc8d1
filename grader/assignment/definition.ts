// The assignment definition (assignments/<id>/assignment.json): data, checked by zod. The test
// code lives beside it in tests.ts and is matched to this by test id.
import { z } from 'zod';
import { Visibility } from '../results/schema.js';
import { ProgramLimits } from '../run/limits.js';

const Id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lower-case letters, digits and dashes');

export const TestDefinition = z.object({
  id: Id,
  title: z.string().min(1),
  points: z.number().nonnegative(),
  /** The test's own deadline; a test still running then is marked `timeout`. */
  timeoutMs: z.number().int().positive().max(120_000),
  /** Shown with every failure of this test unless the failure brings a more specific hint. */
  hint: z.string().optional(),
  /** hidden / after_due_date: run in official grading only (`--official`); student runs say they exist and what they are worth. */
  visibility: Visibility.default('visible'),
});
export type TestDefinition = z.infer<typeof TestDefinition>;

export const GroupDefinition = z.object({
  id: Id,
  title: z.string().min(1),
  description: z.string().optional(),
  tests: z.array(TestDefinition).min(1),
});
export type GroupDefinition = z.infer<typeof GroupDefinition>;

/**
 * How the grader checks, before each test, that a program is still healthy: a fresh connection
 * and the protocol's cheapest request; any reply in time means alive. A program that refuses,
 * closes without a word, says nothing in time, or is stopped is restarted before the next test.
 */
export const Liveness = z.object({
  /** The request, sent as is (escapes as in JSON: "*1\r\n$4\r\nPING\r\n"). Omitted: an accepted connection is enough. */
  send: z.string().min(1).optional(),
  /** What the request is called in the report ("PING", "HEAD /"). */
  name: z.string().min(1).default('a request'),
  /** How long a healthy program may take to answer (tried twice before it counts as hung). */
  timeoutMs: z.number().int().positive().max(10_000).default(500),
});
export type Liveness = z.infer<typeof Liveness>;

export const ServerProgram = z.object({
  /** server: started once by the grader (restarted if it dies) and tested over the network. */
  role: z.literal('server'),
  /** Arguments appended to the student's run command; "{port}" is replaced by the port. */
  args: z.array(z.string()),
  startupTimeoutMs: z.number().int().positive().max(60_000).default(5000),
  liveness: Liveness.prefault({}),
  /**
   * What the server listens with: TCP (ready when it listens; the liveness probe connects) or
   * UDP (ready when its socket is bound on the port; after each test, the liveness request is
   * sent as one datagram and any datagram back means alive; without one, only that it still
   * runs is checked: any other datagram would be protocol input).
   */
  transport: z.enum(['tcp', 'udp']).default('tcp'),
});

export const ClientProgram = z.object({
  /** client: run by the tests themselves, once per check, with the arguments each test chooses; it exits. */
  role: z.literal('client'),
  /** How long one run may take before it is stopped (a test may ask for less). */
  runTimeoutMs: z.number().int().positive().max(60_000).default(5000),
});

export const PeersProgram = z.object({
  /**
   * peers: many copies run at once, started (and killed, and restarted) by the tests, each
   * wired to its neighbours through the grader's link proxy.
   */
  role: z.literal('peers'),
  /** Arguments appended to the run command: "{id}", "{port}" and "{peers}" (host:port,...) are replaced. */
  args: z.array(z.string()),
  startupTimeoutMs: z.number().int().positive().max(60_000).default(5000),
  /** Asked of every peer of a cluster that the next test would share (a hung peer is not handed on). */
  liveness: Liveness.optional(),
  /**
   * Sockets a peer may hold besides TCP: by default a UDP socket or a named unix socket is a way
   * around the links and fails the test. A protocol whose real programs open UDP sockets of their
   * own (BitTorrent clients: DHT, uTP, even when off) allows "udp"; connections straight to
   * another peer's port are never allowed.
   */
  otherSockets: z.array(z.enum(['udp', 'unix'])).default([]),
});

export const ProgramDefinition = z.discriminatedUnion('role', [ServerProgram, ClientProgram, PeersProgram]);

/**
 * A program a submission must not run in place of its own: the assignment's real counterpart
 * (redis-server for a key-value server, dig for a DNS client). Hidden from the sandbox where it
 * is a file, and looked for among the processes the submission ran: a test during which one ran
 * scores nothing, and the report and the batch's gradebook say what was found.
 */
export const ForbiddenProgram = z
  .object({
    /** What it is, in the report: "redis-server". */
    name: z.string().min(1),
    /** Why it is forbidden, one phrase: "the real Redis server". */
    why: z.string().min(1),
    /** Executable names (basenames) that are it. */
    exe: z.array(z.string().min(1)).default([]),
    /** A regular expression over a process's command line (arguments joined by spaces) that is it: "-m http\\.server". */
    command: z
      .string()
      .refine((r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      }, 'a valid regular expression')
      .optional(),
    /** Files to hide from the sandbox besides the executables (globs of one "*" per path segment: a module's source file). */
    hide: z.array(z.string().regex(/^\//, 'an absolute path')).default([]),
  })
  .refine((f) => f.exe.length > 0 || f.command !== undefined, 'name at least one executable ("exe") or a command line ("command")');
export type ForbiddenProgram = z.infer<typeof ForbiddenProgram>;

export const AssignmentDefinition = z
  .object({
    id: Id,
    title: z.string().min(1),
    summary: z.string(),
    /** The student handout, relative to the assignment folder. */
    handout: z.string().optional(),
    /**
     * A folder of the assignment (relative to it) that the program is given: copied afresh for
     * every grade, shown read-only in the sandbox, "{files}" in the program's arguments is
     * replaced by the copy's path and tests find it as `t.files` (a web server's documents).
     */
    files: z
      .string()
      .regex(/^[^/]/, 'a folder inside the assignment folder')
      .refine((f) => !f.split('/').includes('..'), 'a folder inside the assignment folder')
      .optional(),
    program: ProgramDefinition,
    /** Total time budget for all tests; tests not started by then are skipped, and say so. */
    budgetMs: z.number().int().positive().default(60_000),
    /**
     * How many grades of this assignment one core carries at once in a batch (`--jobs` is capped
     * at this times the cores): a grade that starts 25 peers and measures their timing needs a
     * core of its own, or its verdicts would depend on --jobs.
     */
    gradesPerCore: z.number().positive().max(16).default(4),
    /** Programs a submission must not run (its real counterparts). */
    forbidden: z.array(ForbiddenProgram).default([]),
    /** Limits on the student's processes (memory, processes, CPU, file size, output, build time); each has a default. */
    limits: ProgramLimits.prefault({}),
    groups: z.array(GroupDefinition).min(1),
    /** The total the tests' points must add up to (`sockgrade validate` checks it). */
    points: z.number().positive().optional(),
    /** Measurements to rank submissions by (Gradescope's leaderboard): what a test reports with `t.metric(name, value)`. */
    leaderboard: z
      .array(z.object({ name: z.string().min(1), test: Id, metric: z.string().min(1), order: z.enum(['asc', 'desc']).default('desc') }))
      .default([]),
  })
  .superRefine((a, ctx) => {
    const seen = new Set<string>();
    for (const g of a.groups)
      for (const t of g.tests) {
        if (seen.has(t.id)) ctx.addIssue({ code: 'custom', message: `test id "${t.id}" is used twice`, path: ['groups'] });
        seen.add(t.id);
      }
    a.leaderboard.forEach((l, i) => {
      if (!seen.has(l.test)) ctx.addIssue({ code: 'custom', message: `no test "${l.test}" to take the leaderboard's "${l.name}" from`, path: ['leaderboard', i, 'test'] });
    });
  });
export type AssignmentDefinition = z.infer<typeof AssignmentDefinition>;

/** Run in official grading only (hidden or after the due date); its code lives in hidden.ts, which students never get. */
export const isHiddenTest = (t: { visibility?: string }): boolean => (t.visibility ?? 'visible') !== 'visible';
