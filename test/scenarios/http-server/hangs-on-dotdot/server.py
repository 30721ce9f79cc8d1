# BUGS (as in many real student servers): (1) ".." segments are removed with a loop that deletes
# the segment before each one; a ".." at the start (/../secret.txt) deletes nothing, so the loop
# spins forever, and the single-threaded server answers no one again (it hangs, it does not die);
# (2) methods other than GET and HEAD are answered 404, not 405 with Allow.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class Normalising(Server):
    def resolve(self, target):
        if not target.startswith("/"):
            return 400, None
        parts = [p for p in os.fsdecode(self.url_path(target)).split("/") if p not in ("", ".")]
        while ".." in parts:
            i = parts.index("..")
            del parts[i - 1:i + 1]  # i == 0: parts[-1:1] is empty, nothing is deleted
        return self.find_file(os.path.join(self.root, *parts))

    def method_not_allowed(self, req, close):
        return self.error(404, close)


main(Normalising)
