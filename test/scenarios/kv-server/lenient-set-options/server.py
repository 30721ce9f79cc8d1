# BUG: SET skips options it does not understand and takes a bad expire time (0, negative, not a
# number) as "no expiry", storing the key instead of answering with an error.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main, parse_int64  # noqa: E402


class Lenient(Executor):
    def cmd_set(self, args):
        key, value, opts = args[1], args[2], [a.upper() for a in args[3:]]
        nx, xx, ms = b"NX" in opts, b"XX" in opts, None
        for unit, scale in ((b"EX", 1000), (b"PX", 1)):
            if unit in opts and opts.index(unit) + 1 < len(opts):
                n = parse_int64(args[3 + opts.index(unit) + 1])
                if n is not None and n > 0:
                    ms = n * scale
        exists = self.lookup(key) is not None
        if (nx and exists) or (xx and not exists):
            return self.nil()
        self.data[key] = value
        if ms is None:
            self.expires.pop(key, None)
        else:
            self.expires[key] = self.now_ms() + ms
        return self.simple(b"OK")


class LenientServer(Server):
    executor_class = Lenient


main(LenientServer)
