"""Raw TFTP helpers for the probes: build/parse datagrams, talk to a server, start/stop servers.

Everything is loopback only (127.0.0.1). Standard library only.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.dirname(HERE)

RRQ, WRQ, DATA, ACK, ERROR, OACK = 1, 2, 3, 4, 5, 6
OPNAMES = {1: "RRQ", 2: "WRQ", 3: "DATA", 4: "ACK", 5: "ERROR", 6: "OACK"}

# The four servers under test: the command, to which "--port P --root DIR --timeout-ms T" is appended.
TARGETS = {
    # the same without --prevent-sas (a measuring variant)
    "atftpd-nosas": ["env", "ATFTPD=" + (shutil.which("atftpd") or os.path.join(WORK, "vendor/atftpd-root/usr/sbin/atftpd")),
                     "sh", os.path.join(HERE, "variants/atftpd-nosas.sh")],
    "python": ["python3", os.path.join(WORK, "solutions/python/server.py")],
    "ts": ["node", os.path.join(WORK, "solutions/typescript/dist/server.js")],
    "tftpd-hpa": ["sh", os.path.join(WORK, "counterparts/tftpd-hpa/run.sh")],
    "atftpd": ["sh", os.path.join(WORK, "counterparts/atftpd/run.sh")],
}


# ---------------------------------------------------------------------------
# Packets
# ---------------------------------------------------------------------------


def request(op: int, name: str | bytes, mode: str = "octet", opts: dict | list | None = None) -> bytes:
    if isinstance(name, str):
        name = name.encode()
    out = struct.pack("!H", op) + name + b"\0" + mode.encode() + b"\0"
    items = opts.items() if isinstance(opts, dict) else (opts or [])
    for k, v in items:
        out += str(k).encode() + b"\0" + str(v).encode() + b"\0"
    return out


def rrq(name, mode="octet", opts=None) -> bytes:
    return request(RRQ, name, mode, opts)


def wrq(name, mode="octet", opts=None) -> bytes:
    return request(WRQ, name, mode, opts)


def data(block: int, payload: bytes) -> bytes:
    return struct.pack("!HH", DATA, block & 0xFFFF) + payload


def ack(block: int) -> bytes:
    return struct.pack("!HH", ACK, block & 0xFFFF)


def error(code: int, msg: str = "") -> bytes:
    return struct.pack("!HH", ERROR, code) + msg.encode() + b"\0"


@dataclass
class Pkt:
    op: int
    raw: bytes
    src: tuple
    t: float  # time.monotonic() of arrival
    block: int | None = None
    payload: bytes = b""
    code: int | None = None
    msg: str = ""
    options: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        name = OPNAMES.get(self.op, f"op{self.op}")
        if self.op == DATA:
            return f"DATA#{self.block}({len(self.payload)}B)"
        if self.op == ACK:
            return f"ACK#{self.block}"
        if self.op == ERROR:
            return f"ERROR{self.code}({self.msg!r})"
        if self.op == OACK:
            return f"OACK{self.options}"
        return f"{name}:{self.raw[:20]!r}"


def parse(raw: bytes, src, t) -> Pkt:
    op = struct.unpack("!H", raw[:2])[0] if len(raw) >= 2 else -1
    p = Pkt(op, raw, src, t)
    if op in (DATA, ACK) and len(raw) >= 4:
        p.block = struct.unpack("!H", raw[2:4])[0]
        p.payload = raw[4:]
    elif op == ERROR and len(raw) >= 4:
        p.code = struct.unpack("!H", raw[2:4])[0]
        body = raw[4:]
        p.msg = body.split(b"\0")[0].decode("latin-1")
        p.payload = body  # keep the raw body to check the NUL terminator
    elif op == OACK:
        parts = raw[2:].split(b"\0")
        for i in range(0, len(parts) - 1, 2):
            p.options[parts[i].decode("latin-1")] = parts[i + 1].decode("latin-1")
    return p


# ---------------------------------------------------------------------------
# A client endpoint
# ---------------------------------------------------------------------------


class Peer:
    """One UDP socket on 127.0.0.1 (one TID) that records everything it receives."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.log: list[Pkt] = []

    def send(self, raw: bytes, addr) -> None:
        self.sock.sendto(raw, addr)

    def recv(self, timeout: float) -> Pkt | None:
        self.sock.settimeout(max(timeout, 0.0001))
        try:
            raw, src = self.sock.recvfrom(70000)
        except (socket.timeout, ConnectionRefusedError):
            return None
        p = parse(raw, src, time.monotonic())
        self.log.append(p)
        return p

    def recv_all(self, duration: float) -> list[Pkt]:
        """Everything that arrives within `duration` seconds."""
        end = time.monotonic() + duration
        out = []
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return out
            p = self.recv(left)
            if p:
                out.append(p)

    def close(self):
        self.sock.close()


def server_addr(port: int):
    return ("127.0.0.1", port)


# ---------------------------------------------------------------------------
# Whole transfers (a well-behaved lock-step client)
# ---------------------------------------------------------------------------


class TransferFailed(Exception):
    pass


def fetch(port, name, mode="octet", opts=None, timeout=3.0, peer=None):
    """RRQ as a correct client. Returns (content, info dict)."""
    peer = peer or Peer()
    peer.send(rrq(name, mode, opts), server_addr(port))
    blksize = 512
    out = bytearray()
    expect = 1
    tid = None
    info = {"blocks": 0, "oack": None, "tid": None, "last_len": None, "blocks_seen": []}
    p = peer.recv(timeout)
    if p is None:
        raise TransferFailed("no answer to RRQ")
    tid = p.src
    info["tid"] = tid[1]
    if p.op == ERROR:
        raise TransferFailed(f"ERROR {p.code} {p.msg!r}")
    if p.op == OACK:
        info["oack"] = p.options
        if "blksize" in {k.lower() for k in p.options}:
            blksize = int({k.lower(): v for k, v in p.options.items()}["blksize"])
        peer.send(ack(0), tid)
        p = peer.recv(timeout)
    while True:
        if p is None:
            raise TransferFailed(f"timeout waiting for DATA {expect}")
        if p.src != tid:
            p = peer.recv(timeout)
            continue
        if p.op == ERROR:
            raise TransferFailed(f"ERROR {p.code} {p.msg!r}")
        if p.op == DATA and p.block == expect & 0xFFFF:
            out += p.payload
            info["blocks"] += 1
            if len(info["blocks_seen"]) < 3 or p.block in (65535, 0, 1):
                info["blocks_seen"].append(p.block)
            peer.send(ack(p.block), tid)
            if len(p.payload) < blksize:
                info["last_len"] = len(p.payload)
                return bytes(out), info
            expect += 1
        p = peer.recv(timeout)


def store(port, name, content: bytes, mode="octet", opts=None, timeout=3.0, peer=None, blksize=512):
    """WRQ as a correct client. Returns info dict."""
    peer = peer or Peer()
    peer.send(wrq(name, mode, opts), server_addr(port))
    info = {"oack": None, "tid": None, "acks": 0}
    p = peer.recv(timeout)
    if p is None:
        raise TransferFailed("no answer to WRQ")
    tid = p.src
    info["tid"] = tid[1]
    if p.op == ERROR:
        raise TransferFailed(f"ERROR {p.code} {p.msg!r}")
    if p.op == OACK:
        info["oack"] = p.options
        low = {k.lower(): v for k, v in p.options.items()}
        if "blksize" in low:
            blksize = int(low["blksize"])
    elif not (p.op == ACK and p.block == 0):
        raise TransferFailed(f"unexpected first answer {p}")
    block = 1
    off = 0
    while True:
        chunk = content[off : off + blksize]
        pkt = data(block, chunk)
        tries = 0
        peer.send(pkt, tid)
        while True:
            p = peer.recv(timeout)
            if p is None:
                tries += 1
                if tries > 3:
                    raise TransferFailed(f"no ACK for block {block}")
                peer.send(pkt, tid)
                continue
            if p.src != tid:
                continue
            if p.op == ERROR:
                raise TransferFailed(f"ERROR {p.code} {p.msg!r}")
            if p.op == ACK and p.block == block & 0xFFFF:
                info["acks"] += 1
                break
        off += len(chunk)
        if len(chunk) < blksize:
            return info
        block += 1


# ---------------------------------------------------------------------------
# Starting and stopping a server under test
# ---------------------------------------------------------------------------


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A server under test in a fresh root folder; stopped (its whole process group) on exit."""

    def __init__(self, target: str, timeout_ms: int = 200, root: str | None = None, user: str | None = None,
                 wrap: list | None = None):
        self.target = target
        self.timeout_ms = timeout_ms
        self.own_root = root is None
        # The root is a folder inside a private base folder: "outside the root" in the probes
        # means inside `base`, never a shared place like /tmp itself.
        if root is None:
            self.base = tempfile.mkdtemp(prefix=f"tftp-probe-{target}-")
            self.root = os.path.join(self.base, "root")
            os.mkdir(self.root)
        else:
            self.base = None
            self.root = root
        self.port = free_udp_port()
        # PROBE_USER=nobody runs the server as that user (via setpriv), to see what changes unprivileged.
        self.user = user or os.environ.get("PROBE_USER") or None
        self.proc = None
        self.wrap = wrap or []  # e.g. ["prlimit", "--fsize=65536", "--"]

    def __enter__(self):
        cmd = TARGETS[self.target] + ["--port", str(self.port), "--root", self.root, "--timeout-ms", str(self.timeout_ms)]
        if self.user:
            import pwd
            pw = pwd.getpwnam(self.user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            if self.base:
                os.chmod(self.base, 0o755)
            cmd = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"] + cmd
        cmd = self.wrap + cmd
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.stderr, start_new_session=True)
        try:
            self.wait_ready()
        except BaseException:
            self.__exit__(None, None, None)  # stop it and remove the folder: __exit__ is not called for us
            raise
        return self

    def wait_ready(self, limit=5.0):
        end = time.monotonic() + limit
        peer = Peer()
        try:
            while time.monotonic() < end:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.target} exited with {self.proc.returncode}: {self.err_text()}")
                peer.send(rrq("__readiness_probe_missing__"), server_addr(self.port))
                p = peer.recv(0.2)
                if p is not None:
                    return
            raise RuntimeError(f"{self.target} did not answer within {limit}s")
        finally:
            peer.close()

    def err_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def path(self, name):
        return os.path.join(self.root, name)

    def write(self, name, content: bytes, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(content)
        os.chmod(p, mode)
        return p

    def alive(self) -> bool:
        return self.proc.poll() is None

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # in.tftpd forks one child per transfer, in the same process group: make sure none is left.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.own_root:
            shutil.rmtree(self.base, ignore_errors=True)
        return False


def pattern(n: int, seed: int = 0) -> bytes:
    """Deterministic, non-repeating-looking content of n bytes."""
    import hashlib

    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])
