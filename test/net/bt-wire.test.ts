// The grader's BitTorrent codec: every message round-trips through the reader however the
// stream is cut, a bad handshake or an absurd length is refused with the reason, and torrents
// made for the tests hash the bencoded info dictionary as a real client does.
import { createHash } from 'node:crypto';
import bencode from 'bencode';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bitfieldOf, countBits, encode, handshake, hasPiece, MAX_MESSAGE, parseHandshake, WireReader, type WireMessage } from '../../grader/net/bt-wire.js';
import { checkRequest, makeTorrent, pieceBytes } from '../../grader/harness/bittorrent.js';

const hash = Buffer.alloc(20, 7);
const id = Buffer.from('-SG0001-abcdefghijkl');

describe('peer wire codec', () => {
  test('a handshake and every message kind come back whole, however the stream is split', () => {
    const msgs: Array<[Buffer, WireMessage]> = [
      [encode.keepAlive(), { kind: 'keep-alive' }],
      [encode.choke(), { kind: 'choke' }],
      [encode.unchoke(), { kind: 'unchoke' }],
      [encode.interested(), { kind: 'interested' }],
      [encode.notInterested(), { kind: 'not interested' }],
      [encode.have(7), { kind: 'have', index: 7 }],
      [encode.bitfield(Buffer.from([0xa0])), { kind: 'bitfield', bits: Buffer.from([0xa0]) }],
      [encode.request(3, 16384, 16384), { kind: 'request', index: 3, begin: 16384, length: 16384 }],
      [encode.piece(3, 16384, Buffer.from('block')), { kind: 'piece', index: 3, begin: 16384, block: Buffer.from('block') }],
      [encode.cancel(3, 0, 100), { kind: 'cancel', index: 3, begin: 0, length: 100 }],
    ];
    const stream = Buffer.concat([handshake(hash, id), ...msgs.map(([b]) => b), Buffer.from([0, 0, 0, 3, 20, 1, 2])]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 12 }), (cuts) => {
        const r = new WireReader();
        const out: unknown[] = [];
        let at = 0;
        for (const c of [...new Set(cuts)].sort((a, b) => a - b).concat(stream.length)) {
          out.push(...r.push(stream.subarray(at, c)));
          at = c;
        }
        expect(r.invalid).toBeUndefined();
        expect(out[0]).toEqual({ handshake: { protocol: 'BitTorrent protocol', reserved: Buffer.alloc(8), infoHash: hash, peerId: id } });
        expect(out.slice(1, -1).map((o) => (o as { message: WireMessage }).message)).toEqual(msgs.map(([, m]) => m));
        expect((out.at(-1) as { message: WireMessage }).message).toEqual({ kind: 'other', id: 20, payload: Buffer.from([1, 2]) });
      }),
      { numRuns: 200 },
    );
  });

  test('a wrong handshake is refused at its first wrong byte; an absurd length is refused before it arrives', () => {
    expect(parseHandshake(Buffer.concat([Buffer.from([18]), Buffer.from('BitTorrent protoco')]))).toMatchObject({ status: 'invalid', reason: expect.stringContaining('length byte 18') });
    expect(parseHandshake(Buffer.from('\x13BitTorrent protocal', 'latin1'))).toMatchObject({ status: 'invalid' });
    expect(parseHandshake(Buffer.from('\x13BitTor', 'latin1'))).toEqual({ status: 'incomplete' });
    const r = new WireReader(false);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(MAX_MESSAGE + 1);
    expect(r.push(head)).toEqual([]);
    expect(r.invalid).toMatch(/message length/);
    const short = new WireReader(false);
    short.push(Buffer.from([0, 0, 0, 3, 6, 0, 0]));
    expect(short.invalid).toMatch(/request message with 2 payload bytes/);
  });

  test('bitfields: high bit first, spare bits clear', () => {
    const bits = bitfieldOf(10, (i) => i === 0 || i === 9);
    expect([...bits]).toEqual([0x80, 0x40]);
    expect(countBits(bits)).toBe(2);
    expect(hasPiece(bits, 9)).toBe(true);
    expect(hasPiece(bits, 10)).toBe(false);
  });
});

describe('torrents for the tests', () => {
  test('the info_hash is the SHA-1 of the bencoded info dictionary as it appears in the file; pieces hash what they hold', () => {
    const data = Buffer.alloc(100_000, 3);
    data[99_999] = 9;
    const t = makeTorrent({ name: 'f.bin', data, pieceLength: 32 * 1024, announce: 'http://127.0.0.1:1/announce' });
    const raw = t.metainfo.toString('latin1');
    const start = raw.indexOf('4:infod') + '4:info'.length;
    const infoBytes = t.metainfo.subarray(start, t.metainfo.length - 1);
    expect(createHash('sha1').update(infoBytes).digest()).toEqual(t.infoHash);
    const decoded = bencode.decode(t.metainfo) as { info: { length: number; 'piece length': number; pieces: Uint8Array } };
    expect(decoded.info.length).toBe(100_000);
    expect(Buffer.from(decoded.info.pieces).subarray(60, 80)).toEqual(createHash('sha1').update(pieceBytes(t, 3)).digest());
    expect(pieceBytes(t, 3).length).toBe(100_000 - 3 * 32 * 1024);
  });

  test('requests: at most 16 KiB, inside the piece, of a piece that exists', () => {
    const t = makeTorrent({ name: 'f', data: Buffer.alloc(40_000), pieceLength: 32 * 1024, announce: 'x' });
    expect(checkRequest(t, { index: 0, begin: 16384, length: 16384 })).toBeUndefined();
    expect(checkRequest(t, { index: 1, begin: 0, length: 40_000 - 32768 })).toBeUndefined();
    expect(checkRequest(t, { index: 0, begin: 0, length: 32768 })).toMatch(/at most 16 KiB/);
    expect(checkRequest(t, { index: 1, begin: 0, length: 16384 })).toMatch(/run past the end of piece 1/);
    expect(checkRequest(t, { index: 2, begin: 0, length: 1 })).toMatch(/does not exist/);
  });
});
