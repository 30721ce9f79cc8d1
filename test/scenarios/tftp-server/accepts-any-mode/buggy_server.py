# BUG: the mode is never checked: any mode that is not "netascii" is served as octet, where
# ERROR 4 is due.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402
from server import *  # noqa: E402,F401,F403


class Buggy(ref.Server):
    def check_mode(self, mode: str) -> None:
        pass  # netascii is translated; anything else goes out as it is on disk


ref.Server = Buggy
ref.main()
