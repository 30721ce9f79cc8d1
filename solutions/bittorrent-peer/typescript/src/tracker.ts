// The HTTP tracker protocol (BEP 3, compact peer lists from BEP 23).
//
//   GET <announce>?info_hash=<20 bytes, percent-encoded>&peer_id=<20 bytes>&port=P
//       &uploaded=N&downloaded=N&left=N&compact=1[&event=started|completed|stopped]
//
// The response is a bencoded dictionary: either `failure reason`, or `interval` (seconds between
// announces) and `peers`: a compact string (6 bytes per peer: IPv4 address, then the port, big
// endian) or a list of dictionaries with `ip` and `port`.

import http from 'node:http';
import https from 'node:https';
import { asBytes, asDict, asInt, BDict, decode } from './bencode.js';

export type AnnounceEvent = 'started' | 'completed' | 'stopped' | '';

export interface AnnounceParams {
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  uploaded: number;
  downloaded: number;
  left: number;
  event: AnnounceEvent;
}

export interface PeerAddress {
  host: string;
  port: number;
  peerId?: Buffer;
}

export interface AnnounceResult {
  /** Seconds, when the tracker said. */
  interval?: number;
  peers: PeerAddress[];
  failure?: string;
  warning?: string;
}

/** The most we read of a response: far more than any peer list. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Percent-encodes raw bytes: unreserved characters (RFC 3986) stay, every other byte becomes %XX. */
export function percentEncode(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    const unreserved = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;
    out += unreserved ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function announceUrl(base: string, p: AnnounceParams): string {
  let query =
    `info_hash=${percentEncode(p.infoHash)}&peer_id=${percentEncode(p.peerId)}&port=${p.port}` +
    `&uploaded=${p.uploaded}&downloaded=${p.downloaded}&left=${p.left}&compact=1`;
  if (p.event) query += `&event=${p.event}`;
  const hash = base.indexOf('#');
  if (hash >= 0) base = base.slice(0, hash);
  return base + (base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?') + query;
}

/** One announce. Resolves with the tracker's answer, rejects on any network, HTTP or format problem. */
export function announce(base: string, params: AnnounceParams, timeoutMs: number): Promise<AnnounceResult> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(announceUrl(base, params));
    } catch {
      reject(new Error(`bad announce URL ${JSON.stringify(base)}`));
      return;
    }
    const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!mod) {
      reject(new Error(`unsupported tracker protocol ${url.protocol}`));
      return;
    }
    let settled = false;
    const finish = (err: Error | null, result?: AnnounceResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(result!);
    };
    const req = mod.get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) {
          req.destroy();
          finish(new Error('tracker response too large'));
          return;
        }
        chunks.push(c);
      });
      res.on('error', (err) => finish(err));
      res.on('aborted', () => finish(new Error('tracker response cut short')));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        try {
          const result = parseResponse(body);
          if (res.statusCode !== 200 && !result.failure) throw new Error(`HTTP ${res.statusCode}`);
          finish(null, result);
        } catch (err) {
          const status = res.statusCode !== 200 ? `HTTP ${res.statusCode}: ` : '';
          finish(new Error(`${status}bad tracker response: ${(err as Error).message}`));
        }
      });
    });
    req.on('error', (err) => finish(err));
    const timer = setTimeout(() => {
      finish(new Error(`no answer within ${timeoutMs / 1000} s`));
      req.destroy();
    }, timeoutMs);
  });
}

export function parseResponse(body: Buffer): AnnounceResult {
  const dict = asDict(decode(body, true), 'response');
  const failure = dict.get('failure reason');
  if (failure !== undefined) return { failure: Buffer.isBuffer(failure) ? failure.toString('utf8') : String(failure), peers: [] };
  const result: AnnounceResult = { peers: [] };
  const interval = dict.get('interval');
  if (typeof interval === 'number') result.interval = interval;
  const warning = dict.get('warning message');
  if (Buffer.isBuffer(warning)) result.warning = warning.toString('utf8');
  const peers = dict.get('peers');
  if (Buffer.isBuffer(peers)) {
    for (let i = 0; i + 6 <= peers.length; i += 6) {
      result.peers.push({ host: `${peers[i]}.${peers[i + 1]}.${peers[i + 2]}.${peers[i + 3]}`, port: peers.readUInt16BE(i + 4) });
    }
  } else if (Array.isArray(peers)) {
    for (const p of peers) {
      if (!(p instanceof BDict)) continue;
      try {
        const host = asBytes(p.get('ip'), 'ip').toString('utf8');
        const port = asInt(p.get('port'), 'port');
        const id = p.get('peer id');
        result.peers.push({ host, port, peerId: Buffer.isBuffer(id) ? id : undefined });
      } catch {
        // one bad entry does not spoil the others
      }
    }
  }
  return result;
}
