# BUG: joins the decoded path onto the document root with no check at all: "/../secret.txt" is
# root/../secret.txt, and "%2F" turns the path into an absolute one that os.path.join keeps.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class Traversal(Server):
    def resolve(self, target):
        path = os.fsdecode(self.url_path(target))[1:]  # drop the leading "/"
        return self.find_file(os.path.join(self.root, path))  # no normalisation, no check


main(Traversal)
