# BUG: no "have I seen it?" check. Every value that arrives (from a client or a neighbour) is
# passed on to every neighbour again, even one this peer already had and even back to the
# neighbour it came from, so on any graph with a cycle every value circles forever and the links
# never fall quiet. (It gossips in rounds every 300 ms, one line per neighbour with whatever
# arrived since the last round, so the values circle at a steady pace instead of exploding; the
# merging is done with set operations, so the endless traffic costs little CPU.)
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Link, Peer, main  # noqa: E402


class NoDedupLink(Link):
    def flush(self, now):
        if self.unsent:
            batch, self.unsent = self.unsent, set()
            self.send_batch(batch, now)
            self.inflight.clear()  # nothing is remembered, nothing retransmitted
            self.batches.clear()


class NoDedup(Peer):
    link_class = NoDedupLink
    batch_interval = 0.3

    def learn(self, value, source=None):
        self.values.add(value)
        for link in self.links:  # forwarded every time, to everybody
            link.queue(value)

    def on_gossip(self, conn, msg):
        values = msg.get('values')
        if not isinstance(values, list):
            return super().on_gossip(conn, msg)
        got = {v for v in values if type(v) is int}
        self.values |= got
        for link in self.links:  # forwarded every time, to everybody
            link.unsent |= got
        conn.send({'type': 'gossip_ok', 'in_reply_to': msg.get('id')})


main(NoDedup)
