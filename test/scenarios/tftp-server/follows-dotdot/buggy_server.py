# BUG: the requested name is joined to the root as it is: "..", absolute paths and symlinks lead
# out of the root.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


def resolve(root, raw_name):
    return os.path.join(root, os.fsdecode(raw_name))


ref.resolve = resolve
ref.main()
