#!/usr/bin/env python3
"""Check a server with the real clients: tftp-hpa's tftp, atftp, curl. Reads and writes, byte for byte.

Usage:  python3 real_clients.py TARGET [--big] [--quick]
   TARGET: python, ts, tftpd-hpa, atftpd (see tftplib.TARGETS)
   --big:   also one 33,554,532-byte file (65,537 blocks of 512: the block number rolls over)
            per client and direction (a single run each)
   --quick: only the 513-byte file

Prints a markdown table (command, exit code, seconds, cmp result) and writes it to
results/real-clients-TARGET.md (real-clients-TARGET-quick.md with --quick). Everything runs on 127.0.0.1, one client at a time.
"""

from __future__ import annotations

import filecmp
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tftplib import Server, pattern  # noqa: E402

SIZES = [0, 511, 512, 513, 1 << 20]
BIG = 65536 * 512 + 100


def run(cmd: str, cwd: str, timeout: float = 120):
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        rc, out = r.returncode, (r.stdout + r.stderr).strip()
    except subprocess.TimeoutExpired as e:
        rc, out = "timeout", ((e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace"))
    return rc, round(time.monotonic() - t0, 2), out


def main():
    target = sys.argv[1]
    big = "--big" in sys.argv
    sizes = [513] if "--quick" in sys.argv else list(SIZES)
    rows = []
    work = tempfile.mkdtemp(prefix="tftp-clients-")
    local = os.path.join(work, "local")
    os.mkdir(local)
    try:
        with Server(target, 1000) as s:
            P = s.port
            for n in sizes + ([BIG] if big else []):
                s.write(f"s{n}.bin", pattern(n, n))
                with open(os.path.join(local, f"u{n}.bin"), "wb") as f:
                    f.write(pattern(n, n + 1))

            def check_get(label, cmd, n, out_name):
                path = os.path.join(local, out_name)
                rc, secs, out = run(cmd, local)
                same = os.path.exists(path) and filecmp.cmp(path, s.path(f"s{n}.bin"), shallow=False)
                rows.append((label, n, cmd.replace(str(P), "P"), rc, secs, "same" if same else "DIFFERENT/missing",
                             out[-160:]))
                if os.path.exists(path):
                    os.unlink(path)

            def check_put(label, cmd, n, remote):
                rc, secs, out = run(cmd, local)
                time.sleep(0.05)
                dst = s.path(remote)
                same = os.path.exists(dst) and filecmp.cmp(dst, os.path.join(local, f"u{n}.bin"), shallow=False)
                rows.append((label, n, cmd.replace(str(P), "P"), rc, secs, "same" if same else "DIFFERENT/missing",
                             out[-160:]))

            for n in sizes + ([BIG] if big else []):
                bigrun = n == BIG
                g, u = f"s{n}.bin", f"u{n}.bin"
                # tftp-hpa: no options at all (no blksize, no tsize); -m binary, else netascii
                check_get("tftp-hpa get", f"tftp -m binary 127.0.0.1 {P} -c get {g} got-hpa-{n}", n, f"got-hpa-{n}")
                check_put("tftp-hpa put", f"tftp -m binary 127.0.0.1 {P} -c put {u} hpa-{n}.bin", n, f"hpa-{n}.bin")
                # atftp: plain, then with the three options
                check_get("atftp get", f"atftp --get -r {g} -l got-at-{n} 127.0.0.1 {P}", n, f"got-at-{n}")
                check_put("atftp put", f"atftp --put -r at-{n}.bin -l {u} 127.0.0.1 {P}", n, f"at-{n}.bin")
                if not bigrun:
                    opts = '--option "blksize 1428" --option tsize --option "timeout 1"'
                    check_get("atftp get +opts", f"atftp {opts} --get -r {g} -l got-ato-{n} 127.0.0.1 {P}", n,
                              f"got-ato-{n}")
                    check_put("atftp put +opts", f"atftp {opts} --put -r ato-{n}.bin -l {u} 127.0.0.1 {P}", n,
                              f"ato-{n}.bin")
                # curl: sends tsize, blksize 512, timeout 6 by default
                check_get("curl get", f"curl -sS tftp://127.0.0.1:{P}/{g} -o got-curl-{n}", n, f"got-curl-{n}")
                check_put("curl put", f"curl -sS -T {u} tftp://127.0.0.1:{P}/curl-{n}.bin", n, f"curl-{n}.bin")
                if not bigrun:
                    check_get("curl get blksize 1024",
                              f"curl -sS --tftp-blksize 1024 tftp://127.0.0.1:{P}/{g} -o got-curlb-{n}", n,
                              f"got-curlb-{n}")
                    check_put("curl put blksize 1024",
                              f"curl -sS --tftp-blksize 1024 -T {u} tftp://127.0.0.1:{P}/curlb-{n}.bin", n,
                              f"curlb-{n}.bin")
                    check_get("curl get no options",
                              f"curl -sS --tftp-no-options tftp://127.0.0.1:{P}/{g} -o got-curln-{n}", n,
                              f"got-curln-{n}")
            # curl -T with a URL ending in "/": the remote name is the local file's name
            check_put("curl put to dir URL", f"curl -sS -T u513.bin tftp://127.0.0.1:{P}/", 513, "u513.bin")
            # verbose tftp-hpa, once
            check_get("tftp-hpa get -v", f"tftp -v -m binary 127.0.0.1 {P} -c get s513.bin got-hpav", 513, "got-hpav")
            # netascii through tftp-hpa's default mode: a text file must come back identical
            text = b"one\ntwo\r\nthree\rfour\n" * 100
            s.write("text.txt", text)
            with open(os.path.join(local, "text-up.txt"), "wb") as f:
                f.write(text)
            rc, secs, out = run(f"tftp 127.0.0.1 {P} -c get text.txt got-text.txt", local)
            same = open(os.path.join(local, "got-text.txt"), "rb").read() == text if os.path.exists(
                os.path.join(local, "got-text.txt")) else False
            rows.append(("tftp-hpa get (default mode = netascii)", len(text), f"tftp 127.0.0.1 P -c get text.txt got-text.txt",
                         rc, secs, "same" if same else "DIFFERENT/missing", out[-160:]))
            rc, secs, out = run(f"tftp -m netascii 127.0.0.1 {P} -c put text-up.txt text-up.txt", local)
            time.sleep(0.05)
            p = s.path("text-up.txt")
            same = os.path.exists(p) and open(p, "rb").read() == text
            rows.append(("tftp-hpa put netascii", len(text), "tftp -m netascii 127.0.0.1 P -c put text-up.txt text-up.txt",
                         rc, secs, "same" if same else "DIFFERENT/missing", out[-160:]))
            # errors as each client reports them
            for label, cmd in [
                ("tftp-hpa get missing", f"tftp -m binary 127.0.0.1 {P} -c get nope got-x"),
                ("tftp-hpa put existing", f"tftp -m binary 127.0.0.1 {P} -c put u513.bin s513.bin"),
                ("atftp get missing", f"atftp --get -r nope -l got-x 127.0.0.1 {P}"),
                ("atftp put existing", f"atftp --put -r s513.bin -l u513.bin 127.0.0.1 {P}"),
                ("curl get missing", f"curl -sS tftp://127.0.0.1:{P}/nope -o got-x"),
                ("curl put existing", f"curl -sS -T u513.bin tftp://127.0.0.1:{P}/s513.bin"),
                ("curl get ../ (curl normalises the URL path)", f"curl -sS tftp://127.0.0.1:{P}/../etc/passwd -o got-x"),
                ("curl get %2e%2e/", f"curl -sS tftp://127.0.0.1:{P}/%2e%2e/etc/passwd -o got-x"),
                ("tftp-hpa get ../", f"tftp -m binary 127.0.0.1 {P} -c get ../etc/passwd got-x"),
            ]:
                rc, secs, out = run(cmd, local, timeout=30)
                rows.append((label, "-", cmd.replace(str(P), "P"), rc, secs, "", out[-200:]))
                if os.path.exists(os.path.join(local, "got-x")):
                    os.unlink(os.path.join(local, "got-x"))
            server_log = s.err_text()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [f"### Real clients against {target}", "",
             "| client | bytes | command (P = port) | exit | s | cmp | output (tail) |", "|---|---|---|---|---|---|---|"]
    for label, n, cmd, rc, secs, same, out in rows:
        out = out.replace("\n", " / ").replace("|", "\\|")
        lines.append(f"| {label} | {n} | `{cmd}` | {rc} | {secs} | {same} | {out} |")
    text = "\n".join(lines) + "\n"
    print(text)
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(os.path.join(here, "results"), exist_ok=True)
    suffix = "-quick" if "--quick" in sys.argv else ""
    with open(os.path.join(here, "results", f"real-clients-{target}{suffix}.md"), "w") as f:
        f.write(text)
    with open(os.path.join(here, "results", f"real-clients-{target}{suffix}.server-log.txt"), "w") as f:
        f.write(server_log)


if __name__ == "__main__":
    main()
