# BUGS: the parser busy-waits for the rest of an array header ("*3") that was split across reads,
# inside the event loop that would have to read it: the whole server hangs, alive but deaf; and
# EXISTS counts a key named twice once (it looks the names up as a set).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import kvbase  # noqa: E402
from kvbase import Executor, Server, main  # noqa: E402

_header_line = kvbase._header_line


def spinning_header_line(buf, pos, what):
    rest = buf[pos + 1:]
    if what == 'mbulk' and (rest == b'' or rest.isdigit()):
        while buf.find(b'\r', pos) < 0:  # BUG: waits for bytes nobody will read
            pass
    return _header_line(buf, pos, what)


kvbase._header_line = spinning_header_line


class SetExists(Executor):
    def cmd_exists(self, args):
        return self.integer(sum(1 for key in set(args[1:]) if self.lookup(key) is not None))


class SpinningServer(Server):
    executor_class = SetExists


main(SpinningServer)
