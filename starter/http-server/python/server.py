#!/usr/bin/env python3
"""http-server starter: a static file server that speaks HTTP/1.1.

    Run:    python3 server.py --port 8080 --root www
    Try:    curl -v http://127.0.0.1:8080/
    Grade:  npx sockgrade grade .

What is here already: the networking. The server listens on 127.0.0.1, serves any
number of clients at once (asyncio: one coroutine per client, all in one thread),
reads whatever bytes arrive and writes responses, waiting for each client to take
them (drain) so that a slow client holds up only itself.

What is missing (the TODOs): the request parser, mapping a path to a file, the
status codes and headers, HEAD, and persistent connections. Read the handout
first. Keep file contents as `bytes`: open files in binary mode ("rb").

As it comes, it answers every request with the document root's index.html.

Standard library only (and not http.server: the point is to write it yourself).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys

READ_SIZE = 64 * 1024


class BadRequest(Exception):
    """Raise this from the parser when the bytes are not an HTTP request (answer 400)."""


class Request:
    def __init__(self, method: str, target: str, version: str, headers: dict[str, str]):
        self.method = method  # "GET"
        self.target = target  # "/hello%20world.txt?x=1", as sent
        self.version = version  # "HTTP/1.1"
        self.headers = headers  # TODO: lower-case the names: they are case-insensitive


# ---------------------------------------------------------------------------
# The request parser
# ---------------------------------------------------------------------------


class RequestParser:
    """Turns the byte stream from one client into requests.

    TCP is a byte stream: one read may return half a request, exactly one, or
    several requests (pipelining). feed() is called with whatever arrived;
    next_request() must then return the complete requests one at a time, and
    keep an incomplete one in the buffer until the rest arrives.
    """

    def __init__(self) -> None:
        self.buf = bytearray()  # bytes received but not parsed yet

    def feed(self, data: bytes) -> None:
        self.buf += data

    def next_request(self) -> Request | None:
        """Remove one complete request from the front of self.buf and return it.
        Return None if the buffer does not hold a complete request (yet). Raise
        BadRequest if the bytes are not a request.

        A request is a request line, header lines and an empty line, each ending
        with "\\r\\n":   GET /hello.txt HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n
        TODO: find the empty line ("\\r\\n\\r\\n"); if it has not arrived yet,
              return None. Split the request line into exactly three parts
              (method, target, version) and each header line at its first ":".
              Anything else is a BadRequest. If there is a Content-Length header,
              that many body bytes follow: skip them too.
        """
        # PLACEHOLDER, only so that the loop in serve_client() runs: it takes
        # everything that has arrived and pretends it is one GET /. Replace it.
        if not self.buf:
            return None
        self.buf.clear()
        return Request("GET", "/", "HTTP/1.1", {})


# ---------------------------------------------------------------------------
# Answering a request
# ---------------------------------------------------------------------------


def response(status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """A complete response: status line, headers, empty line, body."""
    lines = ["HTTP/1.1 %d %s" % (status, reason)]
    lines += ["%s: %s" % (name, value) for name, value in headers]
    lines.append("Content-Length: %d" % len(body))  # always: the client needs it
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def answer(req: Request, root: str) -> bytes:
    """The response to one request."""
    # TODO: methods other than GET and HEAD: 405 with "Allow: GET, HEAD".
    # TODO: turn req.target into a file under root: cut off "?query", decode
    #       %XX escapes, resolve "." and "..", and refuse (403 or 404) anything
    #       that would end up outside root. A folder means its index.html.
    # TODO: a missing file is 404; Content-Type from the extension (handout).
    # TODO: HEAD gets the same headers as GET, and no body.
    path = os.path.join(root, "index.html")  # PLACEHOLDER: always the index page
    with open(path, "rb") as f:
        body = f.read()
    return response(200, "OK", [("Content-Type", "text/html")], body)


def keep_alive(req: Request) -> bool:
    """Whether the connection stays open after answering req."""
    # TODO: HTTP/1.1 keeps it open unless "Connection: close"; HTTP/1.0 closes it.
    return False


# ---------------------------------------------------------------------------
# Networking (you should not need to change much below)
# ---------------------------------------------------------------------------


async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, root: str) -> None:
    """Runs once per connected client, concurrently with all the others."""
    parser = RequestParser()
    try:
        while True:
            data = await reader.read(READ_SIZE)  # 1 byte or 64 KiB: part of a request, or many
            if not data:
                break  # the client closed its side of the connection
            parser.feed(data)
            closing = False
            try:
                while (req := parser.next_request()) is not None:
                    writer.write(answer(req, root))
                    await writer.drain()  # waits only if this client is not reading
                    if not keep_alive(req):
                        closing = True
                        break
            except BadRequest:
                # TODO: answer 400 Bad Request before closing.
                closing = True
            if closing:
                break
    except OSError:
        pass  # e.g. ConnectionResetError: the client vanished; forget it
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def main(port: int, root: str) -> None:
    server = await asyncio.start_server(lambda r, w: serve_client(r, w, root), host="127.0.0.1", port=port)
    print(f"http-server listening on http://127.0.0.1:{port}/, serving {root}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="A static file server speaking HTTP/1.1.")
    ap.add_argument("--port", type=int, default=8080, help="TCP port on 127.0.0.1 (default 8080)")
    ap.add_argument("--root", default=".", help="the folder to serve (default: the current one)")
    args = ap.parse_args()
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: just stop, no traceback
    try:
        asyncio.run(main(args.port, os.path.abspath(args.root)))
    except OSError as exc:  # e.g. the port is already in use
        print(f"http-server: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        sys.exit(1)
