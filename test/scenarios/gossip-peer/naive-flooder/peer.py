# BUGS (three, as a first attempt often has them):
# 1. No "have I seen it?" check: every value that arrives is passed on to every neighbour again,
#    also back to where it came from, so values circle the graph forever (gossiped in rounds
#    every 300 ms, so the circulation is steady rather than explosive).
# 2. No buffer across reads: each recv() is split on "\n" and every piece is parsed on its own.
# 3. No error handling around parsing: a line that is not JSON (or not an object, or of an
#    unknown type) raises, and the whole peer exits with status 1.
# Together, 2 and 3 make a request that arrives in pieces deadly: its first piece is not JSON.
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Link, Peer, main  # noqa: E402


class FloodLink(Link):
    def flush(self, now):
        if self.unsent:
            batch, self.unsent = self.unsent, set()
            self.send_batch(batch, now)
            self.inflight.clear()  # nothing is remembered, nothing retransmitted
            self.batches.clear()


class NaiveFlooder(Peer):
    link_class = FloodLink
    batch_interval = 0.3

    def split_lines(self, conn, data):
        return [piece for piece in data.split(b'\n') if piece]  # bug 2: a fragment is a line

    def handle_line(self, conn, line):
        if not line.strip():
            return
        msg = json.loads(line)  # bug 3: ValueError escapes and ends the process
        getattr(self, 'on_' + msg['type'])  # AttributeError / TypeError / KeyError likewise
        super().handle_line(conn, line)

    def learn(self, value, source=None):
        self.values.add(value)
        for link in self.links:  # bug 1: forwarded every time, to everybody
            link.queue(value)

    def on_gossip(self, conn, msg):
        values = msg.get('values')
        if not isinstance(values, list):
            return super().on_gossip(conn, msg)
        got = {v for v in values if type(v) is int}
        self.values |= got
        for link in self.links:  # bug 1 again
            link.unsent |= got
        conn.send({'type': 'gossip_ok', 'in_reply_to': msg.get('id')})


main(NaiveFlooder)
