# BUGS (two, the simplest peer that works on a quiet network):
# 1. Fire and forget: each value is written to each neighbour once, at once, and never again;
#    acknowledgements are ignored, so a line dropped by a partition or a one-way cut (the
#    connection stays open) is lost for good.
# 2. No retries: a neighbour is connected once, when there is first something to send it, and
#    given up for good when that connection is refused, reset or closed (it was not up yet, or
#    it crashed).
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Link, Peer, main  # noqa: E402


class FireAndForgetLink(Link):
    def __init__(self, *args):
        super().__init__(*args)
        self.wanted = asyncio.Event()

    def queue(self, value):
        self.unsent.add(value)
        self.wanted.set()
        if self.ready:
            self.flush(time.monotonic())  # at once, no batching

    def on_connect(self, conn):
        super().on_connect(conn)  # everything known so far goes out on the connection
        self.flush(time.monotonic())

    def flush(self, now):
        if self.unsent:
            batch, self.unsent = self.unsent, set()
            self.send_batch(batch, now)
        self.inflight.clear()  # bug 1: sent means delivered, never resent


class FireAndForgetOnce(Peer):
    link_class = FireAndForgetLink

    async def run_link(self, link):
        await link.wanted.wait()  # connect when there is first something to send
        try:
            await self.connect(link)
        except (ConnectionError, OSError):
            pass
        # bug 2: never again
        print('%s: link to %s is gone, giving up on it' % (self.id, link.addr), file=sys.stderr, flush=True)


main(FireAndForgetOnce)
