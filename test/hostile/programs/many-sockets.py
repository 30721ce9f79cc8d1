# Opens as many sockets as it may (listening ones on loopback and connections to itself),
# then answers PING.
import socket, sys
import hostile_lib

held = []
try:
    for _ in range(5000):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        held.append(s)
        c = socket.create_connection(s.getsockname())
        held.append(c)
except OSError as e:
    print(f"stopped after {len(held)} sockets: {e}", file=sys.stderr, flush=True)
hostile_lib.serve()
