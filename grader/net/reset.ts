// Closing a connection the way a crashed program's would be closed: with a reset (RST).
import type net from 'node:net';

/**
 * Reset `s` (RST), unless it is already shutting down or still connecting: then it is only
 * destroyed. Node 20 can spin at full CPU for good when a socket that is half-closed (either
 * way) or connecting is reset, and such a socket has no connection left to reset anyway.
 * Says what it did.
 */
export function resetSocket(s: net.Socket): 'reset' | 'closed' | 'gone' {
  if (s.destroyed) return 'gone';
  if (s.connecting || s.writableEnded || s.readableEnded) {
    s.destroy();
    return 'closed';
  }
  s.resetAndDestroy();
  return 'reset';
}
