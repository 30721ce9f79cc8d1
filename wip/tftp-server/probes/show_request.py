#!/usr/bin/env python3
"""Print the raw requests that real clients send (options, mode), answering each with ERROR 0.

Usage: python3 show_request.py PORT SECONDS    (stops by itself after SECONDS)
"""
import socket
import sys
import time

port, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
end = time.monotonic() + seconds
while time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        raw, src = s.recvfrom(2048)
    except socket.timeout:
        break
    op = int.from_bytes(raw[:2], "big")
    fields = [f.decode("latin-1") for f in raw[2:].split(b"\0")]
    print(f"op={op} from port {src[1]} fields={fields}", flush=True)
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    r.bind(("127.0.0.1", 0))
    r.sendto(b"\x00\x05\x00\x00probe: no transfer\x00", src)
    r.close()
