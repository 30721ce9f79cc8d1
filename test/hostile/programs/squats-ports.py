# A child binds every loopback port it can in the ranges the grader and common tools use,
# except the program's own --port, and holds them while the program answers PING.
import os, signal, socket, sys, time
import hostile_lib

mine = hostile_lib.port_arg()
ready_r, ready_w = os.pipe()
if os.fork() == 0:
    socks = []
    for port in list(range(1024, 1500)) + [3000, 5000, 6379, 8000, 8080, 8443, 9000] + list(range(20000, 20500)):
        if port == mine:
            continue
        try:
            s = socket.socket()
            s.bind(("127.0.0.1", port))
            s.listen(1)
            socks.append(s)
        except OSError:
            pass
    print(f"squatting on {len(socks)} ports", file=sys.stderr, flush=True)
    os.write(ready_w, b"x")
    while True:
        time.sleep(1)
os.read(ready_r, 1)
hostile_lib.serve()
