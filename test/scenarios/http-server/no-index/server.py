# BUG: a folder ("/", "/docs/") is not mapped to its index.html: it is "not a file", so 404.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class NoIndex(Server):
    def find_file(self, path):
        if not os.path.isfile(path):
            return 404, None
        return 200, path


main(NoIndex)
