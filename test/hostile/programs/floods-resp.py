# A key-value server that answers every command with a reply that never ends: alternately an
# array header of a billion items followed by endless items, and a bulk string header of a
# terabyte followed by endless bytes. A grader that collects what it is promised runs out of memory.
import itertools
import hostile_lib

ITEMS = b"+x\r\n" * 16384
BYTES = b"\0" * 65536
turn = itertools.count()


def serve(conn):
    try:
        if not conn.recv(4096):
            return
        if next(turn) % 2 == 0:
            conn.sendall(b"*1000000000\r\n")
            while True:
                conn.sendall(ITEMS)
        else:
            conn.sendall(b"$1000000000000\r\n")
            while True:
                conn.sendall(BYTES)
    except OSError:
        pass
    finally:
        conn.close()


hostile_lib.serve_each(serve)
