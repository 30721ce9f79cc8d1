// DNS-client conversations for tests: a scripted server the test owns, the contract's command
// line, and checks of what the client printed and how it exited — failing with the query it
// sent (decoded), what it printed, what was expected, and a hint.
import { stderrExcerpt } from '../run/output.js';
import { describeExit } from '../run/process.js';
import { describeDnsMessage, ScriptedDnsServer, type DnsHandler, type DnsQuery } from '../net/dns-server.js';
import { byteDiff } from './diff.js';
import type { RunResult, TestContext } from './context.js';
import { fail } from './failure.js';

export const EXIT_MEANING: Record<number, string> = {
  0: 'NOERROR',
  1: 'usage error',
  2: 'no acceptable response',
  3: 'NXDOMAIN',
  4: 'another error RCODE',
};

/** Start a scripted server for this test; it closes when the test ends. */
export async function dnsServer(t: TestContext, udp: DnsHandler, tcp?: DnsHandler): Promise<ScriptedDnsServer> {
  const server = await ScriptedDnsServer.start({ transcript: t.transcript, udp, ...(tcp ? { tcp } : {}) });
  t.defer(() => server.close());
  return server;
}

export interface ClientCall {
  name: string;
  type?: string;
  timeoutMs?: number;
  retries?: number;
}

/** The contract's command line: --server H:P --timeout-ms T --retries R [--type TYPE] NAME. */
export function clientArgs(server: ScriptedDnsServer, c: ClientCall): string[] {
  return ['--server', server.address, '--timeout-ms', String(c.timeoutMs ?? 1000), '--retries', String(c.retries ?? 1), ...(c.type ? ['--type', c.type] : []), c.name];
}

/** A query as one line: `#1 udp +0 ms query id=0x1a2b rd | question: example.test. A IN`. */
export function describeQuery(q: DnsQuery): string {
  return `#${q.n} ${q.transport} +${q.atMs} ms ${describeDnsMessage(q.raw).text}`;
}

/** Run the client and log what it did (the queries, decoded), for the report. */
export async function runClient(t: TestContext, server: ScriptedDnsServer, c: ClientCall, opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  const before = server.queries.length;
  const r = await t.run(clientArgs(server, c), opts);
  for (const q of server.queries.slice(before)) t.log(`query ${describeQuery(q)}`);
  return r;
}

/** How a run ended, to follow "your client ...": "exited with code 2 (no acceptable response)". */
export function describeRunEnd(r: RunResult): string {
  return exitText(r);
}

function exitText(r: RunResult): string {
  if (r.timedOut) return 'was still running and had to be stopped';
  // Exit code 1 with a stack trace on stderr is a crash (Python, Node), not a usage error.
  const crashed = r.exitCode === 1 && /^Traceback \(most recent call last\)|^\s+at .+:\d+:\d+\)?$/m.test(r.stderr);
  if (crashed) return `${describeExit({ code: r.exitCode, signal: r.signal })} (a crash: its stderr shows an uncaught error)`;
  const meaning = r.exitCode !== null && !r.signal ? EXIT_MEANING[r.exitCode] : undefined;
  return `${describeExit({ code: r.exitCode, signal: r.signal })}${meaning ? ` (${meaning})` : ''}`;
}

/** The last lines of the client's stderr, as a message's last lines (empty when it printed none). */
export function stderrNote(r: RunResult): string {
  return stderrExcerpt(r.stderr.trimEnd().split('\n').filter(Boolean).slice(-6), '');
}

/** `situation` + "; " when there is one: what the grader's server did, said before the verdict. */
// A long situation gets a line of its own: the first line must fit a terminal.
const lead = (situation: string | undefined) => (situation ? (situation.length > 110 ? `${situation};\n` : `${situation}; `) : '');

/**
 * The run must have exited with `code`. `situation` says what the server did, so the student
 * reads why that code: "the server answered NXDOMAIN (RCODE 3)".
 */
export function expectExit(r: RunResult, code: number, hint?: string, situation?: string): void {
  if (!r.timedOut && r.exitCode === code) return;
  const want = `exit code ${code} (${EXIT_MEANING[code]})`;
  fail(`${lead(situation)}expected ${want}; your client ${exitText(r)}.${stderrNote(r)}`, {
    ...(r.timedOut ? { timeout: true } : {}),
    hint:
      hint ??
      (r.timedOut
        ? 'Your client must give up after 1+R attempts of T ms each, and exit.'
        : r.signal || (r.exitCode !== null && r.exitCode > 4)
          ? 'Did your client crash? Run the command from the transcript yourself and read the error.'
          : 'The exit code tells the caller how the query went: 0 NOERROR, 3 NXDOMAIN, 4 another error RCODE, 2 no acceptable response, 1 usage error.'),
  });
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Lines shown in a failure, each quoted (tabs visible as \t); a long list is cut after `max`. */
const MAX_SHOWN = 6;
function showLines(lines: string[], max = MAX_SHOWN): string {
  if (!lines.length) return '  (nothing)';
  const shown = lines.slice(0, max).map((l) => `  ${JSON.stringify(l)}`);
  if (lines.length > max) shown.push(`  … and ${plural(lines.length - max, 'more line')}`);
  return shown.join('\n');
}

/** Stdout as lines, without the final newline. */
export function printedLines(r: RunResult): string[] {
  return r.stdout.replace(/\r?\n$/, '').split(/\r?\n/).filter((l, _i, all) => !(all.length === 1 && l === ''));
}

/**
 * Stdout must be exactly these lines (each `owner\tttl\tIN\tTYPE\trdata`). A specific diagnosis
 * of the first differing line (a missing trailing dot, an AAAA form) beats the test's `hint`:
 * the test's hint names what the test is about, the diagnosis what is wrong with this output.
 */
export function expectLines(r: RunResult, expected: string[], hint?: string, situation?: string): void {
  const got = printedLines(r);
  const same = got.length === expected.length && got.every((l, i) => l === expected[i]);
  if (same) return;
  const i = expected.findIndex((l, k) => got[k] !== l);
  const at = i === -1 ? expected.length : i;
  const expectedCount = plural(expected.length, 'line');
  const what = !got.length
    ? `your client printed nothing (${expectedCount} expected)`
    : got.length === expected.length
      ? `your client printed ${expectedCount} as expected, but line ${at + 1} differs`
      : `your client printed ${plural(got.length, 'line')} (${expectedCount} expected); line ${at + 1} differs`;
  // The first line's diagnosis, and a different one from a later line if there is one (two
  // bugs in one output: signed bytes in every line, a signed TTL in the fourth).
  // Two diagnoses are the same kind when they start alike (they differ only in the values shown).
  const kind = (d: string) => d.slice(0, 20);
  const first = lineDiagnosis(expected[at], got[at]);
  const other = expected.map((e, k) => (got[k] !== e ? lineDiagnosis(e, got[k]) : undefined)).find((d) => d && first && kind(d) !== kind(first));
  const specific = first && other ? `${first} Also: ${other}` : first;
  fail(`${lead(situation)}${what}.\nExpected:\n${showLines(expected)}\nPrinted:\n${showLines(got)}\nIt ${exitText(r)}.${stderrNote(r)}`, {
    ...(expected[at] !== undefined && got[at] !== undefined ? { diff: byteDiff(Buffer.from(expected[at]), Buffer.from(got[at])) } : {}),
    hint: specific ?? hint ?? genericLineHint(expected[at], got[at], r),
  });
}

/** What is wrong with this printed line, when it can be told; undefined when it cannot. */
function lineDiagnosis(expected: string | undefined, got: string | undefined): string | undefined {
  if (expected === undefined || got === undefined) return undefined;
  const e = expected.split('\t');
  const g = got.split(/\t/);
  if (g.length !== 5) return 'Each line has exactly five fields separated by single tabs: owner, TTL, IN, type, rdata.';
  // Signed reads: the value printed is the unsigned one less 2^32 (TTL) or 256 (each byte).
  if (e[1] !== g[1] && /^-\d+$/.test(g[1]) && Number(g[1]) === Number(e[1]) - 2 ** 32)
    return `The TTL is unsigned: ${e[1]}, not ${g[1]}. Your client read it as a signed 32-bit integer; read it unsigned (struct "!I", readUInt32BE, uint32_t).`;
  if (e[3] === 'A' && g[3] === 'A' && e[4] !== g[4] && signedBytes(e[4], g[4]))
    return `An address's bytes are unsigned (0 to 255): ${e[4]}, not ${g[4]}. Your client read them as signed bytes (Java's byte, C's char): convert each with & 0xff.`;
  if (e[1] !== g[1] && e[0] === g[0]) return `The TTL is printed in decimal, as the server sent it (32 bits, unsigned: 0 to 4294967295): expected ${e[1]}, printed ${g[1]}.`;
  if (/^TYPE\d+$/.test(e[3]) && e[3] !== g[3]) return `A record of a type outside the contract's six is printed with its type as TYPE and the code (${e[3]}), and its rdata in RFC 3597 form (\\# <length> <hex>).`;
  if (/^TYPE\d+$/.test(e[3]) && e[4] !== g[4]) return 'The rdata of an unknown type is printed in RFC 3597 form: \\#, a space, its length in decimal, a space, and its bytes in lower-case hex without spaces (just \\# 0 when it is empty).';
  if (e[0] !== g[0] && e[0].toLowerCase() === g[0].toLowerCase()) return 'Print owner names in the case the server sent them; only the comparison with your question ignores case.';
  if (e[0] !== g[0] && e[0] === g[0] + '.') return 'Owner names (and names in rdata) are absolute: they end with a dot.';
  if (e[4] !== g[4] && e[3] === 'AAAA' && e[3] === g[3]) return 'AAAA addresses are printed in RFC 5952 form: lower case, no leading zeros, the longest run of zero groups (the first, on a tie; never a single group) as "::".';
  if (e[4] !== g[4] && e[3] === 'TXT' && e[3] === g[3]) return 'TXT rdata: each character-string in double quotes, separated by one space, with " and \\ escaped by a backslash.';
  if (e[4] !== g[4] && e[4] === g[4] + '.') return 'Names in rdata are absolute: they end with a dot, like owner names.';
  return undefined;
}

/** An A record's rdata printed with signed bytes: each octet equals the expected one or it less 256. */
function signedBytes(expected: string, got: string): boolean {
  const e = expected.split('.').map(Number);
  const g = got.split('.').map(Number);
  return e.length === 4 && g.length === 4 && g.some((x) => x < 0) && g.every((x, i) => x === e[i] || x === e[i] - 256);
}

function genericLineHint(expected: string | undefined, got: string | undefined, r: RunResult): string {
  if (got === undefined && r.timedOut) return 'Your client never finished: it must print the answer and exit, or give up after 1+R attempts of T ms each.';
  if (got === undefined) return 'Print one line per record of the answer section, in order.';
  if (expected === undefined) return 'Print only the records of the answer section, one per line; diagnostics go to stderr.';
  return 'Compare your line with the expected one at the caret: names in rdata are absolute (trailing dot), and a compressed name must be followed through its pointers.';
}
