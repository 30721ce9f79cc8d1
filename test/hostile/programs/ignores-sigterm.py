# Ignores SIGTERM (and SIGINT, SIGHUP) while it answers PING.
import signal
import hostile_lib

for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
hostile_lib.serve()
