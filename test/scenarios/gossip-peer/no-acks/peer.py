# BUG: fire and forget. Each value is written to each neighbour once, at once, and never again:
# acknowledgements are ignored and nothing is retransmitted, so a line dropped by a partition or
# a one-way cut (the connection stays open) is lost for good. (Like many simple peers it
# connects to a neighbour when it first has something for it, and a new connection still
# resends everything, so crashed and late neighbours do catch up.)
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Link, Peer, main  # noqa: E402


class NoAcksLink(Link):
    def __init__(self, *args):
        super().__init__(*args)
        self.wanted = asyncio.Event()

    def queue(self, value):
        self.unsent.add(value)
        self.wanted.set()
        if self.ready:
            self.flush(time.monotonic())  # at once, no batching

    def on_connect(self, conn):
        super().on_connect(conn)  # queues everything again
        self.flush(time.monotonic())

    def flush(self, now):
        if self.unsent:
            batch, self.unsent = self.unsent, set()
            self.send_batch(batch, now)
        self.inflight.clear()  # the bug: sent means delivered, never resent


class NoAcks(Peer):
    link_class = NoAcksLink

    async def run_link(self, link):
        await link.wanted.wait()  # connect when there is first something to send
        await super().run_link(link)


main(NoAcks)
