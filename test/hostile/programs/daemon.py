# Double-forks a daemon (new session, working folder /, ignoring SIGTERM) that outlives its
# parent, then answers PING.
import os, signal, sys, time
import hostile_lib

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.chdir("/")
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        while True:
            time.sleep(1)
    os._exit(0)
hostile_lib.serve()
