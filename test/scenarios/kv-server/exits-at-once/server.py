# BUG: exits at once with status 1: it insists on a config file that is not there, prints
# "config file not found" to stderr and never listens.
import os
import sys

CONFIG = "kv.conf"
if not os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), CONFIG)):
    print("error: config file not found: %s" % CONFIG, file=sys.stderr)
    sys.exit(1)
