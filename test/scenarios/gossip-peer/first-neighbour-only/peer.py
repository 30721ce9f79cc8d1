# BUG: only the first address in --peers is used. The peer answers its clients and accepts what
# any neighbour sends it, but it connects to (and so passes values on to) peers[0] alone, as if
# --peers held one address.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, main  # noqa: E402


class FirstOnly(Peer):
    def __init__(self, *args):
        super().__init__(*args)
        self.links = self.links[:1]  # the bug: the other neighbours are never contacted


main(FirstOnly)
