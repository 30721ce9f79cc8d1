# BUG: the response's question name is compared byte for byte with the name asked, so an
# answer that repeats the question in other case (WWW.Example.COM for www.example.com) is ignored.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import CLASS_IN, Client, main  # noqa: E402


class CaseSensitiveQuestion(Client):
    def question_ok(self, response):
        if response.question is None:
            return False
        labels, qtype, qclass = response.question
        return labels == self.labels and qtype == self.qtype and qclass == CLASS_IN


main(CaseSensitiveQuestion)
