# Tries to reach addresses outside loopback (TCP and UDP), says so if it could, answers PING.
import socket, sys
import hostile_lib

for host, port in [("1.1.1.1", 80), ("8.8.8.8", 53), ("10.0.2.2", 22), ("192.168.1.1", 80)]:
    try:
        socket.create_connection((host, port), timeout=1).close()
        print(f"REACHED tcp {host}:{port}", flush=True)
    except OSError as e:
        print(f"blocked tcp {host}:{port}: {e}", file=sys.stderr, flush=True)
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"x", (host, port))
        print(f"REACHED udp {host}:{port}", flush=True)
    except OSError as e:
        print(f"blocked udp {host}:{port}: {e}", file=sys.stderr, flush=True)
hostile_lib.serve()
