"""A small, correct dns-client (the sockgrade contract) that the broken scenarios build on.

Standard library only. Each scenario imports this module, subclasses Client and overrides the
one piece where its bug lives; everything else follows the contract:

  parse_args(argv)        options in any order, NAME the one positional; UsageError -> exit 1
  name_labels(name)       NAME as labels, refusing a label over 63 bytes or a name over 255
  new_id()                the transaction ID of each attempt (unpredictable)
  encode_query(qid)       the standard query: QR=0, OPCODE=0, RD=1, one question, class IN
  decode_name(msg, off)   one (possibly compressed) name -> (labels, offset after it); bounded
  parse_response(msg)     header, question and answer section -> Response; FormatError if broken
  acceptable(...)         the accept check, split into source / QR / ID / question
  exchange_udp(sock)      the retry loop: 1+R attempts of T ms each, all IDs stay acceptable
  wait_for_answer(...)    one attempt's wait; ignored datagrams do not restart its timer
  handle_truncation(r)    TC=1 -> the same question over TCP (exchange_tcp)
  exit_code(rcode)        NOERROR 0, NXDOMAIN 3, any other RCODE 4
  format_name / format_rdata / format_aaaa / format_txt / format_record   the output lines
  run(argv)               all of it; returns the exit code (2: no acceptable response)

Run by hand: python3 client.py --server 127.0.0.1:5353 --timeout-ms 500 --retries 2 --type MX example.com
"""

import secrets
import select
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASS_IN = 1

EXIT_OK, EXIT_USAGE, EXIT_NO_RESPONSE, EXIT_NXDOMAIN, EXIT_RCODE = 0, 1, 2, 3, 4

USAGE = "usage: client.py --server IP:PORT --timeout-ms T --retries R [--type A|AAAA|CNAME|NS|MX|TXT] NAME"

# A name is at most 255 bytes on the wire, so at most 127 labels: a chain of more pointers than
# that can only be a loop (or garbage), whatever the offsets.
MAX_POINTERS = 127


class UsageError(Exception):
    pass


class FormatError(Exception):
    """The bytes are not a DNS message we can read (the datagram is ignored)."""


class Response:
    def __init__(self, qid, flags, question, answers):
        self.id = qid
        self.flags = flags
        self.question = question  # (labels, qtype, qclass) or None when QDCOUNT != 1
        self.answers = answers  # [(owner labels, type, class, ttl, rdata text bytes)]

    @property
    def qr(self):
        return bool(self.flags & 0x8000)

    @property
    def tc(self):
        return bool(self.flags & 0x0200)

    @property
    def rcode(self):
        return self.flags & 0x000F


def log(msg):
    print("dns-client: " + msg, file=sys.stderr, flush=True)


class Client:
    # ---------------------------------------------------------------------------------------
    # Command line

    def parse_args(self, argv):
        opts = {"--server": None, "--timeout-ms": None, "--retries": None, "--type": "A"}
        names = []
        i = 0
        while i < len(argv):
            a = argv[i]
            if a.startswith("--") and a.split("=", 1)[0] in opts:
                key, eq, value = a.partition("=")
                if not eq:
                    i += 1
                    if i >= len(argv):
                        raise UsageError(f"{key} needs a value")
                    value = argv[i]
                opts[key] = value
            elif a.startswith("-") and a not in ("-", "."):
                raise UsageError(f"unknown option {a}")
            else:
                names.append(a)
            i += 1
        if len(names) != 1:
            raise UsageError("exactly one NAME is needed")
        for key in ("--server", "--timeout-ms", "--retries"):
            if opts[key] is None:
                raise UsageError(f"{key} is required")
        host, sep, port = opts["--server"].rpartition(":")
        host = host.strip("[]")
        try:
            port = int(port)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            socket.inet_pton(family, host)
            if not sep or not 0 < port < 65536:
                raise ValueError
        except (ValueError, OSError):
            raise UsageError(f"--server wants IP:PORT, not {opts['--server']!r}")
        try:
            self.timeout_ms = int(opts["--timeout-ms"])
            self.retries = int(opts["--retries"])
            if self.timeout_ms <= 0 or self.retries < 0:
                raise ValueError
        except ValueError:
            raise UsageError("--timeout-ms wants a positive and --retries a non-negative integer")
        qtype = opts["--type"].upper()
        if qtype not in TYPES:
            raise UsageError(f"--type must be one of {', '.join(TYPES)}")
        self.family = family
        self.server = (host, port)
        self.qtype = TYPES[qtype]
        self.labels = self.name_labels(names[0])

    def name_labels(self, name):
        """NAME as a list of labels (bytes); a trailing dot is allowed, "." is the root."""
        if name in (".", ""):
            return []
        if name.endswith("."):
            name = name[:-1]
        labels = [label.encode("utf-8") for label in name.split(".")]
        for label in labels:
            if not label:
                raise UsageError(f"empty label in {name!r}")
            if len(label) > 63:
                raise UsageError(f"label of {len(label)} bytes (at most 63)")
        wire = sum(1 + len(label) for label in labels) + 1
        if wire > 255:
            raise UsageError(f"name of {wire} bytes on the wire (at most 255)")
        return labels

    # ---------------------------------------------------------------------------------------
    # Query

    def new_id(self):
        return secrets.randbits(16)

    def encode_name(self, labels):
        return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"

    def encode_query(self, qid):
        header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD=1, QDCOUNT=1
        return header + self.encode_name(self.labels) + struct.pack("!HH", self.qtype, CLASS_IN)

    # ---------------------------------------------------------------------------------------
    # Response parsing

    def decode_name(self, msg, offset):
        """Labels of the name at `offset` and the offset just after it (after the first pointer,
        if any). Follows compression pointers, at most MAX_POINTERS of them; FormatError on a
        label or pointer past the end, a loop, a reserved label type or a name over 255 bytes."""
        labels = []
        wire = 1
        end = None
        jumps = 0
        while True:
            if offset >= len(msg):
                raise FormatError("name runs past the end of the message")
            length = msg[offset]
            kind = length & 0xC0
            if kind == 0xC0:
                if offset + 1 >= len(msg):
                    raise FormatError("compression pointer cut off")
                if end is None:
                    end = offset + 2
                jumps += 1
                if jumps > MAX_POINTERS:
                    raise FormatError("compression pointer loop")
                offset = ((length & 0x3F) << 8) | msg[offset + 1]
                continue
            if kind:
                raise FormatError(f"reserved label type 0x{length:02x}")
            if length == 0:
                return labels, (end if end is not None else offset + 1)
            if offset + 1 + length > len(msg):
                raise FormatError("label runs past the end of the message")
            labels.append(msg[offset + 1:offset + 1 + length])
            wire += 1 + length
            if wire > 255:
                raise FormatError("name longer than 255 bytes")
            offset += 1 + length

    def unpack(self, fmt, msg, offset):
        size = struct.calcsize(fmt)
        if offset + size > len(msg):
            raise FormatError("message cut off")
        return struct.unpack_from(fmt, msg, offset), offset + size

    def parse_response(self, msg):
        (qid, flags, qdcount, ancount, _ns, _ar), off = self.unpack("!HHHHHH", msg, 0)
        questions = []
        for _ in range(qdcount):
            labels, off = self.decode_name(msg, off)
            (qtype, qclass), off = self.unpack("!HH", msg, off)
            questions.append((labels, qtype, qclass))
        answers = []
        try:
            for _ in range(ancount):
                owner, off = self.decode_name(msg, off)
                (rtype, rclass, ttl, rdlength), off = self.unpack("!HHIH", msg, off)
                if off + rdlength > len(msg):
                    raise FormatError("rdata runs past the end of the message")
                rdata = self.format_rdata(msg, off, rdlength, rtype)
                answers.append((owner, rtype, rclass, ttl, rdata))
                off += rdlength
        except FormatError:
            if not flags & 0x0200:
                raise
            # TC=1: the answer section may really be cut short; it is replaced by TCP's anyway
        question = questions[0] if len(questions) == 1 else None
        return Response(qid, flags, question, answers)

    # ---------------------------------------------------------------------------------------
    # Output

    def format_name(self, labels):
        """Presentation form with the trailing dot (the root is "."), special bytes escaped
        the way dig does it."""
        if not labels:
            return b"."
        out = bytearray()
        for label in labels:
            for b in label:
                if b in b'.\\"();@$':
                    out += b"\\" + bytes([b])
                elif b <= 0x20 or b >= 0x7F:
                    out += b"\\%03d" % b
                else:
                    out.append(b)
            out += b"."
        return bytes(out)

    def rdata_name(self, msg, off, rdlength):
        labels, end = self.decode_name(msg, off)
        if end != off + rdlength:
            raise FormatError("name does not fill the rdata")
        return self.format_name(labels)

    def format_aaaa(self, raw):
        """RFC 5952: lower-case hex without leading zeros, the longest run of two or more zero
        groups (the first on a tie) as "::"."""
        groups = struct.unpack("!8H", raw)
        best_start, best_len, i = -1, 0, 0
        while i < 8:
            if groups[i] == 0:
                j = i
                while j < 8 and groups[j] == 0:
                    j += 1
                if j - i > best_len:
                    best_start, best_len = i, j - i
                i = j
            else:
                i += 1
        text = ["%x" % g for g in groups]
        if best_len < 2:
            return ":".join(text).encode()
        head = ":".join(text[:best_start])
        tail = ":".join(text[best_start + best_len:])
        return (head + "::" + tail).encode()

    def format_txt(self, raw):
        strings = []
        off = 0
        while off < len(raw):
            n = raw[off]
            if off + 1 + n > len(raw):
                raise FormatError("TXT character-string runs past the rdata")
            s = raw[off + 1:off + 1 + n].replace(b"\\", b"\\\\").replace(b'"', b'\\"')
            strings.append(b'"' + s + b'"')
            off += 1 + n
        return b" ".join(strings)

    def format_rdata(self, msg, off, rdlength, rtype):
        raw = msg[off:off + rdlength]
        if rtype == TYPES["A"]:
            if rdlength != 4:
                raise FormatError("A rdata is not 4 bytes")
            return socket.inet_ntoa(raw).encode()
        if rtype == TYPES["AAAA"]:
            if rdlength != 16:
                raise FormatError("AAAA rdata is not 16 bytes")
            return self.format_aaaa(raw)
        if rtype in (TYPES["CNAME"], TYPES["NS"]):
            return self.rdata_name(msg, off, rdlength)
        if rtype == TYPES["MX"]:
            if rdlength < 3:
                raise FormatError("MX rdata too short")
            (pref,) = struct.unpack_from("!H", msg, off)
            return b"%d " % pref + self.rdata_name(msg, off + 2, rdlength - 2)
        if rtype == TYPES["TXT"]:
            return self.format_txt(raw)
        if not raw:
            return b"\\# 0"
        return b"\\# %d %s" % (rdlength, raw.hex().encode())

    def format_record(self, record):
        owner, rtype, rclass, ttl, rdata = record
        tname = TYPE_NAMES.get(rtype, "TYPE%d" % rtype).encode()
        cname = b"IN" if rclass == CLASS_IN else b"CLASS%d" % rclass
        return b"\t".join([self.format_name(owner), b"%d" % ttl, cname, tname, rdata]) + b"\n"

    # ---------------------------------------------------------------------------------------
    # Accepting a response

    def from_server(self, addr):
        return addr[0] == self.server[0] and addr[1] == self.server[1]

    def id_ok(self, response, sent_ids):
        return response.id in sent_ids

    def question_ok(self, response):
        if response.question is None:
            return False
        labels, qtype, qclass = response.question
        same_name = [label.lower() for label in labels] == [label.lower() for label in self.labels]
        return same_name and qtype == self.qtype and qclass == CLASS_IN

    def acceptable(self, data, addr, sent_ids):
        """The Response if this datagram is the answer, else None (with a note on stderr)."""
        if addr is not None and not self.from_server(addr):
            log(f"ignored a datagram from {addr[0]}:{addr[1]}")
            return None
        try:
            response = self.parse_response(data)
        except FormatError as e:
            log(f"ignored a malformed datagram ({e})")
            return None
        if not response.qr:
            log("ignored a datagram with QR=0")
        elif not self.id_ok(response, sent_ids):
            log(f"ignored an answer with ID {response.id}")
        elif not self.question_ok(response):
            log("ignored an answer to another question")
        else:
            return response
        return None

    # ---------------------------------------------------------------------------------------
    # Exchanges

    def recv_until(self, sock, deadline):
        """One datagram (data, addr), or None once `deadline` (monotonic seconds) has passed."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            readable, _, _ = select.select([sock], [], [], left)
            if not readable:
                return None
            try:
                return sock.recvfrom(65535)
            except OSError as e:  # e.g. an ICMP error: not an answer, keep waiting
                log(f"recvfrom: {e}")

    def wait_for_answer(self, sock, deadline, sent_ids):
        """Wait until `deadline` for an acceptable answer; ignored datagrams do not move it."""
        while True:
            got = self.recv_until(sock, deadline)
            if got is None:
                return None
            response = self.acceptable(got[0], got[1], sent_ids)
            if response is not None:
                return response

    def send_query(self, sock, sent_ids):
        qid = self.new_id()
        sent_ids.add(qid)
        sock.sendto(self.encode_query(qid), self.server)

    def exchange_udp(self, sock):
        """1+R attempts of T ms each; an answer to any attempt so far is accepted."""
        sent_ids = set()
        for _attempt in range(1 + self.retries):
            self.send_query(sock, sent_ids)
            response = self.wait_for_answer(sock, time.monotonic() + self.timeout_ms / 1000, sent_ids)
            if response is not None:
                return response
        return None

    def exchange_tcp(self):
        """The same question over TCP (two-byte length prefix), 1+R attempts of T ms each."""
        for _attempt in range(1 + self.retries):
            qid = self.new_id()
            query = self.encode_query(qid)
            deadline = time.monotonic() + self.timeout_ms / 1000
            try:
                with socket.create_connection(self.server, timeout=self.timeout_ms / 1000) as s:
                    s.sendall(struct.pack("!H", len(query)) + query)
                    (length,) = struct.unpack("!H", self.recv_exact(s, 2, deadline))
                    data = self.recv_exact(s, length, deadline)
            except (OSError, EOFError) as e:
                log(f"TCP: {e}")
                continue
            response = self.acceptable(data, None, {qid})
            if response is not None:
                return response
        return None

    def recv_exact(self, s, n, deadline):
        buf = b""
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("timed out")
            s.settimeout(left)
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed before the whole answer")
            buf += chunk
        return buf

    def handle_truncation(self, response):
        if response.tc:
            log("TC=1: asking again over TCP")
            return self.exchange_tcp()
        return response

    def exit_code(self, rcode):
        if rcode == 0:
            return EXIT_OK
        if rcode == 3:
            return EXIT_NXDOMAIN
        return EXIT_RCODE

    # ---------------------------------------------------------------------------------------

    def run(self, argv):
        try:
            self.parse_args(argv)
        except UsageError as e:
            log(str(e))
            print(USAGE, file=sys.stderr)
            return EXIT_USAGE
        with socket.socket(self.family, socket.SOCK_DGRAM) as sock:
            response = self.exchange_udp(sock)
        if response is not None:
            response = self.handle_truncation(response)
        if response is None:
            log(f"no answer after {1 + self.retries} attempt(s)")
            return EXIT_NO_RESPONSE
        out = sys.stdout.buffer
        for record in response.answers:
            out.write(self.format_record(record))
        out.flush()
        return self.exit_code(response.rcode)


def main(client_class=Client):
    sys.exit(client_class().run(sys.argv[1:]))


if __name__ == "__main__":
    main()
