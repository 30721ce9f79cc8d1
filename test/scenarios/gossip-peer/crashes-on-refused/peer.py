# BUG: no error handling on outgoing links. The peer connects to a neighbour when it first has a
# value for it; when that neighbour refuses or resets the connection (it is not up yet, or it
# died), or closes it, the exception is not caught and the whole peer exits with status 1.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import asyncio  # noqa: E402

from gossipbase import Peer, main  # noqa: E402


class CrashesOnRefused(Peer):
    async def run_link(self, link):
        while not link.unsent:  # connect on the first value for this neighbour
            await asyncio.sleep(0.01)
        await self.connect(link)  # ConnectionRefusedError / ConnectionResetError escape: exit 1
        raise ConnectionResetError('connection to %s closed' % link.addr)


main(CrashesOnRefused)
