# BUG: looks the request target up as it came: "%20" is not decoded and "?query" is not cut off.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class Raw(Server):
    def url_path(self, target):
        return target.encode("latin-1")


main(Raw)
