# BUG: the server never retransmits on a timeout: it counts on the client to do it, and only
# answers what arrives (a repeated request gets the first packet again, a repeated DATA its ACK
# again, a duplicate ACK nothing). A lost DATA block of a read is never sent again.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


def on_timer(self):
    # Nothing to send: if something was lost, the client will send again.
    self.deadline = ref.time.monotonic() + self.timeout_s


class Buggy(ref.Server):
    def on_request(self, data, addr):
        for t in self.transfers:
            if t.peer == addr and t.request == data:
                # The client asked again: it did not get our answer.
                t._sendto(t.last_sent, t.peer)
                return
        super().on_request(data, addr)


ref.Transfer.on_timer = on_timer
ref.Server = Buggy
ref.main()
