# BUGS (two):
# 1. The whole set every 20 ms: every value the peer knows goes to every neighbour every 20 ms
#    (every 160 ms once its set has not grown for 3 s), forever, whether or not they have it;
#    acknowledgements are ignored.
# 2. No error handling on outgoing links: a neighbour is connected when there is first a value
#    for it, and when it refuses or resets the connection (not up yet, or it died), or closes
#    it, the exception escapes and the peer exits with status 1.
# (The whole set also hides a third mistake: nothing is done on reconnection, yet a restarted
# neighbour would catch up, since everything is sent all the time.)
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, encode, main  # noqa: E402


class WholeSetDiesOnReset(Peer):
    batch_interval = 0.02
    # As in whole-set-every-20ms: thinned 3 s after the set last grew, so 25 peers decoding each
    # other's whole sets do not saturate the machine (still far over the quiet bound).
    hot_seconds = 3.0
    idle_every = 8

    async def run_link(self, link):
        while not link.unsent:  # connect on the first value for this neighbour
            await asyncio.sleep(0.01)
        await self.connect(link)  # bug 2: ConnectionRefusedError / ConnectionResetError escape: exit 1
        raise ConnectionResetError('connection to %s closed' % link.addr)

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
            line = encode({'type': 'gossip', 'id': round_no, 'values': sorted(self.values)})  # bug 1
            for link in self.links:
                if link.ready and not link.conn.writer.is_closing():
                    link.conn.writer.write(line)

    def on_gossip(self, conn, msg):
        values = msg.get('values')
        if not isinstance(values, list):
            return super().on_gossip(conn, msg)
        new = [v for v in values if type(v) is int and v not in self.values]
        for v in new:
            self.learn(v, conn.nid)  # queues it, so a link not yet connected connects
        conn.send({'type': 'gossip_ok', 'in_reply_to': msg.get('id')})

    def on_gossip_ok(self, conn, msg):
        pass  # ignored


main(WholeSetDiesOnReset)
