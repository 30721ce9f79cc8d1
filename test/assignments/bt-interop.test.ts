// Interoperation with a real BitTorrent client, outside any grade: each bittorrent-peer reference
// solution downloads a file from aria2 seeding it, and aria2 downloads the file from the reference
// seeding it. (That a real client announces to the grader's own tracker is shown by the
// counterpart grades: aria2 and ctorrent pass `announce`.) The tracker here is the smallest one
// the contract needs: it gives every peer that announces the address of every other.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import bencode from 'bencode';
import { afterEach, describe, expect, test } from 'vitest';
import { makeTorrent } from '../../grader/kits/bittorrent.js';
import { freePort } from '../../grader/run/ports.js';
import { at } from '../helpers.js';
import { gradesHere } from './catalog.js';

const run = promisify(execFile);
const NAME = 'interop.bin';
const DATA = randomBytes(1024 * 1024 + 12_345); // 17 pieces of 64 KiB, the last one short
const DEADLINE_MS = 45_000;

interface AnnounceSeen {
  port: number;
  event: string;
  left: number;
}

/** An open tracker on loopback: remembers who announced and answers with all the others (BEP 23). */
async function openTracker() {
  const seen: AnnounceSeen[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const q = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const port = Number(q.get('port'));
    seen.push({ port, event: q.get('event') ?? '', left: Number(q.get('left')) });
    const others = [...new Set(seen.map((a) => a.port))].filter((p) => p !== port);
    const peers = Buffer.concat(others.map((p) => Buffer.from([127, 0, 0, 1, p >> 8, p & 0xff])));
    const body = Buffer.from(bencode.encode({ interval: 30, peers }));
    res.writeHead(200, { 'Content-Length': body.length });
    res.end(body);
    for (const w of waiters) w();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/announce`;
  /** The first announce `pred` accepts, or undefined after `ms`. */
  const waitFor = (pred: (a: AnnounceSeen) => boolean, ms: number) =>
    new Promise<AnnounceSeen | undefined>((resolve) => {
      const check = () => {
        const a = seen.find(pred);
        if (!a) return;
        done(a);
      };
      const done = (a: AnnounceSeen | undefined) => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(a);
      };
      const timer = setTimeout(() => done(undefined), ms);
      waiters.add(check);
      check();
    });
  return { url, seen, waitFor, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sockgrade-bt-${label}-`));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Peer {
  proc: ChildProcess;
  port: number;
  output: () => string;
}

/** Start `<cmd> --torrent T --dir D --port P`; stopped (SIGTERM, then SIGKILL) after the test. */
async function startPeer(cmd: string, args: string[], cwd: string, torrentFile: string, dir: string): Promise<Peer> {
  const port = await freePort();
  const proc = spawn(cmd, [...args, '--torrent', torrentFile, '--dir', dir, '--port', String(port)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  cleanups.push(async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  });
  return { proc, port, output: () => out };
}

const aria2 = (torrentFile: string, dir: string) => startPeer('sh', [at('test', 'counterparts', 'aria2', 'run.sh')], at('test', 'counterparts', 'aria2'), torrentFile, dir);

const references: Array<{ lang: string; start: (torrentFile: string, dir: string) => Promise<Peer> }> = [
  { lang: 'python', start: (t, d) => startPeer('python3', ['peer.py'], at('solutions', 'bittorrent-peer', 'python'), t, d) },
  {
    lang: 'typescript',
    start: async (t, d) => {
      // Built in a copy of its own: the suites that grade it at the same time build it too.
      const dir = tempDir('ts');
      fs.cpSync(at('solutions', 'bittorrent-peer', 'typescript'), dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}dist`) });
      await run(at('node_modules', '.bin', 'tsc'), ['-p', dir, '--typeRoots', at('node_modules', '@types')]);
      return startPeer(process.execPath, ['dist/peer.js'], dir, t, d);
    },
  },
];

/** Everything a failed exchange needs said: what the tracker saw and each program's last output. */
function story(tracker: { seen: AnnounceSeen[] }, peers: Record<string, Peer>): string {
  return [`announces: ${JSON.stringify(tracker.seen)}`, ...Object.entries(peers).map(([who, p]) => `--- ${who} (port ${p.port}):\n${p.output()}`)].join('\n');
}

type Start = (torrentFile: string, dir: string) => Promise<Peer>;

/**
 * One exchange: a tracker and a torrent of DATA; `seed` starts with the whole file and announces
 * it has nothing left, then `get` starts empty and must announce `completed` with the file right.
 */
async function exchange(seed: { name: string; start: Start }, get: { name: string; start: Start }): Promise<void> {
  const tracker = await openTracker();
  cleanups.push(tracker.close);
  const torrentFile = path.join(tempDir('torrent'), 'interop.torrent');
  fs.writeFileSync(torrentFile, makeTorrent({ name: NAME, data: DATA, pieceLength: 64 * 1024, announce: tracker.url }).metainfo);
  const seedDir = tempDir('seed');
  fs.writeFileSync(path.join(seedDir, NAME), DATA);
  const getDir = tempDir('get');
  const seeder = await seed.start(torrentFile, seedDir);
  // Seeding once it has announced with nothing left (it hashes the file first).
  expect(await tracker.waitFor((a) => a.port === seeder.port && a.left === 0, DEADLINE_MS), story(tracker, { [seed.name]: seeder })).toBeDefined();
  const leecher = await get.start(torrentFile, getDir);
  const completed = await tracker.waitFor((a) => a.port === leecher.port && a.event === 'completed', DEADLINE_MS);
  expect(completed, story(tracker, { [seed.name]: seeder, [get.name]: leecher })).toBeDefined();
  expect(fs.readFileSync(path.join(getDir, NAME)).equals(DATA), 'the downloaded file differs from the seeded one').toBe(true);
}

const ARIA2 = { name: 'aria2', start: aria2 };

describe.runIf(gradesHere('bittorrent-peer'))('bittorrent-peer reference solutions and aria2, one swarm on loopback', () => {
  for (const ref of references) {
    const mine = { name: ref.lang, start: ref.start };
    test(`${ref.lang} downloads the file from aria2 seeding it`, () => exchange(ARIA2, mine), 120_000);
    test(`aria2 downloads the file from ${ref.lang} seeding it`, () => exchange(mine, ARIA2), 120_000);
  }
});
