# BUG: an unknown command crashes the whole server. The command table is indexed with [] instead
# of .get(), so an unknown name raises KeyError; nothing catches it, and the process exits with a
# traceback (status 1) instead of answering "-ERR unknown command".
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class Crashing(Executor):
    def execute(self, args):
        method, arity = self.COMMANDS[args[0].upper()]  # KeyError on an unknown command
        return super().execute(args)


class CrashingServer(Server):
    executor_class = Crashing


main(CrashingServer)
