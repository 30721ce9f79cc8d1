# BUG: an answer with no records is treated as "no answer": it exits 2, as if the server had
# never replied, although NOERROR with an empty answer section is a successful reply.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class NodataExit2(Client):
    def run(self, argv):
        code = super().run(argv)
        if code == 0 and not self.printed_any:
            return 2
        return code

    def format_record(self, record):
        self.printed_any = True
        return super().format_record(record)

    printed_any = False


main(NodataExit2)
