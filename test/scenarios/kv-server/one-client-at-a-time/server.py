# BUG: one client at a time. The loop accepts a client and serves it until it disconnects, and
# only then accepts the next one: while any client stays connected (even idle), every other
# client waits, its commands unanswered.
import socket
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Connection, Executor, parse_port  # noqa: E402


def main():
    executor = Executor()
    listener = socket.create_server(("127.0.0.1", parse_port()), backlog=128)
    while True:
        client, _ = listener.accept()
        conn = Connection(executor)
        with client:
            try:
                while True:  # serve this client to the end before anyone else
                    data = client.recv(65536)
                    if not data:
                        break
                    replies, keep_open = conn.feed(data)
                    client.sendall(replies)
                    if not keep_open:
                        break
            except ConnectionError:
                pass


main()
