# BUGS: SET stores a value only if the key has none yet (setdefault), so it never overwrites;
# and INCR parses the value with Python's int(), which takes " 1", "+1" and "01".
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import INT64_MAX, INT64_MIN, CommandError, Executor, Server, main  # noqa: E402


class KeepsOld(Executor):
    def cmd_set(self, args):
        key = args[1]
        old = self.lookup(key)
        reply = super().cmd_set(args)
        if old is not None and reply == self.simple(b'OK'):
            self.data[key] = old  # BUG: the first value stays
        return reply

    def cmd_incr(self, args):
        value = self.lookup(args[1])
        try:
            n = 0 if value is None else int(value)
        except ValueError:
            raise CommandError('value is not an integer or out of range')
        if not INT64_MIN <= n < INT64_MAX:
            raise CommandError('value is not an integer or out of range')
        self.data[args[1]] = b'%d' % (n + 1)
        return self.integer(n + 1)


class KeepsOldServer(Server):
    executor_class = KeepsOld


main(KeepsOldServer)
