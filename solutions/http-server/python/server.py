#!/usr/bin/env python3
"""http-server reference solution: a static file server speaking HTTP/1.1.

    python3 server.py --port 8080 --root ./www

Standard library only (asyncio; not http.server). One coroutine per connection, all in one
thread: a connection's requests are parsed from a per-connection buffer (TCP is a byte stream:
a read may hold half a request or several), answered in order, and every write waits for the
client to take the bytes (drain), so a client that does not read holds up only itself.
"""

import argparse
import asyncio
import os
import signal
import sys
import urllib.parse

READ_SIZE = 64 * 1024
MAX_HEAD = 64 * 1024  # a request whose headers do not end within this many bytes is refused

REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
}

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}

TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class BadRequest(Exception):
    """The bytes are not an HTTP/1.x request: answer 400 and close the connection."""


class Request:
    def __init__(self, method, target, version, headers):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # lower-cased name -> value (str), last one wins

    def tokens(self, name):
        return [t.strip().lower() for t in self.headers.get(name, "").split(",") if t.strip()]

    @property
    def keep_alive(self):
        conn = self.tokens("connection")
        if self.version == "HTTP/1.1":
            return "close" not in conn
        return "keep-alive" in conn  # HTTP/1.0: one request per connection unless asked


def parse_head(head):
    """The request line and headers (bytes up to, not including, the empty line)."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not all(parts):
        raise BadRequest("the request line is not METHOD TARGET VERSION")
    method, target, version = parts
    if not set(method) <= TOKEN:
        raise BadRequest("bad method")
    if version not in (b"HTTP/1.0", b"HTTP/1.1"):
        raise BadRequest("unsupported version")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or not set(name) <= TOKEN:
            raise BadRequest("a header line is not Name: value")
        headers[name.decode("ascii").lower()] = value.strip(b" \t").decode("latin-1")
    return Request(method.decode("ascii"), target.decode("latin-1"), version.decode("ascii"), headers)


def body_length(req):
    if "transfer-encoding" in req.headers:
        raise BadRequest("chunked request bodies are not supported")
    value = req.headers.get("content-length")
    if value is None:
        return 0
    if not value.isdigit():
        raise BadRequest("bad Content-Length")
    return int(value)


class Files:
    def __init__(self, root):
        self.root = os.path.realpath(root)

    def resolve(self, target):
        """(status, file path or None) for a request target."""
        if target.startswith(("http://", "https://")):  # absolute-form: keep only the path
            target = "/" + target.split("/", 3)[3] if target.count("/") >= 3 else "/"
        path = target.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith("/"):
            return 400, None
        raw = urllib.parse.unquote_to_bytes(path)
        if b"\0" in raw:
            return 404, None
        parts = []
        for seg in os.fsdecode(raw).split("/"):
            if seg in ("", "."):
                continue
            if seg == "..":
                if not parts:
                    return 403, None  # would climb above the document root
                parts.pop()
            else:
                parts.append(seg)
        full = os.path.join(self.root, *parts)
        # Symbolic links could still point outside: judge the real path.
        real = os.path.realpath(full)
        if real != self.root and not real.startswith(self.root + os.sep):
            return 403, None
        if os.path.isdir(real):
            real = os.path.join(real, "index.html")
        if not os.path.isfile(real):
            return 404, None
        return 200, real


def response(status, headers, body=b"", head_only=False):
    lines = ["HTTP/1.1 %d %s" % (status, REASONS[status])]
    lines += ["%s: %s" % (k, v) for k, v in headers]
    lines.append("Content-Length: %d" % len(body))
    out = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return out if head_only else out + body


def error(status, close, head_only=False, extra=()):
    body = ("%d %s\n" % (status, REASONS[status])).encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), *extra]
    if close:
        headers.append(("Connection", "close"))
    return response(status, headers, body, head_only)


class Server:
    def __init__(self, root):
        self.files = Files(root)

    def answer(self, req):
        """The response bytes for one well-formed request."""
        close = not req.keep_alive
        head_only = req.method == "HEAD"
        if req.method not in ("GET", "HEAD"):
            return error(405, close, extra=[("Allow", "GET, HEAD")])
        status, path = self.files.resolve(req.target)
        if status != 200:
            return error(status, close, head_only)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return error(404, close, head_only)
        ctype = TYPES.get(os.path.splitext(path)[1].lower(), "application/octet-stream")
        headers = [("Content-Type", ctype)]
        if close:
            headers.append(("Connection", "close"))
        elif req.version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        return response(200, headers, data, head_only)

    async def serve(self, reader, writer):
        buf = bytearray()
        try:
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        writer.write(error(400, True))
                        await writer.drain()
                        return
                    data = await reader.read(READ_SIZE)
                    if not data:
                        return  # the client is done (a half request is dropped)
                    buf += data
                    continue
                head = bytes(buf[:end])
                del buf[: end + 4]
                try:
                    req = parse_head(head)
                    length = body_length(req)
                except BadRequest:
                    writer.write(error(400, True))
                    await writer.drain()
                    return  # after garbage, where the next request starts is unknowable
                # A body (POST, PUT) is read and skipped: its bytes are not the next request.
                while len(buf) < length:
                    data = await reader.read(READ_SIZE)
                    if not data:
                        return
                    buf += data
                del buf[:length]
                writer.write(self.answer(req))
                await writer.drain()  # waits only if this client is not reading
                if not req.keep_alive:
                    return
        except (ConnectionError, OSError):
            pass  # the client vanished
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass


async def main(port, root):
    server = Server(root)
    listener = await asyncio.start_server(server.serve, host="127.0.0.1", port=port)
    print("http-server: serving %s on http://127.0.0.1:%d/" % (server.files.root, port), flush=True)
    async with listener:
        await listener.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="A static file server speaking HTTP/1.1.")
    ap.add_argument("--port", type=int, default=8080, help="TCP port on 127.0.0.1 (default 8080)")
    ap.add_argument("--root", default=".", help="the document root (default: the current folder)")
    args = ap.parse_args()
    if not os.path.isdir(args.root):
        print("http-server: --root %s is not a folder" % args.root, file=sys.stderr)
        sys.exit(2)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        asyncio.run(main(args.port, args.root))
    except OSError as exc:
        print("http-server: cannot listen on 127.0.0.1:%d: %s" % (args.port, exc), file=sys.stderr)
        sys.exit(1)
