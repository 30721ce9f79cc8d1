# BUG: a thread per client, but the thread finds its socket in the global that the accept loop
# overwrites for the next client. The thread first logs the new client (a write, which lets the
# accept loop run) and only then reads `conn`: when two clients connect at the same instant, both
# threads may serve the second socket, and the first client is never answered.
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Connection, Executor, parse_port  # noqa: E402

# Not part of the bug: the grader's 512 MiB memory limit counts every thread's stack (8 MiB by
# default), which would cap this server at about 60 threads.
threading.stack_size(1024 * 1024)
executor = Executor()
lock = threading.Lock()  # the key space is protected; the socket hand-over is not
conn = None
addr = None


def handle():
    print("client connected from %s:%d" % addr, flush=True)
    sock = conn  # BUG: whichever client the accept loop saw last
    state = Connection(executor)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            with lock:
                replies, keep_open = state.feed(data)
            sock.sendall(replies)
            if not keep_open:
                break
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def main():
    global conn, addr
    listener = socket.create_server(("127.0.0.1", parse_port()), backlog=128)
    while True:
        conn, addr = listener.accept()
        threading.Thread(target=handle, daemon=True).start()


main()
