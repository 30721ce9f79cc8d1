# BUG: the whole set every 20 ms. Instead of sending neighbours what they miss, the peer sends
# every value it knows to every neighbour every 20 ms (every 160 ms once its set has not grown
# for 3 s), forever, whether or not they have it (acknowledgements are ignored). Everything else is the base peer; the whole-set lines are
# built once per round and merged with set operations, so that the flood costs little CPU and the
# spread itself stays fast.
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, encode, main  # noqa: E402


class WholeSet(Peer):
    batch_interval = 0.02
    # 3 s after the set last grew, every 8th round only: still far over the quiet bound (6 whole
    # sets a second on every link), but 25 peers decoding each other's whole sets 50 times a
    # second, forever, saturated both cores and made the verdict of burst-100 depend on what else
    # the machine was doing.
    hot_seconds = 3.0
    idle_every = 8

    async def ticker(self):
        loop = asyncio.get_running_loop()
        round_no = 0
        tick = 0
        size = 0
        grew_at = loop.time()
        while True:
            await asyncio.sleep(self.batch_interval)
            tick += 1
            if not self.values:
                continue
            if len(self.values) != size:
                size = len(self.values)
                grew_at = loop.time()
            if loop.time() - grew_at > self.hot_seconds and tick % self.idle_every:
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
