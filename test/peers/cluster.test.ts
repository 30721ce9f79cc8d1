// The cluster with real processes in the real sandbox: a peer's own folder (what the test wrote
// for it, what it writes back) shown to that peer alone, the test's own "{name}" placeholders,
// a peer the test plays itself (never started, reached through the network like the rest), each
// peer at a loopback address of its own, and a byte stream between them counted by the journal.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { afterAll, expect, test } from 'vitest';
import { PeerRunner } from '../../grader/grade/peers.js';
import { Cluster } from '../../grader/peers/cluster.js';
import { line } from '../../grader/peers/topology.js';
import type { PeersScope } from '../../grader/peers/scope.js';
import { Transcript } from '../../grader/net/transcript.js';
import { confine } from '../../grader/run/sandbox.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockgrade-cluster-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The peer: reads the file it was given, tries to read every other peer's folder, writes what
// it found into its own folder, then sends it to its one neighbour as raw bytes.
fs.writeFileSync(
  path.join(dir, 'peer.py'),
  `import os, socket, sys
a = dict(zip(sys.argv[1::2], sys.argv[2::2]))
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(a["--port"]))); s.listen()
given = open(a["--given"], "rb").read()
others = [d for d in os.listdir(os.path.dirname(a["--dir"])) if d != os.path.basename(a["--dir"])] if os.path.isdir(os.path.dirname(a["--dir"])) else []
seen = [o for o in others if os.path.isdir(os.path.join(os.path.dirname(a["--dir"]), o))]
report = b"given=" + given + b" others=" + ",".join(seen).encode() + b"\\x00\\xff"
open(os.path.join(a["--dir"], "out.bin"), "wb").write(report)
host, port = a["--peers"].split(":")
c = socket.create_connection((host, int(port))); c.sendall(report); c.close()
s.accept()
`,
);

function scope(): PeersScope & { logs: string[] } {
  const logs: string[] = [];
  const ctl = new AbortController();
  return { signal: ctl.signal, transcript: new Transcript(), random: Math.random, seed: 'test', testId: 'cluster', log: (l) => logs.push(l), defer: () => undefined, figure: () => undefined, remainingMs: () => 30_000, extendDeadline: () => undefined, logs };
}

test('a peer\'s own folder and placeholders; a played peer reached through the network; bytes counted', async () => {
  const confinement = await confine({ dir, PATH: process.env.PATH ?? '' });
  const runner = new PeerRunner({ command: 'python3 peer.py', args: ['--id', '{id}', '--port', '{port}', '--peers', '{peers}', '--dir', '{dir}', '--given', '{given}'], cwd: dir, env: { PATH: process.env.PATH ?? '' }, startupTimeoutMs: 10_000, t0: performance.now(), confinement });
  const t = scope();
  const c = await Cluster.create(
    {
      topology: line(3),
      framing: 'bytes',
      addressPerPeer: true,
      played: ['n2'],
      prepare: (peer, folder) => {
        fs.writeFileSync(path.join(folder, 'given.txt'), `for ${peer}`);
        return { given: path.join(folder, 'given.txt') };
      },
    },
    runner.start,
    t,
  );
  // n2 is the test's: it listens where the cluster says, and both others reach it through their links.
  const got: Buffer[] = [];
  const from: string[] = [];
  let bothIn!: () => void;
  const both = new Promise<void>((r) => (bothIn = r));
  const server = net.createServer((s) => {
    const chunks: Buffer[] = [];
    from.push(s.remoteAddress ?? '');
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      got.push(Buffer.concat(chunks));
      if (got.length === 2) bothIn();
    });
  });
  server.listen(c.portOf('n2'), '127.0.0.1');
  await once(server, 'listening');
  try {
    await c.startPeers({ topology: line(3), played: ['n2'] });
    expect(runner.starts.map((s) => s.peer).sort()).toEqual(['n1', 'n3']);
    await both;
    for (const p of ['n1', 'n3']) {
      const out = c.readFromFolder(p, 'out.bin', 1024)!;
      // Its own file, written where it was told; no other peer's folder in sight.
      expect(out.toString('latin1')).toBe(`given=for ${p} others=\x00\xff`);
      expect(got.some((g) => g.equals(out))).toBe(true);
    }
    expect(c.traffic().bytes).toBe(got.reduce((a, g) => a + g.length, 0));
    expect(c.traffic().links.map((l) => l.link).sort()).toEqual(['n1->n2', 'n3->n2']);
    expect(c.isPlayed('n2')).toBe(true);
    // Every peer a host of its own: n2 is reached at 127.0.0.3, and n1's and n3's connections come from theirs.
    expect(c.address('n1', 'n2')).toMatch(/^127\.0\.0\.3:\d+$/);
    expect(from.sort()).toEqual(['127.0.0.2', '127.0.0.4']);
    expect(c.peerOnPort(c.portOf('n3'))).toBe('n3');
    // What a peer leaves in its folder is read only as a regular file: not through a link, not a
    // FIFO (the read would wait for good), not past the size asked for.
    const f1 = c.folderOf('n1')!;
    fs.symlinkSync('/etc/hostname', path.join(f1, 'link.bin'));
    execFileSync('mkfifo', [path.join(f1, 'fifo.bin')]);
    expect(c.readFromFolder('n1', 'link.bin', 1 << 20)).toBeUndefined();
    expect(c.readFromFolder('n1', 'fifo.bin', 1 << 20)).toBeUndefined();
    expect(c.readFromFolder('n1', 'out.bin', 8)).toBeUndefined();
    // A name is a name in the folder: "../n3/out.bin" is n1's own out.bin, never n3's.
    expect(c.readFromFolder('n1', '../n3/out.bin', 1024)?.toString('latin1')).toContain('given=for n1');
  } finally {
    server.close();
    const folders = path.dirname(c.folderOf('n1')!);
    await c.close();
    confinement.dispose();
    expect(fs.existsSync(folders)).toBe(false);
  }
});

test('an exit the spec allows is no fault (recorded with why, even before it was seen listening); any other exit is', async () => {
  // n1 writes done.txt and exits at once (often before the grader sees it listen); n2 exits a second after listening, having done nothing.
  fs.writeFileSync(
    path.join(dir, 'quitter.py'),
    `import os, socket, sys, time
a = dict(zip(sys.argv[1::2], sys.argv[2::2]))
s = socket.socket(); s.bind(("127.0.0.1", int(a["--port"]))); s.listen()
if a["--id"] == "n1":
    open(os.path.join(a["--dir"], "done.txt"), "w").write("done")
else:
    time.sleep(1)
`,
  );
  const confinement = await confine({ dir, PATH: process.env.PATH ?? '' });
  const runner = new PeerRunner({ command: 'python3 quitter.py', args: ['--id', '{id}', '--port', '{port}', '--dir', '{dir}'], cwd: dir, env: { PATH: process.env.PATH ?? '' }, startupTimeoutMs: 10_000, t0: performance.now(), confinement });
  runner.currentTest = 'quits';
  let c!: Cluster;
  const spec = { topology: line(2), prepare: () => ({}), exitAllowed: (p: string) => (c.readFromFolder(p, 'done.txt', 10)?.toString() === 'done' ? 'it had done its part' : undefined) };
  c = await Cluster.create(spec, runner.start, scope());
  try {
    await c.startPeers(spec);
    while (!c.endOf('n1') || !c.endOf('n2')) await new Promise((r) => setTimeout(r, 20));
    expect(c.endOf('n1')).toBe('exited with code 0');
    expect(c.deadPeers()).toEqual(['n2']);
    // The records (written once each exit is reaped): n1's exit allowed, with the reason; only n2's is blamed on the test.
    const rec = (p: string) => runner.starts.find((s) => s.peer === p)!;
    while (!rec('n1').exit || !rec('n2').exit) await new Promise((r) => setTimeout(r, 10));
    expect(rec('n1').exit).toMatchObject({ code: 0, stoppedByGrader: false, duringTest: 'quits', allowed: 'it had done its part' });
    expect(rec('n2').exit?.allowed).toBeUndefined();
    expect(runner.unexpectedExits('quits').map((e) => e.peer)).toEqual(['n2']);
    // Once the test has said how n2 ended, the grade adds nothing.
    c.reportedEnd('n2');
    expect(runner.unexpectedExits('quits')).toEqual([]);
  } finally {
    await c.close();
    confinement.dispose();
  }
});
