# BUG: a select() loop that reads without blocking but writes each response with a blocking
# sendall(): once a client stops reading, the kernel's buffers fill, sendall() never returns,
# and the whole server stands still.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import selectors  # noqa: E402
import socket  # noqa: E402

from httpbase import BadRequest, Server, parse_args  # noqa: E402


class BlockingWrites(Server):
    def run_select(self, port):
        sel = selectors.DefaultSelector()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs = {}
        print("listening on 127.0.0.1:%d" % port, flush=True)
        while True:
            for key, _ in sel.select():
                if key.fileobj is s:
                    conn, _ = s.accept()
                    conn.setblocking(False)
                    sel.register(conn, selectors.EVENT_READ)
                    bufs[conn] = b""
                    continue
                conn = key.fileobj
                try:
                    data = conn.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if data:
                    bufs[conn] += data
                if not data or not self.handle(conn, bufs):
                    sel.unregister(conn)
                    bufs.pop(conn, None)
                    conn.close()

    def handle(self, conn, bufs):
        """Answer every complete request in the buffer; False to close the connection."""
        try:
            while True:
                found = self.next_request(bufs[conn])
                if found is None:
                    return True
                head, _, rest = found
                req = self.parse_head(head)
                length = self.body_length(req)
                if len(rest) < length:
                    return True
                bufs[conn] = rest[length:]
                conn.setblocking(True)
                try:
                    conn.sendall(self.answer(req))  # blocks while this client is not reading
                finally:
                    conn.setblocking(False)
                if not self.keep_alive(req):
                    return False
        except BadRequest:
            conn.setblocking(True)
            conn.sendall(self.bad_request())
            return False
        except OSError:
            return False


args = parse_args()
BlockingWrites(args.root).run_select(args.port)
