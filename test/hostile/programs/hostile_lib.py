# What every hostile program shares: the --port argument, a minimal server that answers PING
# with +PONG (so the grade has something to pass while the program misbehaves), and the paths
# the test wants attacked (targets.json, written beside the program by the test).
import json
import os
import socket
import sys
import threading


def port_arg():
    return int(sys.argv[sys.argv.index("--port") + 1])


def targets():
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets.json")) as f:
            return json.load(f)
    except OSError:
        return {}


def _answer(conn):
    buf = b""
    while True:
        try:
            data = conn.recv(4096)
        except OSError:
            return
        if not data:
            return
        buf += data
        while b"PING\r\n" in buf.upper():
            i = buf.upper().index(b"PING\r\n")
            buf = buf[i + 6:]
            conn.sendall(b"+PONG\r\n")


def serve(**kw):
    """Become the real server when one was put beside the program (the batch test gives each
    hostile program a reference solution, so a whole grade runs), else answer PING."""
    real = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server.py")
    if os.path.exists(real) and not kw.get("background"):
        os.execv(sys.executable, [sys.executable, real, "--port", str(port_arg())])
    serve_ping(**kw)


def serve_ping(background=False, threads=True):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port_arg()))
    s.listen(64)

    def loop():
        while True:
            c, _ = s.accept()
            if threads:
                threading.Thread(target=_answer, args=(c,), daemon=True).start()
            else:
                _answer(c)

    if background:
        threading.Thread(target=loop, daemon=True).start()
    else:
        loop()


def serve_each(handler):
    """Listen on --port and run handler(conn) in a thread of its own for every connection."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port_arg()))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handler, args=(c,), daemon=True).start()
