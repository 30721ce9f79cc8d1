# BUG: the tracker's answer is assumed to hold "peers": an answer with a "failure reason" instead
# raises KeyError, which ends the announce loop for good, so the peer never announces again and
# never learns of any peer.
import asyncio, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    async def announce(self, event, timeout=ref.TRACKER_TIMEOUT_S):
        host, port, path = self.announce_url(event)
        try:
            body = await asyncio.wait_for(self.http_get(host, port, path), timeout)
        except (OSError, ValueError, asyncio.TimeoutError) as exc:
            ref.log(f"tracker: {exc}; retrying")
            return False, ref.TRACKER_RETRY_S
        resp = ref.bdecode(body)
        peers = ref.parse_peers(resp[b"peers"])  # the bug: KeyError when the answer is a "failure reason"
        interval = resp.get(b"interval", ref.DEFAULT_INTERVAL_S)
        if not self.stopping.is_set():
            for ip, p, pid in peers:
                self.maybe_connect(ip, p, pid)
        return True, interval


ref.run(Buggy)
