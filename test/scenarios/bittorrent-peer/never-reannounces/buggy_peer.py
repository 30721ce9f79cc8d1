# BUG: the tracker is asked once (event=started, retried until it answers) and then only told
# event=completed: the "interval" in its answer is ignored, so no regular announce ever follows.
import asyncio
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    async def announce_loop(self):
        while not self.stopping.is_set():
            self.announce_wake.clear()
            if self.events:
                event = self.events[0]
                ok, wait = await self.announce(event)
                if ok:
                    self.events.popleft()
                    if event == "started":
                        self.started_sent = True
                    continue
                await asyncio.sleep(wait)
                continue
            await self.announce_wake.wait()  # the bug: no timeout of "interval" seconds


ref.run(Buggy)
