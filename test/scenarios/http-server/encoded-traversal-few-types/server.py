# BUGS (as in many real student servers): (1) ".." is refused in the raw target, but the path is
# decoded after that check, so /%2e%2e/secret.txt leaves the document root; (2) the Content-Type
# table knows only html, txt, css and js: everything else is sent as text/plain.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402

FEW = {".html": "text/html", ".txt": "text/plain", ".css": "text/css", ".js": "text/javascript"}


class CheckThenDecode(Server):
    def resolve(self, target):
        if not target.startswith("/"):
            return 400, None
        if ".." in target:  # checked before decoding: %2e%2e passes
            return 403, None
        path = os.fsdecode(self.url_path(target)).lstrip("/")
        return self.find_file(os.path.join(self.root, path))

    def content_type(self, path):
        return FEW.get(os.path.splitext(path)[1].lower(), "text/plain")


main(CheckThenDecode)
