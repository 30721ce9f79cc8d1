# Binds every loopback port it can in the ranges the grader and common tools use, except its
# own --port, then answers PING.
import socket, sys
import hostile_lib

mine = hostile_lib.port_arg()
held = 0
socks = []
for port in list(range(1024, 1500)) + [3000, 5000, 6379, 8000, 8080, 8443, 9000] + list(range(20000, 20500)):
    if port == mine:
        continue
    try:
        s = socket.socket()
        s.bind(("127.0.0.1", port))
        s.listen(1)
        socks.append(s)
        held += 1
    except OSError:
        pass
print(f"squatting on {held} ports", file=sys.stderr, flush=True)
hostile_lib.serve_ping()
