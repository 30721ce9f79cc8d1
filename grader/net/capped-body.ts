// Reading a body a program sends (fetch's response) with a cap: a server that announces
// Content-Length: 10^12 and streams zeros must not make the grader hold gigabytes. Past the cap
// the stream is cancelled, which closes the connection, and the caller says so in its verdict.

/** The most of one body the grader keeps: far beyond what any assignment's answers need. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export type CappedBody = { complete: true; body: Buffer } | { complete: false; body: Buffer; reason: string };

/** Reads `stream` (a fetch Response's body) up to `maxBytes`; a longer one is cancelled and reported as cut. */
export async function readCapped(stream: ReadableStream<Uint8Array> | null, maxBytes = MAX_BODY_BYTES): Promise<CappedBody> {
  if (!stream) return { complete: true, body: Buffer.alloc(0) };
  const reader = stream.getReader();
  const parts: Buffer[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { complete: true, body: Buffer.concat(parts, size) };
    const room = maxBytes - size;
    if (value.length > room) {
      parts.push(Buffer.from(value.subarray(0, room)));
      await reader.cancel().catch(() => undefined);
      return { complete: false, body: Buffer.concat(parts, maxBytes), reason: `a body longer than ${maxBytes >= 1024 * 1024 ? `${maxBytes / 1024 / 1024} MiB` : `${maxBytes} bytes`} (the grader stops reading there)` };
    }
    parts.push(Buffer.from(value));
    size += value.length;
  }
}
