# BUGS: SET and GET decode keys and values as UTF-8 (strict), so a value that is not UTF-8 raises
# UnicodeDecodeError and the process dies; EX is taken as milliseconds (EX 1 lives 1 ms); and the
# "unknown command" error repeats the name as sent, "\r\n" included.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class Strict(Executor):
    def cmd_set(self, args):
        options = [a.upper() for a in args[3:]]
        if b'PX' not in options:  # BUG: EX's number taken as milliseconds
            options = [b'PX' if a == b'EX' else a for a in options]
        return super().cmd_set([args[0]] + [a.decode('utf-8').encode('utf-8') for a in args[1:3]] + options)

    def cmd_get(self, args):
        return super().cmd_get([args[0], args[1].decode('utf-8').encode('utf-8')])

    def error(self, message):
        return b'-ERR ' + message.encode('utf-8', 'replace') + self.EOL


class StrictServer(Server):
    executor_class = Strict


main(StrictServer)
