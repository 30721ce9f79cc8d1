# BUGS (as in many real student servers, mostly in C): (1) a thread per client, writing with
# unchecked blocking writes, and SIGPIPE left at its default: when a client resets its connection
# with responses still unsent, the next write to it kills the whole process (here: at the end of
# slow-reader, when the client that stopped reading leaves); (2) Connection: close and HTTP/1.0
# are ignored: every connection stays open until the client closes it.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import signal  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402

from httpbase import BadRequest, Server, parse_args  # noqa: E402


class Threaded(Server):
    def keep_alive(self, req):
        return True  # whatever the client asked

    def write(self, conn, data):
        try:
            conn.sendall(data)
        except OSError:
            pass  # the error is not checked, as an unchecked write() in C: the next write gets SIGPIPE

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
                self.write(conn, self.bad_request())
                return
            while len(rest) < length:
                data = conn.recv(65536)
                if not data:
                    return
                rest += data
            buf = rest[length:]
            self.write(conn, self.answer(req))

    def client(self, conn):
        try:
            self.serve_one(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def run_threads(self, port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(128)
        print("listening on 127.0.0.1:%d" % port, flush=True)
        while True:
            conn, _ = s.accept()
            threading.Thread(target=self.client, args=(conn,), daemon=True).start()


signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # as a C program has it: a write to a reset connection kills the process
args = parse_args()
Threaded(args.root).run_threads(args.port)
