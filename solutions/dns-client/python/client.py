#!/usr/bin/env python3
"""dns-client reference solution: ask one DNS question over UDP and print the answer.

Run:  python3 client.py --server 127.0.0.1:5353 --timeout-ms 1000 --retries 2 [--type MX] example.com

Design in one paragraph: the query is encoded by hand (RFC 1035: a 12-byte header,
then the question as length-prefixed labels). One UDP socket sends it and stays open
for the whole run, so an answer to any earlier attempt is still received. Each
attempt has an absolute deadline; select() waits for whatever is left of it, so a
datagram that is ignored (wrong sender, wrong ID, wrong question, not a response,
unparseable) never restarts the timer. After 1+R attempts without an acceptable
response the client gives up. A response with TC=1 is asked again over TCP. Names
are decoded with compression, following only pointers that go strictly backwards,
at most MAX_POINTERS of them, so a hostile packet can neither loop nor crash us.

Standard library only (Python 3.11+).
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import select
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28}
TYPE_NAMES = {code: name for name, code in TYPES.items()}
CLASS_IN = 1

RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}

MAX_LABEL = 63  # bytes in one label
MAX_NAME = 255  # bytes of a whole name in wire format, root byte included
# A name has at most 127 labels, so no honest name needs more pointers than that.
# (Pointers that go strictly backwards cannot loop anyway; this is belt and braces.)
MAX_POINTERS = 127

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
    """The bytes are not a DNS message we can decode."""


def note(message: str) -> None:
    """Diagnostics go to stderr: stdout carries only the answer records."""
    print(f"dns-client: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


@dataclass
class Args:
    server: tuple  # (ip, port), or (ip, port, 0, 0) for IPv6: what sendto() wants
    family: int
    timeout_ms: int
    retries: int
    qtype: int
    labels: list[bytes]


def parse_name(text: str) -> list[bytes]:
    """"www.Example.com." -> [b"www", b"Example", b"com"]. The root is "." -> []."""
    if text == "":
        raise UsageError("the name is empty (the root is written '.')")
    if text == ".":
        return []
    raw = os.fsencode(text)  # the bytes the user typed, whatever their encoding
    if raw.endswith(b"."):
        raw = raw[:-1]  # a trailing dot means the same, absolute, name
    labels = raw.split(b".")
    for label in labels:
        if not label:
            raise UsageError(f"empty label in {text!r}")
        if len(label) > MAX_LABEL:
            raise UsageError(f"label of {len(label)} bytes in {text!r}: at most {MAX_LABEL}")
    wire = sum(1 + len(label) for label in labels) + 1
    if wire > MAX_NAME:
        raise UsageError(f"{text!r} takes {wire} bytes in a DNS message: at most {MAX_NAME}")
    return labels


def parse_server(text: str) -> tuple[int, tuple]:
    """IP:PORT, [IPv6]:PORT, or an IP alone (port 53). An address, not a host name:
    looking up a name would need DNS, which is what we are writing."""
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
    values: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            positional.extend(argv[i + 1 :])
            break
        if arg in ("-h", "--help"):
            print(USAGE)
            sys.exit(EXIT_OK)
        if arg.startswith("--"):
            key, eq, value = arg[2:].partition("=")  # --type MX and --type=MX
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
    if type_text in TYPES:
        qtype = TYPES[type_text]
    elif re.fullmatch(r"TYPE[0-9]{1,5}", type_text) and int(type_text[4:]) <= 65535:
        qtype = int(type_text[4:])  # RFC 3597 spelling, e.g. TYPE65
    else:
        raise UsageError(f"--type {values['type']!r}: expected one of {', '.join(TYPES)}")

    labels = parse_name(positional[0])
    family, server = parse_server(values["server"])
    return Args(
        server=server,
        family=family,
        timeout_ms=parse_int("--timeout-ms", values.get("timeout-ms", "1000"), 1),
        retries=parse_int("--retries", values.get("retries", "2"), 0),
        qtype=qtype,
        labels=labels,
    )


# ---------------------------------------------------------------------------
# Encoding the query
# ---------------------------------------------------------------------------


def encode_name(labels: list[bytes]) -> bytes:
    """Each label as one length byte and the bytes; a zero byte (the root) ends the name."""
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def encode_query(qid: int, labels: list[bytes], qtype: int) -> bytes:
    # Header: ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT (six 16-bit big-endian fields).
    # Flags 0x0100: QR=0 (query), OPCODE=0 (standard query), RD=1 (recursion desired).
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    return header + encode_name(labels) + struct.pack("!HH", qtype, CLASS_IN)


# ---------------------------------------------------------------------------
# Decoding responses
# ---------------------------------------------------------------------------


def read_name(msg: bytes, offset: int) -> tuple[list[bytes], int]:
    """Decode the (possibly compressed) name at `offset`.

    Returns its labels and the offset just after the name *where it started*: a
    pointer ends the name in place, whatever it points to.

    Every pointer must point strictly before the start of the stretch of labels
    being read (the name's start, or the previous pointer's target). Positions then
    only ever decrease, so decoding always ends; a pointer to itself, to something
    after it, or into a loop is rejected, and so is a name over 255 bytes.
    """
    labels: list[bytes] = []
    length = 1  # the root byte
    end = None  # where the name ends in place: set at the first pointer or at the root
    pos = offset
    floor = offset  # pointers must point below this
    pointers = 0
    while True:
        if pos >= len(msg):
            raise Malformed(f"a name at offset {offset} runs past the end of the message")
        n = msg[pos]
        if n & 0xC0 == 0xC0:  # a pointer: 11 and a 14-bit offset
            if pos + 1 >= len(msg):
                raise Malformed(f"a compression pointer at offset {pos} is cut off")
            target = ((n & 0x3F) << 8) | msg[pos + 1]
            if end is None:
                end = pos + 2
            if target >= floor:
                raise Malformed(f"the compression pointer at offset {pos} points to {target}, not strictly backwards")
            pointers += 1
            if pointers > MAX_POINTERS:
                raise Malformed(f"more than {MAX_POINTERS} compression pointers in one name")
            pos = floor = target
        elif n & 0xC0:  # 01 and 10: label types nobody uses
            raise Malformed(f"unknown label type 0x{n:02x} at offset {pos}")
        elif n == 0:  # the root: the end of the name
            return labels, end if end is not None else pos + 1
        else:
            if pos + 1 + n > len(msg):
                raise Malformed(f"a label of {n} bytes at offset {pos} runs past the end of the message")
            length += 1 + n
            if length > MAX_NAME:
                raise Malformed(f"a name at offset {offset} is longer than {MAX_NAME} bytes")
            labels.append(msg[pos + 1 : pos + 1 + n])
            pos += 1 + n


@dataclass
class Record:
    owner: list[bytes]
    rtype: int
    rclass: int
    ttl: int
    rdata: bytes  # already in presentation form


@dataclass
class Response:
    qid: int
    flags: int
    question: tuple[list[bytes], int, int] | None
    answers: list[Record]

    @property
    def is_response(self) -> bool:
        return bool(self.flags & 0x8000)

    @property
    def tc(self) -> bool:
        return bool(self.flags & 0x0200)

    @property
    def rcode(self) -> int:
        return self.flags & 0x000F


def parse_header_and_question(msg: bytes) -> tuple[Response, int]:
    if len(msg) < 12:
        raise Malformed(f"{len(msg)} bytes: shorter than a DNS header (12)")
    qid, flags, qdcount, ancount, _nscount, _arcount = struct.unpack_from("!HHHHHH", msg, 0)
    resp = Response(qid, flags, None, [])
    offset = 12
    if qdcount != 1:
        return resp, offset  # no question to compare: not an answer to ours
    labels, offset = read_name(msg, offset)
    if offset + 4 > len(msg):
        raise Malformed("the question is cut off")
    qtype, qclass = struct.unpack_from("!HH", msg, offset)
    resp.question = (labels, qtype, qclass)
    return resp, offset + 4


def parse_answers(msg: bytes, resp: Response, offset: int) -> None:
    """Decode the ANSWER section (the other sections are not needed)."""
    ancount = struct.unpack_from("!H", msg, 6)[0]
    for _ in range(ancount):
        owner, offset = read_name(msg, offset)
        if offset + 10 > len(msg):
            raise Malformed("a resource record is cut off")
        rtype, rclass, ttl, rdlength = struct.unpack_from("!HHIH", msg, offset)
        offset += 10
        if offset + rdlength > len(msg):
            raise Malformed(f"RDLENGTH {rdlength} runs past the end of the message")
        rdata = format_rdata(msg, offset, rdlength, rtype)
        resp.answers.append(Record(owner, rtype, rclass, ttl, rdata))
        offset += rdlength


# ---------------------------------------------------------------------------
# Presentation: names and rdata as text
# ---------------------------------------------------------------------------


def format_name(labels: list[bytes]) -> bytes:
    """Absolute, with the trailing dot; the root is ".". Like dig, a dot or a backslash
    inside a label is escaped with a backslash, and bytes that are not printable ASCII
    are written \\DDD (decimal), so the text always means exactly one name."""
    if not labels:
        return b"."
    out = bytearray()
    for label in labels:
        for byte in label:
            if byte in b".\\":
                out += b"\\" + bytes([byte])
            elif 0x21 <= byte <= 0x7E:
                out.append(byte)
            else:
                out += b"\\%03d" % byte
        out += b"."
    return bytes(out)


def format_ipv6(raw: bytes) -> bytes:
    """RFC 5952: lower-case hex without leading zeros; the longest run of two or more
    zero groups becomes "::" (the first one on a tie); a lone zero group stays "0"."""
    groups = struct.unpack("!8H", raw)
    best_start, best_len = -1, 0
    i = 0
    while i < 8:
        if groups[i] == 0:
            j = i
            while j < 8 and groups[j] == 0:
                j += 1
            if j - i > best_len:  # strictly longer: the first run wins a tie
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    hexes = [b"%x" % g for g in groups]
    if best_len < 2:
        return b":".join(hexes)
    return b":".join(hexes[:best_start]) + b"::" + b":".join(hexes[best_start + best_len :])


def read_rdata_name(msg: bytes, offset: int, rdlength: int) -> bytes:
    labels, end = read_name(msg, offset)
    if end != offset + rdlength:
        raise Malformed("a name in RDATA does not fill RDLENGTH exactly")
    return format_name(labels)


def format_rdata(msg: bytes, offset: int, rdlength: int, rtype: int) -> bytes:
    rdata = msg[offset : offset + rdlength]
    if rtype == TYPES["A"]:
        if rdlength != 4:
            raise Malformed(f"an A record with {rdlength} bytes of RDATA, not 4")
        return b"%d.%d.%d.%d" % tuple(rdata)
    if rtype == TYPES["AAAA"]:
        if rdlength != 16:
            raise Malformed(f"an AAAA record with {rdlength} bytes of RDATA, not 16")
        return format_ipv6(rdata)
    if rtype in (TYPES["CNAME"], TYPES["NS"]):
        # Names in RDATA may be compressed too: decode them from the whole message.
        return read_rdata_name(msg, offset, rdlength)
    if rtype == TYPES["MX"]:
        if rdlength < 3:
            raise Malformed("an MX record too short for a preference and a name")
        preference = struct.unpack_from("!H", msg, offset)[0]
        return b"%d " % preference + read_rdata_name(msg, offset + 2, rdlength - 2)
    if rtype == TYPES["TXT"]:
        strings = []
        pos = 0
        while pos < rdlength:  # one or more <character-string>s: a length byte, then bytes
            n = rdata[pos]
            if pos + 1 + n > rdlength:
                raise Malformed("a TXT string runs past RDLENGTH")
            text = rdata[pos + 1 : pos + 1 + n].replace(b"\\", b"\\\\").replace(b'"', b'\\"')
            strings.append(b'"' + text + b'"')
            pos += 1 + n
        return b" ".join(strings)
    # Any other type: RFC 3597's generic form.
    return b"\\# %d" % rdlength + (b" " + rdata.hex().encode() if rdlength else b"")


def format_record(owner: bytes, ttl: int, rclass: int, rtype: int, rdata: bytes) -> bytes:
    """One line of output: owner, TTL, class, type, rdata, separated by one tab each."""
    type_text = TYPE_NAMES.get(rtype, f"TYPE{rtype}").encode()
    class_text = b"IN" if rclass == CLASS_IN else b"CLASS%d" % rclass
    return b"\t".join([owner, b"%d" % ttl, class_text, type_text, rdata]) + b"\n"


# ---------------------------------------------------------------------------
# Which responses to believe
# ---------------------------------------------------------------------------


def same_address(a: tuple, b: tuple) -> bool:
    """Same IP (compared as addresses, so spellings do not matter) and same port."""
    try:
        return a[1] == b[1] and ipaddress.ip_address(a[0].split("%")[0]) == ipaddress.ip_address(b[0].split("%")[0])
    except ValueError:
        return False


def lower(labels: list[bytes]) -> list[bytes]:
    return [label.lower() for label in labels]  # bytes.lower() changes only A-Z


def check_response(msg: bytes, ids: set[int], args: Args) -> Response:
    """Return the response if it answers our question; raise Malformed (with the
    reason) if it must be ignored."""
    resp, offset = parse_header_and_question(msg)
    if not resp.is_response:
        raise Malformed("QR=0: a query, not a response")
    if resp.qid not in ids:
        raise Malformed(f"ID {resp.qid} is not the ID of a query we sent")
    if resp.question is None:
        raise Malformed("it does not repeat our question (QDCOUNT is not 1)")
    labels, qtype, qclass = resp.question
    if lower(labels) != lower(args.labels) or qtype != args.qtype or qclass != CLASS_IN:
        asked = format_name(labels).decode("ascii", "replace")
        raise Malformed(f"it answers another question ({asked} type {qtype} class {qclass})")
    if not resp.tc:
        # A truncated response may hold a partial answer section: only decode a full one.
        parse_answers(msg, resp, offset)
    return resp


# ---------------------------------------------------------------------------
# UDP with retransmission, and TCP when the answer was truncated
# ---------------------------------------------------------------------------


def new_id(used: set[int]) -> int:
    # secrets, not random: an off-path attacker must not be able to guess the ID.
    while True:
        qid = secrets.randbits(16)
        if qid not in used:
            return qid


def ask_udp(args: Args, ids: set[int]) -> Response | None:
    timeout = args.timeout_ms / 1000
    with socket.socket(args.family, socket.SOCK_DGRAM) as sock:
        # Not connect()ed: we check the sender of every datagram ourselves.
        sock.bind(("::", 0) if args.family == socket.AF_INET6 else ("0.0.0.0", 0))
        for attempt in range(1 + args.retries):
            qid = new_id(ids)
            ids.add(qid)
            try:
                sock.sendto(encode_query(qid, args.labels, args.qtype), args.server)
            except OSError as exc:
                note(f"attempt {attempt + 1}: cannot send: {exc}")
            # An absolute deadline: datagrams we ignore do not give the server more time.
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                readable, _, _ = select.select([sock], [], [], left)
                if not readable:
                    break
                try:
                    msg, sender = sock.recvfrom(65535)
                except OSError as exc:  # e.g. an ICMP error reported on the socket
                    note(f"receive error: {exc}")
                    continue
                if not same_address(sender, args.server):
                    note(f"ignored a datagram from {sender[0]}:{sender[1]}: not the server's address and port")
                    continue
                try:
                    return check_response(msg, ids, args)
                except Malformed as exc:
                    note(f"ignored a datagram: {exc}")
            if attempt < args.retries:
                note(f"no answer within {args.timeout_ms} ms; sending the query again")
    return None


def recv_exactly(sock: socket.socket, n: int, deadline: float) -> bytes:
    data = bytearray()
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        sock.settimeout(left)
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise Malformed(f"the server closed the connection after {len(data)} of {n} bytes")
        data += chunk
    return bytes(data)


def ask_tcp(args: Args, ids: set[int]) -> Response | None:
    """The same question over TCP: each message preceded by its length, two bytes big-endian.
    Each attempt has T ms to connect, send and receive; at most 1+R attempts."""
    for attempt in range(1 + args.retries):
        qid = new_id(ids)
        ids.add(qid)
        query = encode_query(qid, args.labels, args.qtype)
        deadline = time.monotonic() + args.timeout_ms / 1000
        try:
            with socket.create_connection(args.server[:2], timeout=args.timeout_ms / 1000) as sock:
                sock.sendall(struct.pack("!H", len(query)) + query)
                length = struct.unpack("!H", recv_exactly(sock, 2, deadline))[0]
                msg = recv_exactly(sock, length, deadline)
            resp = check_response(msg, {qid}, args)
            if resp.tc:
                parse_answers(msg, resp, parse_header_and_question(msg)[1])
            return resp
        except (OSError, Malformed) as exc:
            note(f"TCP attempt {attempt + 1}: {exc}")
    return None


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
    except UsageError as exc:
        note(str(exc))
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE

    ids: set[int] = set()  # every ID sent in this run: an answer to any of them counts
    resp = ask_udp(args, ids)
    if resp is None:
        note(f"no acceptable response after {1 + args.retries} attempts")
        return EXIT_NO_ANSWER
    if resp.tc:
        note("the response is truncated (TC=1): asking again over TCP")
        resp = ask_tcp(args, ids)
        if resp is None:
            note("no acceptable response over TCP")
            return EXIT_NO_ANSWER

    out = b"".join(format_record(format_name(r.owner), r.ttl, r.rclass, r.rtype, r.rdata) for r in resp.answers)
    sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    if resp.rcode == 0:
        return EXIT_OK
    note(f"the server answered {RCODE_NAMES.get(resp.rcode, f'RCODE {resp.rcode}')}")
    return EXIT_NXDOMAIN if resp.rcode == 3 else EXIT_OTHER_RCODE


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: just stop, no traceback
    sys.exit(main(sys.argv[1:]))
