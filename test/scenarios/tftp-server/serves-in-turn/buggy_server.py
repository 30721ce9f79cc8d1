# BUG: one transfer after another: a request that comes while a transfer is running waits in a
# queue, and is served when that transfer ends (finished, given up or failed). Every client is
# served in the end, but each waits for everyone before it, however slow.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.Server):
    waiting: list = []  # (request, client address), in arrival order

    def on_request(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transfers:
            # Busy: the client waits its turn (a request it sends again waits only once).
            if (data, addr) not in self.waiting:
                self.waiting.append((data, addr))
            return
        super().on_request(data, addr)

    def forget(self, transfer) -> None:
        super().forget(transfer)
        # The next in line, now that nothing runs.
        while self.waiting and not self.transfers:
            data, addr = self.waiting.pop(0)
            super().on_request(data, addr)


ref.Server = Buggy
ref.main()
