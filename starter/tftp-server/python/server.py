#!/usr/bin/env python3
"""tftp-server starter: a TFTP server (RFC 1350) for the files of one folder.

    Run:    python3 server.py --port 6969 --root files --timeout-ms 1000
    Try:    tftp -m binary 127.0.0.1 6969 -c get hello.txt copy.txt
    Grade:  npx sockgrade grade .

What is here already: the arguments, the listening UDP socket on 127.0.0.1:<port>, one
select() loop that serves every transfer at once and fires each transfer's timer, the request
parser (opcode, file name, mode, options), and the simplest read that works on a perfect
network: DATA blocks of 512 bytes, numbered from 1, each sent after the ACK of the one before.
Reading a file (read-small, sizes) passes as it is.

What is missing (the TODOs), by stage of the handout:
  1. a UDP socket of its own for every transfer (its transfer ID); writes (WRQ);
  2. ERROR packets with the right codes (1, 2, 6), and no path that leaves the root;
  3. retransmission on timeout (the timer counts timeouts and gives up after 5 already;
     nothing is sent again yet); ERROR 5 to strangers;
     a WRQ's duplicate DATA acknowledged again but written once;
  4. many at once: the loop already serves every transfer; keep it that way (never block);
  5. options (blksize, tsize, timeout) answered with an OACK; block numbers past 65535.

Standard library only (Python 3.9+).
"""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import socket
import struct
import sys
import time
from typing import BinaryIO, Dict, Optional, Tuple

Address = Tuple[str, int]

OP_RRQ, OP_WRQ, OP_DATA, OP_ACK, OP_ERROR, OP_OACK = 1, 2, 3, 4, 5, 6

# ERROR codes (RFC 1350; the handout says which one when).
ERR_UNDEFINED = 0
ERR_NOT_FOUND = 1
ERR_ACCESS = 2
ERR_DISK_FULL = 3
ERR_ILLEGAL_OP = 4
ERR_UNKNOWN_TID = 5
ERR_EXISTS = 6

BLOCK_SIZE = 512
MAX_RETRANSMITS = 5  # the handout: give up after 5 retransmissions with no answer

# Bigger than any datagram TFTP sends: recvfrom() silently cuts a datagram longer than its buffer.
RECV_SIZE = 65536


def log(message: str) -> None:
    """Diagnostics go to stderr (the grader's report shows them), one line each."""
    print(f"tftp-server: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Packets: a 2-byte opcode, then fields; numbers are big-endian ("!" in struct)
# ---------------------------------------------------------------------------


def pack_data(block: int, payload: bytes) -> bytes:
    # The block field is 16 bits: only the low 16 bits of the number fit.
    return struct.pack("!HH", OP_DATA, block & 0xFFFF) + payload


def pack_ack(block: int) -> bytes:
    return struct.pack("!HH", OP_ACK, block & 0xFFFF)


def pack_error(code: int, message: str) -> bytes:
    # The message is text ending in a NUL byte.
    return struct.pack("!HH", OP_ERROR, code) + message.encode("ascii", "replace") + b"\0"


# An OACK (stage 5) is the opcode 6 and then "name" NUL "value" NUL for every option accepted.


class BadRequest(Exception):
    """A request that is not TFTP: answered with ERROR 4."""


def parse_request(data: bytes) -> Tuple[str, str, Dict[str, str]]:
    """Split an RRQ or WRQ into (file name, mode, options).

    The layout: opcode | file name NUL | mode NUL | (option name NUL value NUL)*.
    The mode and the option names are case-insensitive, so they come back in lower case.
    """
    if not data.endswith(b"\0"):
        raise BadRequest("a string without its NUL byte")
    fields = data[2:-1].split(b"\0")
    if len(fields) < 2 or not fields[0]:
        raise BadRequest("no file name or no mode")
    name = os.fsdecode(fields[0])
    mode = fields[1].decode("ascii", "replace").lower()
    options: Dict[str, str] = {}
    # Pairs after the mode; a name without a value at the end is ignored.
    for i in range(2, len(fields) - 1, 2):
        options.setdefault(fields[i].decode("ascii", "replace").lower(), fields[i + 1].decode("ascii", "replace"))
    return name, mode, options


# ---------------------------------------------------------------------------
# A read (RRQ)
# ---------------------------------------------------------------------------


class ReadTransfer:
    """One RRQ being served: its client, its file, the block in flight, and its timer.

    Lock-step: exactly one packet of ours is in flight (self.last_sent). Two things may send:
    the ACK of that packet (then the next block goes out), or the timer (stage 3).
    """

    def __init__(self, server: Server, peer: Address, name: str, file: BinaryIO, timeout_s: float):
        self.server = server
        self.peer = peer  # the client's address *and port*: its transfer ID
        self.name = name
        self.file = file
        self.timeout_s = timeout_s
        # PLACEHOLDER: the transfer talks through the listening socket, and the server hands it
        # the datagrams that come from its client (see Server.on_listener_readable).
        # TODO (stage 1): a socket of its own, bound to ("127.0.0.1", 0) so that the kernel picks
        #   a free port (the server's transfer ID), non-blocking, registered with
        #   server.selector with data=self: the loop then calls on_readable() by itself.
        self.sock = server.listener
        self.block = 0  # the number of the block sent last
        self.last_block_sent = False
        self.last_sent = b""
        self.deadline = float("inf")  # when the timer fires: T after our last packet
        self.timeouts = 0  # timeouts in a row with no answer to last_sent
        self.closed = False

    def start(self) -> None:
        self.send_next_block()

    def send(self, packet: bytes) -> None:
        """Send a packet that moves the transfer on, and start the timer for its answer."""
        self.last_sent = packet
        self.timeouts = 0
        self.deadline = time.monotonic() + self.timeout_s
        try:
            self.sock.sendto(packet, self.peer)
        except OSError as exc:  # one client's trouble must not stop the server: the timer decides
            log(f"{self.peer[0]}:{self.peer[1]}: send failed: {exc}")

    def send_next_block(self) -> None:
        payload = self.file.read(BLOCK_SIZE)
        self.block += 1
        # A block shorter than 512 bytes ends the transfer, even an empty one: so a file of
        # exactly N x 512 bytes ends with an empty block.
        self.last_block_sent = len(payload) < BLOCK_SIZE
        self.send(pack_data(self.block, payload))

    def on_readable(self) -> None:
        """Called by the loop when this transfer's own socket has datagrams (stage 1 TODO)."""
        while not self.closed:
            try:
                data, addr = self.sock.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self.on_datagram(data, addr)

    def on_datagram(self, data: bytes, addr: Address) -> None:
        # TODO (stage 3): a datagram from any other address or port than self.peer (a stranger)
        #   gets ERROR 5 "Unknown transfer ID", sent to the stranger, and changes nothing here:
        #   not the block, not the timer. (As long as the listening socket is shared, the
        #   server never hands us a stranger's datagram.)
        if len(data) < 4:
            return
        opcode, number = struct.unpack("!HH", data[:4])
        if opcode == OP_ERROR:
            # The client gave up. An ERROR is never answered (two programs could bounce ERRORs forever).
            self.close()
            return
        # TODO (stage 5): block numbers are 16 bits: after block 65535 comes block 0. The ACK
        #   then carries 0 while self.block is 65536, and this comparison never matches.
        if opcode != OP_ACK or number != self.block:
            # Anything but the ACK of the block in flight is ignored. In particular an ACK of an
            # earlier block (a duplicate): answering it with DATA is the Sorcerer's Apprentice
            # bug, where every duplicate doubles the traffic from then on.
            return
        if self.last_block_sent:
            log(f"{self.peer[0]}:{self.peer[1]} RRQ {self.name!r}: sent")
            self.close()
        else:
            self.send_next_block()

    def on_timer(self) -> None:
        """No answer came within the timeout T of our last packet."""
        self.timeouts += 1
        if self.timeouts > MAX_RETRANSMITS:
            # The client is gone: end the transfer without a word (it would not hear one).
            log(f"{self.peer[0]}:{self.peer[1]} RRQ {self.name!r}: no ACK for block {self.block}, given up")
            self.close()
            return
        self.deadline = time.monotonic() + self.timeout_s
        # PLACEHOLDER: nothing is sent again, the transfer only waits on: a lost DATA block
        # stalls it until it is given up.
        # TODO (stage 3): retransmit: send self.last_sent again, here and only here (a timeout
        #   is the only reason to send a packet again).

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.file.close()
        self.server.forget(self)
        # TODO (stage 1): with a socket of its own, unregister it from server.selector and close it.


# ---------------------------------------------------------------------------
# A write (WRQ): all TODO
# ---------------------------------------------------------------------------

# TODO (stage 1): a WriteTransfer, built like ReadTransfer, the other way round:
#   - open the file with mode "xb" (O_CREAT|O_EXCL): it fails if the file exists (error 6),
#     so a write never overwrites;
#   - answer the WRQ with ACK 0, then each DATA block n (the next one) with ACK n; a block
#     shorter than 512 bytes is the last: write the file whole (close it) before its ACK;
#   - stage 3: a DATA block that arrives again (the number you acknowledged last) is
#     acknowledged again but not written again; after the last ACK, stay a little while to
#     acknowledge the last block again if it comes again (your ACK may have been lost);
#     when you give up, delete the partly written file; a full disk is error 3.


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
        # Non-blocking: the loop reads until the socket is empty and never waits in recvfrom().
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, None)  # data None: the listener
        # The transfers in progress, by their client's address and port.
        # PLACEHOLDER: needed only to hand a client's datagrams to its transfer while all of them
        # share the listening socket. With a socket per transfer the selector finds the transfer
        # (key.data), and the listener no longer needs to know it.
        self.transfers: Dict[Address, ReadTransfer] = {}

    def forget(self, transfer: ReadTransfer) -> None:
        if self.transfers.get(transfer.peer) is transfer:
            del self.transfers[transfer.peer]

    def serve_forever(self) -> None:
        while True:
            # Fire every timer that is due, then sleep until the next one (or a datagram).
            now = time.monotonic()
            for transfer in [t for t in self.transfers.values() if t.deadline <= now]:
                if not transfer.closed:
                    transfer.on_timer()
            next_deadline = min((t.deadline for t in self.transfers.values()), default=None)
            wait = None if next_deadline is None else max(0.0, next_deadline - time.monotonic())
            for key, _ in self.selector.select(wait):
                if key.data is None:
                    self.on_listener_readable()
                elif not key.data.closed:
                    key.data.on_readable()  # a transfer's own socket

    def on_listener_readable(self) -> None:
        while True:
            try:
                data, addr = self.listener.recvfrom(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            transfer = self.transfers.get(addr)
            if transfer is not None:
                # PLACEHOLDER: only because transfers share this socket (see ReadTransfer).
                transfer.on_datagram(data, addr)
                continue
            self.on_request(data, addr)

    def send_error(self, addr: Address, code: int, message: str) -> None:
        """Refuse a request with an ERROR (ERRORs are sent once, never retransmitted)."""
        # PLACEHOLDER: sent from the listening socket.
        # TODO (stage 1): from a new socket bound to ("127.0.0.1", 0), as a transfer would: the
        #   listening socket only ever receives requests.
        try:
            self.listener.sendto(pack_error(code, message), addr)
        except OSError as exc:
            log(f"{addr[0]}:{addr[1]}: cannot send an ERROR: {exc}")

    def on_request(self, data: bytes, addr: Address) -> None:
        opcode = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 0
        if opcode == OP_ERROR:
            return  # never answer an ERROR
        if opcode not in (OP_RRQ, OP_WRQ):
            # DATA, ACK and the rest belong to a transfer, never to the listening port.
            self.send_error(addr, ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        try:
            name, mode, options = parse_request(data)
        except BadRequest as exc:
            log(f"{addr[0]}:{addr[1]}: malformed request: {exc}")
            self.send_error(addr, ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        if mode not in ("octet", "netascii"):
            self.send_error(addr, ERR_ILLEGAL_OP, f"Illegal mode {mode!r}")
            return
        # TODO (netascii): in netascii mode a line end travels as CR LF and a lone CR as CR NUL;
        #   octet sends the bytes as they are. Convert before cutting a read into blocks, and keep
        #   a CR that ends a written block until the next block says what it was (stage 6).
        kind = "RRQ" if opcode == OP_RRQ else "WRQ"
        log(f"{addr[0]}:{addr[1]} {kind} {name!r} {mode}" + "".join(f" {k}={v}" for k, v in options.items()))

        # TODO (stage 5): options (RFC 2347-2349), ignored for now. Accept the ones you know and
        #   answer with an OACK naming each accepted option and the value you will use, instead
        #   of DATA 1 (a read, which then waits for ACK 0) or ACK 0 (a write); leave unknown ones
        #   out, and with none accepted, answer as if there were no options:
        #   blksize 8..65464 (use it as the block size), tsize (a read: 0, answer the file's
        #   size; a write: echo it), timeout 1..255 seconds (replaces --timeout-ms).

        if opcode == OP_WRQ:
            # PLACEHOLDER: writes are refused. TODO (stage 1): see WriteTransfer above.
            self.send_error(addr, ERR_ILLEGAL_OP, "writes are not implemented yet")
            return

        # PLACEHOLDER: the name is simply joined to the root.
        # TODO (stage 2): no path may leave the root: refuse with ERROR 2 an absolute name, a ".."
        #   and a symlink that leads out (os.path.realpath, then check that the result is still
        #   inside self.root).
        path = os.path.join(self.root, name)
        try:
            file = open(path, "rb")
        except OSError as exc:
            # PLACEHOLDER: every failure is error 0 ("not defined"), in the system's words.
            # TODO (stage 2): the code the client needs: 1 for a missing file (errno ENOENT),
            #   2 for an access violation (EACCES, EISDIR, ...).
            self.send_error(addr, ERR_UNDEFINED, exc.strerror or "cannot open the file")
            return
        transfer = ReadTransfer(self, addr, name, file, self.timeout_s)
        # TODO (stage 3): a client that got no answer sends its request again, from the same
        #   port: that is the same transfer, not a new one. (For now the request goes to the
        #   transfer, as everything from its client does, and it ignores it.)
        self.transfers[addr] = transfer
        transfer.start()


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="A TFTP server (RFC 1350).")
    ap.add_argument("--port", type=int, required=True, help="UDP port on 127.0.0.1")
    ap.add_argument("--root", required=True, help="the folder whose files are served")
    ap.add_argument("--timeout-ms", type=int, default=1000, help="retransmission timeout (default 1000)")
    args = ap.parse_args()
    if not 1 <= args.port <= 65535:
        ap.error("--port must be 1 to 65535")
    if args.timeout_ms < 1:
        ap.error("--timeout-ms must be positive")
    if not os.path.isdir(args.root):
        ap.error(f"--root {args.root}: not a folder")
    return args


def main() -> None:
    args = parse_args()
    # Ctrl-C ends the process at once, like SIGTERM.
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
