# BUG: a file that cannot be opened because it does not exist gets ERROR 0 (not defined) with the
# system's message, not ERROR 1 (file not found).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


def refusal_for(exc):
    if exc.errno == ref.errno.EEXIST:
        return ref.Refused(ref.ERR_EXISTS, "File already exists")
    if exc.errno in (ref.errno.ENOSPC, ref.errno.EDQUOT, ref.errno.EFBIG):
        return ref.Refused(ref.ERR_DISK_FULL, "Disk full or allocation exceeded")
    if exc.errno in (ref.errno.EACCES, ref.errno.EPERM, ref.errno.EISDIR, ref.errno.ENOTDIR, ref.errno.EROFS, ref.errno.ELOOP):
        return ref.Refused(ref.ERR_ACCESS, "Access violation")
    return ref.Refused(ref.ERR_UNDEFINED, os.strerror(exc.errno or 0))


ref.refusal_for = refusal_for
ref.main()
