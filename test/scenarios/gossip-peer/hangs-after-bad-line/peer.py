# BUGS (three):
# 1. A lock that an error leaves held: every line is handled under one global lock, released at
#    the end of the `try` instead of in a `finally`. A line that fails to parse skips the release
#    (the error itself is caught and answered), so the next line, on any connection, waits for
#    the lock forever: the whole peer stops answering (and gossiping) without dying. (The peer
#    is single-threaded, so the wait is a deadlock of its only thread.)
# 2. Client broadcasts wait for the next batch in a single slot per neighbour, so of several
#    broadcasts at one peer within one 40 ms batch only the last is gossiped.
# 3. Nothing is resent when a link is (re)connected, so a neighbour that restarted empty never
#    learns the values broadcast before it came back.
import json
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Link, Peer, main  # noqa: E402


class SlotNoCatchUpLink(Link):
    def __init__(self, *args):
        super().__init__(*args)
        self.from_client = None  # bug 2: one slot

    def flush(self, now):
        if self.from_client is not None:
            self.unsent.add(self.from_client)
            self.from_client = None
        super().flush(now)

    def on_connect(self, conn):
        self.conn = conn
        self.ready = True  # bug 3: keeps unsent/inflight as they were, resends nothing


class HangsAfterBadLine(Peer):
    link_class = SlotNoCatchUpLink

    def __init__(self, *args):
        super().__init__(*args)
        self.lock = threading.Lock()

    def handle_line(self, conn, line):
        if not line.strip():
            return
        self.lock.acquire()  # blocks the only thread for good once a bad line left it held
        try:
            msg = json.loads(line)
            if not isinstance(msg, dict) or not hasattr(self, 'on_%s' % msg.get('type')):
                raise ValueError('bad request')
            super().handle_line(conn, line)
            self.lock.release()  # bug 1: not reached when the line was bad
        except ValueError:
            conn.send({'type': 'error', 'text': 'bad request'})

    def learn(self, value, source=None):
        if source is not None:
            return super().learn(value, source)
        if self.remember(value):
            for link in self.links:
                link.from_client = value  # bug 2: overwrites a value still waiting for the batch


main(HangsAfterBadLine)
