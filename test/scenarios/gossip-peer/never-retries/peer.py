# BUG: a link is never reconnected. The peer connects to a neighbour the first time it has
# something to send it, and if that connection fails, is reset or closes (the neighbour is not
# up yet, or it crashed), the neighbour is given up for good.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import asyncio  # noqa: E402

from gossipbase import Peer, main  # noqa: E402


class NeverRetries(Peer):
    async def run_link(self, link):
        while not link.unsent:  # connect lazily, on the first value for this neighbour
            await asyncio.sleep(0.01)
        try:
            await self.connect(link)
        except (ConnectionError, OSError):
            pass
        print('%s: link to %s is gone, giving up on it' % (self.id, link.addr), file=sys.stderr, flush=True)


main(NeverRetries)
