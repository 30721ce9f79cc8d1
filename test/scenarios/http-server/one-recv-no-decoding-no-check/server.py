# BUGS (as in many real student servers): (1) each recv() is taken as one whole request: the rest
# of a read is dropped, and half a request is answered 400; (2) the target is looked up as it
# came, without percent-decoding or cutting off the query; (3) it is joined onto the root with no
# check, so /../secret.txt leaves the document root.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import BadRequest, Server, main  # noqa: E402


class Sloppy(Server):
    def url_path(self, target):
        return target.encode("latin-1")

    def resolve(self, target):
        path = os.fsdecode(self.url_path(target))[1:]
        return self.find_file(os.path.join(self.root, path))

    async def serve(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)  # "one read = one request"
                if not data:
                    return
                try:
                    found = self.next_request(data)
                    if found is None:
                        raise BadRequest("incomplete")
                    req = self.parse_head(found[0])
                except BadRequest:
                    await self.send(writer, self.bad_request())
                    return
                await self.send(writer, self.answer(req))
                if not self.keep_alive(req):
                    return
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


main(Sloppy)
