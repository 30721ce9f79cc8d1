# A daemon that leaves no trace a grader could follow: a new session, a double fork, and an
# exec with an empty environment (no marker), holding hundreds of loopback ports in a range the
# grader picks from, for ten minutes. The token stays in its command line, so the test finds it.
import os, socket, sys, time
import hostile_lib

token = sys.argv[1]
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        code = (
            "import socket, time\n"
            "socks = []\n"
            "for port in range(20000, 32000, 7):\n"
            "    try:\n"
            "        s = socket.socket(); s.bind(('127.0.0.1', port)); s.listen(1); socks.append(s)\n"
            "    except OSError:\n"
            "        pass\n"
            "time.sleep(600)\n"
        )
        os.execve(sys.executable, [sys.executable, "-c", code, token], {})
    os._exit(0)
hostile_lib.serve()
