// The metainfo (.torrent) file of a single-file torrent (BEP 3):
//
//   d 8:announce <url>  4:info d 6:length <int> 4:name <str> 12:piece length <int> 6:pieces <20*n bytes> e e
//
// info_hash = SHA-1 of the `info` value's raw bytes, exactly as they are in the file (never of a
// re-encoding: a key order or integer spelling we would normalise would change the hash).

import crypto from 'node:crypto';
import { asBytes, asDict, asInt, asList, BencodeError, decode } from './bencode.js';

export interface Metainfo {
  announce: string;
  infoHash: Buffer;
  name: string;
  length: number;
  pieceLength: number;
  /** SHA-1 of each piece, 20 bytes each. */
  hashes: Buffer[];
}

export function parseMetainfo(data: Buffer): Metainfo {
  const top = asDict(decode(data, true), 'metainfo');
  const info = asDict(top.get('info'), 'info');
  const span = top.spans.get('info')!;
  const infoHash = crypto.createHash('sha1').update(data.subarray(span[0], span[1])).digest();

  let announce = top.get('announce') !== undefined ? asBytes(top.get('announce'), 'announce').toString('utf8') : '';
  if (!announce && top.get('announce-list') !== undefined) {
    // BEP 12, only as a fallback: the first tracker of the first tier.
    const tier = asList(asList(top.get('announce-list'), 'announce-list')[0], 'announce-list tier');
    if (tier.length) announce = asBytes(tier[0], 'announce-list url').toString('utf8');
  }
  if (!announce) throw new BencodeError('no announce URL');

  if (info.get('files') !== undefined) throw new BencodeError('multi-file torrents are not supported');
  const name = asBytes(info.get('name'), 'info.name').toString('utf8');
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name)) throw new BencodeError(`unsafe file name ${JSON.stringify(name)}`);
  const length = asInt(info.get('length'), 'info.length');
  const pieceLength = asInt(info.get('piece length'), 'info.piece length');
  const pieces = asBytes(info.get('pieces'), 'info.pieces');
  if (length < 0) throw new BencodeError('info.length is negative');
  if (pieceLength <= 0) throw new BencodeError('info.piece length must be positive');
  if (pieces.length % 20 !== 0) throw new BencodeError('info.pieces is not a multiple of 20 bytes');
  const count = Math.ceil(length / pieceLength);
  if (pieces.length / 20 !== count) throw new BencodeError(`info.pieces holds ${pieces.length / 20} hashes, the length needs ${count}`);
  const hashes: Buffer[] = [];
  for (let i = 0; i < count; i++) hashes.push(Buffer.from(pieces.subarray(i * 20, i * 20 + 20)));
  return { announce, infoHash, name, length, pieceLength, hashes };
}
