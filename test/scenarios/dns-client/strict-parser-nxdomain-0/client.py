# BUGS: the question's name is compared byte for byte (case-sensitive); a record of a type the
# client does not know makes the datagram malformed (ignored); and NXDOMAIN exits 0 like NOERROR.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import CLASS_IN, TYPE_NAMES, Client, FormatError, main  # noqa: E402


class StrictParserNxdomain0(Client):
    def question_ok(self, response):
        if response.question is None:
            return False
        labels, qtype, qclass = response.question
        return labels == self.labels and qtype == self.qtype and qclass == CLASS_IN

    def format_rdata(self, msg, off, rdlength, rtype):
        if rtype not in TYPE_NAMES:
            raise FormatError(f"unknown record type {rtype}")
        return super().format_rdata(msg, off, rdlength, rtype)

    def exit_code(self, rcode):
        return 4 if rcode not in (0, 3) else 0


main(StrictParserNxdomain0)
