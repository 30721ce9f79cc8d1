# BUG: reads files in text mode (UTF-8, newline translation) and sends Content-Length as the
# number of characters: binary files are corrupted, CRLF becomes LF, and a file with multi-byte
# characters gets a Content-Length smaller than its body.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class TextMode(Server):
    def answer(self, req):
        if req.method not in ("GET", "HEAD"):
            return super().answer(req)
        status, path = self.resolve(req.target)
        if status != 200:
            return super().answer(req)
        with open(path, encoding="utf-8", errors="replace") as f:  # should be "rb"
            text = f.read()
        headers = [("Content-Type", self.content_type(path)), ("Content-Length", str(len(text)))]
        if not self.keep_alive(req):
            headers.append(("Connection", "close"))
        return self.response(200, headers, text.encode("utf-8"), req.method == "HEAD", length=False)


main(TextMode)
