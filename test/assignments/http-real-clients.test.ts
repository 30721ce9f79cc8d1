// The http-server reference solutions are real HTTP servers: real clients (curl, Node's fetch)
// get every byte right from them, outside the grader. Each solution is started by hand, as a
// student would (`--port P --root DIR`, the assignment's files copied to a temporary folder);
// curl fetches several URLs in one invocation and must reuse one connection for all of them.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { at } from '../helpers.js';
import { lightRuns } from '../phases.js';

const run = promisify(execFile);

// A light suite: npm test's peers phases skip it.
const heavyOnly = !lightRuns;
let files = '';
let www = '';
const bytes = (rel: string) => fs.readFileSync(path.join(www, rel));

/** A port nothing listens on right now (the kernel's choice). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

interface Started {
  proc: ChildProcess;
  base: string;
  /** A folder made for this start, removed afterwards. */
  scratch?: string;
}

/** Start a solution and wait for its "serving ... on http://..." line (printed once it listens). */
async function start(cmd: string, args: string[], cwd: string): Promise<Started> {
  const port = await freePort();
  const proc = spawn(cmd, [...args, '--port', String(port), '--root', www], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not listen within 10 s: ${stderr}`)), 10_000);
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes(`127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code}: ${stderr}`));
    });
  });
  return { proc, base: `http://127.0.0.1:${port}` };
}

const solutions: Array<{ lang: string; launch: () => Promise<Started> }> = [
  { lang: 'python', launch: () => start('python3', ['server.py'], at('solutions', 'http-server', 'python')) },
  {
    lang: 'typescript',
    launch: async () => {
      // Built in a copy of its own: the suites that grade it at the same time build it too.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-http-ts-'));
      fs.cpSync(at('solutions', 'http-server', 'typescript'), dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}dist`) });
      await run(at('node_modules', '.bin', 'tsc'), ['-p', dir, '--typeRoots', at('node_modules', '@types')]);
      return { ...(await start(process.execPath, ['dist/server.js'], dir)), scratch: dir };
    },
  },
];

describe.skipIf(heavyOnly)('http-server reference solutions, started by hand, with real clients', () => {
  beforeAll(() => {
    files = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-http-files-'));
    fs.cpSync(at('assignments', 'http-server', 'files'), files, { recursive: true });
    www = path.join(files, 'www');
  });
  afterAll(() => fs.rmSync(files, { recursive: true, force: true }));

  describe.each(solutions)('$lang', ({ launch }) => {
    let server: Started;
    let out = '';
    beforeAll(async () => {
      out = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-http-curl-'));
      server = await launch();
    }, 60_000);
    afterAll(() => {
      server?.proc.kill('SIGTERM');
      for (const d of [out, server?.scratch]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    test('curl fetches four URLs over one reused connection, byte for byte', async () => {
      const names = ['index.html', 'hello.txt', 'hello world.txt', 'data.bin'];
      const args = ['--http1.1', '-sS', '--max-time', '10', '-w', '%{http_code} %{size_download} %{num_connects} %{content_type}\\n'];
      names.forEach((n, i) => args.push('-o', path.join(out, `out${i}`), `${server.base}/${encodeURIComponent(n)}`));
      const { stdout } = await run('curl', args);
      const lines = stdout.trim().split('\n').map((l) => l.split(' '));
      expect(lines.map(([code]) => code)).toEqual(['200', '200', '200', '200']);
      // One connection opened for the first URL, then reused: the server kept it alive.
      expect(lines.map(([, , connects]) => connects)).toEqual(['1', '0', '0', '0']);
      expect(lines.map(([, , , type]) => type.split(';')[0])).toEqual(['text/html', 'text/plain', 'text/plain', 'application/octet-stream']);
      names.forEach((n, i) => expect(fs.readFileSync(path.join(out, `out${i}`)).equals(bytes(n)), n).toBe(true));
    });

    test('curl -v says it re-used the connection', async () => {
      const { stderr } = await run('curl', ['--http1.1', '-sS', '-v', '-o', '/dev/null', '-o', '/dev/null', `${server.base}/style.css`, `${server.base}/docs/`]);
      expect(stderr).toMatch(/Re-using existing connection/i);
    });

    test('curl -I (HEAD): the headers of GET, no body', async () => {
      const { stdout } = await run('curl', ['--http1.1', '-sS', '-I', `${server.base}/data.bin`]);
      const [status, ...headers] = stdout.trim().split('\r\n');
      expect(status).toMatch(/^HTTP\/1\.1 200 /);
      const h = Object.fromEntries(headers.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      expect(h['content-length']).toBe(String(bytes('data.bin').length));
      expect(h['content-type']).toBe('application/octet-stream');
    });

    test('curl: 404 for a missing file, 405 for DELETE, and the secret stays secret', async () => {
      const code = async (...a: string[]) => (await run('curl', ['--http1.1', '-sS', '-o', '/dev/null', '-w', '%{http_code}', ...a])).stdout;
      expect(await code(`${server.base}/missing.html`)).toBe('404');
      expect(await code('-X', 'DELETE', `${server.base}/hello.txt`)).toBe('405');
      // --path-as-is: curl would otherwise squash the ".." itself before sending.
      const urls = [`${server.base}/../secret.txt`, `${server.base}/%2e%2e/secret.txt`];
      const leak = await run('curl', ['--http1.1', '-sS', '--path-as-is', ...urls]);
      expect(leak.stdout).not.toContain('TOP SECRET');
      const codes = await run('curl', ['--http1.1', '-sS', '--path-as-is', '-w', '%{http_code}\\n', '-o', '/dev/null', '-o', '/dev/null', ...urls]);
      expect(codes.stdout.trim().split('\n')).toEqual(['403', '403']);
    });

    test('fetch (undici): several requests over kept-alive connections, status, headers and bytes', async () => {
      const cases: Array<[string, string | undefined, number, string | undefined]> = [
        ['/', 'index.html', 200, 'text/html'],
        ['/hello%20world.txt', 'hello world.txt', 200, 'text/plain'],
        ['/data.bin', 'data.bin', 200, 'application/octet-stream'],
        ['/docs/page.html?x=1', 'docs/page.html', 200, 'text/html'],
        ['/pixel.png', 'pixel.png', 200, 'image/png'],
        ['/nope.txt', undefined, 404, undefined],
      ];
      for (const [url, file, status, type] of cases) {
        const res = await fetch(server.base + url, { signal: AbortSignal.timeout(5000) });
        const body = Buffer.from(await res.arrayBuffer());
        expect(res.status, url).toBe(status);
        expect(res.headers.get('content-length'), url).toBe(String(body.length));
        if (file) {
          expect(res.headers.get('content-type')?.split(';')[0], url).toBe(type);
          expect(body.equals(bytes(file)), url).toBe(true);
        }
      }
      const head = await fetch(`${server.base}/hello.txt`, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(bytes('hello.txt').length));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    });
  });
});
