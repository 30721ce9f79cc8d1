# BUGS (as in many real student servers): (1) error responses have no Content-Length, only the
# 200 path sets it; (2) nothing is ever refused as malformed or as a method: a request line is
# split without checks, and whatever is not a GET or HEAD of a file is answered 404.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import REASONS, Request, Server, main  # noqa: E402


class Lenient(Server):
    def parse_head(self, head):
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")  # one word, four parts, HTTX/1.1: all taken as they come
        method = parts[0].decode("latin-1")
        target = parts[1].decode("latin-1") if len(parts) > 1 else ""
        version = parts[2].decode("latin-1") if len(parts) > 2 else "HTTP/1.1"
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if colon:  # a line without a colon is skipped
                headers[name.decode("latin-1").strip().lower()] = value.strip().decode("latin-1")
        return Request(method, target, version, headers)

    def resolve(self, target):
        if not target.startswith("/"):
            return 404, None
        return super().resolve(target)

    def method_not_allowed(self, req, close):
        return self.error(404, close)

    def error(self, status, close, head_only=False, extra=()):
        headers = [("Content-Type", "text/plain"), *extra]
        if close:
            headers.append(("Connection", "close"))
        return self.response(status, headers, b"%d %s\n" % (status, REASONS[status].encode()), head_only, length=False)


main(Lenient)
