# BUG: checks only that enough arguments came, never too many: "GET a b" answers GET a,
# "ECHO a b" answers "a", "PING a b" answers "a". Redis refuses them with an error.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class AtLeast(Executor):
    # every arity becomes "at least": (name, n) -> (name, -n)
    COMMANDS = {name: (method, -abs(arity)) for name, (method, arity) in Executor.COMMANDS.items()}

    def cmd_ping(self, args):
        return self.bulk(args[1]) if len(args) >= 2 else self.simple(b"PONG")


class AtLeastServer(Server):
    executor_class = AtLeast


main(AtLeastServer)
