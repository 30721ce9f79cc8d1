# BUG: the command line is read by position, in the order the grader happens to use
# (--server S --timeout-ms T --retries R [--type X] NAME); the same options in another order are
# refused as a usage error.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, UsageError, main  # noqa: E402


class FixedArgumentOrder(Client):
    def parse_args(self, argv):
        expected = ["--server", "--timeout-ms", "--retries"]
        if len(argv) < 7 or [argv[0], argv[2], argv[4]] != expected:
            raise UsageError("usage: --server S --timeout-ms T --retries R [--type X] NAME, in this order")
        rest = argv[6:]
        if rest and rest[0] == "--type":
            if len(rest) != 3:
                    raise UsageError("--type X NAME expected")
        elif len(rest) != 1:
            raise UsageError("NAME expected last")
        super().parse_args(argv)  # the checks of the values themselves


main(FixedArgumentOrder)
