#!/usr/bin/env python3
"""tftp-server reference solution: a TFTP server (RFC 1350, with RFC 2347/2348/2349/7440 options).

Run:  python3 server.py --port 6969 --root ./files [--timeout-ms 1000]

Design in one paragraph: one thread and one select() loop serve everything. The
listening socket only ever receives requests; every accepted request gets a
Transfer object with a UDP socket of its own, bound to a fresh ephemeral port
(its transfer ID, TID), so the kernel already sorts datagrams by transfer. Each
transfer is lock-step: exactly one packet of ours is "in flight", and the
transfer remembers it together with a deadline. Only two things make a transfer
send: a datagram that moves it forward (the ACK of the current block, the next
DATA block), or its deadline passing (then the remembered packet is sent again,
at most MAX_RETRANSMITS times). Everything else -- duplicates, strangers, junk --
is answered or dropped *without touching the timer*, which is what keeps the
Sorcerer's Apprentice bug out (RFC 1123 4.2.3.1). The windowsize option (RFC
7440) relaxes "one packet" to "one window of up to W blocks" and has classes of
its own (WindowedReadTransfer, WindowedWriteTransfer); without it, or with
windowsize 1, a transfer runs the lock-step code above unchanged.

Standard library only (Python 3.11+).
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import selectors
import signal
import socket
import stat
import struct
import sys
import time

# ---------------------------------------------------------------------------
# Protocol constants
# ---------------------------------------------------------------------------

OP_RRQ, OP_WRQ, OP_DATA, OP_ACK, OP_ERROR, OP_OACK = 1, 2, 3, 4, 5, 6

# RFC 1350 error codes (plus 8 from RFC 2347).
ERR_UNDEFINED = 0
ERR_NOT_FOUND = 1
ERR_ACCESS = 2
ERR_DISK_FULL = 3
ERR_ILLEGAL_OP = 4
ERR_UNKNOWN_TID = 5
ERR_EXISTS = 6
ERR_NO_USER = 7
ERR_OPTIONS = 8

DEFAULT_BLKSIZE = 512
MIN_BLKSIZE, MAX_BLKSIZE = 8, 65464  # RFC 2348
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 1, 255  # RFC 2349
MIN_WINDOWSIZE, MAX_WINDOWSIZE = 1, 65535  # RFC 7440
WINDOWSIZE_CAP = 64  # the largest window we use, whatever is asked

# One original send plus this many re-sends; after that the transfer is
# abandoned silently (the peer is gone, telling it so would be pointless).
MAX_RETRANSMITS = 5

# After the last ACK of a write we keep the socket open this many timeouts:
# if that ACK was lost the client re-sends its last DATA, and must get the
# ACK again, or it would report a failure for a file we actually have.
DALLY_TIMEOUTS = 3

# Large enough for the biggest DATA packet (4 + 65464) and then some: a
# datagram longer than the buffer would be silently truncated by recvfrom().
RECV_SIZE = 65536


def log(message: str) -> None:
    """Diagnostics go to stderr, one line each, flushed at once."""
    print(f"tftp-server: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Packets
# ---------------------------------------------------------------------------


def pack_data(block: int, payload: bytes) -> bytes:
    return struct.pack("!HH", OP_DATA, block) + payload


def pack_ack(block: int) -> bytes:
    return struct.pack("!HH", OP_ACK, block)


def pack_error(code: int, message: str) -> bytes:
    # Messages are plain ASCII; the NUL terminator is part of the format.
    return struct.pack("!HH", OP_ERROR, code) + message.encode("ascii", "replace") + b"\0"


def pack_oack(options: dict[str, str]) -> bytes:
    body = b"".join(name.encode("ascii") + b"\0" + value.encode("ascii") + b"\0" for name, value in options.items())
    return struct.pack("!H", OP_OACK) + body


class BadRequest(Exception):
    """A request we cannot even parse: answered with ERROR 4."""


def parse_request(data: bytes) -> tuple[bytes, str, list[tuple[str, str]]]:
    """Split an RRQ/WRQ into (filename, mode, options).

    The layout is  opcode | filename NUL | mode NUL | (option NUL value NUL)*.
    Every string must be NUL-terminated; a trailing half option (a name with
    no value) is ignored rather than refused, as some boot ROMs pad requests.
    """
    if not data.endswith(b"\0"):
        raise BadRequest("request not NUL-terminated")
    fields = data[2:-1].split(b"\0")
    if len(fields) < 2:
        raise BadRequest("request without a mode")
    filename, mode_bytes = fields[0], fields[1]
    if not filename:
        raise BadRequest("empty file name")
    try:
        mode = mode_bytes.decode("ascii").lower()  # modes are case-insensitive
    except UnicodeDecodeError:
        raise BadRequest("mode is not ASCII") from None
    options = []
    rest = fields[2:]
    for i in range(0, len(rest) - 1, 2):
        name, value = rest[i], rest[i + 1]
        try:
            options.append((name.decode("ascii").lower(), value.decode("ascii")))
        except UnicodeDecodeError:
            continue  # not an option we could know: ignore it like any unknown one
    return filename, mode, options


def parse_int(text: str) -> int | None:
    """Option values are plain decimal numbers; anything else is not one."""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    return int(text)


# ---------------------------------------------------------------------------
# netascii (RFC 764): the network form of a text file ends each line with
# CR LF, and a CR that is not part of a line end is sent as CR NUL.
# ---------------------------------------------------------------------------


def netascii_encode(chunk: bytes) -> bytes:
    # CR first, or we would also turn the CRs we insert before LF into CR NUL.
    return chunk.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")


class NetasciiDecoder:
    """Turns the network form back into local text, across DATA block boundaries."""

    _PAIR = re.compile(rb"\r[\n\0]")

    def __init__(self) -> None:
        self._pending_cr = False  # the previous block ended in a CR

    def feed(self, chunk: bytes, final: bool = False) -> bytes:
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        # A CR at the very end may be the first half of CR LF or CR NUL:
        # keep it until we see the next block (unless there is none).
        if chunk.endswith(b"\r") and not final:
            chunk = chunk[:-1]
            self._pending_cr = True
        return self._PAIR.sub(lambda m: b"\n" if m.group() == b"\r\n" else b"\r", chunk)


# ---------------------------------------------------------------------------
# File names: never leave the root
# ---------------------------------------------------------------------------


class Refused(Exception):
    """A request we answer with an ERROR packet."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def resolve(root: str, raw_name: bytes) -> str:
    """Map a requested name to a real path inside root, or raise Refused.

    Two checks, because each alone has a hole. As text: no absolute name and
    no ".." component (so "../x" never even reaches the file system). Then as
    the OS sees it: the folder the name lives in is resolved through every
    symlink and must still be inside the root, and so must the target of the
    name itself if it is a symlink (a dangling one is refused: creating a file
    through it would create it wherever it points).
    """
    name = os.fsdecode(raw_name)
    if name.startswith("/") or ".." in name.split("/"):
        raise Refused(ERR_ACCESS, "Access violation")
    joined = os.path.join(root, name)
    try:
        folder = os.path.realpath(os.path.dirname(joined), strict=True)
    except OSError as exc:  # e.g. a subfolder that does not exist: ENOENT
        raise refusal_for(exc) from None
    if not inside(root, folder):
        raise Refused(ERR_ACCESS, "Access violation")
    path = os.path.join(folder, os.path.basename(joined))
    if os.path.islink(path):
        try:
            path = os.path.realpath(path, strict=True)
        except OSError:
            raise Refused(ERR_ACCESS, "Access violation") from None
        if not inside(root, path):
            raise Refused(ERR_ACCESS, "Access violation")
    return path


def refusal_for(exc: OSError) -> Refused:
    """Translate a failed open/write into the TFTP error the client should see."""
    if exc.errno == errno.ENOENT:
        return Refused(ERR_NOT_FOUND, "File not found")
    if exc.errno == errno.EEXIST:
        return Refused(ERR_EXISTS, "File already exists")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return Refused(ERR_DISK_FULL, "Disk full or allocation exceeded")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.EROFS, errno.ELOOP):
        return Refused(ERR_ACCESS, "Access violation")
    return Refused(ERR_UNDEFINED, os.strerror(exc.errno or 0))


# ---------------------------------------------------------------------------
# Transfers
# ---------------------------------------------------------------------------


class Transfer:
    """What every transfer shares: its own socket, its peer, and the retransmit timer."""

    def __init__(self, server: Server, peer: tuple[str, int], request: bytes, timeout_s: float):
        self.server = server
        self.peer = peer  # the client's address *and port*: its TID
        self.request = request
        self.timeout_s = timeout_s
        self.blksize = DEFAULT_BLKSIZE
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))  # port 0: the OS picks a fresh port, our TID
        self.sock.setblocking(False)
        self.last_sent = b""
        self.retransmits = 0
        self.deadline = float("inf")
        self.closed = False

    # -- sending --------------------------------------------------------

    def send(self, packet: bytes) -> None:
        """Send a packet that moves the transfer on, and (re)start its timer."""
        self.last_sent = packet
        self.retransmits = 0
        self.deadline = time.monotonic() + self.timeout_s
        self._sendto(packet, self.peer)

    def _sendto(self, packet: bytes, addr: tuple[str, int]) -> None:
        try:
            self.sock.sendto(packet, addr)
        except OSError as exc:  # e.g. ECONNREFUSED left over from an ICMP error
            log(f"{addr[0]}:{addr[1]}: send failed: {exc}")

    def on_timer(self) -> None:
        """Nothing useful arrived in time: send the same packet again, or give up."""
        if self.retransmits >= MAX_RETRANSMITS:
            log(f"{self.describe()}: no answer after {MAX_RETRANSMITS} retransmissions, giving up")
            self.abort()
            return
        self.retransmits += 1
        self.deadline = time.monotonic() + self.timeout_s
        self._sendto(self.last_sent, self.peer)

    # -- receiving ------------------------------------------------------

    def on_readable(self) -> None:
        while not self.closed:
            try:
                data, addr = self.sock.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # Linux reports an earlier ICMP "port unreachable" here; the
                # peer may still come back, so the timer decides, not this.
                continue
            if addr != self.peer:
                # RFC 1350: a packet from a wrong TID is answered with ERROR 5
                # to its sender, and the transfer goes on as if nothing happened.
                # Except an ERROR: if the stranger is itself a TFTP endpoint that
                # answers strangers, ERROR for ERROR would bounce forever.
                if data[:2] != struct.pack("!H", OP_ERROR):
                    self._sendto(pack_error(ERR_UNKNOWN_TID, "Unknown transfer ID"), addr)
                continue
            if len(data) < 4:
                continue  # too short to be anything: ignore
            opcode, number = struct.unpack("!HH", data[:4])
            if opcode == OP_ERROR:
                # The client gave up (or refused our OACK with ERROR 8). Never
                # answer an ERROR; just end the transfer.
                log(f"{self.describe()}: client sent ERROR {number}, transfer ended")
                self.abort()
                return
            self.on_packet(opcode, number, data[4:])

    def on_packet(self, opcode: int, number: int, payload: bytes) -> None:
        raise NotImplementedError

    # -- ending ---------------------------------------------------------

    def fail(self, code: int, message: str) -> None:
        """End the transfer with an ERROR to the client (ERRORs are never retransmitted)."""
        self._sendto(pack_error(code, message), self.peer)
        self.abort()

    def abort(self) -> None:
        self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.server.forget(self)
            self.sock.close()

    def describe(self) -> str:
        return f"{self.peer[0]}:{self.peer[1]} {self.kind} {self.name!r}"


class ReadTransfer(Transfer):
    """RRQ: we send DATA blocks, the client ACKs each one."""

    kind = "RRQ"

    def __init__(self, server, peer, request, timeout_s, name, path, fd, netascii):
        super().__init__(server, peer, request, timeout_s)
        self.name = name
        self.file = os.fdopen(fd, "rb")
        self.netascii = netascii
        self.encoded = b""  # netascii: converted bytes not yet sent
        self.block = 0  # the block we sent last (0: OACK, or nothing yet)
        self.last_block_sent = False

    def start(self, oack: dict[str, str] | None) -> None:
        if oack:
            self.send(pack_oack(oack))  # the client answers with ACK 0
        else:
            self.send_next_block()

    def next_payload(self) -> bytes:
        if not self.netascii:
            return self.file.read(self.blksize)
        # netascii grows the data, so convert ahead until a whole block is ready.
        while len(self.encoded) < self.blksize:
            chunk = self.file.read(8192)
            if not chunk:
                break
            self.encoded += netascii_encode(chunk)
        payload, self.encoded = self.encoded[: self.blksize], self.encoded[self.blksize :]
        return payload

    def next_payload_or_fail(self) -> bytes | None:
        """The next block's bytes, or None when reading failed (the transfer is then over)."""
        try:
            return self.next_payload()
        except OSError as exc:
            refusal = refusal_for(exc)
            self.fail(refusal.code, refusal.message)
            return None

    def send_next_block(self) -> None:
        payload = self.next_payload_or_fail()
        if payload is None:
            return
        # Block numbers are 16 bits; past 65535 they roll over to 0, as
        # tftp-hpa, atftp and curl all expect.
        self.block = (self.block + 1) & 0xFFFF
        # A block shorter than blksize (possibly empty) tells the client it is
        # the last one; so a file of exactly N blocks ends with an empty block.
        self.last_block_sent = len(payload) < self.blksize
        self.send(pack_data(self.block, payload))

    def on_packet(self, opcode: int, number: int, payload: bytes) -> None:
        if opcode != OP_ACK or number != self.block:
            # A duplicate ACK (of a block acknowledged before) or anything else:
            # ignored. Answering a duplicate ACK with DATA is the Sorcerer's
            # Apprentice bug: every delayed ACK would double the traffic.
            return
        if self.last_block_sent:
            self.close()  # the last block is acknowledged: done
        else:
            self.send_next_block()

    def close(self) -> None:
        if not self.closed:
            self.file.close()
        super().close()


class WriteTransfer(Transfer):
    """WRQ: the client sends DATA blocks, we ACK each one."""

    kind = "WRQ"

    def __init__(self, server, peer, request, timeout_s, name, path, fd, netascii):
        super().__init__(server, peer, request, timeout_s)
        self.name = name
        self.path = path
        self.fd = fd
        self.decoder = NetasciiDecoder() if netascii else None
        self.block = 0  # the last block written and acknowledged
        self.finished = False  # the last block is in: we are only dallying

    def start(self, oack: dict[str, str] | None) -> None:
        # An OACK takes the place of ACK 0; either way DATA 1 comes next.
        self.send(pack_oack(oack) if oack else pack_ack(0))

    def on_packet(self, opcode: int, number: int, payload: bytes) -> None:
        if opcode != OP_DATA:
            return
        if number == self.block:
            # The client did not get our ACK and sent this block again: ACK it
            # again, but its bytes are already written. (For block 0 this is
            # nonsense, but harmless.) The timer is left alone.
            self._sendto(pack_ack(self.block), self.peer)
            return
        if self.finished or number != (self.block + 1) & 0xFFFF:
            return  # not the block we wait for: ignore
        last = len(payload) < self.blksize
        if not self._write_block(payload, last):
            return
        self.block = number
        self.send(pack_ack(number))
        if last:
            self.finished = True
            log(f"{self.describe()}: received")
            # Dally: stay for a while only to re-ACK a re-sent last block.
            self.deadline = time.monotonic() + DALLY_TIMEOUTS * self.timeout_s

    def _write_block(self, payload: bytes, last: bool) -> bool:
        """Write one in-order block (netascii decoded), closing the file after the last.
        False when the block is too large or the write failed (the transfer is then
        already ended, with the ERROR sent)."""
        if len(payload) > self.blksize:
            self.fail(ERR_ILLEGAL_OP, "Block larger than block size")
            return False
        if self.decoder is not None:
            payload = self.decoder.feed(payload, final=last)
        try:
            view = memoryview(payload)
            while view:  # os.write may write less than asked
                view = view[os.write(self.fd, view) :]
            if last:
                fd, self.fd = self.fd, -1
                os.close(fd)  # the file is complete before the client hears so
        except OSError as exc:
            refusal = refusal_for(exc)
            log(f"{self.describe()}: write failed: {exc}")
            self.fail(refusal.code, refusal.message)
            return False
        return True

    def on_timer(self) -> None:
        if self.finished:
            self.close()  # dallying is over: nothing more to wait for
        else:
            super().on_timer()

    def abort(self) -> None:
        # A write that did not complete leaves no half file behind.
        if not self.finished:
            fd, self.fd = self.fd, -1
            try:
                if fd >= 0:
                    os.close(fd)
                os.unlink(self.path)
            except OSError:
                pass
        super().abort()


class WindowedReadTransfer(ReadTransfer):
    """RRQ with windowsize > 1 (RFC 7440): up to W DATA blocks in flight, one ACK per window.

    The blocks sent but not yet acknowledged are kept: an ACK in the middle of
    a window, or a timeout, sends them again from memory (the file is read, and
    netascii converted, exactly once, through next_payload)."""

    def __init__(self, server, peer, request, timeout_s, name, path, fd, netascii):
        super().__init__(server, peer, request, timeout_s, name, path, fd, netascii)
        self.windowsize = 1  # set by Server.accept, like blksize
        self.started = False  # the OACK is acknowledged (ACK 0)
        self.base = 1  # the number of the first block not yet acknowledged
        self.window: list[bytes] = []  # payloads of blocks base, base+1, ... sent, not acknowledged

    def start(self, oack: dict[str, str] | None) -> None:
        log(f"{self.describe()}: window of {self.windowsize} blocks")
        super().start(oack)  # always an OACK: windowsize is in it

    def on_packet(self, opcode: int, number: int, payload: bytes) -> None:
        if opcode != OP_ACK:
            return
        if not self.started:
            if number == 0:  # the OACK is acknowledged: the first window goes out
                self.started = True
                self.send_window()
            return
        # How far into the window the ACK reaches, with 16-bit wrap. An old or
        # duplicate ACK lands outside it and is ignored: answering it would be
        # the Sorcerer's Apprentice bug again, a window at a time.
        reach = (number - self.base) & 0xFFFF
        if reach >= len(self.window):
            return
        del self.window[: reach + 1]
        self.base = (number + 1) & 0xFFFF
        if not self.window and self.last_block_sent:
            self.close()  # the last block is acknowledged: done
        else:
            self.send_window()

    def send_window(self) -> None:
        """Progress: top the window up to W blocks, send all of it, restart the timer."""
        while len(self.window) < self.windowsize and not self.last_block_sent:
            payload = self.next_payload_or_fail()
            if payload is None:
                return
            self.window.append(payload)
            # The short (possibly empty) block is the last: it ends the window.
            self.last_block_sent = len(payload) < self.blksize
        self.block = (self.base + len(self.window) - 1) & 0xFFFF  # the last block sent
        self.retransmits = 0
        self.deadline = time.monotonic() + self.timeout_s
        self._transmit_window()

    def _transmit_window(self) -> None:
        for i, payload in enumerate(self.window):
            self.last_sent = pack_data((self.base + i) & 0xFFFF, payload)
            self._sendto(self.last_sent, self.peer)

    def on_timer(self) -> None:
        if not self.started:
            super().on_timer()  # still waiting for ACK 0: the OACK again
            return
        # Which block was lost is unknown: the whole window goes again.
        if self.retransmits >= MAX_RETRANSMITS:
            log(f"{self.describe()}: no answer after {MAX_RETRANSMITS} retransmissions, giving up")
            self.abort()
            return
        self.retransmits += 1
        self.deadline = time.monotonic() + self.timeout_s
        self._transmit_window()


class WindowedWriteTransfer(WriteTransfer):
    """WRQ with windowsize > 1 (RFC 7440): the client sends up to W blocks, we ACK once per window."""

    def __init__(self, server, peer, request, timeout_s, name, path, fd, netascii):
        super().__init__(server, peer, request, timeout_s, name, path, fd, netascii)
        self.windowsize = 1  # set by Server.accept, like blksize
        self.unacked = 0  # in-order blocks written since the last ACK we sent
        self.gap_acked = False  # a gap was already answered since the last progress
        self.seen_data = False  # the client has sent DATA: it has our OACK

    def start(self, oack: dict[str, str] | None) -> None:
        log(f"{self.describe()}: window of {self.windowsize} blocks")
        super().start(oack)

    def on_packet(self, opcode: int, number: int, payload: bytes) -> None:
        if opcode != OP_DATA:
            return
        self.seen_data = True
        if self.finished:
            # Dallying, as in lock-step: the client missed our final ACK and
            # re-sent its window; only the last block is answered.
            if number == self.block:
                self._sendto(pack_ack(self.block), self.peer)
            return
        ahead = (number - self.block - 1) & 0xFFFF
        if ahead >= 0x8000:
            return  # already written (a duplicate, or an overlapping re-sent window): nothing
        if ahead > 0:
            # A gap: the block before this one was lost. Say at once where we
            # are, but once only until progress, not once per stray block.
            if not self.gap_acked:
                self.gap_acked = True
                self._ack_now()
            return
        last = len(payload) < self.blksize
        if not self._write_block(payload, last):
            return
        self.block = number
        self.gap_acked = False
        self.unacked += 1
        if last or self.unacked >= self.windowsize:
            self.unacked = 0
            self.send(pack_ack(number))
        else:
            # Progress without an ACK: the timer measures T from the last new block.
            self.retransmits = 0
            self.deadline = time.monotonic() + self.timeout_s
        if last:
            self.finished = True
            log(f"{self.describe()}: received")
            self.deadline = time.monotonic() + DALLY_TIMEOUTS * self.timeout_s

    def _ack_now(self) -> None:
        """ACK the last in-order block outside the rhythm of windows (the timer is not touched)."""
        self.unacked = 0  # the client starts its next window after this block
        self._sendto(pack_ack(self.block), self.peer)

    def on_timer(self) -> None:
        if not self.finished and self.seen_data:
            # The client has our OACK; what it may lack is where we are.
            self.last_sent = pack_ack(self.block)
            self.unacked = 0
        super().on_timer()  # dally end, or re-send with the usual give-up


# ---------------------------------------------------------------------------
# The server: the listening socket and the loop
# ---------------------------------------------------------------------------


class Server:
    def __init__(self, port: int, root: str, timeout_s: float):
        self.root = os.path.realpath(root)
        self.timeout_s = timeout_s
        self.selector = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.listener.bind(("127.0.0.1", port))
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, None)
        self.transfers: set[Transfer] = set()

    def forget(self, transfer: Transfer) -> None:
        self.transfers.discard(transfer)
        self.selector.unregister(transfer.sock)

    def serve_forever(self) -> None:
        while True:
            now = time.monotonic()
            # Fire every timer that is due, then sleep until the next one.
            for transfer in [t for t in self.transfers if t.deadline <= now]:
                if not transfer.closed:
                    transfer.on_timer()
            next_deadline = min((t.deadline for t in self.transfers), default=None)
            wait = None if next_deadline is None else max(0.0, next_deadline - time.monotonic())
            for key, _ in self.selector.select(wait):
                if key.data is None:
                    self.on_listener_readable()
                elif not key.data.closed:
                    key.data.on_readable()

    def on_listener_readable(self) -> None:
        while True:
            try:
                data, addr = self.listener.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            self.on_request(data, addr)

    def reply_error(self, addr: tuple[str, int], code: int, message: str) -> None:
        """Refuse a request: from a fresh socket too, since the listening socket only listens."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            try:
                s.sendto(pack_error(code, message), addr)
            except OSError:
                pass

    def on_request(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 2:
            self.reply_error(addr, ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        opcode = struct.unpack("!H", data[:2])[0]
        if opcode == OP_ERROR:
            return  # never answer an ERROR with an ERROR
        if opcode not in (OP_RRQ, OP_WRQ):
            # DATA, ACK, OACK or an unknown opcode belong to no transfer here.
            self.reply_error(addr, ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        # A client that got no answer re-sends its request from the same port.
        # Its transfer already exists and has its own timer: a second transfer
        # would be a second TID talking to the same client (and, for a WRQ, an
        # ERROR 6 for the file the first one just created).
        if any(t.peer == addr and t.request == data for t in self.transfers):
            return
        try:
            transfer = self.accept(opcode, data, addr)
        except BadRequest as exc:
            log(f"{addr[0]}:{addr[1]}: malformed request: {exc}")
            self.reply_error(addr, ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        except Refused as exc:
            log(f"{addr[0]}:{addr[1]}: refused: {exc.message}")
            self.reply_error(addr, exc.code, exc.message)
            return
        except OSError as exc:  # e.g. out of sockets or file descriptors
            log(f"{addr[0]}:{addr[1]}: cannot start a transfer: {exc}")
            self.reply_error(addr, ERR_UNDEFINED, "Server error")
            return
        self.transfers.add(transfer)
        self.selector.register(transfer.sock, selectors.EVENT_READ, transfer)
        log(f"{transfer.describe()} ({transfer.blksize}-byte blocks)")

    def accept(self, opcode: int, data: bytes, addr: tuple[str, int]):
        filename, mode, options = parse_request(data)
        self.check_mode(mode)
        netascii = mode == "netascii"
        path = resolve(self.root, filename)
        name = os.fsdecode(filename)
        fd, size = self.open_file(opcode, path)
        accepted, blksize, timeout_s = self.negotiate(opcode, options, size, netascii)
        windowsize = self.negotiate_window(options)
        if windowsize is not None:
            accepted["windowsize"] = str(windowsize)  # echoed even when 1
        windowed = windowsize is not None and windowsize > 1

        # windowsize 1 is lock-step: the same classes as without the option.
        if windowed:
            cls = WindowedReadTransfer if opcode == OP_RRQ else WindowedWriteTransfer
        else:
            cls = ReadTransfer if opcode == OP_RRQ else WriteTransfer
        try:
            transfer = cls(self, addr, data, timeout_s, name, path, fd, netascii)
        except OSError:
            os.close(fd)
            if opcode == OP_WRQ:
                os.unlink(path)
            raise
        transfer.blksize = blksize
        if windowed:
            transfer.windowsize = windowsize
        # Options sent but none accepted: plain RFC 1350, no OACK.
        transfer.start(accepted or None)
        return transfer

    def check_mode(self, mode: str) -> None:
        if mode not in ("octet", "netascii"):
            # "mail" is obsolete and anything else is not TFTP: the request as
            # a whole is illegal, so 4 rather than the catch-all 0.
            raise Refused(ERR_ILLEGAL_OP, "Illegal mode")

    def open_file(self, opcode: int, path: str) -> tuple[int, int | None]:
        """The file's descriptor, and its size for a read."""
        if opcode == OP_RRQ:
            try:
                # O_NONBLOCK so that a FIFO cannot hang the whole server in open().
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as exc:
                raise refusal_for(exc) from None
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                os.close(fd)  # a directory, device or FIFO is not a file to send
                raise Refused(ERR_ACCESS, "Access violation")
            return fd, st.st_size
        try:
            # O_EXCL: an existing file (or symlink) is never overwritten, and
            # two WRQs for the same new name cannot both win.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise refusal_for(exc) from None
        return fd, None

    def negotiate(self, opcode: int, options, size: int | None, netascii: bool) -> tuple[dict[str, str], int, float]:
        """Option negotiation (RFC 2347): accept what we understand, with the value we
        will use; ignore the rest. The first of a name wins. Returns the OACK's options,
        the block size and the timeout."""
        accepted: dict[str, str] = {}
        blksize, timeout_s = DEFAULT_BLKSIZE, self.timeout_s
        for opt, value in options:
            if opt in accepted:
                continue
            number = parse_int(value)
            if number is None:
                continue
            if opt == "blksize" and number >= MIN_BLKSIZE:
                # RFC 2348 lets the server answer a larger request with less.
                blksize = min(number, MAX_BLKSIZE)
                accepted[opt] = str(blksize)
            elif opt == "timeout" and MIN_TIMEOUT_S <= number <= MAX_TIMEOUT_S:
                timeout_s = float(number)
                accepted[opt] = str(number)
            elif opt == "tsize":
                if opcode == OP_WRQ:
                    accepted[opt] = str(number)  # the client tells us the size
                elif not netascii:
                    # (The netascii size would need a pass over the file to
                    # count line ends; like tftpd-hpa we offer tsize for octet only.)
                    accepted[opt] = str(size)
        return accepted, blksize, timeout_s

    def negotiate_window(self, options) -> int | None:
        """The windowsize option (RFC 7440): the window we will use, or None when
        not asked (or only with invalid values). Kept apart from negotiate() so that
        code overriding negotiate() keeps working unchanged."""
        for opt, value in options:
            if opt != "windowsize":
                continue
            number = parse_int(value)
            # Like negotiate(): an invalid value is skipped, the first valid one wins.
            if number is not None and MIN_WINDOWSIZE <= number <= MAX_WINDOWSIZE:
                # Answering with less is allowed; a cap bounds the blocks kept in memory.
                return min(number, WINDOWSIZE_CAP)
        return None


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="A TFTP server (RFC 1350, options RFC 2347-2349 and 7440).")
    ap.add_argument("--port", type=int, required=True, help="UDP port on 127.0.0.1")
    ap.add_argument("--root", required=True, help="folder whose files are served")
    ap.add_argument("--timeout-ms", type=int, default=1000, help="retransmission timeout (default 1000)")
    args = ap.parse_args()
    if not 1 <= args.port <= 65535:
        ap.error("--port must be between 1 and 65535")
    if args.timeout_ms < 1:
        ap.error("--timeout-ms must be positive")
    if not os.path.isdir(args.root):
        ap.error(f"--root {args.root}: not a folder")
    return args


def main() -> None:
    args = parse_args()
    # Ctrl-C ends the process at once, like SIGTERM: there is nothing to save
    # (an unfinished upload is incomplete either way).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        server = Server(args.port, args.root, args.timeout_ms / 1000)
    except OSError as exc:  # e.g. the port is taken
        print(f"tftp-server: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"tftp-server listening on 127.0.0.1:{args.port}, serving {server.root}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
