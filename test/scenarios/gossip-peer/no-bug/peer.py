# No bug: the shared base exactly as it is. It must score full marks, so that every other
# scenario here fails because of its own bug and nothing else (and it is a third correct peer,
# written independently of the reference solutions, that the tests must be fair to).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, main  # noqa: E402

main(Peer)
