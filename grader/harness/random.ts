// Every random choice in a run comes from the run's seed. Each test gets its own stream,
// derived from the seed and the test id, so `--only <test> --seed <s>` replays it exactly.
import { createHash, randomBytes } from 'node:crypto';

export type Random = () => number;

export function newSeed(): string {
  return randomBytes(4).toString('hex');
}

/** sfc32 seeded from a hash of the parts: fast, small, and good enough for test data. */
export function seededRandom(...parts: string[]): Random {
  const h = createHash('sha256').update(parts.join('\0')).digest();
  let a = h.readUInt32LE(0), b = h.readUInt32LE(4), c = h.readUInt32LE(8), d = h.readUInt32LE(12);
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
}

export function randomBuffer(random: Random, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(random() * 256);
  return b;
}

export function randomWord(random: Random, n = 8): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}
