# BUGS (as in many real student servers): (1) a blocking accept loop serves one connection until
# the client closes it before accepting the next; (2) the request line is unpacked as
# method, target, version = line.split(" ") without a check: a one-word or four-part line raises
# and the process exits.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import socket  # noqa: E402
import traceback  # noqa: E402

from httpbase import BadRequest, Server, parse_args  # noqa: E402


class BlockingCrashy(Server):
    def parse_head(self, head):
        try:
            method, target, version = head.split(b"\r\n")[0].split(b" ")
        except ValueError:
            traceback.print_exc()
            os._exit(1)  # nothing catches it: the process dies
        return super().parse_head(head)

    def serve_one(self, conn):
        buf = b""
        while True:
            try:
                found = self.next_request(buf)
                if found is None:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                    continue
                head, _, rest = found
                req = self.parse_head(head)
                length = self.body_length(req)
            except BadRequest:
                conn.sendall(self.bad_request())
                return
            while len(rest) < length:
                data = conn.recv(65536)
                if not data:
                    return
                rest += data
            buf = rest[length:]
            conn.sendall(self.answer(req))
            if not self.keep_alive(req):
                return

    def run_blocking(self, port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(128)
        print("listening on 127.0.0.1:%d" % port, flush=True)
        while True:
            conn, _ = s.accept()
            try:
                self.serve_one(conn)  # nobody else is accepted until this client is gone
            except OSError:
                pass
            finally:
                conn.close()


args = parse_args()
BlockingCrashy(args.root).run_blocking(args.port)
