// The tftp-server reference solutions are real TFTP servers: the real clients installed here
// (tftp-hpa's `tftp`, `atftp`, `curl tftp://`) read and write every size around the block edge
// (0, 511, 512, 513 bytes and 1 MiB) byte for byte, with and without options (atftp blksize 1428
// and tsize, atftp windowsize 8, curl blksize 1024, each also with whole blocks or windows of that
// size; the OACK is checked in the client's own output), and tftp-hpa in text (netascii) mode. Each solution is started by hand as a student would
// (`--port P --root DIR --timeout-ms T`, its sockgrade.json's run command), in a temporary root of
// its own. tftp-hpa's client exits 0 even when the server sent an ERROR, so every transfer is
// judged by the file it left, by what the client printed and by its exit code together. And the
// clients are sharp: against the broken scenario that sends no empty last DATA block, a 512-byte
// read never ends as a success, and tftp-hpa's text mode does not survive a server that sends
// and stores netascii as octet.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freeUdpPort } from '../../grader/run/ports.js';
import { RunningProcess } from '../../grader/run/process.js';
import { waitForPort } from '../../grader/run/readiness.js';
import { at } from '../helpers.js';
import { lightRuns } from '../phases.js';

const run = promisify(execFile);

/** The clients, each as the real program (the BSD `tftp` would not do: tftp-hpa's is asked). */
const missing = [
  ['tftp', ['-V'], /tftp-hpa/],
  ['atftp', ['--version'], /atftp/],
  ['curl', ['--version'], /\btftp\b/],
].flatMap(([cmd, args, says]) => {
  // Who it is, on stdout or stderr (atftp prints its version on stderr).
  const r = spawnSync(cmd as string, args as string[], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  if (r.error) return [cmd as string];
  return (says as RegExp).test(`${r.stdout}${r.stderr}`) ? [] : [`${cmd as string} (not the expected program)`];
});
const skip = !lightRuns || missing.length > 0;
if (lightRuns && missing.length) {
  console.warn(`tftp-real-clients.test.ts skipped: not installed: ${missing.join(', ')} (apt-get install tftp-hpa atftp curl; .ci/run installs them)`);
}

const SIZES = [0, 511, 512, 513, 1024 * 1024];
const TIMEOUT_MS = 1000;
/** Every client process is killed after this, whatever it is doing. */
const CLIENT_DEADLINE_MS = 15_000;

/** Deterministic bytes of a size (xorshift32 seeded by it): a failure replays the same file. */
function content(size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (size * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed at this deadline (ms), if it was. */
  timedOut: number | undefined;
  output: string;
  ms: number;
}

/** Runs a client, bounded: SIGKILL after `deadlineMs`. Never rejects. */
function client(cmd: string, args: string[], cwd: string, opts: { input?: string; deadlineMs?: number } = {}): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let output = '';
    const deadline = opts.deadlineMs ?? CLIENT_DEADLINE_MS;
    let timedOut: number | undefined;
    const keep = (d: Buffer) => {
      // atftp --trace prints a line per block: keep the start (the OACK) and the end (the verdict).
      output = output.length < 64 * 1024 ? output + d.toString() : output.slice(0, 32 * 1024) + '\n…\n' + (output.slice(-16 * 1024) + d.toString()).slice(-16 * 1024);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => {
      timedOut = deadline;
      child.kill('SIGKILL');
    }, deadline);
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut, output: `${output}\n${e.message}`, ms: performance.now() - t0 });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output, ms: performance.now() - t0 });
    });
  });
}

/**
 * "intact" only when the client ended by itself with exit 0, printed no error or timeout (tftp-hpa
 * exits 0 on both) and the file it was to produce holds exactly `want`; otherwise what went wrong.
 */
function verdict(o: Outcome, file: string, want: Buffer): string {
  const problems: string[] = [];
  if (o.timedOut !== undefined) problems.push(`killed after ${o.timedOut} ms`);
  else if (o.code !== 0) problems.push(o.signal ? `killed by ${o.signal}` : `exit ${o.code}`);
  const said = o.output.split('\n').find((l) => /\berror\b|timed out|abort/i.test(l));
  if (said) problems.push(`printed "${said.trim()}"`);
  if (!fs.existsSync(file)) problems.push('no file');
  else {
    const got = fs.readFileSync(file);
    if (!got.equals(want)) problems.push(`file of ${got.length} bytes differs from the ${want.length} expected`);
  }
  return problems.length ? `${problems.join('; ')}\n${o.output.slice(-2000)}` : 'intact';
}

/** At most `n` of the jobs at once (two cores, and other suites grading beside this one). */
async function pool<T>(n: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

interface Server {
  proc: RunningProcess;
  port: number;
  /** The temporary folder: root/ is served, the clients work in the rest. */
  dir: string;
  root: string;
}

/** Starts a program by its sockgrade.json run command on a free UDP port; ready once its socket is bound. */
async function startServer(programDir: string, label: string): Promise<Server> {
  const { run: command } = JSON.parse(fs.readFileSync(path.join(programDir, 'sockgrade.json'), 'utf8')) as { run: string };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sockgrade-tftp-clients-${label}-`));
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  // A free port can be taken by someone else before the server binds it: then it exits, and
  // another port is tried.
  for (let attempt = 1; ; attempt++) {
    const port = await freeUdpPort();
    const proc = RunningProcess.start({ command, args: ['--port', String(port), '--root', root, '--timeout-ms', String(TIMEOUT_MS)], cwd: programDir });
    const ready = await waitForPort(proc, port, 10_000, undefined, 'udp');
    if (ready.status === 'ready') return { proc, port, dir, root };
    await proc.stop(0, 'SIGKILL');
    if (ready.status !== 'exited' || attempt === 3) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`${label} (${command}) not ready on UDP 127.0.0.1:${port}: ${ready.status}\n${proc.stderr.lastLines(20).join('\n')}`);
    }
  }
}

async function stopServer(s: Server | undefined): Promise<void> {
  if (!s) return;
  await s.proc.stop(2000);
  fs.rmSync(s.dir, { recursive: true, force: true });
}

/** One way of running a client: its command for a read (RRQ) and a write (WRQ), relative to its own folder. */
interface Way {
  id: string;
  cmd: string;
  get: (port: number, remote: string, local: string) => string[];
  put: (port: number, local: string, remote: string) => string[];
  /** What the client's output must show beyond the bytes (the options it negotiated). */
  shows?: (output: string, op: 'get' | 'put', size: number) => void;
  /** The sizes it reads and writes (SIZES when not said). */
  gets?: number[];
  puts?: number[];
}

const ALL = (more: number[] = []) => [...SIZES, ...more];

const url = (port: number, name: string) => `tftp://127.0.0.1:${port}/${name}`;
const WAYS: Way[] = [
  {
    id: 'tftp-hpa',
    cmd: 'tftp',
    // No options: tftp-hpa's client has no blksize switch, and sends no options at all.
    get: (p, r, l) => ['-m', 'binary', '127.0.0.1', String(p), '-c', 'get', r, l],
    put: (p, l, r) => ['-m', 'binary', '127.0.0.1', String(p), '-c', 'put', l, r],
  },
  {
    id: 'tftp-hpa-netascii',
    cmd: 'tftp',
    // Text mode: tftp-hpa converts both ways (LF <-> CR LF, CR <-> CR NUL). These files are random
    // bytes, one in 128 a CR or an LF, so a round trip is exact only when the server converts
    // exactly as the client does, across block boundaries too.
    get: (p, r, l) => ['-m', 'ascii', '127.0.0.1', String(p), '-c', 'get', r, l],
    put: (p, l, r) => ['-m', 'ascii', '127.0.0.1', String(p), '-c', 'put', l, r],
  },
  {
    id: 'atftp',
    cmd: 'atftp',
    get: (p, r, l) => ['--get', '-r', r, '-l', l, '127.0.0.1', String(p)],
    put: (p, l, r) => ['--put', '-r', r, '-l', l, '127.0.0.1', String(p)],
  },
  {
    id: 'atftp-blksize-tsize',
    cmd: 'atftp',
    // --trace prints the OACK: proof the server took the options (a server that ignored them
    // would still deliver the bytes, in 512-byte blocks).
    get: (p, r, l) => ['--trace', '--option', 'blksize 1428', '--option', 'tsize', '--get', '-r', r, '-l', l, '127.0.0.1', String(p)],
    put: (p, l, r) => ['--trace', '--option', 'blksize 1428', '--option', 'tsize', '--put', '-r', r, '-l', l, '127.0.0.1', String(p)],
    shows: (out, _op, size) => {
      const oack = out.split('\n').find((l) => l.startsWith('received OACK'));
      expect(oack, out.slice(0, 1000)).toBeDefined();
      expect(oack).toMatch(/blksize: 1428\b/);
      // A read: the file's size; a write: atftp's own size echoed.
      expect(oack).toMatch(new RegExp(`tsize: ${size}\\b`));
    },
    // Also two full blocks of the negotiated size: it ends with an empty block too.
    gets: ALL([2 * 1428]),
    puts: ALL([2 * 1428]),
  },
  {
    id: 'atftp-windowsize',
    cmd: 'atftp',
    // RFC 7440: atftp 0.8 asks for windows of 8 blocks; its trace shows the OACK that grants them.
    get: (p, r, l) => ['--trace', '--option', 'windowsize 8', '--get', '-r', r, '-l', l, '127.0.0.1', String(p)],
    put: (p, l, r) => ['--trace', '--option', 'windowsize 8', '--put', '-r', r, '-l', l, '127.0.0.1', String(p)],
    shows: (out) => {
      const oack = out.split('\n').find((l) => l.startsWith('received OACK'));
      expect(oack, out.slice(0, 1000)).toMatch(/windowsize: 8\b/);
    },
    // Also exactly one and two windows of 512-byte blocks (each ends with an empty block).
    gets: ALL([8 * 512, 16 * 512]),
    puts: ALL([8 * 512, 16 * 512]),
  },
  {
    id: 'curl',
    cmd: 'curl',
    // curl always asks for tsize, blksize 512 and timeout 6 (so every transfer goes through an OACK).
    get: (p, r, l) => ['-sS', '--max-time', '12', url(p, r), '-o', l],
    put: (p, l, r) => ['-sS', '--max-time', '12', '-T', l, url(p, r)],
    // curl 7.88's own bug (wip/tftp-server/NOTES.md): it rejects the OACK's "tsize 0" of an empty
    // download as invalid (exit 71) from every server, real ones included, though tsize 0 is the
    // right answer. So no empty read with options; curl-no-options below does that one instead.
    gets: SIZES.filter((s) => s !== 0),
  },
  {
    id: 'curl-blksize',
    cmd: 'curl',
    get: (p, r, l) => ['-sS', '-v', '--max-time', '12', '--tftp-blksize', '1024', url(p, r), '-o', l],
    put: (p, l, r) => ['-sS', '-v', '--max-time', '12', '--tftp-blksize', '1024', '-T', l, url(p, r)],
    shows: (out) => expect(out, out.slice(0, 1000)).toMatch(/got option=\(blksize\) value=\(1024\)/),
    gets: ALL([2 * 1024]).filter((s) => s !== 0), // no empty read: the same curl bug as above
    puts: ALL([2 * 1024]),
  },
  {
    id: 'curl-no-options',
    cmd: 'curl',
    // Without options curl reads an empty file fine: the read curl cannot do above, covered.
    get: (p, r, l) => ['-sS', '--max-time', '12', '--tftp-no-options', url(p, r), '-o', l],
    put: (p, l, r) => ['-sS', '--max-time', '12', '--tftp-no-options', '-T', l, url(p, r)],
    gets: [0],
    puts: [0],
  },
];

interface Solution {
  lang: string;
  /** The folder to run it in, made ready; a scratch copy to remove afterwards when built. */
  prepare: () => Promise<{ dir: string; scratch?: string }>;
}

const SOLUTIONS: Solution[] = [
  { lang: 'python', prepare: async () => ({ dir: at('solutions', 'tftp-server', 'python') }) },
  {
    lang: 'typescript',
    prepare: async () => {
      // Built in a copy of its own: the suites that grade it at the same time build it too.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-tftp-ts-'));
      fs.cpSync(at('solutions', 'tftp-server', 'typescript'), dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}dist`) });
      await run(at('node_modules', '.bin', 'tsc'), ['-p', dir, '--typeRoots', at('node_modules', '@types')], { timeout: 60_000 });
      return { dir, scratch: dir };
    },
  },
];

describe.skipIf(skip)('tftp-server reference solutions, started by hand, with real TFTP clients', () => {
  describe.each(SOLUTIONS)('$lang', ({ lang, prepare }) => {
    let server: Server | undefined;
    let scratch: string | undefined;
    beforeAll(async () => {
      const prepared = await prepare();
      scratch = prepared.scratch;
      server = await startServer(prepared.dir, lang);
      for (const size of new Set(WAYS.flatMap((w) => w.gets ?? SIZES))) fs.writeFileSync(path.join(server.root, `src-${size}`), content(size));
    }, 60_000);
    afterAll(async () => {
      await stopServer(server);
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    });

    const sizes = (list: number[]) => list.map((n) => (n === 1024 * 1024 ? '1 MiB' : `${n} B`)).join(', ');
    for (const way of WAYS) {
      test(`${way.id}: reads ${sizes(way.gets ?? SIZES)}; writes ${sizes(way.puts ?? SIZES)}; byte for byte`, async () => {
        const s = server!;
        const work = path.join(s.dir, way.id);
        fs.mkdirSync(work);
        const jobs: Array<() => Promise<[string, string]>> = [];
        for (const size of way.gets ?? SIZES) {
          jobs.push(async () => {
            const local = `got-${size}`;
            const o = await client(way.cmd, way.get(s.port, `src-${size}`, local), work);
            const v = verdict(o, path.join(work, local), content(size));
            if (v === 'intact') way.shows?.(o.output, 'get', size);
            return [`get ${size}`, v];
          });
        }
        for (const size of way.puts ?? SIZES) {
          jobs.push(async () => {
            const local = `put-${size}`;
            const remote = `${way.id}-put-${size}`;
            fs.writeFileSync(path.join(work, local), content(size));
            const o = await client(way.cmd, way.put(s.port, local, remote), work);
            const v = verdict(o, path.join(s.root, remote), content(size));
            if (v === 'intact') way.shows?.(o.output, 'put', size);
            return [`put ${size}`, v];
          });
        }
        const results = await pool(4, jobs);
        expect(Object.fromEntries(results)).toEqual(Object.fromEntries(results.map(([k]) => [k, 'intact'])));
      });
    }
  });
});

describe.skipIf(skip)('the clients catch a server that sends no empty last DATA block', () => {
  // A copy of the Python reference whose read of a multiple of 512 bytes ends with the last full
  // block: a client cannot tell the file has ended, and waits for a block that never comes.
  const SCENARIO = at('test', 'scenarios', 'tftp-server', 'no-empty-last-block');
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer(SCENARIO, 'no-empty-last-block');
    for (const size of [512, 513]) fs.writeFileSync(path.join(server.root, `src-${size}`), content(size));
  }, 30_000);
  afterAll(() => stopServer(server));

  // Short client-side timeouts so the clients give up by themselves within seconds: tftp-hpa's
  // `rexmt`/`timeout` exist only as interactive commands (fed on stdin; it then exits 0 whatever
  // happened and prints its verdict), atftp has --tftp-timeout.
  const read = (id: string, port: number, name: string, local: string) =>
    id === 'tftp-hpa'
      ? { cmd: 'tftp', args: ['127.0.0.1', String(port)], input: `binary\nrexmt 1\ntimeout 3\nget ${name} ${local}\nquit\n` }
      : { cmd: 'atftp', args: ['--tftp-timeout', '1', '--get', '-r', name, '-l', local, '127.0.0.1', String(port)] };

  test('a 512-byte read through tftp-hpa and atftp never ends as a success; 513 bytes, with the same commands, do', async () => {
    const s = server!;
    const work = path.join(s.dir, 'clients');
    fs.mkdirSync(work);
    const jobs = [512, 513].flatMap((size) =>
      ['tftp-hpa', 'atftp'].map((id) => async (): Promise<[string, string]> => {
        const local = `${id}-got-${size}`;
        const r = read(id, s.port, `src-${size}`, local);
        const o = await client(r.cmd, r.args, work, { input: r.input, deadlineMs: 10_000 });
        return [`${id} ${size}`, verdict(o, path.join(work, local), content(size))];
      }),
    );
    const results = Object.fromEntries(await pool(4, jobs));
    // The control: the commands work, and the server is right where no empty block is due.
    expect(results['tftp-hpa 513'], 'tftp-hpa read 513 bytes with the same command').toBe('intact');
    expect(results['atftp 513'], 'atftp read 513 bytes with the same command').toBe('intact');
    // The 512 bytes may well be on disk, whole; what a client cannot know is that the file ended:
    // it times out or errs, never reports success.
    for (const id of ['tftp-hpa', 'atftp']) {
      const v = results[`${id} 512`];
      expect(v, `${id} read 512 bytes from a server that never sent the empty last block, and reported success`).not.toBe('intact');
      expect(v, v).toMatch(/timed out|error|abort|exit [1-9]|killed/i);
    }
  });
});

describe.skipIf(skip)('tftp-hpa\'s text mode catches a server that treats netascii as octet', () => {
  const SCENARIO = at('test', 'scenarios', 'tftp-server', 'netascii-as-octet');
  const SIZE = 1024 * 1024;
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startServer(SCENARIO, 'netascii-as-octet');
    fs.writeFileSync(path.join(server.root, `src-${SIZE}`), content(SIZE));
  }, 30_000);
  afterAll(() => stopServer(server));

  test('a 1 MiB read and write in ascii mode are not byte for byte; the same in binary mode are', async () => {
    const s = server!;
    const work = path.join(s.dir, 'clients');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'local'), content(SIZE));
    const results: Record<string, string> = {};
    for (const mode of ['binary', 'ascii']) {
      const get = await client('tftp', ['-m', mode, '127.0.0.1', String(s.port), '-c', 'get', `src-${SIZE}`, `got-${mode}`], work);
      results[`get ${mode}`] = verdict(get, path.join(work, `got-${mode}`), content(SIZE));
      const put = await client('tftp', ['-m', mode, '127.0.0.1', String(s.port), '-c', 'put', 'local', `put-${mode}`], work);
      results[`put ${mode}`] = verdict(put, path.join(s.root, `put-${mode}`), content(SIZE));
    }
    // The control: the server is right in octet mode.
    expect(results['get binary']).toBe('intact');
    expect(results['put binary']).toBe('intact');
    // Text mode: the client converts, the server does not, and the bytes differ.
    expect(results['get ascii']).toMatch(/differs/);
    expect(results['put ascii']).toMatch(/differs/);
  });
});
