# BUG: serves one client at a time (a blocking accept loop); framing is right.
import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", parser.parse_args().port))
listener.listen()
while True:
    conn, _ = listener.accept()
    with conn:
        buf = b""
        while data := conn.recv(4096):
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                conn.sendall(line.decode(errors="replace")[::-1].encode() + b"\n")
