#!/usr/bin/env python3
"""Probe a TFTP server with raw datagrams and record exactly what comes back.

Usage:  python3 probes.py TARGET [PROBE ...]      (TARGET: python, ts, tftpd-hpa, atftpd)
        python3 probes.py --list

Each probe starts the target afresh (a new root folder, a free port, --timeout-ms 200
unless it says otherwise), talks to it over 127.0.0.1, prints one JSON object per probe
and appends it to results/TARGET.jsonl. Nothing is judged here beyond an "ok" hint for the
contract; the point is the record: opcodes, block numbers, source ports, timings.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tftplib import (  # noqa: E402
    ACK, DATA, ERROR, OACK, Peer, Server, TransferFailed, ack, data, error, fetch, pattern, rrq,
    parse, server_addr, store, wrq,
)

T_MS = 200  # the --timeout-ms every probe passes unless it needs another
PROBES = {}


def probe(fn):
    PROBES[fn.__name__.replace("_", "-")] = fn
    return fn


def first_reply(port, raw, wait=1.5, peer=None):
    """Send one datagram to the listening port; return (packet, peer) for the first reply."""
    peer = peer or Peer()
    peer.send(raw, server_addr(port))
    return peer.recv(wait), peer


def desc(p, listen_port=None):
    if p is None:
        return "no reply"
    s = repr(p)
    if listen_port is not None:
        s += " from listening port" if p.src[1] == listen_port else " from new port"
    return s


def times_ms(pkts, t0):
    return [round((p.t - t0) * 1000) for p in pkts]


# ---------------------------------------------------------------------------


@probe
def tid(target):
    """Transfers come from a new port each; two concurrent RRQs get two ports."""
    with Server(target, T_MS) as s:
        s.write("f", pattern(2000))
        a, b = Peer(), Peer()
        a.send(rrq("f"), server_addr(s.port))
        b.send(rrq("f"), server_addr(s.port))
        pa, pb = a.recv(2), b.recv(2)
        res = {"listen_port": s.port, "a": desc(pa, s.port), "b": desc(pb, s.port)}
        res["a_port"], res["b_port"] = pa.src[1], pb.src[1]
        res["ok"] = pa.src[1] != s.port and pb.src[1] != s.port and pa.src[1] != pb.src[1]
        for p, peer in ((pa, a), (pb, b)):
            peer.send(error(0, "done"), p.src)
        return res


@probe
def rrq_sizes(target):
    """RRQ octet of 0, 511, 512, 513, 1 MiB bytes: blocks, last block length, content."""
    out = {}
    ok = True
    with Server(target, T_MS) as s:
        for n in (0, 511, 512, 513, 1 << 20):
            s.write(f"f{n}", pattern(n, n))
            try:
                c, info = fetch(s.port, f"f{n}")
                good = c == pattern(n, n)
                out[n] = {"blocks": info["blocks"], "last_len": info["last_len"], "content_ok": good}
                ok &= good
            except TransferFailed as e:
                out[n] = str(e)
                ok = False
    out["ok"] = ok and out[512]["blocks"] == 2 and out[512]["last_len"] == 0 and out[0]["blocks"] == 1
    return out


@probe
def wrq_sizes(target):
    """WRQ octet of 0, 511, 512, 513, 1 MiB bytes: first answer, file content."""
    out = {}
    ok = True
    with Server(target, T_MS) as s:
        for n in (0, 511, 512, 513, 1 << 20):
            try:
                info = store(s.port, f"w{n}", pattern(n, n))
                time.sleep(0.05)
                with open(s.path(f"w{n}"), "rb") as f:
                    good = f.read() == pattern(n, n)
                out[n] = {"first": "OACK" if info["oack"] else "ACK 0", "acks": info["acks"], "content_ok": good}
                ok &= good
            except (TransferFailed, OSError) as e:
                out[n] = str(e)
                ok = False
    out["ok"] = ok
    return out


@probe
def mode_case(target):
    """Mode names in other cases: OCTET, Octet, NETASCII."""
    out = {}
    with Server(target, T_MS) as s:
        s.write("f", b"line\n")
        for mode in ("OCTET", "Octet", "NETASCII", "NetAscii"):
            try:
                c, _ = fetch(s.port, "f", mode=mode)
                out[mode] = c
            except TransferFailed as e:
                out[mode] = str(e)
    out = {k: (v.decode("latin-1") if isinstance(v, bytes) else v) for k, v in out.items()}
    out["ok"] = out["OCTET"] == "line\n" and out["NETASCII"] == "line\r\n"
    return out


@probe
def netascii_read(target):
    """RRQ netascii: LF -> CR LF, CR -> CR NUL; also a file whose encoding crosses a block edge."""
    src = b"a\nb\rc\r\nd"
    want = b"a\r\nb\r\0c\r\0\r\nd"
    big = (b"x" * 511 + b"\n") * 3 + b"\r" * 5
    with Server(target, T_MS) as s:
        s.write("t", src)
        s.write("big", big)
        out = {}
        try:
            c, info = fetch(s.port, "t", mode="netascii")
            out["small"] = repr(c)
            out["small_ok"] = c == want
        except TransferFailed as e:
            out["small"] = str(e)
            out["small_ok"] = False
        try:
            c, info = fetch(s.port, "big", mode="netascii")
            wantbig = big.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")
            out["big_ok"] = c == wantbig
            out["big_blocks"] = info["blocks"]
            out["big_len"] = len(c)
            out["big_want_len"] = len(wantbig)
        except TransferFailed as e:
            out["big_ok"] = str(e)
        # tsize with netascii: what size is announced?
        p, peer = first_reply(s.port, rrq("t", "netascii", {"tsize": 0}))
        out["tsize_netascii"] = desc(p)
        if p is not None:
            peer.send(error(0, "bye"), p.src)
        out["ok"] = out["small_ok"] is True and out["big_ok"] is True
        return out


@probe
def netascii_write(target):
    """WRQ netascii: CR LF -> LF, CR NUL -> CR, with a CR LF split across two blocks."""
    wire = b"a\r\nb\r\0c"
    split = b"y" * 511 + b"\r" + b"\nz\r\0"  # block 1 ends in CR, block 2 starts with LF
    out = {}
    with Server(target, T_MS) as s:
        try:
            store(s.port, "t1", wire, mode="netascii")
            time.sleep(0.05)
            got = open(s.path("t1"), "rb").read()
            out["small"] = repr(got)
            out["small_ok"] = got == b"a\nb\rc"
        except (TransferFailed, OSError) as e:
            out["small"] = str(e)
            out["small_ok"] = False
        try:
            store(s.port, "t2", split, mode="netascii")
            time.sleep(0.05)
            got = open(s.path("t2"), "rb").read()
            out["split_ok"] = got == b"y" * 511 + b"\nz\r"
            out["split_tail"] = repr(got[-6:])
        except (TransferFailed, OSError) as e:
            out["split_ok"] = str(e)
    out["ok"] = out["small_ok"] is True and out["split_ok"] is True
    return out


@probe
def bad_mode(target):
    """Modes mail, junk (RRQ and WRQ), and what comes back."""
    out = {}
    with Server(target, T_MS) as s:
        s.write("f", b"x")
        for op, fn in (("RRQ", rrq), ("WRQ", wrq)):
            for mode in ("mail", "junk"):
                name = "f" if op == "RRQ" else f"new-{mode}"
                p, peer = first_reply(s.port, fn(name, mode))
                out[f"{op} {mode}"] = desc(p, s.port)
                if p is not None and p.op != ERROR:
                    peer.send(error(0, "bye"), p.src)
        out["wrq_files_created"] = sorted(n for n in os.listdir(s.root) if n.startswith("new-"))
    out["ok"] = all(v.startswith("ERROR4") for k, v in out.items() if " " in k)
    return out


def watch_retransmits(peer, first, limit):
    """Record every packet after `first` until `limit` seconds pass, or until silence lasts
    3.5 s and also 2.5 times the last gap (so a backing-off server is still followed)."""
    pkts = [first]
    end = time.monotonic() + limit
    while time.monotonic() < end:
        gap = pkts[-1].t - pkts[-2].t if len(pkts) > 1 else 0
        p = peer.recv(min(end - time.monotonic(), max(3.5, 2.5 * gap)))
        if p is None:
            break
        pkts.append(p)
    return pkts


@probe
def rrq_retransmit(target):
    """RRQ, DATA 1 never ACKed: times of every DATA 1 copy, any ERROR at the end, then silence."""
    with Server(target, T_MS) as s:
        s.write("f", pattern(1300))
        p, peer = first_reply(s.port, rrq("f"))
        pkts = watch_retransmits(peer, p, 60)
        t0 = p.t
        res = {
            "packets": [repr(x) for x in pkts],
            "copies": sum(1 for x in pkts if x.op == DATA),
            "times_ms": times_ms(pkts, t0),
        }
        # After giving up, is the TID closed? (an ACK to it now: ICMP unreachable or an answer?)
        peer.send(ack(1), p.src)
        late = peer.recv(1.0)
        res["late_ack_answer"] = desc(late)
        # The same in mid-transfer: DATA 1 ACKed, DATA 2 never.
        p, peer = first_reply(s.port, rrq("f"))
        peer.send(ack(1), p.src)
        q = peer.recv(2)
        pkts2 = watch_retransmits(peer, q, 60)
        res["mid_packets"] = [repr(x) for x in pkts2]
        res["mid_times_ms"] = times_ms(pkts2, q.t)
        res["ok"] = (res["copies"] == 6 and [repr(x) for x in pkts] == [repr(pkts[0])] * 6
                     and res["mid_packets"] == ["DATA#2(512B)"] * 6)
        return res


def udp_port_open(port: int) -> bool:
    """Is any socket bound to this local UDP port? (read from /proc/net/udp, no traffic)"""
    needle = f":{port:04X} "
    with open("/proc/net/udp") as f:
        return any(needle in line.split()[1] + " " for line in f.readlines()[1:])


@probe
def giveup(target):
    """When does an abandoned transfer's socket close? DATA 1 is never ACKed; /proc/net/udp is
    polled every 50 ms for the TID's port (no traffic, so nothing can disturb the timer)."""
    with Server(target, T_MS) as s:
        s.write("f", pattern(1300))
        p, peer = first_reply(s.port, rrq("f"))
        t0 = p.t
        tid_port = p.src[1]
        copies = [p]
        closed_at = None
        end = t0 + 60
        while time.monotonic() < end:
            q = peer.recv(0.05)
            if q is not None:
                copies.append(q)
            if not udp_port_open(tid_port):
                closed_at = time.monotonic()
                break
        res = {"retransmit_times_ms": times_ms(copies, t0),
               "closed_after_ms": None if closed_at is None else round((closed_at - t0) * 1000)}
        res["ok"] = len(copies) == 6 and closed_at is not None and closed_at - t0 < 8 * T_MS / 1000
        return res


@probe
def wrq_retransmit(target):
    """WRQ: (a) ACK 0 never followed by DATA; (b) DATA 1 then silence: ACK times, partial file kept?"""
    res = {}
    with Server(target, T_MS) as s:
        p, peer = first_reply(s.port, wrq("a"))
        pkts = watch_retransmits(peer, p, 60)
        res["a_packets"] = [repr(x) for x in pkts]
        res["a_times_ms"] = times_ms(pkts, p.t)
        res["a_file_left"] = os.path.exists(s.path("a"))
        p, peer = first_reply(s.port, wrq("b"))
        peer.send(data(1, pattern(512)), p.src)
        q = peer.recv(2)
        pkts = watch_retransmits(peer, q, 60)
        res["b_packets"] = [repr(x) for x in pkts]
        res["b_times_ms"] = times_ms(pkts, q.t)
        time.sleep(0.2)
        res["b_file_left"] = os.path.exists(s.path("b"))
        if res["b_file_left"]:
            res["b_file_size"] = os.path.getsize(s.path("b"))
        res["ok"] = (len(res["a_packets"]) == 6 and len(res["b_packets"]) == 6
                     and not res["a_file_left"] and not res["b_file_left"])
    return res


@probe
def dup_ack(target):
    """Sorcerer's Apprentice: ACK 1 sent twice; later an old ACK 1 again. Count the DATA that follow."""
    with Server(target, T_MS) as s:
        s.write("f", pattern(512 * 4 + 10))
        p, peer = first_reply(s.port, rrq("f"))
        tid = p.src
        peer.send(ack(1), tid)
        peer.send(ack(1), tid)
        # Everything within half a timeout: only answers to our ACKs, no retransmission yet.
        a = peer.recv_all(T_MS * 0.4 / 1000)
        res = {"after_double_ack1": [repr(x) for x in a]}
        peer.send(ack(1), tid)  # stale ACK while DATA 2 is outstanding
        b = peer.recv_all(T_MS * 0.4 / 1000)
        res["after_stale_ack1"] = [repr(x) for x in b]
        peer.send(ack(2), tid)
        c = peer.recv_all(T_MS / 2000)
        res["after_ack2"] = [repr(x) for x in c]
        peer.send(error(0, "bye"), tid)
        res["ok"] = len(a) == 1 and a[0].block == 2 and b == [] and len(c) == 1 and c[0].block == 3
        return res


@probe
def dup_data(target):
    """WRQ: DATA 1 sent twice (both ACKed?), then the last block: file written once?"""
    with Server(target, T_MS) as s:
        p, peer = first_reply(s.port, wrq("d"))
        tid = p.src
        b1 = pattern(512, 1)
        peer.send(data(1, b1), tid)
        peer.send(data(1, b1), tid)
        a = peer.recv_all(T_MS / 2000)
        peer.send(data(2, b"tail"), tid)
        b = peer.recv_all(T_MS / 2000)
        time.sleep(0.05)
        content = open(s.path("d"), "rb").read() if os.path.exists(s.path("d")) else None
        res = {"after_double_data1": [repr(x) for x in a], "after_data2": [repr(x) for x in b],
               "file_ok": content == b1 + b"tail", "file_len": None if content is None else len(content)}
        res["ok"] = [repr(x) for x in a] == ["ACK#1", "ACK#1"] and res["file_ok"]
        return res


@probe
def dally(target):
    """WRQ: after the ACK of the last block, re-send that block at T/2, 2T and 5T: re-ACKed?"""
    with Server(target, T_MS) as s:
        p, peer = first_reply(s.port, wrq("x"))
        tid = p.src
        last = data(1, b"short")
        peer.send(last, tid)
        q = peer.recv(1)
        t0 = q.t
        res = {"final_ack": repr(q)}
        for delay in (T_MS / 2, 2 * T_MS, 5 * T_MS):
            time.sleep(max(0, t0 + delay / 1000 - time.monotonic()))
            peer.send(last, tid)
            r = peer.recv(T_MS / 2000)
            res[f"resend_at_{int(delay)}ms"] = desc(r)
        res["ok"] = res[f"resend_at_{int(T_MS / 2)}ms"] == "ACK#1"
        return res


@probe
def stranger(target):
    """A stranger (other port) sends ACK 1 to a transfer's TID: ERROR 5 to it; transfer undisturbed."""
    with Server(target, T_MS) as s:
        content = pattern(512 * 3 + 7)
        s.write("f", content)
        peer = Peer()
        peer.send(rrq("f"), server_addr(s.port))
        p = peer.recv(1)
        tid = p.src
        intruder = Peer()
        intruder.send(ack(1), tid)
        r = intruder.recv(1)
        res = {"to_stranger": desc(r)}
        if r is not None and r.op == ERROR:
            res["error_body_nul_terminated"] = r.payload.endswith(b"\0")
            res["stranger_reply_from_tid"] = r.src == tid
        # The stranger's ACK 1 must not have moved the transfer: nothing for the client yet.
        early = peer.recv_all(T_MS / 2000)
        res["client_got_before_its_ack"] = [repr(x) for x in early]
        # Also a DATA from the stranger, and a junk 3-byte datagram
        intruder.send(data(1, b"zz"), tid)
        r2 = intruder.recv(1)
        res["to_stranger_data"] = desc(r2)
        # An ERROR from the stranger: answered? (ERROR for ERROR can bounce between two servers)
        intruder.send(error(0, "hi"), tid)
        r3 = intruder.recv(0.5)
        res["to_stranger_error"] = desc(r3)
        # The same from a connect()ed socket, which also sees ICMP errors: a server whose transfer
        # socket is connect()ed to its client never receives the stranger's datagram; the kernel
        # answers it with ICMP port unreachable instead (ECONNREFUSED here).
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.bind(("127.0.0.1", 0))
        c.connect(tid)
        c.settimeout(0.5)
        c.send(ack(1))
        try:
            raw = c.recv(1000)
            res["to_connected_stranger"] = repr(parse(raw, tid, 0))
        except ConnectionRefusedError:
            res["to_connected_stranger"] = "ICMP port unreachable (ECONNREFUSED)"
        except socket.timeout:
            res["to_connected_stranger"] = "no reply"
        c.close()
        # The client goes on as normal.
        got = bytearray(p.payload)
        block = 1
        while True:
            peer.send(ack(block), tid)
            q = peer.recv(2)
            while q is not None and not (q.op == DATA and q.block == block + 1):
                q = peer.recv(2)
            if q is None:
                res["transfer"] = f"stalled after block {block}"
                break
            got += q.payload
            block += 1
            if len(q.payload) < 512:
                peer.send(ack(block), tid)
                res["transfer"] = "complete" if bytes(got) == content else "content differs"
                break
        res["ok"] = (res["to_stranger"].startswith("ERROR5") and res["transfer"] == "complete"
                     and not [x for x in early if x.op == DATA and x.block == 2])
        return res


@probe
def errors(target):
    """Error codes for bad paths, missing files, existing files, directories, symlinks."""
    out = {}
    with Server(target, T_MS) as s:
        parent = s.base  # private: the probe's own folder around the root
        outside = os.path.join(parent, f"outside-{os.getpid()}-{s.port}")
        with open(outside, "wb") as f:
            f.write(b"secret")
        os.chmod(outside, 0o644)
        try:
            s.write("exists", b"original")
            s.write("sub/inner", b"inner")
            s.write("noread", b"x", mode=0o000)
            os.symlink(outside, s.path("link-out"))
            os.symlink("exists", s.path("link-in"))
            os.symlink(parent, s.path("dirlink-out"))
            os.mkdir(s.path("emptydir"))
            base = os.path.basename(outside)
            cases = [
                ("RRQ missing", rrq("nope")),
                ("RRQ ../outside", rrq("../" + base)),
                ("RRQ sub/../../outside", rrq("sub/../../" + base)),
                ("RRQ absolute outside", rrq(outside)),
                ("RRQ /etc/hostname", rrq("/etc/hostname")),
                ("RRQ /exists (abs, root-relative)", rrq("/exists")),
                ("RRQ symlink to outside", rrq("link-out")),
                ("RRQ dirlink-out/outside", rrq("dirlink-out/" + base)),
                ("RRQ symlink inside", rrq("link-in")),
                ("RRQ sub/inner", rrq("sub/inner")),
                ("RRQ directory", rrq("emptydir")),
                ("RRQ mode-000 file", rrq("noread")),
                ("WRQ existing", wrq("exists")),
                ("WRQ ../new", wrq("../new-" + base)),
                ("WRQ absolute /tmp/new", wrq(outside + "-abs")),
                ("WRQ nosuchdir/x", wrq("nosuchdir/x")),
                ("WRQ sub/new", wrq("sub/new")),
                ("WRQ dirlink-out/new", wrq("dirlink-out/new-" + base)),
                ("WRQ symlink to outside (existing)", wrq("link-out")),
                ("WRQ directory", wrq("emptydir")),
            ]
            for label, raw in cases:
                p, peer = first_reply(s.port, raw)
                out[label] = desc(p, s.port)
                if p is not None and p.op == ERROR:
                    if not p.payload.endswith(b"\0"):
                        out[label] += " (no NUL)"
                elif p is not None:
                    peer.send(error(0, "bye"), p.src)
                time.sleep(0.02)
            time.sleep(0.1)
            out["exists_after_WRQ"] = open(s.path("exists"), "rb").read().decode()
            out["outside_unchanged"] = open(outside, "rb").read() == b"secret"
            leaked = [p for p in os.listdir(parent) if p.startswith("new-" + base)] + \
                [p for p in os.listdir(parent) if p == base + "-abs"]
            out["files_created_outside"] = leaked
        finally:
            pass  # everything lives in s.base, removed with the server
    want = {"RRQ missing": "ERROR1", "RRQ ../outside": "ERROR2", "RRQ symlink to outside": "ERROR2",
            "WRQ existing": "ERROR6", "WRQ ../new": "ERROR2"}
    out["ok"] = all(out[k].startswith(v) for k, v in want.items()) and out["exists_after_WRQ"] == "original" \
        and not out["files_created_outside"]
    return out


@probe
def write_escape(target):
    """Whole WRQs (not just the first answer) for names that must not land outside the root,
    and for an existing file: the result, and where the bytes ended up."""
    out = {}
    with Server(target, T_MS) as s:
        parent = s.base  # private: the probe's own folder around the root
        tag = f"esc-{os.getpid()}-{s.port}"
        outside = os.path.join(parent, tag + "-target")
        with open(outside, "wb") as f:
            f.write(b"secret")
        before = set(os.listdir(parent))
        try:
            s.write("exists", b"original")
            os.symlink(outside, s.path("link-out"))
            os.symlink(parent, s.path("dirlink-out"))
            os.symlink(os.path.join(parent, tag + "-dangling"), s.path("dangling-out"))
            cases = [
                ("../" + tag + "-1", "parent dir"),
                ("/" + tag + "-2", "absolute, one component"),
                (os.path.join(parent, tag + "-3"), "absolute path outside root"),
                ("dirlink-out/" + tag + "-4", "through a symlinked dir"),
                ("dangling-out", "dangling symlink pointing outside"),
                ("link-out", "symlink to an existing outside file"),
                ("nosuchdir/" + tag + "-5", "missing subfolder"),
                ("exists", "existing file"),
            ]
            payload = b"WRITTEN-BY-PROBE"
            for name, label in cases:
                try:
                    store(s.port, name, payload, timeout=1.5)
                    out[label] = "stored"
                except TransferFailed as e:
                    out[label] = str(e)
                time.sleep(0.05)
            out["exists now"] = open(s.path("exists"), "rb").read().decode()
            out["outside target now"] = open(outside, "rb").read().decode()
            after = set(os.listdir(parent))
            out["new files outside root"] = sorted(after - before)
            inside = []
            for dirpath, dirs, files in os.walk(s.root):
                for fn in files:
                    full = os.path.join(dirpath, fn)
                    if not os.path.islink(full) and open(full, "rb").read() == payload:
                        inside.append(os.path.relpath(full, s.root))
            out["written inside root"] = sorted(inside)
        finally:
            pass  # everything lives in s.base, removed with the server
    out["ok"] = (not out["new files outside root"] and out["outside target now"] == "secret"
                 and out["exists now"] == "original")
    return out


@probe
def malformed(target):
    """Malformed requests and non-requests on the listening port: the reply and where it comes from."""
    out = {}
    with Server(target, T_MS) as s:
        s.write("f", b"x")
        cases = [
            ("no NUL after name", b"\x00\x01f"),
            ("no mode", b"\x00\x01f\x00"),
            ("mode without NUL", b"\x00\x01f\x00octet"),
            ("empty name", b"\x00\x01\x00octet\x00"),
            ("1 byte", b"\x01"),
            ("opcode 0", b"\x00\x00abc\x00octet\x00"),
            ("opcode 9", b"\x00\x09f\x00octet\x00"),
            ("DATA on listening port", data(1, b"hello")),
            ("ACK on listening port", ack(1)),
            ("OACK on listening port", b"\x00\x06blksize\x00512\x00"),
            ("ERROR on listening port", error(0, "hi")),
            ("RRQ with odd option tail", b"\x00\x01f\x00octet\x00blksize\x00"),
        ]
        for label, raw in cases:
            p, peer = first_reply(s.port, raw, wait=1.0)
            out[label] = desc(p, s.port)
            if p is not None and p.op != ERROR:
                peer.send(error(0, "bye"), p.src)
            time.sleep(0.02)
        # still alive and serving?
        try:
            c, _ = fetch(s.port, "f")
            out["still_serving"] = c == b"x"
        except TransferFailed as e:
            out["still_serving"] = str(e)
    keys = ["no NUL after name", "no mode", "opcode 9", "DATA on listening port", "ACK on listening port"]
    out["ok"] = all(out[k].startswith("ERROR4") for k in keys) and out["still_serving"] is True
    return out


@probe
def client_error(target):
    """The client sends ERROR mid-transfer: does the server stop? (RRQ) Is the partial file removed? (WRQ)"""
    res = {}
    with Server(target, T_MS) as s:
        s.write("f", pattern(3000))
        p, peer = first_reply(s.port, rrq("f"))
        peer.send(error(0, "client abort"), p.src)
        after = peer.recv_all(T_MS * 4 / 1000)
        res["rrq_after_error"] = [repr(x) for x in after]
        p, peer = first_reply(s.port, wrq("w"))
        peer.send(data(1, pattern(512)), p.src)
        peer.recv(1)
        peer.send(error(0, "client abort"), p.src)
        after = peer.recv_all(T_MS * 4 / 1000)
        res["wrq_after_error"] = [repr(x) for x in after]
        time.sleep(0.1)
        res["wrq_partial_file_left"] = os.path.exists(s.path("w"))
    res["ok"] = res["rrq_after_error"] == [] and res["wrq_after_error"] == [] and not res["wrq_partial_file_left"]
    return res


@probe
def future_ack(target):
    """An ACK for a block not sent yet, and an ACK 0 without options: ignored?"""
    with Server(target, T_MS) as s:
        s.write("f", pattern(3000))
        p, peer = first_reply(s.port, rrq("f"))
        peer.send(ack(5), p.src)
        peer.send(ack(0), p.src)
        # Only what arrives before the retransmission timer could fire is an answer.
        got = peer.recv_all(T_MS * 0.6 / 1000)
        a = [x for x in got]
        b = []
        peer.send(error(0, "bye"), p.src)
        res = {"after_ack5_and_ack0": [repr(x) for x in a]}
        res["ok"] = a == []
        return res


@probe
def dup_request(target):
    """The same RRQ (and WRQ) sent twice from the same port: how many transfers (TIDs) answer?"""
    res = {}
    with Server(target, T_MS) as s:
        s.write("f", pattern(2000))
        peer = Peer()
        peer.send(rrq("f"), server_addr(s.port))
        peer.send(rrq("f"), server_addr(s.port))
        pk = peer.recv_all(T_MS / 2000)
        res["rrq_twice"] = [f"{x!r}@{x.src[1]}" for x in pk]
        for x in {x.src for x in pk}:
            peer.send(error(0, "bye"), x)
        peer = Peer()
        peer.send(wrq("w"), server_addr(s.port))
        peer.send(wrq("w"), server_addr(s.port))
        pk = peer.recv_all(T_MS / 2000)
        res["wrq_twice"] = [f"{x!r}@{x.src[1]}" for x in pk]
        for x in {x.src for x in pk}:
            peer.send(error(0, "bye"), x)
    return res


@probe
def concurrency(target):
    """20 transfers at once (10 RRQ + 10 WRQ of 64 KiB) from one thread, plus one stalled client."""
    n_each = 10
    size = 64 * 1024
    with Server(target, T_MS) as s:
        for i in range(n_each):
            s.write(f"r{i}", pattern(size, 100 + i))
        stalled = Peer()
        stalled.send(rrq("r0"), server_addr(s.port))  # never ACKs anything
        clients = []
        for i in range(n_each):
            clients.append({"kind": "r", "i": i, "peer": Peer(), "buf": bytearray(), "next": 1, "tid": None,
                            "done": False})
            clients.append({"kind": "w", "i": i, "peer": Peer(), "off": 0, "next": 0, "tid": None, "done": False,
                            "content": pattern(size, 200 + i)})
        t0 = time.monotonic()
        for c in clients:
            raw = rrq(f"r{c['i']}") if c["kind"] == "r" else wrq(f"w{c['i']}")
            c["peer"].send(raw, server_addr(s.port))
            c["last"] = (raw, server_addr(s.port))
            c["sent_at"] = time.monotonic()
        socks = {c["peer"].sock.fileno(): c for c in clients}
        deadline = t0 + 30
        errors_seen = []
        while time.monotonic() < deadline and not all(c["done"] for c in clients):
            r, _, _ = select.select([c["peer"].sock for c in clients if not c["done"]], [], [], 0.5)
            now = time.monotonic()
            for c in clients:  # client-side retransmission (1 s), in case
                if not c["done"] and now - c["sent_at"] > 1.0:
                    c["peer"].send(*c["last"])
                    c["sent_at"] = now
            for sock in r:
                c = socks[sock.fileno()]
                raw, src = sock.recvfrom(70000)
                op, num = int.from_bytes(raw[:2], "big"), int.from_bytes(raw[2:4], "big")
                if c["tid"] is None:
                    c["tid"] = src
                if src != c["tid"]:
                    continue
                if op == ERROR:
                    errors_seen.append((c["kind"], c["i"], raw))
                    c["done"] = True
                    continue
                if c["kind"] == "r" and op == DATA and num == c["next"] & 0xFFFF:
                    c["buf"] += raw[4:]
                    pkt = ack(num)
                    c["peer"].send(pkt, src)
                    c["last"], c["sent_at"] = (pkt, src), time.monotonic()
                    c["next"] += 1
                    if len(raw) - 4 < 512:
                        c["done"] = True
                elif c["kind"] == "w" and op == ACK and num == c["next"] & 0xFFFF:
                    if c.get("sent_short"):
                        c["done"] = True  # the ACK of our last (short) block
                        continue
                    chunk = c["content"][c["off"]: c["off"] + 512]
                    c["off"] += len(chunk)
                    c["sent_short"] = len(chunk) < 512
                    c["next"] += 1
                    pkt = data(c["next"], chunk)
                    c["peer"].send(pkt, src)
                    c["last"], c["sent_at"] = (pkt, src), time.monotonic()
        elapsed = time.monotonic() - t0
        time.sleep(0.1)
        bad = []
        for c in clients:
            if c["kind"] == "r":
                if bytes(c["buf"]) != pattern(size, 100 + c["i"]):
                    bad.append(f"r{c['i']}")
            else:
                try:
                    if open(s.path(f"w{c['i']}"), "rb").read() != c["content"]:
                        bad.append(f"w{c['i']}")
                except OSError:
                    bad.append(f"w{c['i']} missing")
        tids = {c["tid"] for c in clients}
        res = {"transfers": len(clients), "elapsed_s": round(elapsed, 2), "bad": bad,
               "distinct_tids": len(tids), "errors": [repr(e) for e in errors_seen], "server_alive": s.alive()}
        res["ok"] = not bad and len(tids) == len(clients) and not errors_seen
        return res


def oack_exchange(port, raw, ack0=True, wait=1.0):
    p, peer = first_reply(port, raw, wait)
    res = {"first": desc(p)}
    if p is None:
        return res, None, peer
    if p.op == OACK and ack0 is not None:
        if raw[:2] == b"\x00\x01":
            peer.send(ack(0), p.src)
        else:
            peer.send(data(1, b"x" * 3), p.src)  # short: ends the WRQ
        q = peer.recv(wait)
        res["then"] = desc(q)
        if q is not None and q.op == DATA:
            res["then_len"] = len(q.payload)
        return res, q, peer
    return res, p, peer


@probe
def options(target):
    """RFC 2347/2348/2349 option negotiation: what each request gets back."""
    out = {}
    with Server(target, T_MS) as s:
        s.write("f", pattern(5000))
        cases = [
            ("RRQ blksize 1024", rrq("f", opts={"blksize": 1024})),
            ("RRQ tsize 0", rrq("f", opts={"tsize": 0})),
            ("RRQ timeout 1", rrq("f", opts={"timeout": 1})),
            ("RRQ foo=bar only", rrq("f", opts={"foo": "bar"})),
            ("RRQ foo + blksize 600", rrq("f", opts=[("foo", "bar"), ("blksize", 600)])),
            ("RRQ BLKSIZE 1000 (caps)", rrq("f", opts={"BLKSIZE": 1000})),
            ("RRQ blksize 8", rrq("f", opts={"blksize": 8})),
            ("RRQ blksize 7", rrq("f", opts={"blksize": 7})),
            ("RRQ blksize 65464", rrq("f", opts={"blksize": 65464})),
            ("RRQ blksize 70000", rrq("f", opts={"blksize": 70000})),
            ("RRQ blksize abc", rrq("f", opts={"blksize": "abc"})),
            ("RRQ timeout 0", rrq("f", opts={"timeout": 0})),
            ("RRQ timeout 256", rrq("f", opts={"timeout": 256})),
            ("RRQ windowsize 4", rrq("f", opts={"windowsize": 4})),
            ("RRQ all three", rrq("f", opts=[("blksize", 1428), ("tsize", 0), ("timeout", 2)])),
            ("WRQ blksize 1024 tsize 3", wrq("w1", opts=[("blksize", 1024), ("tsize", 3)])),
            ("WRQ foo only", wrq("w2", opts={"foo": "bar"})),
            ("WRQ timeout 3", wrq("w3", opts={"timeout": 3})),
        ]
        for label, raw in cases:
            r, last, peer = oack_exchange(s.port, raw)
            out[label] = r
            if last is not None and last.op == DATA:
                peer.send(error(0, "bye"), last.src)
            time.sleep(0.02)
        # A full transfer with blksize 1428 + tsize
        try:
            c, info = fetch(s.port, "f", opts={"blksize": 1428, "tsize": 0})
            out["fetch blksize 1428"] = {"oack": info["oack"], "blocks": info["blocks"], "ok": c == pattern(5000)}
        except TransferFailed as e:
            out["fetch blksize 1428"] = str(e)
        try:
            info = store(s.port, "w4", pattern(5000, 4), opts={"blksize": 1428, "tsize": 5000})
            time.sleep(0.05)
            out["store blksize 1428"] = {"oack": info["oack"], "ok": open(s.path("w4"), "rb").read() == pattern(5000, 4)}
        except (TransferFailed, OSError) as e:
            out["store blksize 1428"] = str(e)
    o = out
    out["ok"] = (o["RRQ blksize 1024"].get("then_len") == 1024 and "tsize" in o["RRQ tsize 0"]["first"]
                 and o["RRQ foo=bar only"]["first"].startswith("DATA#1")
                 and "foo" not in o["RRQ foo + blksize 600"]["first"])
    return out


@probe
def oack_error8(target):
    """The client answers the OACK with ERROR 8: the transfer ends (no more packets); WRQ file?"""
    res = {}
    with Server(target, T_MS) as s:
        s.write("f", pattern(3000))
        p, peer = first_reply(s.port, rrq("f", opts={"blksize": 1024}))
        res["rrq_first"] = desc(p)
        peer.send(error(8, "options refused"), p.src)
        res["rrq_after"] = [repr(x) for x in peer.recv_all(T_MS * 4 / 1000)]
        p, peer = first_reply(s.port, wrq("w", opts={"blksize": 1024}))
        res["wrq_first"] = desc(p)
        peer.send(error(8, "options refused"), p.src)
        res["wrq_after"] = [repr(x) for x in peer.recv_all(T_MS * 4 / 1000)]
        time.sleep(0.1)
        res["wrq_file_left"] = os.path.exists(s.path("w"))
    res["ok"] = res["rrq_after"] == [] and res["wrq_after"] == [] and not res["wrq_file_left"]
    return res


@probe
def oack_retransmit(target):
    """The OACK is never answered: re-sent how often, when?"""
    with Server(target, T_MS) as s:
        s.write("f", pattern(3000))
        p, peer = first_reply(s.port, rrq("f", opts={"blksize": 1024}))
        pkts = watch_retransmits(peer, p, 60)
        res = {"packets": [repr(x) for x in pkts], "times_ms": times_ms(pkts, p.t)}
        res["ok"] = len(pkts) == 6 and all(x.op == OACK for x in pkts)
        return res


@probe
def timeout_option(target):
    """RRQ with timeout=1: is DATA 1 re-sent after ~1 s (not T)?"""
    with Server(target, T_MS) as s:
        s.write("f", pattern(3000))
        p, peer = first_reply(s.port, rrq("f", opts={"timeout": 1}))
        res = {"first": desc(p)}
        peer.send(ack(0), p.src)
        q = peer.recv(1)
        r = peer.recv(3)
        res["data1"] = desc(q)
        res["retransmit_after_ms"] = round((r.t - q.t) * 1000) if r else None
        res["retransmit"] = desc(r)
        peer.send(error(0, "bye"), p.src)
        res["ok"] = res["retransmit_after_ms"] is not None and 900 <= res["retransmit_after_ms"] <= 1300
        return res


def rollover_read(port, name, size, blksize):
    peer = Peer()
    opts = {"blksize": blksize} if blksize != 512 else None
    c, info = fetch(port, name, opts=opts, peer=peer)
    return c, info


@probe
def rollover(target):
    """RRQ and WRQ of 65536*512+100 bytes (65537 blocks): block numbers around the wrap."""
    size = 65536 * 512 + 100
    res = {}
    with Server(target, 1000) as s:
        content = pattern(size, 7)
        s.write("big", content)
        t0 = time.monotonic()
        try:
            c, info = fetch(s.port, "big", timeout=5)
            res["rrq"] = {"ok": c == content, "blocks": info["blocks"], "seen": info["blocks_seen"],
                          "seconds": round(time.monotonic() - t0, 1)}
        except TransferFailed as e:
            res["rrq"] = str(e)
        t0 = time.monotonic()
        try:
            info = store(s.port, "big-w", content, timeout=5)
            time.sleep(0.2)
            res["wrq"] = {"ok": open(s.path("big-w"), "rb").read() == content, "acks": info["acks"],
                          "seconds": round(time.monotonic() - t0, 1)}
        except (TransferFailed, OSError) as e:
            res["wrq"] = str(e)
    res["ok"] = isinstance(res["rrq"], dict) and res["rrq"]["ok"] and isinstance(res["wrq"], dict) and res["wrq"]["ok"]
    return res


@probe
def rollover_small(target):
    """RRQ with blksize 8 of 65536*8+3 bytes: the same wrap with a 512 KiB file."""
    size = 65536 * 8 + 3
    with Server(target, 1000) as s:
        content = pattern(size, 8)
        s.write("b8", content)
        t0 = time.monotonic()
        try:
            c, info = fetch(s.port, "b8", opts={"blksize": 8}, timeout=5)
            res = {"ok": c == content, "blocks": info["blocks"], "seen": info["blocks_seen"], "oack": info["oack"],
                   "seconds": round(time.monotonic() - t0, 1)}
        except TransferFailed as e:
            res = {"ok": False, "error": str(e)}
    return res


@probe
def disk_full(target):
    """WRQ onto a 64 KiB tmpfs: the ERROR code, and whether the partial file stays."""
    import tempfile
    mnt = tempfile.mkdtemp(prefix="tftp-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mnt)
        return {"skipped": f"cannot mount tmpfs: {r.stderr.strip()}"}
    try:
        os.chmod(mnt, 0o777)
        with Server(target, T_MS, root=mnt) as s:
            try:
                store(s.port, "huge", pattern(300 * 1024))
                res = {"result": "stored?!"}
            except TransferFailed as e:
                res = {"result": str(e)}
            time.sleep(0.2)
            res["file_left"] = os.path.exists(os.path.join(mnt, "huge"))
            if res["file_left"]:
                res["file_size"] = os.path.getsize(os.path.join(mnt, "huge"))
            res["ok"] = "ERROR 3" in res["result"] and not res["file_left"]
            return res
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


@probe
def fsize_limit(target):
    """WRQ of 300 KiB with the server under prlimit --fsize=65536 (EFBIG, as in sockgrade's
    sandbox, which sets --fsize): the ERROR code, the file, and whether the server survives."""
    with Server(target, T_MS, wrap=["prlimit", "--fsize=65536", "--"]) as s:
        try:
            store(s.port, "huge", pattern(300 * 1024))
            res = {"result": "stored?!"}
        except TransferFailed as e:
            res = {"result": str(e)}
        time.sleep(0.2)
        res["file_left"] = os.path.exists(s.path("huge"))
        if res["file_left"]:
            res["file_size"] = os.path.getsize(s.path("huge"))
        res["server_alive"] = s.alive()
        res["ok"] = "ERROR 3" in res["result"] and not res["file_left"] and res["server_alive"]
        return res


def main():
    if len(sys.argv) < 2 or sys.argv[1] == "--list":
        for name, fn in PROBES.items():
            print(f"{name:16} {fn.__doc__}")
        return
    target = sys.argv[1]
    names = sys.argv[2:] or list(PROBES)
    os.makedirs(os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"), exist_ok=True)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", f"{target}.jsonl")
    for name in names:
        t0 = time.monotonic()
        try:
            result = PROBES[name](target)
        except Exception as e:  # a probe that crashed says so, and the next one runs
            result = {"crashed": f"{type(e).__name__}: {e}", "ok": False}
        line = {"target": target, "probe": name, "seconds": round(time.monotonic() - t0, 1), **{
            str(k): v for k, v in result.items()}}
        text = json.dumps(line, default=repr)
        print(text, flush=True)
        with open(path, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
