// The bittorrent-peer tests, written only against the public API: a swarm of the student's
// peers and peers the grader plays (seeders that may misbehave, leechers), all linked through
// the grader's network as byte streams, and the grader's own HTTP tracker, which gives each peer
// the addresses of its links. Verdicts come from the file each peer writes, what it announced,
// and every message the grader's peers received; bounds are derived from the sizes, the link
// rates and latencies a test sets, with slack for a loaded machine.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { atLeast, atMost, defineTests, TestFailure, type Cluster, type TestContext, type Topology } from '../../grader/authoring.js';
import { checkRequest, leech, makeTorrent, metainfoWith, ScriptedPeer, Tracker, type Announce, type SeederOptions, type Torrent, type TrackerOptions } from '../../grader/kits/bittorrent.js';

const KiB = 1024;
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const plural = (k: number, noun: string) => `${n(k)} ${noun}${k === 1 ? '' : 's'}`;

interface SwarmSpec {
  /** The student's peers (n1..): how many. */
  students: number;
  /** The grader's seeders, after them: how each behaves, and its upload cap (bytes/s per link). */
  seeders?: Array<SeederOptions & { rate?: number }>;
  /** Peers the grader plays that only download (they listen nowhere). */
  leechers?: number;
  size: number;
  pieceLength: number;
  latencyMs?: number;
  tracker?: TrackerOptions;
  /** Student peers that start with the whole file (they seed). */
  seeding?: string[];
}

interface Swarm {
  c: Cluster;
  torrent: Torrent;
  tracker: Tracker;
  students: string[];
  seeders: ScriptedPeer[];
  leechers: string[];
  startedAt: number;
  /** When each student's peer was first seen with the whole file, and first seen gone (ms since the start). */
  doneAt: Map<string, number>;
  goneAt: Map<string, number>;
}

/** Everyone linked to everyone, drawn on a circle. */
function complete(ids: string[]): Topology {
  const edges: Array<[string, string]> = [];
  for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) edges.push([ids[i], ids[j]]);
  const positions = Object.fromEntries(ids.map((id, i) => [id, { x: 0.5 + 0.4 * Math.cos((2 * Math.PI * i) / ids.length - Math.PI / 2), y: 0.5 + 0.4 * Math.sin((2 * Math.PI * i) / ids.length - Math.PI / 2) }]));
  return { name: `a swarm of ${ids.length}`, peers: ids, edges, positions };
}

/** The tracker, the torrent, the grader's peers listening, then the student's peers started. */
async function swarm(t: TestContext, s: SwarmSpec): Promise<Swarm> {
  const students = Array.from({ length: s.students }, (_, i) => `n${i + 1}`);
  const seederIds = (s.seeders ?? []).map((_, i) => `n${s.students + i + 1}`);
  const leechers = Array.from({ length: s.leechers ?? 0 }, (_, i) => `n${s.students + seederIds.length + i + 1}`);
  let cluster: Cluster | undefined;
  const tracker = await Tracker.start(t, () => cluster, s.tracker);
  const name = `${t.key('file').replace(/[^a-z0-9]/gi, '-')}.bin`;
  const torrent = makeTorrent({ name, data: t.randomBytes(s.size), pieceLength: s.pieceLength, announce: tracker.url });
  tracker.serve(torrent);
  const whoIs = (peerId: Buffer) => tracker.announces.find((a) => a.peerId?.equals(peerId))?.peer;
  const seeders: ScriptedPeer[] = [];
  const c = await t.cluster({
    topology: complete([...students, ...seederIds, ...leechers]),
    framing: 'bytes',
    // Real clients ban and limit by IP address (aria2 bans the address that sent a bad piece;
    // transmission takes one connection per address): every peer is a host of its own.
    addressPerPeer: true,
    latencyMs: s.latencyMs ?? 0,
    played: [...seederIds, ...leechers],
    prepare: (peer, folder) => {
      const file = path.join(folder, `${name}.torrent`);
      // Each peer's own tracker URL: the tracker knows who asks even when the announce is wrong.
      fs.writeFileSync(file, metainfoWith(torrent, tracker.urlFor(peer)));
      if (s.seeding?.includes(peer)) fs.writeFileSync(path.join(folder, name), torrent.data);
      return { torrent: file };
    },
    // A peer that ends once it has the whole file did what the download tests need of it; the
    // tests that need it afterwards (completed, serving, trading) say it is gone.
    exitAllowed: (peer) => (students.includes(peer) && hasWholeFile(cluster!, peer, torrent) ? 'it had written the whole file' : undefined),
    beforeStart: async (c) => {
      cluster = c;
      for (const [i, id] of seederIds.entries()) {
        const o = s.seeders![i];
        if (o.rate) for (const st of students) c.limitBandwidth(id, st, o.rate);
        seeders.push(await ScriptedPeer.listen(t, c, id, torrent, o, whoIs));
      }
    },
  });
  t.log(`${plural(students.length, 'peer')} of yours, ${plural(seederIds.length, 'seeder')} and ${plural(leechers.length, 'leecher')} of the grader's; a ${n(s.size)}-byte file in ${torrent.hashes.length} pieces of ${n(s.pieceLength)} bytes${s.latencyMs ? `; ${s.latencyMs} ms per link` : ''}`);
  const w: Swarm = { c, torrent, tracker, students, seeders, leechers, startedAt: performance.now(), doneAt: new Map(), goneAt: new Map() };
  // Drawn however the test ends (a failure is when it helps most).
  if (seeders.length) t.defer(() => t.figure(availabilityFigure(w)));
  return w;
}

/**
 * Piece availability over time among the student's peers: for each piece, when each peer of
 * theirs first told a grader's seeder it had it (a `have`, or its bitfield on a new
 * connection). A peer that never says what it has draws nothing: that is what other peers see.
 */
function availabilityFigure(w: Swarm) {
  const firstAt = new Map<string, number>();
  const saw = (peer: string, piece: number, at: number) => {
    const k = `${peer}:${piece}`;
    if (!firstAt.has(k) || firstAt.get(k)! > at) firstAt.set(k, at);
  };
  for (const seeder of w.seeders)
    for (const conn of seeder.connections) {
      if (!conn.from || !w.students.includes(conn.from)) continue;
      for (const { at, m } of conn.messages) {
        if (m.kind === 'have') saw(conn.from, m.index, at);
        else if (m.kind === 'bitfield') for (let i = 0; i < w.torrent.hashes.length; i++) if (m.bits[i >> 3] & (0x80 >> (i & 7))) saw(conn.from, i, at);
      }
    }
  const pieces = Math.min(w.torrent.hashes.length, 64);
  return {
    kind: 'spread' as const,
    title: `piece availability: how many of your ${plural(w.students.length, 'peer')} had each piece, over time (as they told the grader's seeders)`,
    peerCount: w.students.length,
    words: { item: 'piece', since: 'after your peers started', axis: 'your peers that have it', none: 'none of your peers told a seeder of a piece it had' },
    values: Array.from({ length: pieces }, (_, i) => ({
      value: i,
      origin: 'the seeders',
      broadcastAtMs: 0,
      learnedAtMs: w.students
        .map((p) => firstAt.get(`${p}:${i}`))
        .filter((x): x is number => x !== undefined)
        .map((at) => Math.max(0, Math.round(at - w.startedAt)))
        .sort((a, b) => a - b),
    })),
  };
}

/** The file `peer` wrote, or undefined (read as a regular file only: a link or a FIFO there is no file). */
function fileOf(w: Swarm, peer: string): Buffer | undefined {
  return fileIn(w.c, peer, w.torrent);
}

function fileIn(c: Cluster, peer: string, torrent: Torrent): Buffer | undefined {
  return c.readFromFolder(peer, torrent.name, torrent.data.length + 1024 * 1024);
}

function hasWholeFile(c: Cluster, peer: string, torrent: Torrent): boolean {
  const got = fileIn(c, peer, torrent);
  return !!got && got.length === torrent.data.length && got.equals(torrent.data);
}

/** A line for a failure: "n1 is gone: it exited with code 0 once it had the file …", or "" while it runs. */
function goneNote(w: Swarm, peer: string): string {
  const end = w.c.endOf(peer);
  if (!end) return '';
  w.c.reportedEnd(peer);
  return `\n${peer} is gone: it ${end} once it had the file; the handout says to keep running, seeding, until SIGTERM.`;
}

const HINT_KEEP_RUNNING = 'Do not exit when the download is complete: keep running, accepting connections and uploading, until you get SIGTERM.';

/** Pieces of `got` that match the torrent, for a failure message. */
function piecesRight(w: Swarm, got: Buffer): number {
  let ok = 0;
  for (let i = 0; i < w.torrent.hashes.length; i++)
    if (createHash('sha1').update(got.subarray(i * w.torrent.pieceLength, (i + 1) * w.torrent.pieceLength)).digest().equals(w.torrent.hashes[i])) ok++;
  return ok;
}

/**
 * Wait until every peer in `peers` has written the whole file, right, or `boundMs` passed since
 * the swarm started; fail naming who has how much. Returns when the last one finished.
 */
async function expectFiles(t: TestContext, w: Swarm, peers: string[], boundMs: number, why: string, hint?: string): Promise<number> {
  const want = sha1(w.torrent.data);
  const doneAt = new Map<string, number>();
  const until = w.startedAt + boundMs;
  // Bytes that reached the peers still lacking the file, and when that last grew: a download
  // into which nothing has come for STALL_MS has stalled (the handout says so), and waiting on
  // to the bound would only tell "never" from "never".
  const inbound = () => w.c.traffic().links.filter((l) => peers.includes(l.link.split('->')[1]) && !doneAt.has(l.link.split('->')[1])).reduce((a, l) => a + l.bytes, 0);
  let lastInbound = -1;
  let grewAt = performance.now();
  let stalled = false;
  for (;;) {
    for (const p of peers) {
      if (doneAt.has(p)) continue;
      const got = fileOf(w, p);
      if (got && got.length === w.torrent.data.length && sha1(got) === want) doneAt.set(p, performance.now());
    }
    for (const [p, at] of doneAt) if (!w.doneAt.has(p)) w.doneAt.set(p, at - w.startedAt);
    for (const p of peers) if (!w.goneAt.has(p) && w.c.endOf(p)) w.goneAt.set(p, performance.now() - w.startedAt);
    // A peer that exits once it has the whole file got the file: that is the serving tests' to charge.
    if (w.c.deadPeers().some((p) => !doneAt.has(p))) w.c.expectAlive('while downloading');
    if (doneAt.size === peers.length || performance.now() > until || t.signal.aborted) break;
    const now = inbound();
    if (now !== lastInbound) {
      lastInbound = now;
      grewAt = performance.now();
    } else if (performance.now() - grewAt > STALL_MS) {
      stalled = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const lacking = peers.filter((p) => !doneAt.has(p));
  if (lacking.length) {
    const lines = lacking.map((p) => {
      const got = fileOf(w, p);
      if (!got) return `  ${p} wrote no file ${w.torrent.name} in its --dir`;
      if (got.length !== w.torrent.data.length) return `  ${p}'s ${w.torrent.name} holds ${n(got.length)} bytes, not ${n(w.torrent.data.length)}; ${piecesRight(w, got)} of ${w.torrent.hashes.length} pieces right`;
      return `  ${p}'s ${w.torrent.name} has ${piecesRight(w, got)} of ${w.torrent.hashes.length} pieces right`;
    });
    // Connections the grader's seeders closed because what came made no sense (a bad handshake).
    const refused = [...new Set(w.seeders.flatMap((sd) => sd.connections.filter((c) => c.invalid).map((c) => `  ${sd.id} closed a connection from ${c.from ?? 'your peer'}: ${c.invalid}`)))].slice(0, 2);
    if (refused.length) lines.push(...refused);
    // Connections on which a handshake began and never ended: the seeder is still waiting for the rest.
    const unfinished = [...new Set(w.seeders.flatMap((sd) => sd.connections.filter((c) => !c.handshake && !c.invalid && c.received > 0 && c.received < HANDSHAKE_BYTES).map((c) => `  ${sd.id} got ${plural(c.received, 'byte')} on a connection from your peer and never a whole handshake (${HANDSHAKE_BYTES} bytes: 19, "BitTorrent protocol", 8 reserved bytes, info_hash, peer_id)`)))].slice(0, 2);
    if (unfinished.length) lines.push(...unfinished);
    // Seeders that kept a peer choked because it never said it was interested (they unchoke only those that do).
    const uninterested = w.seeders.filter((sd) => !sd.options.neverUnchoke).flatMap((sd) => sd.connections.filter((c) => c.handshake && !c.messages.some((m) => m.m.kind === 'interested') && c.messages.some((m) => m.m.kind === 'request')).map((c) => `  ${sd.id} kept ${c.from ?? 'your peer'} choked: it sent ${plural(c.messages.filter((m) => m.m.kind === 'request').length, 'request')} but never "interested"`));
    if (uninterested.length) lines.push(...new Set(uninterested.slice(0, 2)));
    // Seeders the tracker gave a lacking peer that it never dialed (the grader's seeders only accept).
    const undialed = lacking.flatMap((p) => w.seeders.filter((sd) => w.c.topology.edges.some((e) => e.includes(p) && e.includes(sd.id))).filter((sd) => w.c.connectionsOpened(p, sd.id) === 0).map((sd) => `${p} never connected to ${sd.id}, a seeder the tracker gave it`));
    if (undialed.length) lines.push(`  ${undialed.slice(0, 3).join('; ')}${undialed.length > 3 ? `; and ${undialed.length - 3} more like it` : ''}`);
    const secs = ((performance.now() - w.startedAt) / 1000).toFixed(1);
    const who = lacking.length === 1 ? `${lacking[0]} has` : `${lacking.length} peers have`;
    const stall = stalled ? `: nothing reached ${lacking.length === 1 ? 'it' : 'them'} over the network for the last ${STALL_MS / 1000} s` : '';
    t.fail(`${who} not got the whole file right after ${secs} s${stall}.\n(The bound: ${(boundMs / 1000).toFixed(1)} s, ${why}.)\n${lines.join('\n')}\n${w.c.describeTraffic()}`, {
      hint:
        refused.length || unfinished.length
          ? 'Send the handshake exactly as BEP 3 says: 68 bytes (the byte 19, "BitTorrent protocol", 8 zero bytes, the 20-byte info_hash, your 20-byte peer_id), and read the other side\'s 68 bytes whole.'
          : uninterested.length
            ? 'Send "interested" (id 2) to a peer that has pieces you lack, and wait for its "unchoke" before requesting: a peer unchokes only those that say they are interested, and ignores requests while it chokes you.'
          : undialed.length
            ? 'Connect to every peer the tracker gives you (and to those it gives you later): a peer you never dial cannot give you anything.'
            : (hint ?? 'Download every piece, check its SHA-1 against the torrent before writing it, and write it at offset index × piece length in --dir/<name>.'),
    });
  }
  const last = Math.max(...doneAt.values()) - w.startedAt;
  t.log(`${peers.join(', ')} had the whole file ${Math.round(last)} ms after the start (bound ${Math.round(boundMs)} ms)`);
  return last;
}

/** 1 + 19 + 8 + 20 + 20. */
const HANDSHAKE_BYTES = 68;

/** A download into which nothing has come for this long has stalled: the test stops waiting. */
const STALL_MS = 6000;

/** How long `bytes` take over a link of `rate` bytes/s, with room for a slow start and a loaded machine. */
const boundFor = (bytes: number, rate: number, slackMs = 6000) => (bytes / rate) * 1000 * 1.5 + slackMs;

function describeAnnounce(a: Announce): string {
  return `GET /announce?${a.query.length > 300 ? a.query.slice(0, 300) + '…' : a.query}`;
}

export default defineTests({
  // ---- the tracker --------------------------------------------------------------------------

  async announce(t) {
    const w = await swarm(t, { students: 1, seeders: [{}], size: 200 * KiB + 17, pieceLength: 32 * KiB });
    const first = await w.tracker.waitFor(() => true, 10_000);
    if (!first) return t.fail('n1 sent no announce to the tracker (the announce URL in the torrent) within 10 s of starting.', { timeout: true, hint: 'Read "announce" from the torrent and send GET <announce>?info_hash=…&peer_id=…&port=…&uploaded=0&downloaded=0&left=<length>&compact=1&event=started as soon as you start.' });
    const problems: string[] = [];
    if (!first.infoHash) problems.push('it has no info_hash');
    else if (!first.infoHash.equals(w.torrent.infoHash)) problems.push(`its info_hash is ${first.infoHash.toString('hex')} (${first.infoHash.length} bytes), not the SHA-1 of the torrent's bencoded info dictionary, ${w.torrent.infoHash.toString('hex')}`);
    if (first.peerId?.length !== 20) problems.push(first.peerId ? `its peer_id is ${first.peerId.length} bytes long, not 20` : 'it has no peer_id');
    if (first.port !== w.c.portOf('n1')) problems.push(first.port === undefined ? 'it has no port' : `its port is ${first.port}, not the --port the peer listens on (${w.c.portOf('n1')})`);
    if (first.uploaded !== 0) problems.push(`uploaded is ${first.uploaded ?? 'missing'}, not 0`);
    if (first.downloaded !== 0) problems.push(`downloaded is ${first.downloaded ?? 'missing'}, not 0`);
    if (first.left !== w.torrent.data.length) problems.push(`left is ${first.left ?? 'missing'}, not the file's length ${w.torrent.data.length}`);
    if (first.compact !== '1') problems.push(`compact is ${first.compact ?? 'missing'}, not 1`);
    if (first.event !== 'started') problems.push(`event is ${first.event ? `"${first.event}"` : 'missing'}, not "started"`);
    if (problems.length)
      t.fail(`n1's first announce was\n  ${describeAnnounce(first)}\nbut ${problems.join('; ')}.`, {
        hint: problems.some((p) => p.includes('info_hash'))
          ? 'info_hash is the SHA-1 of the bencoded "info" dictionary exactly as its bytes appear in the .torrent file (take the byte range, do not re-encode), sent as 20 raw bytes, percent-encoded.'
          : 'Every announce carries info_hash and peer_id (20 raw bytes each, percent-encoded), port (your --port), uploaded, downloaded, left (bytes), compact=1, and event=started on the first one.',
      });
  },

  async reannounce(t) {
    const w = await swarm(t, { students: 1, size: 100 * KiB, pieceLength: 32 * KiB, tracker: { interval: 1 } });
    const first = await w.tracker.waitFor(() => true, 10_000);
    if (!first) return t.fail('n1 sent no announce to the tracker within 10 s of starting.', { timeout: true });
    const from = w.tracker.announces.indexOf(first) + 1;
    const third = await w.tracker.waitFor((a) => w.tracker.announces.indexOf(a) >= from + 1, 6000, from);
    const later = w.tracker.announces.slice(from);
    t.log(`announces after the first: ${later.map((a) => `+${Math.round(a.at - first.at)} ms${a.event ? ` (${a.event})` : ''}`).join(', ') || 'none'}`);
    if (!third)
      return t.fail(`the tracker answered n1's announce with interval 1 (seconds), but n1 announced ${later.length === 0 ? 'only once' : `only ${later.length + 1} times`} in the 6 s that followed.`, {
        hint: 'Announce again every "interval" seconds the tracker gives (without an event): that is how a peer finds the peers that joined after it.',
      });
    const gaps = later.map((a, i) => a.at - (i === 0 ? first.at : later[i - 1].at));
    const fastest = Math.min(...gaps);
    if (fastest < 400)
      t.fail(`n1 announced ${later.length + 1} times, two of them only ${Math.round(fastest)} ms apart; the tracker asked for one every 1 s.`, {
        hint: 'Announce once per "interval", not in a loop: a tracker serves thousands of peers.',
        timing: { onlyTiming: false, measurements: [atLeast('time between two announces', Math.round(fastest), 400, { why: 'the tracker\'s interval (1 s), less slack' })] },
      });
  },

  async 'tracker-failure'(t) {
    const w = await swarm(t, { students: 1, seeders: [{}], size: 200 * KiB, pieceLength: 32 * KiB, tracker: { failFirst: 1 } });
    const second = await w.tracker.waitFor((a) => w.tracker.announces.indexOf(a) >= 1, 12_000);
    if (!second)
      return t.fail(`the tracker answered n1's first announce with "failure reason" (and interval 1), and n1 never announced again in the 12 s that followed.`, {
        timeout: true,
        hint: 'A "failure reason" means this announce failed, not the download: print it, wait (the interval, or a few seconds) and announce again.',
      });
    await expectFiles(t, w, ['n1'], 20_000, 'after a failed first announce', 'After a failed announce, announce again and download as usual.');
  },

  async completed(t) {
    const w = await swarm(t, { students: 1, seeders: [{}], size: 300 * KiB + 5, pieceLength: 64 * KiB });
    await expectFiles(t, w, ['n1'], boundFor(300 * KiB, 4 * 1024 * KiB), 'a small file over loopback', 'Download every piece from the seeder the tracker gives you.');
    const done = await w.tracker.waitFor((a) => a.event === 'completed', 5000);
    if (!done) {
      const gone = goneNote(w, 'n1');
      return t.fail(`n1 had the whole file, but sent no announce with event=completed within 5 s.\nIts announces: ${w.tracker.announces.map((a) => a.event || '(regular)').join(', ')}.${gone}`, {
        hint: gone ? `Announce event=completed before anything else once the file is whole. ${HINT_KEEP_RUNNING}` : 'Once every piece is verified and written, announce once with event=completed and left=0.',
      });
    }
    if (done.left !== 0) t.fail(`n1's completed announce says left=${done.left ?? '(missing)'}; it had every piece, so left is 0.\n  ${describeAnnounce(done)}`, { hint: 'left counts the bytes still to download: 0 once the file is complete.' });
  },

  // ---- downloading from the grader's seeders ------------------------------------------------

  async 'one-seeder'(t) {
    const w = await swarm(t, { students: 1, seeders: [{}], size: 700 * KiB + 123, pieceLength: 64 * KiB });
    await expectFiles(t, w, ['n1'], boundFor(700 * KiB, 4 * 1024 * KiB), 'a 700 KiB file over loopback from one seeder');
  },

  async 'wire-manners'(t) {
    // The seeder chokes n1 again after 6 blocks, for 600 ms: requests sent after the choke arrived are a bug.
    const w = await swarm(t, { students: 1, seeders: [{ chokeAfterBlocks: 6, chokeForMs: 600 }], size: 400 * KiB, pieceLength: 64 * KiB });
    let stalled: TestFailure | undefined;
    try {
      await expectFiles(t, w, ['n1'], boundFor(400 * KiB, 2 * 1024 * KiB), 'a 400 KiB file over loopback, with one 600 ms choke');
    } catch (e) {
      if (!(e instanceof TestFailure)) throw e;
      stalled = e;
    }
    const grace = 150;
    for (const conn of w.seeders[0].connections) {
      let interested = false;
      for (const { m, whileChoked, sinceChokeMs, at } of conn.messages) {
        if (m.kind === 'interested') interested = true;
        if (m.kind === 'not interested') interested = false;
        if (m.kind !== 'request') continue;
        const when = `${Math.round(at - conn.openedAt)} ms into the connection`;
        const wrong = checkRequest(w.torrent, m);
        if (wrong) t.fail(`n1 sent the seeder a request for piece ${m.index} from byte ${m.begin}, ${m.length} bytes (${when}): ${wrong}.`, { hint: 'Request blocks of 16 KiB (16384 bytes) at offsets 0, 16384, … inside each piece; the last block of the last piece is shorter.' });
        if (!interested) t.fail(`n1 sent the seeder a request (piece ${m.index}, ${when}) without having said it was interested on this connection.`, { hint: 'Send "interested" (id 2) once the peer has a piece you lack, and wait for "unchoke" before sending any request.' });
        if (whileChoked && sinceChokeMs > grace)
          t.fail(`the seeder choked n1 and ${Math.round(sinceChokeMs)} ms later n1 still sent it a request (piece ${m.index} from byte ${m.begin}, ${when}).`, {
            hint: 'After "choke" send no requests to that peer until it sends "unchoke"; the requests it had not answered are dropped: ask for those blocks again after the unchoke (or from another peer).',
          });
      }
    }
    if (stalled) {
      // The download stopped: was it at the choke? A choking peer drops the requests it had not
      // answered; a peer that still waits for them after the unchoke waits for good.
      for (const conn of w.seeders[0].connections) {
        const choke = conn.chokes.find((c) => c.on);
        const unchoke = choke && conn.chokes.find((c) => !c.on && c.at > choke.at);
        if (!choke || !unchoke) continue;
        const requests = conn.messages.filter((m) => m.m.kind === 'request');
        const during = requests.filter((m) => m.at > choke.at && m.at < unchoke.at).length;
        const after = requests.filter((m) => m.at >= unchoke.at).length;
        if (after === 0)
          t.fail(`the seeder choked n1 after 6 blocks and unchoked it ${Math.round(unchoke.at - choke.at)} ms later; n1 never sent a request again after the unchoke${during ? ` (it had sent ${plural(during, 'request')} while choked)` : ''}, and the download stopped there.\n${stalled.message}`, {
            hint: 'After "choke", the requests the peer had not answered are dropped: forget them, and after "unchoke" request those blocks again.',
          });
      }
      throw stalled;
    }
  },

  async pipelining(t) {
    const latencyMs = 50;
    const size = 512 * KiB;
    // The seeder holds its answers for 300 ms after the unchoke and after every 8 blocks: what
    // piles up meanwhile is all n1 keeps in flight (counted exactly, however loaded the machine).
    const pause = { everyBlocks: 8, forMs: 300 };
    const w = await swarm(t, { students: 1, seeders: [{ pauseAnswers: pause }], size, pieceLength: 64 * KiB, latencyMs });
    const blocks = size / (16 * KiB);
    const rtt = 2 * latencyMs;
    const pausesMs = Math.ceil(blocks / pause.everyBlocks) * pause.forMs;
    // Stop-and-wait needs a round trip per block; five requests in flight cut that fivefold.
    const bound = (blocks / 5) * rtt * 1.5 + pausesMs + 4000;
    const took = await expectFiles(t, w, ['n1'], blocks * rtt * 3 + pausesMs + 8000, `${blocks} blocks over a link with a ${rtt} ms round trip, and the seeder's pauses`);
    const most = Math.max(0, ...w.seeders[0].connections.map((c) => c.mostUnanswered));
    t.log(`at most ${most} requests were in flight at once (unanswered at the seeder during its pauses); the download took ${Math.round(took)} ms`);
    if (most < 5)
      t.fail(`n1 kept at most ${plural(most, 'request')} in flight (at least 5 are asked for).\nWhile the seeder held its answers (${pause.forMs} ms at a time), no more than that arrived unanswered; a peer that waits for each block before asking for the next pays a round trip per block (${blocks} blocks × ${rtt} ms = ${n(blocks * rtt)} ms).`, {
        hint: 'Keep several requests in flight to each peer (5 to 10, or more): send the next request before the previous block has arrived.',
        timing: { onlyTiming: false, measurements: [atLeast('requests in flight at once', most, 5, { unit: 'requests', why: 'what hides a round trip per block' })] },
      });
    if (took > bound)
      t.failTiming({
        message: `n1 got the file right, but took ${n(took)} ms over a ${rtt} ms round trip; ${blocks} blocks with 5 requests in flight take about ${n((blocks / 5) * rtt)} ms.`,
        measurements: [atMost('download time', Math.round(took), Math.round(bound), { why: `${blocks} blocks / 5 in flight × ${rtt} ms × 1.5, the pauses, + 4 s` })],
        answersRight: true,
      });
  },

  async 'many-seeders'(t) {
    const rate = 128 * KiB;
    const size = 1024 * KiB;
    const w = await swarm(t, { students: 1, seeders: [{ rate }, { rate }, { rate }, { rate }], size, pieceLength: 64 * KiB });
    const one = (size / rate) * 1000;
    const took = await expectFiles(t, w, ['n1'], one * 2 + 8000, 'twice what one seeder alone would take');
    const shares = w.seeders.map((s) => s.uploaded);
    t.log(`bytes uploaded by each seeder: ${shares.map(n).join(', ')}`);
    const idle = w.seeders.filter((s) => s.uploaded < w.torrent.pieceLength);
    if (idle.length)
      t.fail(`n1 downloaded ${n(size)} bytes from four seeders capped at ${rate / KiB} KiB/s each, but ${idle.map((s) => s.id).join(', ')} uploaded ${idle.length === 1 ? 'less than a piece' : 'less than a piece each'} (bytes per seeder: ${shares.map(n).join(', ')}).`, {
        hint: 'Connect to every peer the tracker gives you and request different pieces from each of them at once: that is what makes a swarm faster than one server.',
      });
    const bound = one * 0.6 + 3000;
    if (took > bound)
      t.failTiming({
        message: `n1 downloaded from all four seeders, but took ${n(took)} ms; one seeder alone takes ${n(one)} ms, four at once about a quarter of that.`,
        measurements: [atMost('download time', Math.round(took), Math.round(bound), { why: `60% of one seeder's ${n(one)} ms + 3 s` })],
        answersRight: true,
      });
  },

  // ---- faults -------------------------------------------------------------------------------

  async 'bad-piece'(t) {
    // n2 sends every piece corrupted; n3, with every piece right, unchokes only after 1.5 s: the
    // first pieces n1 gets are all bad, and a peer that checks nothing keeps them.
    const w = await swarm(t, { students: 1, seeders: [{ corrupt: new Set(Array.from({ length: 8 }, (_, i) => i)) }, { unchokeAfterMs: 1500 }], size: 8 * 64 * KiB, pieceLength: 64 * KiB });
    await expectFiles(t, w, ['n1'], 20_000, 'a seeder that corrupts every piece, and a good one that unchokes after 1.5 s', 'Check each piece\'s SHA-1 against the torrent\'s "pieces" before writing it or announcing it; a piece that fails is thrown away and requested again, from another peer.');
  },

  async 'dead-seeder'(t) {
    const rate = 128 * KiB;
    const size = 512 * KiB;
    const w = await swarm(t, { students: 1, seeders: [{ rate }, { rate }], size, pieceLength: 64 * KiB });
    // n2 crashes once it has sent a third of the file: its connections reset, nothing listens.
    while (w.seeders[0].uploaded < size / 3 && performance.now() - w.startedAt < 15_000) await new Promise((r) => setTimeout(r, 20));
    w.seeders[0].close();
    t.log(`n2 crashed after uploading ${n(w.seeders[0].uploaded)} bytes`);
    await expectFiles(t, w, ['n1'], boundFor(size, rate) + 6000, 'two seeders, one of which crashes a third of the way', 'When a peer disconnects, the blocks you had requested from it are lost: request them again from another peer.');
  },

  async 'never-unchokes'(t) {
    const w = await swarm(t, { students: 1, seeders: [{ neverUnchoke: true }, {}], size: 300 * KiB, pieceLength: 32 * KiB });
    await expectFiles(t, w, ['n1'], 15_000, 'two seeders, one of which never unchokes', 'A peer that keeps you choked gives you nothing: download from the peers that unchoke you, and never wait on one peer alone.');
  },

  async 'wrong-info-hash'(t) {
    const w = await swarm(t, { students: 1, seeders: [{ wrongInfoHash: true }, {}], size: 200 * KiB, pieceLength: 32 * KiB });
    await expectFiles(t, w, ['n1'], 15_000, 'two seeders, one of which answers with another torrent\'s info_hash');
    const bad = w.seeders[0].connections.filter((c) => c.handshake);
    // A connection still open may be closed in a moment: judge each 3 s after it opened, at the latest.
    const judgeAt = Math.max(0, ...bad.filter((c) => c.closedAt === undefined).map((c) => c.openedAt + 3100));
    while (performance.now() < judgeAt && bad.some((c) => c.closedAt === undefined)) await new Promise((r) => setTimeout(r, 50));
    const kept = bad.filter((c) => c.closedBy !== 'them' || (c.closedAt ?? Infinity) - c.openedAt > 3000);
    const requested = bad.some((c) => c.messages.some((m) => m.m.kind === 'request' || m.m.kind === 'interested'));
    if (requested || kept.length)
      t.fail(`n2 answered n1's handshake with another torrent's info_hash; n1 ${requested ? 'went on to talk to it (interested, requests)' : 'kept the connection open for more than 3 s'}.`, {
        hint: 'Compare the info_hash in the peer\'s handshake with your torrent\'s: if they differ, close the connection at once.',
      });
  },

  // ---- serving ------------------------------------------------------------------------------

  async 'serves-after-complete'(t) {
    const w = await swarm(t, { students: 1, seeders: [{}], leechers: 1, size: 400 * KiB + 77, pieceLength: 64 * KiB });
    await expectFiles(t, w, ['n1'], boundFor(400 * KiB, 4 * 1024 * KiB), 'a small file over loopback');
    w.seeders[0].close();
    const r = await leech(t, w.c, w.leechers[0], 'n1', w.torrent, { want: w.torrent.hashes.map((_, i) => i), timeoutMs: 10_000 });
    t.log(`the grader's leecher got ${r.verified} of ${w.torrent.hashes.length} pieces from n1`);
    if (!r.ok) {
      const gone = goneNote(w, 'n1');
      t.fail(`n1 had the whole file, but the grader's leecher ${w.leechers[0]} could not download it from n1: ${r.problem ?? `${plural(r.bad.length, 'piece')} failed their SHA-1 (${r.bad.join(', ')})`}.\nIt connected to n1, said interested and asked for every piece; it verified ${r.verified} of ${w.torrent.hashes.length}.${gone}`, {
        hint: gone ? HINT_KEEP_RUNNING : 'Keep running after the download: accept connections on --port, answer the handshake and send your bitfield, unchoke peers that are interested, and answer each request with a piece message.',
      });
    }
  },

  async 'serves-while-downloading'(t) {
    const rate = 48 * KiB;
    const size = 512 * KiB;
    const w = await swarm(t, { students: 1, seeders: [{ rate }], leechers: 1, size, pieceLength: 32 * KiB });
    // The grader's leecher stays connected to n1 for the whole download (about 11 s at this
    // rate), taking every piece n1 says it has; what counts is what it got before n1 finished.
    // Not shorter: real clients unchoke on a 10 s cycle (ctorrent got no piece out in a 5 s download).
    const leeching = leech(t, w.c, w.leechers[0], 'n1', w.torrent, { timeoutMs: (size / rate) * 1000 + 2000 });
    const doneMs = await expectFiles(t, w, ['n1'], boundFor(size, rate), `one seeder capped at ${rate / KiB} KiB/s`);
    const got = await leeching;
    const before = got.verifiedAt.filter((at) => at - w.startedAt < doneMs).length;
    t.log(`n1 advertised ${got.advertised} pieces to the grader's leecher, which verified ${got.verified}, ${before} of them before n1 had the whole file (${Math.round(doneMs)} ms)`);
    if (got.bad.length) t.fail(`n1 sent the grader's leecher ${plural(got.bad.length, 'piece')} that fail their SHA-1 (${got.bad.join(', ')}).`, { hint: 'Serve only pieces you have verified.' });
    if (before < 2)
      t.fail(`the grader's leecher was connected to n1 during its whole ${(doneMs / 1000).toFixed(1)} s download, but got ${before === 0 ? 'no piece' : 'only one piece'} from it before n1 had the whole file (n1 advertised ${plural(got.advertised, 'piece')} in all).`, {
        hint: 'Upload while you download: send "have" to every connected peer after each verified piece, and answer requests for the pieces you have.',
      });
  },

  async 'many-leechers'(t) {
    const w = await swarm(t, { students: 1, seeders: [{}], leechers: 3, size: 300 * KiB, pieceLength: 32 * KiB });
    await expectFiles(t, w, ['n1'], boundFor(300 * KiB, 4 * 1024 * KiB), 'a small file over loopback');
    w.seeders[0].close();
    const all = w.torrent.hashes.map((_, i) => i);
    const rs = await Promise.all(w.leechers.map((l) => leech(t, w.c, l, 'n1', w.torrent, { want: all, timeoutMs: 10_000 })));
    const failed = rs.map((r, i) => ({ r, l: w.leechers[i] })).filter((x) => !x.r.ok);
    const gone = failed.length ? goneNote(w, 'n1') : '';
    if (failed.length)
      t.fail(`three of the grader's leechers downloaded from n1 at once, after it had the whole file; ${failed.length === 3 ? 'none' : `only ${3 - failed.length}`} got it all:\n${failed.map((f) => `  ${f.l} got ${f.r.verified} of ${all.length} pieces: ${f.r.problem ?? 'bad pieces'}`).join('\n')}${gone}`, {
        hint: gone
          ? HINT_KEEP_RUNNING
          : failed.length === 3 && rs.every((r) => r.verified === 0)
            ? 'Keep running after the download: accept connections on --port, answer the handshake, unchoke peers that are interested, and answer their requests.'
            : 'Serve every connection at once (an event loop, or a thread per peer): one peer must not wait for another to finish.',
      });
  },

  // ---- a swarm of your peers ----------------------------------------------------------------

  async 'swarm-trades'(t) {
    const rate = 64 * KiB;
    const size = 512 * KiB;
    const w = await swarm(t, { students: 4, seeders: [{ rate }], size, pieceLength: 32 * KiB });
    // Alone, the seeder's four links carry 64 KiB/s each: four copies take 8 s; trading cuts that.
    await expectFiles(t, w, w.students, (size / rate) * 1000 * 1.5 + 10_000, 'four of your peers and one seeder capped at 64 KiB/s per link');
    const tr = w.c.traffic();
    const seeded = w.seeders[0].uploaded;
    const between = tr.links.filter((l) => l.link.split('->').every((p) => w.students.includes(p))).reduce((a, l) => a + l.bytes, 0);
    t.log(`the seeder uploaded ${n(seeded)} bytes; your peers sent each other ${n(between)} bytes`);
    // A peer that leaves once it has the file takes its pieces away from the swarm: from those
    // still downloading, and from any that joins later. Any exit counts, not only one seen before
    // the last peer finished: the two are a poll apart when the peers finish together, and a
    // verdict must not depend on that.
    const left = w.students.filter((p) => w.c.endOf(p));
    if (left.length) {
      for (const p of left) w.c.reportedEnd(p);
      const lacking = (p: string) => w.students.filter((q) => (w.doneAt.get(q) ?? Infinity) > (w.goneAt.get(p) ?? Infinity));
      const why = (p: string) => {
        const still = lacking(p);
        const after = w.goneAt.has(p) && w.doneAt.has(p) ? ` ${n(w.goneAt.get(p)! - w.doneAt.get(p)!)} ms after it had the file` : ' once it had the file';
        return `${p} ${w.c.endOf(p)}${after}${still.length ? `, while ${still.join(', ')} still lacked it` : ''}`;
      };
      return t.fail(`${left.map(why).join(';\n')}: a peer that leaves the swarm can upload nothing more to the others.`, {
        hint: `${HINT_KEEP_RUNNING} The other peers of the swarm, and any that join later, still need your pieces.`,
      });
    }
    // Trading peers send each other one copy or more (measured: 1.1-1.4 copies from the
    // reference peers); peers that do not trade send each other next to nothing.
    if (between < size / 2)
      t.fail(`four of your peers downloaded a ${n(size)}-byte file from one slow seeder, which uploaded ${n(seeded)} bytes;\nyour peers sent each other only ${n(between)} bytes (less than half a copy of the file).`, {
        hint: 'Peers that download also upload: connect to the other peers the tracker gives you, tell them what you have (bitfield, have), and serve their requests. The seeder alone is the bottleneck.',
      });
  },
});
