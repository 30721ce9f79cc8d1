// DNS-client conversations for tests: a scripted server the test owns, the contract's command
// line, and checks of what the client printed and how it exited — failing with the query it
// sent (decoded), what it printed, what was expected, and a hint.
import type { RunResult } from '../grade/client.js';
import { stderrExcerpt } from '../run/output.js';
import { describeExit } from '../run/process.js';
import { describeDnsMessage, ScriptedDnsServer, type DnsHandler, type DnsQuery } from '../net/dns-server.js';
import { byteDiff } from './diff.js';
import type { TestContext } from './context.js';
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

function exitText(r: RunResult): string {
  if (r.timedOut) return 'was still running and had to be stopped';
  const meaning = r.exitCode !== null && !r.signal ? EXIT_MEANING[r.exitCode] : undefined;
  return `${describeExit({ code: r.exitCode, signal: r.signal })}${meaning ? ` (${meaning})` : ''}`;
}

function stderrNote(r: RunResult): string {
  return stderrExcerpt(r.stderr.trimEnd().split('\n').filter(Boolean).slice(-6), '');
}

/** The run must have exited with `code`. */
export function expectExit(r: RunResult, code: number, hint?: string): void {
  if (!r.timedOut && r.exitCode === code) return;
  const want = `exit code ${code} (${EXIT_MEANING[code]})`;
  fail(`expected ${want}; your client ${exitText(r)}.${stderrNote(r)}`, {
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

/** Stdout must be exactly these lines (each `owner\tttl\tIN\tTYPE\trdata`). */
export function expectLines(r: RunResult, expected: string[], hint?: string): void {
  const got = r.stdout.replace(/\r?\n$/, '').split(/\r?\n/).filter((l, _i, all) => !(all.length === 1 && l === ''));
  const same = got.length === expected.length && got.every((l, i) => l === expected[i]);
  if (same) return;
  const i = expected.findIndex((l, k) => got[k] !== l);
  const at = i === -1 ? expected.length : i;
  const show = (lines: string[]) => (lines.length ? lines.map((l) => `  ${JSON.stringify(l)}`).join('\n') : '  (nothing)');
  fail(`your client printed ${got.length} line(s) (${expected.length} expected); line ${at + 1} differs.\nExpected:\n${show(expected)}\nPrinted:\n${show(got)}\nIt ${exitText(r)}.${stderrNote(r)}`, {
    diff: byteDiff(Buffer.from(expected[at] ?? ''), Buffer.from(got[at] ?? '')),
    hint: hint ?? lineHint(expected[at], got[at]),
  });
}

function lineHint(expected: string | undefined, got: string | undefined): string {
  if (got === undefined) return 'Print one line per record of the answer section, in order.';
  if (expected === undefined) return 'Print only the records of the answer section, one per line; diagnostics go to stderr.';
  const e = expected.split('\t');
  const g = got.split(/\t/);
  if (g.length !== 5) return 'Each line has exactly five fields separated by single tabs: owner, TTL, IN, type, rdata.';
  if (e[0] !== g[0] && e[0] === g[0] + '.') return 'Owner names (and names in rdata) are absolute: they end with a dot.';
  if (e[4] !== g[4] && e[3] === 'AAAA') return 'AAAA addresses are printed in RFC 5952 form: lower case, no leading zeros, the longest run of zero groups (the first, on a tie; never a single group) as "::".';
  if (e[4] !== g[4] && e[3] === 'TXT') return 'TXT rdata: each character-string in double quotes, separated by one space, with " and \\ escaped by a backslash.';
  if (e[4] !== g[4] && /\.$/.test(e[4])) return 'Names in rdata are absolute, with a trailing dot; a compressed name must be followed through its pointers.';
  return 'Compare your line with the expected one at the caret.';
}
