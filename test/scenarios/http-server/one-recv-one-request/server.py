# BUG: treats each recv() as exactly one whole request: answers the first request in a read,
# drops whatever else the read held, and answers 400 to a request that arrives in pieces.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import BadRequest, Server, main  # noqa: E402


class OneRecv(Server):
    async def serve(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)  # "one read = one request"
                if not data:
                    return
                try:
                    found = self.next_request(data)
                    if found is None:
                        raise BadRequest("incomplete")  # half a request is taken as garbage
                    req = self.parse_head(found[0])
                except BadRequest:
                    await self.send(writer, self.bad_request())
                    return
                await self.send(writer, self.answer(req))  # the rest of the read is dropped
                if not self.keep_alive(req):
                    return
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


main(OneRecv)
