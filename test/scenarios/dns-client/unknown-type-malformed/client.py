# BUG: a record of a type outside the six the client knows is taken for a malformed datagram,
# so an answer section holding one is ignored as a whole (instead of printing it in RFC 3597 form).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import TYPE_NAMES, Client, FormatError, main  # noqa: E402


class UnknownTypeMalformed(Client):
    def format_rdata(self, msg, off, rdlength, rtype):
        if rtype not in TYPE_NAMES:
            raise FormatError(f"unknown record type {rtype}")
        return super().format_rdata(msg, off, rdlength, rtype)


main(UnknownTypeMalformed)
