# BUG: no limit on retransmissions: a transfer whose client vanished is sent its last packet
# again every timeout, forever.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


def on_timer(self):
    # No answer in time: send the last packet again.
    self.deadline = ref.time.monotonic() + self.timeout_s
    self._sendto(self.last_sent, self.peer)


ref.Transfer.on_timer = on_timer
ref.main()
