# BUG: treats each recv() as exactly one whole command. It parses the chunk on its own, answers
# the first command in it and throws the rest away (so pipelined commands go unanswered), and a
# chunk that holds only part of a command gets an error reply (nothing is kept for the next read).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Connection, ProtocolError, Server, main, parse_commands  # noqa: E402


class OneRecvOneCommand(Connection):
    def feed(self, data):
        try:
            commands, _rest = parse_commands(data)  # this chunk alone; the leftover is dropped
        except ProtocolError as e:
            return self.executor.error(str(e)), True
        if not commands:
            return self.executor.error("incomplete command"), True
        return self.executor.execute(commands[0]), True  # commands[1:] are dropped


class OneRecvServer(Server):
    connection_class = OneRecvOneCommand


main(OneRecvServer)
