# BUG: batches replies and flushes them on a 20 ms timer (fewer writes), but when the client
# half-closes (EOF) it closes the connection at once, dropping the replies not yet flushed.
# A client that sends its last command and shuts down its sending side never gets the answer.
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Server, main  # noqa: E402


class TimerFlushServer(Server):
    async def handle_client(self, reader, writer):
        conn = self.connection_class(self.executor)
        pending = []

        def flush():
            if pending and not writer.is_closing():
                writer.write(b"".join(pending))
            pending.clear()

        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await reader.read(self.read_size)
                if not data:
                    break  # the unflushed replies are lost here
                replies, keep_open = conn.feed(data)
                if replies:
                    pending.append(replies)
                    loop.call_later(0.02, flush)
                if not keep_open:
                    break
        except ConnectionError:
            pass
        writer.close()


main(TimerFlushServer)
