// The grader's tracker over real HTTP: binary info_hash and peer_id percent-decoded in either
// case, every field of an announce recorded, a failure reason on request, an unknown torrent
// refused, compact peer lists, and anything but /announce answered 404.
import http from 'node:http';
import bencode from 'bencode';
import { afterEach, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { makeTorrent, metainfoWith, Tracker } from '../../grader/harness/bittorrent.js';
import { Transcript } from '../../grader/net/transcript.js';
import type { TestContext } from '../../grader/harness/context.js';

const deferred: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of deferred.splice(0)) await f();
});
const ctx = { transcript: new Transcript(), signal: new AbortController().signal, defer: (f: () => unknown) => deferred.push(f) } as unknown as TestContext;

function get(url: string, rawPath: string): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get({ host: u.hostname, port: u.port, path: rawPath }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length ? (bencode.decode(Buffer.concat(chunks)) as Record<string, unknown>) : undefined }));
      })
      .on('error', reject);
  });
}

const pct = (b: Buffer, lower = false) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).map((s) => (lower ? s : s.toUpperCase())).join('');

test('announces are decoded byte for byte and recorded; failures and unknown torrents get a failure reason', async () => {
  const tracker = await Tracker.start(ctx, () => undefined, { failFirst: 1, interval: 7 });
  const t = makeTorrent({ name: 'f', data: Buffer.alloc(1000, 1), pieceLength: 512, announce: tracker.url });
  tracker.serve(t);
  const q = (hash: Buffer, lower: boolean, event = 'started') => `/announce?info_hash=${pct(hash, lower)}&peer_id=-XX0001-ab%2Bc+defghi&port=6881&uploaded=0&downloaded=0&left=1000&compact=1&event=${event}`;
  const first = await get(tracker.url, q(t.infoHash, false));
  expect(Buffer.from(first.body!['failure reason'] as Uint8Array).toString()).toMatch(/busy/);
  const second = await get(tracker.url, q(t.infoHash, true, ''));
  expect(second.body!.interval).toBe(7);
  expect(Buffer.from(second.body!.peers as Uint8Array).length).toBe(0);
  const wrong = await get(tracker.url, q(Buffer.alloc(20, 9), false));
  expect(Buffer.from(wrong.body!['failure reason'] as Uint8Array).toString()).toMatch(/unknown info_hash/);
  expect((await get(tracker.url, '/scrape?info_hash=x')).status).toBe(404);
  const [a, b] = tracker.announces;
  expect(a.infoHash).toEqual(t.infoHash);
  expect(b.infoHash).toEqual(t.infoHash);
  // %2B is a plus sign; a bare + is a space (form encoding).
  expect(a.peerId?.toString('latin1')).toBe('-XX0001-ab+c defghi');
  expect(a).toMatchObject({ port: 6881, uploaded: 0, downloaded: 0, left: 1000, compact: '1', event: 'started' });
  expect(b.event).toBe('');
  expect(tracker.announces).toHaveLength(3);
  expect(await tracker.waitFor((x) => x.event === 'completed', 50)).toBeUndefined();
});

test("a peer's own announce URL: the same info_hash, another path, and the path says who asks", async () => {
  const cluster = { peers: ['n1', 'n2'], peerOnPort: () => undefined, topology: { name: 'x', peers: ['n1', 'n2'], edges: [] } };
  const tracker = await Tracker.start(ctx, () => cluster as never);
  const t = makeTorrent({ name: 'f', data: Buffer.alloc(3000, 7), pieceLength: 1024, announce: tracker.url });
  tracker.serve(t);
  const mine = metainfoWith(t, tracker.urlFor('n2'));
  const d = bencode.decode(mine) as { announce: Uint8Array; info: Record<string, unknown> };
  expect(Buffer.from(d.announce).toString()).toBe(tracker.urlFor('n2'));
  expect(tracker.urlFor('n2')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/n2\/announce$/);
  expect(createHash('sha1').update(bencode.encode(d.info)).digest()).toEqual(t.infoHash);
  // The port in the announce is nobody's: the URL still names the asker.
  const path = new URL(tracker.urlFor('n2')).pathname;
  const r = await get(tracker.url, `${path}?info_hash=${pct(t.infoHash)}&peer_id=-XX0001-abcdefghijkl&port=1&uploaded=0&downloaded=0&left=3000&compact=1&event=started`);
  expect(r.status).toBe(200);
  expect(tracker.announces[0].peer).toBe('n2');
  expect((await get(tracker.url, '/n3x/scrape')).status).toBe(404);
});
