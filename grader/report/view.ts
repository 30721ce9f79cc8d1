// The format-neutral view of a Results value: everything a template needs, already computed
// (statuses with their symbols, durations, windows on diffs and transcripts, output clipped
// with honest counts). Templates only lay it out. Student-controlled text is sanitized here
// (control characters made visible); HTML/Markdown escaping happens later, per format.
import type { CapturedOutput, Results, TestResult, TestStatus, Timing, TimingMeasurement, TranscriptEntry } from '../results/schema.js';
import { bytesText, showBase64 } from './bytes.js';
import { diffView, type DiffView } from './diff.js';
import {
  formatBytes,
  formatCount,
  formatDate,
  formatDuration,
  formatNumber,
  formatPercent,
  formatPoints,
  pluralize,
  sanitizeLine,
  sanitizeText,
  splitLines,
  width,
} from './format.js';

export interface StatusInfo {
  status: TestStatus;
  /** One-column symbol for the terminal. */
  symbol: string;
  /** Symbol for the HTML report (⏱ is missing from many fonts; ◷ is not). */
  htmlSymbol: string;
  /** Short upper-case label: PASS, FAIL, TIMEOUT, ERROR, SKIP. */
  label: string;
  /** Emoji for Markdown. */
  emoji: string;
  /** A word for prose: passed, failed, timed out, error, skipped. */
  word: string;
}

const STATUS: Record<TestStatus, StatusInfo> = {
  passed: { status: 'passed', htmlSymbol: '✓', symbol: '✓', label: 'PASS', emoji: '✅', word: 'passed' },
  failed: { status: 'failed', htmlSymbol: '✗', symbol: '✗', label: 'FAIL', emoji: '❌', word: 'failed' },
  timeout: { status: 'timeout', htmlSymbol: '◷', symbol: '⏱', label: 'TIMEOUT', emoji: '⏱️', word: 'timed out' },
  error: { status: 'error', htmlSymbol: '!', symbol: '!', label: 'ERROR', emoji: '💥', word: 'error' },
  skipped: { status: 'skipped', htmlSymbol: '–', symbol: '-', label: 'SKIP', emoji: '⏭️', word: 'skipped' },
};

export function statusInfo(s: TestStatus): StatusInfo {
  return STATUS[s];
}

export interface Limits {
  /** Characters of escaped data shown per transcript entry. */
  dataChars: number;
  /** Characters of each diff line shown around the first difference. */
  diffChars: number;
  /** Transcript entries shown per test (the first third and the last two thirds are kept). */
  transcriptEntries: number;
  /** Lines shown of a program's or the build's output, split between its head and its tail. */
  outputHeadLines: number;
  outputTailLines: number;
  /** Rows of 16 bytes shown in the hex dump of a binary message (a datagram). */
  hexRows: number;
}

export interface HexRow {
  offset: string;
  cells: Array<{ hex: string; mark: boolean }>;
  ascii: string;
  /** The row as plain text, the marked byte in [brackets]. */
  text: string;
}

/** A classic hex dump: offset, 16 bytes in hex, the printable ones as ASCII; one byte marked. */
export function hexRows(bytes: Buffer, maxRows: number, markAt?: number): { rows: HexRow[]; more: number } {
  const rows: HexRow[] = [];
  const shown = Math.min(bytes.length, maxRows * 16);
  for (let at = 0; at < shown; at += 16) {
    const slice = bytes.subarray(at, Math.min(at + 16, shown));
    const cells = [...slice].map((b, i) => ({ hex: b.toString(16).padStart(2, '0'), mark: at + i === markAt }));
    const ascii = [...slice].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    // Every byte takes three columns; the marked one is bracketed in place of its separators.
    let hexText = '';
    cells.forEach((c, i) => (hexText += (c.mark ? '[' : i > 0 && cells[i - 1].mark ? ']' : ' ') + c.hex));
    hexText += cells[cells.length - 1]?.mark ? ']' : ' ';
    rows.push({ offset: at.toString(16).padStart(4, '0'), cells, ascii, text: `${at.toString(16).padStart(4, '0')}${hexText.padEnd(16 * 3 + 1)} |${ascii}|` });
  }
  return { rows, more: bytes.length - shown };
}

export type Row =
  | {
      gap: false;
      time: string;
      conn: string;
      kind: TranscriptEntry['kind'];
      /** send: `>`, recv: `<`, everything else `·`. */
      arrow: string;
      isSend: boolean;
      isRecv: boolean;
      isEvent: boolean;
      /** Quoted bytes for send/recv (with "… N more bytes" when cut); event text otherwise. */
      text: string;
      /** For send/recv: the quoted bytes alone, and what was cut. */
      quoted?: string;
      more?: string;
      size?: string;
      /** Binary messages: the decoding (or why it failed) and a hex dump. */
      decoded?: string;
      hex?: HexRow[];
      hexMore?: string;
    }
  | { gap: true; text: string };

export interface TestView {
  id: string;
  title: string;
  group: string;
  anchor: string;
  status: StatusInfo;
  passed: boolean;
  /** Failed, timed out or errored; or passed without full points. */
  needsAttention: boolean;
  /** Passed, but without full points. */
  partial: boolean;
  /** What the badge says and the colour it takes (a partial pass is not a plain PASS). */
  badgeLabel: string;
  badgeColour: TestStatus;
  pointsText: string;
  pointsEarned: string;
  pointsPossible: string;
  durationText: string;
  message?: string;
  messageLines: string[];
  hint?: string;
  diff?: DiffView;
  transcript: Row[];
  hasTranscript: boolean;
  transcriptDropped: number;
  log: string[];
  /** Pictures of the run (the HTML report draws them; the others only say they exist). */
  figureCount: number;
  /** A failure on timing: the measured values against their bounds. */
  timing?: TimingView;
  /** It ran again on a fresh program after the program died or hung under it (this is that run's result). */
  rerun?: { firstStatus: string; why: string };
}

export interface TimingRow {
  /** What was measured, then the value: `retransmitted after 2,310 ms`. */
  measured: string;
  /** `at most 800 ms`. */
  bound: string;
  /** Where the bound comes from. */
  why?: string;
  /** This value is outside its bound (a failure may list values that were within theirs too). */
  missed: boolean;
  /** The row as one line: `retransmitted after 2,310 ms — bound: at most 800 ms (T = 400 ms, doubled)`. */
  text: string;
}

export interface TimingView {
  /** Every answer was right; only time was off. */
  onlyTiming: boolean;
  /**
   * What leads the list: `Your answers were right, but too slow:` for a timing-only failure,
   * `Timing:` when the timing is detail of a wrong answer.
   */
  headline: string;
  /** A short tag for a one-line listing: `TOO SLOW`, `TOO EARLY`, `TIMING`. */
  tag: string;
  rows: TimingRow[];
  /** Headline and rows as plain lines (rows indented by two spaces). */
  lines: string[];
}

export interface GroupView {
  id: string;
  title: string;
  description?: string;
  anchor: string;
  pointsText: string;
  percentText: string;
  tests: TestView[];
  countsText: string;
}

export interface OutputView {
  empty: boolean;
  totalBytes: string;
  /** The first lines, then (when something was dropped) a marker, then the last lines. */
  head: string;
  gap?: string;
  tail: string;
  /** Everything shown, as one text with the gap marker on its own line. */
  text: string;
  /** The same, line by line, with the gap marker flagged. */
  lines: { text: string; gap: boolean }[];
}

export interface StartView {
  pid: number;
  /** Which peer (peers assignments). */
  peer?: string;
  port?: number;
  command: string;
  startedAt: string;
  startedFor: string;
  ready: boolean;
  exit: string;
  /** The program exited on its own (a crash, an early exit), not stopped by the grader. */
  /** A server that exited by itself, or a client that had to be stopped or died of a signal. */
  abnormal: boolean;
  cleanup?: string;
  /** Why the grader started it again (the last one died, hung or was stopped; a rerun; isolated grading). */
  restart?: string;
}

const RESTART_WHY: Record<NonNullable<Results['program']['starts'][number]['restart']>['reason'], string> = {
  exited: 'restarted: the last one exited',
  unresponsive: 'restarted: the last one stopped answering',
  stopped: 'restarted: the last one was stopped by a signal',
  rerun: 'a fresh one, to run the test again',
  isolated: 'a fresh one for every test (isolated grading)',
  'port-taken': 'started again on another port',
};

export interface SkippedView {
  reason: string;
  hint?: string;
  ids: string[];
}

export interface ReportView {
  toolVersion: string;
  assignmentId: string;
  assignmentTitle: string;
  submissionDir: string;
  language?: string;
  buildCommand?: string;
  runCommand: string;
  seed: string;
  replay: string;
  date: string;
  durationText: string;
  complete: boolean;
  completenessWarning?: string;
  score: { earned: string; possible: string; points: string; percent: string; percentNumber: number; line: string; countsText: string };
  counts: Results['counts'];
  countChips: { status: StatusInfo; n: number }[];
  groups: GroupView[];
  attention: TestView[];
  skipped: SkippedView[];
  build: {
    status: Results['build']['status'];
    failed: boolean;
    ran: boolean;
    command?: string;
    exit: string;
    durationText: string;
    output: OutputView;
  };
  program: {
    starts: StartView[];
    crashes: StartView[];
    stdout: OutputView;
    stderr: OutputView;
    /** The last lines of stderr, for the terminal summary. */
    stderrTail: string[];
    /** Earlier stderr exists that stderrTail leaves out. */
    stderrTailCut: boolean;
  };
  anyFailed: boolean;
  notes: string[];
  environment: string;
  schemaVersion: number;
}

export const TERMINAL_LIMITS: Limits = {
  dataChars: 96,
  hexRows: 6,
  diffChars: 96,
  transcriptEntries: 40,
  outputHeadLines: 30,
  outputTailLines: 20,
};

const CONN_EVENT: Record<string, string> = {
  connect: 'connected',
  end: 'ended (FIN)',
  close: 'closed',
  reset: 'reset',
  error: 'error',
};

/** A time within a test: `+0.3 ms`, `+12 ms`, `+3.0 s` (sub-millisecond detail matters here). */
export function formatOffset(ms: number): string {
  if (Number.isFinite(ms) && ms >= 0 && ms < 9.95) return `+${ms.toFixed(1)} ms`;
  return '+' + formatDuration(ms);
}

function entryRow(e: TranscriptEntry, limits: Limits): Row {
  const time = formatOffset(e.t);
  const conn = sanitizeLine(e.conn);
  if (e.kind === 'send' || e.kind === 'recv') {
    const shown = showBase64(e.data, limits.dataChars, e.size);
    const binary = e.binary ? hexRows(Buffer.from(e.data ?? '', 'base64'), limits.hexRows, e.markAt) : undefined;
    const notStored = Math.max(0, (e.size ?? 0) - Buffer.from(e.data ?? '', 'base64').length);
    return {
      ...(binary
        ? {
            decoded: e.decoded ? sanitizeLine(e.decoded) : undefined,
            hex: binary.rows,
            hexMore: binary.more + notStored > 0 ? `… ${pluralize(binary.more + notStored, 'more byte')}` : undefined,
          }
        : {}),
      gap: false,
      time,
      conn,
      kind: e.kind,
      arrow: e.kind === 'send' ? '>' : '<',
      isSend: e.kind === 'send',
      isRecv: e.kind === 'recv',
      isEvent: false,
      text: bytesText(shown),
      quoted: shown.quoted,
      more: shown.more > 0 ? `… ${pluralize(shown.more, 'more byte')}` : undefined,
      size: formatBytes(shown.size),
    };
  }
  const label = CONN_EVENT[e.kind];
  const text = e.text === undefined ? undefined : sanitizeLine(e.text);
  let shown: string;
  if (label === undefined) shown = text ?? e.kind;
  else if (text === undefined || text === '') shown = label;
  else if (text.toLowerCase().startsWith(label.split(' ')[0])) shown = text;
  else shown = `${label}: ${text}`;
  return { gap: false, time, conn, kind: e.kind, arrow: '·', isSend: false, isRecv: false, isEvent: true, text: shown };
}

/**
 * The rows of a transcript, with a marker wherever entries are missing: those the grader
 * dropped (it keeps the first half and the most recent entries, so the gap is in the middle)
 * and those this format leaves out for length.
 */
export function transcriptRows(t: TestResult, limits: Limits): Row[] {
  const entries = t.transcript;
  const n = entries.length;
  const dropped = t.transcriptDropped ?? 0;
  const droppedBefore = dropped > 0 ? Math.floor(n / 2) : -1;
  const max = Math.max(2, limits.transcriptEntries);
  const visible = (i: number): boolean => n <= max || i < Math.floor(max / 3) || i >= n - (max - Math.floor(max / 3));
  const rows: Row[] = [];
  let hidden = 0;
  const flush = (): void => {
    if (hidden > 0) rows.push({ gap: true, text: `… ${pluralize(hidden, 'more entry', 'more entries')}` });
    hidden = 0;
  };
  for (let i = 0; i <= n; i++) {
    if (i === droppedBefore) hidden += dropped;
    if (i === n) break;
    if (visible(i)) {
      flush();
      rows.push(entryRow(entries[i], limits));
    } else hidden++;
  }
  flush();
  return rows;
}

export function outputView(o: CapturedOutput, limits: Limits): OutputView {
  const dropped = o.droppedBytes > 0;
  let headLines = splitLines(sanitizeText(o.head));
  let tailLines = splitLines(sanitizeText(o.tail));
  let extraLines = 0;
  if (!dropped) {
    // Nothing dropped: head and tail are one contiguous text.
    const all = splitLines(sanitizeText(o.head + o.tail));
    const max = limits.outputHeadLines + limits.outputTailLines;
    if (all.length > max) {
      headLines = all.slice(0, limits.outputHeadLines);
      tailLines = all.slice(all.length - limits.outputTailLines);
      extraLines = all.length - max;
    } else {
      headLines = all;
      tailLines = [];
    }
  } else {
    if (headLines.length > limits.outputHeadLines) {
      extraLines += headLines.length - limits.outputHeadLines;
      headLines = headLines.slice(0, limits.outputHeadLines);
    }
    if (tailLines.length > limits.outputTailLines) {
      extraLines += tailLines.length - limits.outputTailLines;
      tailLines = tailLines.slice(tailLines.length - limits.outputTailLines);
    }
  }
  const parts: string[] = [];
  if (dropped) parts.push(`${formatCount(o.droppedBytes)} bytes dropped`);
  if (extraLines > 0) parts.push(`${pluralize(extraLines, 'line')} not shown`);
  const gap = parts.length > 0 ? `… ${parts.join(', ')} …` : undefined;
  const head = headLines.join('\n');
  const tail = tailLines.join('\n');
  const text = [head, gap, tail].filter((x) => x !== undefined && x !== '').join('\n');
  const lines = [
    ...headLines.map((l) => ({ text: l, gap: false })),
    ...(gap ? [{ text: gap, gap: true }] : []),
    ...tailLines.map((l) => ({ text: l, gap: false })),
  ];
  return {
    lines,
    empty: o.totalBytes === 0 && o.head === '' && o.tail === '',
    totalBytes: formatBytes(o.totalBytes),
    head,
    gap,
    tail,
    text,
  };
}

/** The last `n` lines of a captured stream, and whether anything came before them. */
function lastLines(o: CapturedOutput, n: number): { lines: string[]; cut: boolean } {
  const text = o.droppedBytes > 0 ? o.tail : o.head + o.tail;
  const lines = splitLines(sanitizeText(text));
  // After dropped bytes the tail starts wherever the cut fell, most likely mid-line.
  if (o.droppedBytes > 0 && lines.length > 0) lines[0] = '…' + lines[0];
  return { lines: lines.slice(Math.max(0, lines.length - n)), cut: o.droppedBytes > 0 || lines.length > n };
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

export function testView(t: TestResult, limits: Limits, anchor = 'test-' + slug(t.id)): TestView {
  const status = statusInfo(t.status);
  const message = t.message === undefined || t.message === '' ? undefined : sanitizeText(t.message);
  const transcript = transcriptRows(t, limits);
  const partial = t.status === 'passed' && t.pointsEarned < t.pointsPossible;
  return {
    id: sanitizeLine(t.id),
    title: sanitizeLine(t.title) + (t.visibility === 'visible' ? '' : t.visibility === 'hidden' ? ' (hidden test)' : ' (shown after the due date)'),
    group: sanitizeLine(t.group),
    anchor,
    status,
    passed: t.status === 'passed',
    needsAttention: t.status === 'failed' || t.status === 'timeout' || t.status === 'error' || partial,
    partial,
    badgeLabel: partial ? 'PARTIAL' : status.label,
    badgeColour: partial ? 'timeout' : t.status,
    pointsText: formatPoints(t.pointsEarned, t.pointsPossible),
    pointsEarned: formatNumber(t.pointsEarned),
    pointsPossible: formatNumber(t.pointsPossible),
    durationText: t.status === 'skipped' ? '—' : formatDuration(t.durationMs),
    message,
    messageLines: message === undefined ? [] : message.split('\n'),
    hint: t.hint === undefined || t.hint === '' ? undefined : sanitizeText(t.hint),
    diff: t.diff ? diffView(t.diff, limits.diffChars) : undefined,
    transcript,
    hasTranscript: transcript.length > 0,
    transcriptDropped: t.transcriptDropped ?? 0,
    log: t.log.map(sanitizeText),
    figureCount: t.figures?.length ?? 0,
    // Only a test that did not pass carries its timing (a pass was within every bound).
    ...(t.timing && t.status !== 'passed' && t.status !== 'skipped' ? { timing: timingView(t.timing) } : {}),
    ...(t.firstRun ? { rerun: { firstStatus: t.firstRun.status, why: sanitizeLine(t.firstRun.why) } } : {}),
  };
}

/** A measured value in its unit: `2,310 ms`, `512 commands/s`. */
export function formatMeasure(value: number, unit: string): string {
  const n = Math.abs(value) >= 100 || unit === 'ms' ? formatCount(Math.round(value)) : formatNumber(Math.round(value * 100) / 100);
  return `${n} ${sanitizeLine(unit)}`;
}

function missed(m: TimingMeasurement): boolean {
  return m.comparison === 'at most' ? m.measured > m.bound : m.measured < m.bound;
}

/**
 * Which way a missed bound went: a time over its ceiling or a rate under its floor is slow; a
 * time under its floor (a retransmission before T) is early.
 */
function direction(m: TimingMeasurement): 'slow' | 'early' | 'fast' {
  const isTime = m.unit === 'ms';
  if (m.comparison === 'at most') return isTime ? 'slow' : 'fast';
  return isTime ? 'early' : 'slow';
}

/** The timing of a failure, ready to show: a headline and one row per measurement. */
export function timingView(timing: Timing): TimingView {
  const rows = timing.measurements.map((m): TimingRow => {
    const measured = `${sanitizeLine(m.label)} ${formatMeasure(m.measured, m.unit)}`;
    const bound = `${m.comparison} ${formatMeasure(m.bound, m.unit)}`;
    const why = m.why ? sanitizeLine(m.why) : undefined;
    return { measured, bound, why, missed: missed(m), text: `${measured} — bound: ${bound}${why ? ` (${why})` : ''}` };
  });
  const ways = new Set(timing.measurements.filter(missed).map(direction));
  const way = ways.size === 1 ? { slow: 'too slow', early: 'too early', fast: 'too fast' }[[...ways][0]] : 'the timing was off';
  const headline = timing.onlyTiming ? `Your answers were right, but ${way}:` : 'Timing:';
  const tag = ways.size === 1 ? way.toUpperCase() : 'TIMING';
  return { onlyTiming: timing.onlyTiming, headline, tag, rows, lines: [headline, ...rows.map((r) => `  ${r.text}`)] };
}

/** `20 passed, 2 failed, 1 timeout` (zero counts other than passed are left out). */
export function countsText(c: Results['counts']): string {
  const parts = [`${formatCount(c.passed)} passed`];
  if (c.failed) parts.push(`${formatCount(c.failed)} failed`);
  if (c.timeout) parts.push(pluralize(c.timeout, 'timeout'));
  if (c.error) parts.push(pluralize(c.error, 'error'));
  if (c.skipped) parts.push(`${formatCount(c.skipped)} skipped`);
  return parts.join(', ');
}

/** A server should run until the grader stops it; a client should exit by itself, in time. */
function abnormalExit(s: Results['program']['starts'][number], role: Results['program']['role']): boolean {
  if (!s.exit) return false;
  return role === 'client' ? s.exit.stoppedByGrader || s.exit.signal !== null : !s.exit.stoppedByGrader;
}

function exitText(s: Results['program']['starts'][number], role: Results['program']['role']): string {
  if (!s.exit) return 'still running at the end';
  const how = s.exit.signal ? `killed by ${s.exit.signal}` : `exit code ${s.exit.code ?? '?'}`;
  const who = s.exit.stoppedByGrader ? (role === 'client' ? 'still running at its deadline, stopped by the grader' : 'stopped by the grader') : 'exited by itself';
  const when = s.exit.duringTest ? ` during ${sanitizeLine(s.exit.duringTest)}` : '';
  const allowed = s.exit.allowed ? `; no fault by itself there: ${sanitizeLine(s.exit.allowed)}` : '';
  return `${who} (${how}) at ${formatDuration(s.exit.atMs)}${when}${allowed}`;
}

export function buildView(r: Results, limits: Limits): ReportView {
  const anchors = new Set<string>();
  const unique = (base: string): string => {
    let a = base;
    for (let i = 2; anchors.has(a); i++) a = `${base}-${i}`;
    anchors.add(a);
    return a;
  };
  const groups: GroupView[] = r.groups.map((g) => {
    const gAnchor = unique('stage-' + slug(g.id));
    const tests = g.tests.map((t) => testView(t, limits, unique(`test-${slug(g.id)}-${slug(t.id)}`)));
    const earned = g.tests.reduce((s, t) => s + t.pointsEarned, 0);
    const possible = g.tests.reduce((s, t) => s + t.pointsPossible, 0);
    const passed = g.tests.filter((t) => t.status === 'passed').length;
    return {
      id: sanitizeLine(g.id),
      title: sanitizeLine(g.title),
      description: g.description ? sanitizeText(g.description) : undefined,
      anchor: gAnchor,
      pointsText: formatPoints(earned, possible),
      percentText: possible > 0 ? formatPercent((earned / possible) * 100) : '—',
      tests,
      countsText: `${passed}/${g.tests.length} passed`,
    };
  });
  const all = groups.flatMap((g) => g.tests);
  const skippedByReason = new Map<string, SkippedView>();
  for (const t of all) {
    if (t.status.status !== 'skipped') continue;
    const reason = t.message ?? 'not run';
    const key = JSON.stringify([reason, t.hint]);
    const entry = skippedByReason.get(key) ?? { reason, hint: t.hint, ids: [] };
    entry.ids.push(t.id);
    skippedByReason.set(key, entry);
  }
  const ct = countsText(r.counts);
  const points = formatPoints(r.score.earned, r.score.possible);
  const percent = formatPercent(r.score.percent);
  const starts: StartView[] = r.program.starts.map((s) => ({
    pid: s.pid,
    ...(s.peer ? { peer: sanitizeLine(s.peer) } : {}),
    port: s.port,
    command: sanitizeLine(s.command),
    startedAt: formatDuration(s.startedAtMs),
    startedFor: s.startedForTest ? sanitizeLine(s.startedForTest) : 'before the first test',
    ready: s.ready,
    exit: exitText(s, r.program.role),
    abnormal: abnormalExit(s, r.program.role),
    cleanup: s.cleanup ? sanitizeLine(s.cleanup) : undefined,
    ...(s.restart
      ? { restart: sanitizeLine(`${RESTART_WHY[s.restart.reason]}${s.restart.afterTest && s.restart.reason !== 'isolated' ? ` (after ${s.restart.afterTest})` : ''}: ${s.restart.detail}`) }
      : {}),
  }));
  const tail = lastLines(r.program.stderr, limits.outputTailLines);
  const b = r.build;
  const completenessWarning =
    r.completeness === 'budget-exceeded'
      ? 'Partial results: the time budget ran out before every test ran. Tests that did not run count as skipped.'
      : r.completeness === 'interrupted'
        ? 'Partial results: the grader was interrupted before every test ran. Tests that did not run count as skipped.'
        : undefined;
  return {
    toolVersion: sanitizeLine(r.tool.version),
    assignmentId: sanitizeLine(r.assignment.id),
    assignmentTitle: sanitizeLine(r.assignment.title),
    submissionDir: sanitizeLine(r.submission.dir),
    language: r.submission.language ? sanitizeLine(r.submission.language) : undefined,
    buildCommand: r.submission.build ? sanitizeLine(r.submission.build) : undefined,
    runCommand: sanitizeLine(r.submission.run),
    seed: sanitizeLine(r.seed),
    replay: sanitizeLine(r.replay),
    date: formatDate(r.startedAt),
    durationText: formatDuration(r.durationMs),
    complete: r.completeness === 'complete',
    completenessWarning,
    score: {
      earned: formatNumber(r.score.earned),
      possible: formatNumber(r.score.possible),
      points,
      percent,
      percentNumber: Math.max(0, Math.min(100, Math.round(r.score.percent * 10) / 10)),
      line: `Score: ${points} (${percent}) — ${ct}`,
      countsText: ct,
    },
    counts: r.counts,
    countChips: (['passed', 'failed', 'timeout', 'error', 'skipped'] as const)
      .map((s) => ({ status: statusInfo(s), n: r.counts[s] }))
      .filter((c) => c.n > 0 || c.status.status === 'passed'),
    groups,
    attention: all.filter((t) => t.needsAttention),
    skipped: [...skippedByReason.values()],
    build: {
      status: b.status,
      failed: b.status === 'failed' || b.status === 'timeout',
      ran: b.status !== 'skipped',
      command: b.command ? sanitizeLine(b.command) : undefined,
      exit:
        b.status === 'timeout'
          ? 'timed out'
          : b.exitCode === null
            ? b.status === 'skipped'
              ? 'not run'
              : 'no exit code'
            : `exit code ${b.exitCode}`,
      durationText: formatDuration(b.durationMs),
      output: outputView(b.output, limits),
    },
    program: {
      starts,
      crashes: starts.filter((s) => s.abnormal),
      stdout: outputView(r.program.stdout, limits),
      stderr: outputView(r.program.stderr, limits),
      stderrTail: tail.lines,
      stderrTailCut: tail.cut,
    },
    anyFailed: r.counts.failed + r.counts.timeout + r.counts.error > 0,
    notes: [...hiddenNotes(r), ...r.notes.map(sanitizeText)],
    environment: `Node ${sanitizeLine(r.environment.node)} on ${sanitizeLine(r.environment.platform)}${r.environment.sandbox ? ` · ${sanitizeLine(r.environment.sandbox)}` : ''}`,
    schemaVersion: r.schemaVersion,
  };
}

/** A test view standing for one test, or for several that ended the same way with nothing else to show. */
export type MergedTestView = TestView & { ids: string[]; merged: boolean };

/**
 * Collapse tests that carry nothing but the same status, message and hint (every test after a
 * server that could not be restarted, say) into one entry listing their ids, so a summary says
 * it once instead of twenty times. Tests with a diff, transcript, log or pictures stay on their own.
 */
export function mergeAlike(tests: TestView[]): MergedTestView[] {
  const out: MergedTestView[] = [];
  const byKey = new Map<string, MergedTestView>();
  for (const t of tests) {
    const bare = !t.diff && !t.hasTranscript && t.log.length === 0 && !t.partial && t.figureCount === 0 && !t.timing;
    const key = bare ? JSON.stringify([t.status.status, t.message, t.hint]) : undefined;
    const prev = key === undefined ? undefined : byKey.get(key);
    if (prev) {
      prev.ids.push(t.id);
      prev.merged = true;
      continue;
    }
    const entry: MergedTestView = { ...t, ids: [t.id], merged: false };
    if (key !== undefined) byKey.set(key, entry);
    out.push(entry);
  }
  return out;
}

/** Widths of the time and connection columns, so transcript rows line up in plain text. */
export function transcriptColumns(rows: Row[]): { timeW: number; connW: number } {
  let timeW = 0;
  let connW = 0;
  for (const r of rows) {
    if (r.gap) continue;
    timeW = Math.max(timeW, width(r.time));
    connW = Math.max(connW, width(r.conn));
  }
  return { timeW, connW };
}

/** Hidden tests: that they exist and what they are worth, never what they test. */
function hiddenNotes(r: Results): string[] {
  if (r.hidden && r.hidden.tests > 0) {
    const n = r.hidden.tests;
    return [
      `${n} hidden test${n === 1 ? '' : 's'} worth ${formatNumber(r.hidden.points)} point${r.hidden.points === 1 ? '' : 's'} ${n === 1 ? 'is' : 'are'} not part of this run: ${n === 1 ? 'it runs' : 'they run'} in official grading only. This score is out of the other ${formatNumber(r.score.possible)} points.`,
    ];
  }
  return r.official ? ['Official grading: hidden tests ran too.'] : [];
}
