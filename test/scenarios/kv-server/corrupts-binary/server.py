# BUG: handles keys and values as text. Every argument is decoded as UTF-8 (errors="replace") and
# encoded back, so bytes that are not valid UTF-8 (e.g. \xff, \x80) come back as U+FFFD
# (\xef\xbf\xbd): binary values are silently changed (ASCII values look fine).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class TextOnly(Executor):
    def execute(self, args):
        text = [a.decode("utf-8", errors="replace") for a in args]
        return super().execute([t.encode("utf-8") for t in text])


class TextOnlyServer(Server):
    executor_class = TextOnly


main(TextOnlyServer)
