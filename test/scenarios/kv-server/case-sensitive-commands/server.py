# BUG: looks command names up exactly as sent, so "ping" or "Set" are unknown commands.
# Redis compares command names case-insensitively.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class CaseSensitive(Executor):
    def execute(self, args):
        if args[0] not in self.COMMANDS:  # no .upper(): only "PING", never "ping"
            return self.error(self.unknown_command_message(args))
        return super().execute(args)


class CaseSensitiveServer(Server):
    executor_class = CaseSensitive


main(CaseSensitiveServer)
