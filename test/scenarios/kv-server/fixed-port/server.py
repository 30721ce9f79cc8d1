# BUG: ignores --port and always listens on 127.0.0.1:7379 (a port hard-coded while testing).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Server  # noqa: E402

Server().run(7379)  # should be: kvbase.main(), which reads --port
