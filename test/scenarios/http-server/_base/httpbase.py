"""A small, correct http-server (HTTP/1.1 static files) that the broken scenarios build on.

Standard library only (asyncio, not http.server). Each scenario imports this module and
overrides the one piece where its bug lives, so that everything else is right:

  Server.EOL                 the line end of responses (b"\\r\\n")
  Server.next_request(buf)   splits the connection's buffer: (head bytes, body length, rest) or None
  Server.parse_head(head)    the request line and headers -> Request, or raises BadRequest
  Server.resolve(target)     (status, file path or None), refusing anything outside the root
  Server.read_file(path)     the file's bytes
  Server.content_type(path)  from the extension
  Server.answer(req)         the response bytes for one well-formed request
  Server.response(...)       status line, headers (Content-Length always), empty line, body
  Server.error(...)          a short text/plain error response
  Server.keep_alive(req)     HTTP/1.1 keeps the connection unless "Connection: close"; 1.0 closes
  Server.send(writer, data)  writes and waits for the client to take the bytes (drain)
  Server.serve(reader, writer)  the per-connection loop; run(port) serves forever
  main(ServerClass)          parses --port P --root DIR and runs ServerClass(root)
"""

import argparse
import asyncio
import os
import signal
import sys
import urllib.parse

READ_SIZE = 64 * 1024
MAX_HEAD = 64 * 1024

REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 501: "Not Implemented"}

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css",
    ".js": "text/javascript",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}

TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class BadRequest(Exception):
    pass


class Request:
    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # lower-cased name -> value

    def tokens(self, name):
        return [t.strip().lower() for t in self.headers.get(name, "").split(",") if t.strip()]


class Server:
    EOL = b"\r\n"

    def __init__(self, root):
        self.root = os.path.realpath(root)

    # -- parsing -------------------------------------------------------------------------------

    def next_request(self, buf):
        """(head, body length, bytes after the head) for the first complete request head in buf,
        or None if the head is not complete yet. Raises BadRequest."""
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD:
                raise BadRequest("headers too long")
            return None
        head = bytes(buf[:end])
        return head, None, bytes(buf[end + 4:])

    def parse_head(self, head):
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not all(parts):
            raise BadRequest("request line")
        method, target, version = parts
        if not set(method) <= TOKEN or version not in (b"HTTP/1.0", b"HTTP/1.1"):
            raise BadRequest("request line")
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or not set(name) <= TOKEN:
                raise BadRequest("header line")
            headers[name.decode("ascii").lower()] = value.strip(b" \t").decode("latin-1")
        return Request(method.decode("ascii"), target.decode("latin-1"), version.decode("ascii"), headers)

    def body_length(self, req):
        value = req.headers.get("content-length", "0")
        if not value.isdigit() or "transfer-encoding" in req.headers:
            raise BadRequest("body")
        return int(value)

    def keep_alive(self, req):
        conn = req.tokens("connection")
        if req.version == "HTTP/1.1":
            return "close" not in conn
        return "keep-alive" in conn

    # -- files ---------------------------------------------------------------------------------

    def url_path(self, target):
        """The decoded path of a target, without its query: bytes."""
        return urllib.parse.unquote_to_bytes(target.split("?", 1)[0].split("#", 1)[0])

    def resolve(self, target):
        if not target.startswith("/"):
            return 400, None
        raw = self.url_path(target)
        if b"\0" in raw:
            return 404, None
        parts = []
        for seg in os.fsdecode(raw).split("/"):
            if seg in ("", "."):
                continue
            if seg == "..":
                if not parts:
                    return 403, None
                parts.pop()
            else:
                parts.append(seg)
        real = os.path.realpath(os.path.join(self.root, *parts))
        if real != self.root and not real.startswith(self.root + os.sep):
            return 403, None
        return self.find_file(real)

    def find_file(self, path):
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            return 404, None
        return 200, path

    def read_file(self, path):
        with open(path, "rb") as f:
            return f.read()

    def content_type(self, path):
        return TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")

    # -- responses -----------------------------------------------------------------------------

    def response(self, status, headers, body=b"", head_only=False, length=True):
        lines = [("HTTP/1.1 %d %s" % (status, REASONS[status])).encode()]
        lines += [("%s: %s" % (k, v)).encode("latin-1") for k, v in headers]
        if length:
            lines.append(b"Content-Length: %d" % len(body))
        out = self.EOL.join(lines) + self.EOL + self.EOL
        return out if head_only else out + body

    def error(self, status, close, head_only=False, extra=()):
        headers = [("Content-Type", "text/plain; charset=utf-8"), *extra]
        if close:
            headers.append(("Connection", "close"))
        return self.response(status, headers, b"%d %s\n" % (status, REASONS[status].encode()), head_only)

    def method_not_allowed(self, req, close):
        return self.error(405, close, extra=[("Allow", "GET, HEAD")])

    def answer(self, req):
        close = not self.keep_alive(req)
        head_only = req.method == "HEAD"
        if req.method not in ("GET", "HEAD"):
            return self.method_not_allowed(req, close)
        status, path = self.resolve(req.target)
        if status != 200:
            return self.error(status, close, head_only)
        body = self.read_file(path)
        headers = [("Content-Type", self.content_type(path))]
        if close:
            headers.append(("Connection", "close"))
        return self.response(200, headers, body, head_only)

    def bad_request(self):
        return self.error(400, True)

    # -- the connection loop -------------------------------------------------------------------

    async def send(self, writer, data):
        writer.write(data)
        await writer.drain()

    async def serve(self, reader, writer):
        buf = b""
        try:
            while True:
                try:
                    found = self.next_request(buf)
                    if found is not None:
                        head, length, rest = found
                        req = self.parse_head(head)
                        if length is None:
                            length = self.body_length(req)
                except BadRequest:
                    await self.send(writer, self.bad_request())
                    return
                if found is None:
                    data = await reader.read(READ_SIZE)
                    if not data:
                        return
                    buf += data
                    continue
                while len(rest) < length:  # a body (POST, PUT) is read and skipped
                    data = await reader.read(READ_SIZE)
                    if not data:
                        return
                    rest += data
                buf = rest[length:]
                await self.send(writer, self.answer(req))
                if not self.keep_alive(req):
                    return
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def run(self, port):
        listener = await asyncio.start_server(self.serve, host="127.0.0.1", port=port)
        print("listening on 127.0.0.1:%d, serving %s" % (port, self.root), flush=True)
        async with listener:
            await listener.serve_forever()


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--root", required=True)
    return ap.parse_args()


def main(server_class=Server):
    args = parse_args()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        asyncio.run(server_class(args.root).run(args.port))
    except OSError as exc:
        print("cannot listen: %s" % exc, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
