# BUGS (a typical clone): SET knows only "PX <ms>" and ignores every other word after the value
# (EX, NX, XX, and unknown ones alike); INCR is not implemented (an unknown command).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class PxOnly(Executor):
    COMMANDS = {name: spec for name, spec in Executor.COMMANDS.items() if name != b'INCR'}

    def cmd_set(self, args):
        key, value = args[1], args[2]
        self.data[key] = value
        self.expires.pop(key, None)
        if len(args) >= 5 and args[3].upper() == b'PX':
            self.expires[key] = self.now_ms() + int(args[4])
        return self.simple(b'OK')


class PxOnlyServer(Server):
    executor_class = PxOnly


main(PxOnlyServer)
