# An HTTP server that answers every request with "Content-Length: 10^12" and streams zeros for
# as long as the client reads: a grader that reads whole bodies would hold gigabytes.
import hostile_lib

ZEROS = b"\0" * 65536


def serve(conn):
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000000000000\r\n\r\n")
        while True:
            conn.sendall(ZEROS)
    except OSError:
        pass
    finally:
        conn.close()


hostile_lib.serve_each(serve)
