#!/usr/bin/env python3
"""dns-client starter: ask one DNS question over UDP and print the answer.

    Run:    python3 client.py --server 127.0.0.1:5353 --timeout-ms 1000 --retries 2 --type A example.com
    Grade:  npx sockgrade grade .

What is here already: the command line (parsed and checked), the UDP socket, one
attempt that waits for one datagram, the exit codes, and the output format
(print_record). Run as it is, it sends a query with no question in it, ignores
whatever comes back, and exits with code 2.

What is missing (the TODOs), roughly in the order of the grader's stages:
  1. encode_query(): the header flags, the question.        (stage 1)
  2. read_name(), parse_response(), rdata_text():
     decoding, with name compression.                       (stages 1-3)
  3. ask_udp(): retransmission, with a deadline per attempt (stage 4)
  4. check_response(): which datagrams to believe.          (stage 5)
  5. parse_name(): refuse names DNS cannot carry.           (stage 6)
  6. ask_tcp(): the same question over TCP when TC=1.       (stage 7)
Read the handout first. Keep names and data as `bytes`.

Standard library only.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import signal
import socket
import struct
import sys
from dataclasses import dataclass, field

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28}
TYPE_NAMES = {code: name for name, code in TYPES.items()}
CLASS_IN = 1

# Exit codes of the contract.
EXIT_OK = 0
EXIT_USAGE = 1
EXIT_NO_ANSWER = 2
EXIT_NXDOMAIN = 3
EXIT_OTHER_RCODE = 4

USAGE = "usage: client.py --server HOST:PORT --timeout-ms T --retries R [--type A|AAAA|CNAME|NS|MX|TXT] NAME"


class UsageError(Exception):
    pass


class Malformed(Exception):
    """Raise this for any datagram that must be ignored: bytes that are not a DNS
    message, or a message that is not the answer to our question."""


def note(message: str) -> None:
    """Diagnostics go to stderr: stdout is only for the answer records."""
    print(f"dns-client: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Command line (done)
# ---------------------------------------------------------------------------


@dataclass
class Args:
    server: tuple  # (ip, port), or (ip, port, 0, 0) for IPv6: what sendto() wants
    family: int  # socket.AF_INET or socket.AF_INET6
    timeout_ms: int
    retries: int
    qtype: int
    labels: list[bytes]  # the NAME, e.g. [b"www", b"example", b"com"]; [] is the root


def parse_name(text: str) -> list[bytes]:
    """"www.Example.com." -> [b"www", b"Example", b"com"]. The root is "." -> []."""
    if text == "":
        raise UsageError("the name is empty (the root is written '.')")
    if text == ".":
        return []
    raw = os.fsencode(text)  # the bytes the user typed
    if raw.endswith(b"."):
        raw = raw[:-1]  # a trailing dot means the same name
    labels = raw.split(b".")
    if b"" in labels:
        raise UsageError(f"empty label in {text!r}")
    # TODO (stage 6): a label is at most 63 bytes, and the whole name at most 255 bytes
    #   in wire format (a length byte per label, the label bytes, and the final zero
    #   byte). Refuse longer ones here, with a UsageError: exit code 1, nothing sent.
    return labels


def parse_server(text: str) -> tuple[int, tuple]:
    """IP:PORT, [IPv6]:PORT, or an IP alone (port 53)."""
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?|([0-9.]+)(?::([0-9]{1,5}))?|([0-9A-Fa-f:.]+)", text)
    if not m:
        raise UsageError(f"--server {text!r}: expected IP:PORT, e.g. 127.0.0.1:5353")
    host = m.group(1) or m.group(3) or m.group(5)
    port = int(m.group(2) or m.group(4) or "53")
    if not 1 <= port <= 65535:
        raise UsageError(f"--server {text!r}: the port must be 1 to 65535")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"--server {text!r}: {host!r} is not an IP address") from None
    if ip.version == 6:
        return socket.AF_INET6, (str(ip), port, 0, 0)
    return socket.AF_INET, (str(ip), port)


def parse_int(option: str, text: str, minimum: int) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < minimum:
        raise UsageError(f"{option} {text!r}: expected a whole number >= {minimum}")
    return int(text)


def parse_args(argv: list[str]) -> Args:
    """Options in any order (--type MX or --type=MX); NAME is the one positional argument."""
    values: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--"):
            key, eq, value = arg[2:].partition("=")
            if key not in ("server", "timeout-ms", "retries", "type"):
                raise UsageError(f"unknown option {arg}")
            if not eq:
                i += 1
                if i == len(argv):
                    raise UsageError(f"{arg} needs a value")
                value = argv[i]
            values[key] = value
        elif arg.startswith("-") and len(arg) > 1:
            raise UsageError(f"unknown option {arg}")
        else:
            positional.append(arg)
        i += 1
    if len(positional) != 1:
        raise UsageError("expected exactly one NAME" if positional else "no NAME to look up")
    if "server" not in values:
        raise UsageError("--server HOST:PORT is required")
    type_text = values.get("type", "A").upper()
    if type_text not in TYPES:
        raise UsageError(f"--type {values['type']!r}: expected one of {', '.join(TYPES)}")
    labels = parse_name(positional[0])
    family, server = parse_server(values["server"])
    return Args(
        server=server,
        family=family,
        timeout_ms=parse_int("--timeout-ms", values.get("timeout-ms", "1000"), 1),
        retries=parse_int("--retries", values.get("retries", "2"), 0),
        qtype=TYPES[type_text],
        labels=labels,
    )


# ---------------------------------------------------------------------------
# Encoding the query
# ---------------------------------------------------------------------------


def encode_query(qid: int, labels: list[bytes], qtype: int) -> bytes:
    """The whole query message: a 12-byte header, then one question.

    The header is six 16-bit big-endian numbers: ID, flags, QDCOUNT, ANCOUNT,
    NSCOUNT, ARCOUNT. struct.pack("!HHHHHH", ...) writes exactly that ("!" means
    network byte order, big-endian; "H" is an unsigned 16-bit number).
    """
    flags = 0
    qdcount = 0
    # TODO (stage 1): flags: QR=0 (a query), OPCODE=0 (a standard query), RD=1
    #   (recursion desired; RD is bit 8 of the flags, 0x0100). QDCOUNT=1.
    header = struct.pack("!HHHHHH", qid, flags, qdcount, 0, 0, 0)
    # TODO (stage 1): append the question: the name as labels (one length byte, then
    #   the label's bytes, for each label; then a zero byte for the root), then QTYPE
    #   and QCLASS (1 = IN) as two more 16-bit numbers.
    #   "a.example" is  01 61 07 65 78 61 6d 70 6c 65 00  followed by 00 01 00 01 for A, IN.
    return header


# ---------------------------------------------------------------------------
# Decoding responses
# ---------------------------------------------------------------------------


@dataclass
class Record:
    owner: list[bytes]  # labels
    rtype: int
    ttl: int
    rdata: bytes  # already as text, ready to print: b"192.0.2.1", b"10 mail.example.com."


@dataclass
class Response:
    qid: int
    flags: int  # QR is 0x8000, TC is 0x0200, RCODE is the low 4 bits (flags & 0xF)
    qname: list[bytes]  # the question the response repeats
    qtype: int
    qclass: int
    answers: list[Record] = field(default_factory=list)


def read_name(msg: bytes, offset: int) -> tuple[list[bytes], int]:
    """Decode the name that starts at msg[offset]. Return its labels and the offset of
    the first byte after the name *where it started*.

    TODO (stage 1, then stage 2 for compression): read labels until the zero byte.
      - A byte 00xxxxxx is a label length (1-63); 0 is the root, the end of the name.
      - A byte 11xxxxxx starts a two-byte compression pointer: the other 14 bits are
        an offset from the start of the message where the rest of the name is. Jump
        there and keep reading; the name *here* ends after the two pointer bytes.
        The target may itself hold labels and then another pointer (a pointer to a
        pointer is fine).
      - Never trust the packet: check every length against len(msg) before you read,
        and make sure following pointers always ends (a pointer may point to itself!).
        A safe rule: each pointer must point strictly before the place where the
        current run of labels started; also stop after a bounded number of pointers.
      - Anything else (a label running past the end, bytes 01xxxxxx or 10xxxxxx, a
        name over 255 bytes): raise Malformed.
    """
    raise Malformed("read_name() is not written yet")


def name_text(labels: list[bytes]) -> bytes:
    """Labels as printed: absolute, with the trailing dot. [b"www", b"example"] ->
    b"www.example."; the root, [], is b".". (Escaping a '.' inside a label as '\\.'
    is a nicety the tests do not need.)"""
    return b"".join(label + b"." for label in labels) or b"."


def rdata_text(msg: bytes, offset: int, rdlength: int, rtype: int) -> bytes:
    """The RDATA at msg[offset:offset + rdlength], as text. Raise Malformed if it does
    not have the shape its type requires."""
    rdata = msg[offset : offset + rdlength]
    if rtype == TYPES["A"]:
        if rdlength != 4:
            raise Malformed(f"an A record with {rdlength} bytes of RDATA, not 4")
        return b"%d.%d.%d.%d" % tuple(rdata)
    # TODO (stage 2), see the handout for each format:
    #   AAAA:      16 bytes, printed in RFC 5952 form (b"2001:db8::1").
    #   CNAME, NS: a name, which may be compressed: use read_name(msg, offset), not
    #              the rdata slice, because pointers are offsets into the whole message.
    #   MX:        a 16-bit preference, then a name: b"10 mail.example.com."
    #   TXT:       one or more strings, each a length byte and that many bytes:
    #              b'"first" "second"', with " and \ escaped by a backslash.
    # Any other type: TYPE<n> and RFC 3597's generic form (done).
    return b"\\# %d" % rdlength + (b" " + rdata.hex().encode() if rdlength else b"")


def parse_response(msg: bytes) -> Response:
    """Decode a whole response: the header, the question, and the answer section.

    TODO (stage 1): check there are 12 bytes of header and unpack them; read the
      question (read_name, then QTYPE and QCLASS); then ANCOUNT resource records:
      owner name (read_name), TYPE, CLASS, TTL (32 bits), RDLENGTH, and RDLENGTH
      bytes of RDATA (rdata_text). Check every length against len(msg) and raise
      Malformed for anything that does not fit. (struct.unpack_from("!HHIH", msg, off)
      reads TYPE, CLASS, TTL and RDLENGTH in one go.)
      If TC is set, the answer section may be incomplete: don't decode it.
    """
    raise Malformed("parse_response() is not written yet")


# ---------------------------------------------------------------------------
# Which responses to believe
# ---------------------------------------------------------------------------


def check_response(resp: Response, sender: tuple, ids: set[int], args: Args) -> None:
    """Raise Malformed (with the reason) if `resp` must be ignored.

    TODO (stage 5): as it is, anything that parses is believed, which lets you work on
      stages 1-4 first. An off-path attacker can send you datagrams too; accept a
      response only if ALL of these hold:
        - it came from the server's address and port (`sender` vs args.server);
        - QR = 1 (it is a response, not a query);
        - its ID is the ID of a query you sent in this run (`ids`);
        - it repeats your question: the same name (compared case-insensitively:
          bytes.lower()), the same type, class IN.
    """


# ---------------------------------------------------------------------------
# UDP, and TCP when the answer was truncated
# ---------------------------------------------------------------------------


def ask_udp(args: Args, ids: set[int]) -> Response | None:
    """Send the query; return the accepted response, or None after 1+R attempts."""
    with socket.socket(args.family, socket.SOCK_DGRAM) as sock:
        sock.bind(("::", 0) if args.family == socket.AF_INET6 else ("0.0.0.0", 0))
        # An unpredictable ID (secrets, not random): see the handout, "spoofing".
        qid = secrets.randbits(16)
        ids.add(qid)
        try:
            sock.sendto(encode_query(qid, args.labels, args.qtype), args.server)
        except OSError as exc:
            note(f"cannot send: {exc}")

        # TODO (stage 4): this is one attempt that gives up at the first datagram.
        #   Instead: wait up to T ms per attempt, measured from when the query was sent.
        #   Ignored datagrams must NOT restart the timer: compute an absolute deadline
        #   (time.monotonic() + T / 1000) and wait only for what is left of it, in a
        #   loop (select.select([sock], [], [], left), or sock.settimeout(left)).
        #   When the deadline passes, send the query again (a new ID is fine; answers
        #   to earlier attempts stay acceptable), at most args.retries more times.
        sock.settimeout(args.timeout_ms / 1000)
        try:
            msg, sender = sock.recvfrom(65535)
        except TimeoutError:
            note(f"no answer within {args.timeout_ms} ms")
            return None
        try:
            resp = parse_response(msg)
            check_response(resp, sender, ids, args)
            return resp
        except Malformed as exc:
            note(f"ignored a datagram: {exc}")
    return None


def ask_tcp(args: Args, ids: set[int]) -> Response | None:
    """The same question over TCP, at the same address and port.

    TODO (stage 7): connect (socket.create_connection(args.server[:2], timeout=...)),
      send the query preceded by its length as two bytes, big-endian, then read two
      bytes of length and exactly that many bytes of response (recv() may return
      less than you asked for: loop). Check the response like a UDP one.
    """
    note("TCP is not written yet")
    return None


def print_record(owner: bytes, ttl: int, rtype: int, rdata: bytes) -> None:
    """One line on stdout: owner, TTL, IN, type, rdata, separated by single tabs.
    E.g. print_record(b"example.com.", 300, 1, b"192.0.2.1")."""
    type_text = TYPE_NAMES.get(rtype, f"TYPE{rtype}").encode()
    sys.stdout.buffer.write(b"\t".join([owner, b"%d" % ttl, b"IN", type_text, rdata]) + b"\n")


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
    except UsageError as exc:
        note(str(exc))
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE

    ids: set[int] = set()  # the IDs of every query sent in this run
    resp = ask_udp(args, ids)
    if resp is None:
        return EXIT_NO_ANSWER
    if resp.flags & 0x0200:  # TC: truncated
        resp = ask_tcp(args, ids)
        if resp is None:
            return EXIT_NO_ANSWER

    for record in resp.answers:
        print_record(name_text(record.owner), record.ttl, record.rtype, record.rdata)
    sys.stdout.buffer.flush()
    rcode = resp.flags & 0xF
    if rcode == 0:
        return EXIT_OK
    return EXIT_NXDOMAIN if rcode == 3 else EXIT_OTHER_RCODE


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: just stop, no traceback
    sys.exit(main(sys.argv[1:]))
