# BUG: the whole set every 20 ms. Instead of sending neighbours what they miss, the peer sends
# every value it knows to every neighbour every 20 ms, forever, whether or not they have it
# (acknowledgements are ignored). Everything else is the base peer; the whole-set lines are
# built once per round and merged with set operations, so that the flood costs little CPU and the
# spread itself stays fast.
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, encode, main  # noqa: E402


class WholeSet(Peer):
    batch_interval = 0.02

    async def ticker(self):
        round_no = 0
        while True:
            await asyncio.sleep(self.batch_interval)
            if not self.values:
                continue
            round_no += 1
            line = encode({'type': 'gossip', 'id': round_no, 'values': sorted(self.values)})
            for link in self.links:
                if link.ready and not link.conn.writer.is_closing():
                    link.conn.writer.write(line)

    def on_gossip(self, conn, msg):
        values = msg.get('values')
        if not isinstance(values, list):
            return super().on_gossip(conn, msg)
        self.values.update(v for v in values if type(v) is int)
        conn.send({'type': 'gossip_ok', 'in_reply_to': msg.get('id')})

    def on_gossip_ok(self, conn, msg):
        pass  # ignored


main(WholeSet)
