# BUG: blocks the event loop ~2 ms per command (a synchronous "disk write" with time.sleep inside
# the asyncio loop). Every answer is still correct, but the whole server manages ~500 commands/s,
# for all clients together.
import time
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class Blocking(Executor):
    def execute(self, args):
        time.sleep(0.002)  # blocks every client, not just this one
        return super().execute(args)


class BlockingServer(Server):
    executor_class = Blocking


main(BlockingServer)
