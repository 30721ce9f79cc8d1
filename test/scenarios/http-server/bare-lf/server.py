# BUG: ends the status line and header lines with "\n" instead of "\r\n", as if writing text
# lines to a terminal. HTTP lines end with CRLF; strict clients reject these responses.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class LfOnly(Server):
    EOL = b"\n"  # should be b"\r\n"


main(LfOnly)
