# BUG: client broadcasts wait for the next batch in a single slot per neighbour, not a list:
# each broadcast overwrites the one before, so when a peer's clients broadcast several values
# within one batch interval (40 ms) only the last is ever gossiped; the others stay on that peer
# alone. (Values relayed from neighbours are batched correctly.)
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Link, Peer, main  # noqa: E402


class SlotLink(Link):
    def __init__(self, *args):
        super().__init__(*args)
        self.from_client = None  # the bug: one slot

    def flush(self, now):
        if self.from_client is not None:
            self.unsent.add(self.from_client)
            self.from_client = None
        super().flush(now)


class LosesBurst(Peer):
    link_class = SlotLink

    def learn(self, value, source=None):
        if source is not None:
            return super().learn(value, source)
        if self.remember(value):
            for link in self.links:
                link.from_client = value  # overwrites a value still waiting for the batch


main(LosesBurst)
