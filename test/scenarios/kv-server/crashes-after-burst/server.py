# BUGS: a read that holds more than 100 commands switches the server to a "bulk" reply path whose
# per-server state is left half set up: the next client to connect crashes the process (an
# AttributeError), long after the burst itself was answered correctly; and keys and values are
# decoded as UTF-8 (errors replaced) and encoded again, so bytes that are not UTF-8 come back changed.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Connection, Executor, Server, main  # noqa: E402


class Utf8(Executor):
    def execute(self, args):
        args = args[:1] + [a.decode('utf-8', 'replace').encode('utf-8') for a in args[1:]]
        return super().execute(args)


class BurstServer(Server):
    executor_class = Utf8
    bulk_writer = None

    async def handle_client(self, reader, writer):
        if self.bulk_writer is not None:
            self.bulk_writer.flush(writer)  # AttributeError: the process dies here
        conn = Connection(self.executor)
        try:
            while True:
                data = await reader.read(self.read_size)
                if not data:
                    break
                replies, keep_open = conn.feed(data)
                if replies.count(b'\r\n') > 100 and self.bulk_writer is None:
                    self.bulk_writer = object()  # BUG: the bulk writer is never finished
                if replies:
                    writer.write(replies)
                    await writer.drain()
                if not keep_open:
                    break
        except ConnectionError:
            pass
        writer.close()


main(BurstServer)
