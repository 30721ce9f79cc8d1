# BUG: sends "Content-Type: text/html" for every file, whatever its extension.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class AllHtml(Server):
    def content_type(self, path):
        return "text/html"  # should follow the extension


main(AllHtml)
