# BUG: answers GET and ECHO with a simple string ("+value\r\n") instead of a bulk string
# ("$5\r\nvalue\r\n"). Clients then see a status, not data, and a value containing "\r\n"
# (or any binary data) breaks the reply framing.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class SimpleStrings(Executor):
    def cmd_get(self, args):
        value = self.lookup(args[1])
        return self.nil() if value is None else self.simple(value)  # should be self.bulk(value)

    def cmd_echo(self, args):
        return self.simple(args[1])  # should be self.bulk(args[1])


class SimpleStringsServer(Server):
    executor_class = SimpleStrings


main(SimpleStringsServer)
