// How a client cuts what it writes into separate write() calls. Servers that assume one
// recv() == one message break under `bytes` and `splits`; servers that assume one message per
// recv() break under coalesced writes (just write several messages as one `whole`).

export type Chunking =
  | { mode: 'whole' }
  /** One byte per write. */
  | { mode: 'bytes' }
  /** Cut at these offsets (sorted, within the data). */
  | { mode: 'at'; offsets: number[] }
  /** Random cuts from a seeded generator: pieces of 1..maxPiece bytes. */
  | { mode: 'random'; random: () => number; maxPiece?: number };

/** Split `data` into the pieces a chunking asks for. Empty pieces are never produced. */
export function chunk(data: Buffer, how: Chunking = { mode: 'whole' }): Buffer[] {
  switch (how.mode) {
    case 'whole':
      return data.length ? [data] : [];
    case 'bytes': {
      const out: Buffer[] = [];
      for (let i = 0; i < data.length; i++) out.push(data.subarray(i, i + 1));
      return out;
    }
    case 'at': {
      const cuts = [...new Set(how.offsets.filter((o) => o > 0 && o < data.length))].sort((a, b) => a - b);
      const out: Buffer[] = [];
      let prev = 0;
      for (const c of [...cuts, data.length]) {
        if (c > prev) out.push(data.subarray(prev, c));
        prev = c;
      }
      return out;
    }
    case 'random': {
      const max = Math.max(1, how.maxPiece ?? 16);
      const out: Buffer[] = [];
      let i = 0;
      while (i < data.length) {
        const n = 1 + Math.floor(how.random() * max);
        out.push(data.subarray(i, i + n));
        i += n;
      }
      return out;
    }
  }
}
