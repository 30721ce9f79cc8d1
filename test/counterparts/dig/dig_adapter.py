"""Runs the real dig (BIND 9.18, Debian dnsutils) under the sockgrade dns-client contract.

    python3 dig_adapter.py --server 127.0.0.1:P --timeout-ms T --retries R [--type TYPE] NAME

becomes

    dig @127.0.0.1 -p P +time=<ceil(T/1000), at least 1> +tries=<1+R> +noall +answer +comments
        +noedns +nocookie +noadflag -q NAME -t TYPE

(+noedns +nocookie +noadflag: a plain query, header flags RD only and no OPT record; -q and -t
so that a NAME such as "mx" is never taken for a type). dig does the networking, the validation,
retransmission, TCP fallback and decoding; this adapter only
  - refuses over-long names itself (exit 1, nothing sent), as the contract asks,
  - reads the status from dig's header comment (NOERROR 0, NXDOMAIN 3, any other 4) and dig's
    exit code (9: no reply) or a missing header (e.g. "Got bad packet") as exit 2,
  - rewrites each line of the ANSWER SECTION as owner<TAB>ttl<TAB>class<TAB>type<TAB>rdata,
    converting rdata where dig's presentation form is not the contract's: AAAA (dig prints
    ::ffff:1.2.3.4 and ::1.2.3.4 with an embedded IPv4 address), TXT (dig writes bytes outside
    printable ASCII as \\DDD; the contract wants them as they are) and unknown types (dig prints
    upper-case hex in groups; the contract wants one run of lower-case hex).
Names (owners, CNAME/NS/MX targets) are printed as dig prints them.

Known limits (dig's, not the adapter's): timeouts are whole seconds, a late answer to an earlier
attempt is not accepted after a retry, and a malformed answer ends the run ("Got bad packet")
instead of being ignored. Types outside the contract's six that dig knows by name (SOA, SRV,
SPF, ...) get their number from a table, but their rdata stays in dig's presentation form (dig
has no way to ask for RFC 3597 form for some types only); a note goes to stderr.
"""

import math
import re
import socket
import struct
import subprocess
import sys

TYPES = ("A", "AAAA", "CNAME", "NS", "MX", "TXT")
# Types dig may print by name that are outside the contract (RFC 3597 wants TYPE<n> for those).
OTHER_TYPES = {
    "MD": 3, "MF": 4, "SOA": 6, "MB": 7, "MG": 8, "MR": 9, "NULL": 10, "WKS": 11, "PTR": 12,
    "HINFO": 13, "MINFO": 14, "RP": 17, "AFSDB": 18, "X25": 19, "ISDN": 20, "RT": 21, "NSAP": 22,
    "NSAP-PTR": 23, "SIG": 24, "KEY": 25, "PX": 26, "GPOS": 27, "LOC": 29, "NXT": 30, "EID": 31,
    "NIMLOC": 32, "SRV": 33, "ATMA": 34, "NAPTR": 35, "KX": 36, "CERT": 37, "A6": 38, "DNAME": 39,
    "SINK": 40, "OPT": 41, "APL": 42, "DS": 43, "SSHFP": 44, "IPSECKEY": 45, "RRSIG": 46,
    "NSEC": 47, "DNSKEY": 48, "DHCID": 49, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52,
    "SMIMEA": 53, "HIP": 55, "NINFO": 56, "RKEY": 57, "TALINK": 58, "CDS": 59, "CDNSKEY": 60,
    "OPENPGPKEY": 61, "CSYNC": 62, "ZONEMD": 63, "SVCB": 64, "HTTPS": 65, "SPF": 99,
    "UINFO": 100, "UID": 101, "GID": 102, "UNSPEC": 103, "NID": 104, "L32": 105, "L64": 106,
    "LP": 107, "EUI48": 108, "EUI64": 109, "TKEY": 249, "TSIG": 250, "URI": 256, "CAA": 257,
    "AVC": 258, "DOA": 259, "AMTRELAY": 260, "RESINFO": 261, "TA": 32768, "DLV": 32769,
}
EXIT_OK, EXIT_USAGE, EXIT_NO_RESPONSE, EXIT_NXDOMAIN, EXIT_RCODE = 0, 1, 2, 3, 4
DIG_NO_REPLY = 9

USAGE = "usage: dig_adapter.py --server IP:PORT --timeout-ms T --retries R [--type TYPE] NAME"


class UsageError(Exception):
    pass


def note(msg):
    print("dig_adapter: " + msg, file=sys.stderr, flush=True)


def parse_args(argv):
    opts = {"--server": None, "--timeout-ms": None, "--retries": None, "--type": "A"}
    names = []
    i = 0
    while i < len(argv):
        a = argv[i]
        key, eq, value = a.partition("=")
        if key in opts:
            if not eq:
                i += 1
                if i >= len(argv):
                    raise UsageError(f"{key} needs a value")
                value = argv[i]
            opts[key] = value
        elif a.startswith("-") and a != "-":
            raise UsageError(f"unknown option {a}")
        else:
            names.append(a)
        i += 1
    if len(names) != 1:
        raise UsageError("exactly one NAME is needed")
    if None in (opts["--server"], opts["--timeout-ms"], opts["--retries"]):
        raise UsageError("--server, --timeout-ms and --retries are required")
    host, sep, port = opts["--server"].rpartition(":")
    host = host.strip("[]")
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
        port = int(port)
        timeout_ms = int(opts["--timeout-ms"])
        retries = int(opts["--retries"])
        if not sep or not 0 < port < 65536 or timeout_ms <= 0 or retries < 0:
            raise ValueError
    except (ValueError, OSError):
        raise UsageError("bad --server, --timeout-ms or --retries")
    qtype = opts["--type"].upper()
    if qtype not in TYPES:
        raise UsageError(f"--type must be one of {', '.join(TYPES)}")
    check_name(names[0])
    return host, port, timeout_ms, retries, qtype, names[0]


def check_name(name):
    """The contract's limits, checked before dig runs (so nothing is sent)."""
    if name in (".", ""):
        return
    labels = [label.encode("utf-8") for label in (name[:-1] if name.endswith(".") else name).split(".")]
    if any(not label for label in labels):
        raise UsageError(f"empty label in {name!r}")
    if any(len(label) > 63 for label in labels):
        raise UsageError("a label over 63 bytes")
    if sum(1 + len(label) for label in labels) + 1 > 255:
        raise UsageError("a name over 255 bytes on the wire")


# ------------------------------------------------------------------------------------------
# Rdata conversion


def rfc5952(text):
    """An IPv6 address in RFC 5952 form, never with an embedded IPv4 part."""
    groups = struct.unpack("!8H", socket.inet_pton(socket.AF_INET6, text))
    best, best_len, i = -1, 0, 0
    while i < 8:
        j = i
        while j < 8 and groups[j] == 0:
            j += 1
        if j - i > best_len:
            best, best_len = i, j - i
        i = j + 1 if j == i else j
    hexes = ["%x" % g for g in groups]
    if best_len < 2:
        return ":".join(hexes)
    return ":".join(hexes[:best]) + "::" + ":".join(hexes[best + best_len:])


def dig_strings(text):
    """dig's TXT presentation ("..." "..."; \\" \\\\ \\DDD escapes) -> the character-strings as bytes."""
    raw = text.encode("latin-1")  # the adapter reads dig's output as latin-1: bytes stay bytes
    strings, i = [], 0
    while i < len(raw):
        if raw[i] in b" \t":
            i += 1
            continue
        quoted = raw[i] == ord('"')
        i += quoted
        s = bytearray()
        while i < len(raw):
            c = raw[i]
            if quoted and c == ord('"'):
                i += 1
                break
            if not quoted and c in b" \t":
                break
            if c == ord("\\") and i + 1 < len(raw):
                if raw[i + 1:i + 4].isdigit() and len(raw[i + 1:i + 4]) == 3:
                    s.append(int(raw[i + 1:i + 4]))
                    i += 4
                else:
                    s.append(raw[i + 1])
                    i += 2
                continue
            s.append(c)
            i += 1
        strings.append(bytes(s))
    return strings


def contract_txt(text):
    out = [b'"' + s.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"' for s in dig_strings(text)]
    return b" ".join(out).decode("latin-1")


def convert(rtype, rdata):
    """(type, rdata) as the contract prints them."""
    if rtype == "AAAA":
        return rtype, rfc5952(rdata)
    if rtype == "TXT":
        return rtype, contract_txt(rdata)
    if rtype in TYPES:
        return rtype, rdata
    m = re.fullmatch(r"TYPE(\d+)", rtype)
    if m is None and rtype in OTHER_TYPES:
        note(f"{rtype} is outside the contract: printed as TYPE{OTHER_TYPES[rtype]}, rdata in dig's form")
        return "TYPE%d" % OTHER_TYPES[rtype], rdata
    m2 = re.fullmatch(r"\\#\s+(\d+)((?:\s+[0-9A-Fa-f]+)*)\s*", rdata)
    if m is None or m2 is None:
        note(f"cannot convert {rtype} {rdata!r}")
        return rtype, rdata
    hexdata = "".join(m2.group(2).split()).lower()
    return rtype, ("\\# %s %s" % (m2.group(1), hexdata)) if hexdata else "\\# %s" % m2.group(1)


# ------------------------------------------------------------------------------------------


def main(argv):
    try:
        host, port, timeout_ms, retries, qtype, name = parse_args(argv)
    except UsageError as e:
        note(str(e))
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE
    cmd = ["dig", "@" + host, "-p", str(port), "+time=%d" % max(1, math.ceil(timeout_ms / 1000)),
           "+tries=%d" % (1 + retries), "+noall", "+answer", "+comments", "+noedns", "+nocookie",
           "+noadflag", "-q", name, "-t", qtype]
    note(" ".join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode("latin-1")
    sys.stderr.write(p.stderr.decode("latin-1"))
    status = None
    answers = []
    in_answer = False
    for line in out.splitlines():
        m = re.match(r";; ->>HEADER<<- opcode: \S+, status: ([A-Z0-9]+),", line)
        if m:
            status = m.group(1)  # the last header wins (after TCP fallback, the TCP answer)
            answers = []
            continue
        if line.startswith(";; ANSWER SECTION:"):
            in_answer = True
            continue
        if not line.strip():
            in_answer = False
            continue
        if line.startswith(";"):
            if not line.startswith((";; Got answer:", ";; flags:")):
                note("dig said: " + line)
            continue
        if in_answer:
            fields = line.split(None, 4)
            if len(fields) < 4:
                note(f"unreadable answer line {line!r}")
                continue
            owner, ttl, rclass, rtype = fields[:4]
            rtype, rdata = convert(rtype, fields[4] if len(fields) > 4 else "")
            answers.append("\t".join([owner, ttl, rclass, rtype, rdata]))
    if p.returncode == DIG_NO_REPLY or status is None:
        note(f"no usable answer (dig exit code {p.returncode})")
        return EXIT_USAGE if p.returncode == 1 else EXIT_NO_RESPONSE
    data = "".join(a + "\n" for a in answers).encode("latin-1")
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    if status == "NOERROR":
        return EXIT_OK
    if status == "NXDOMAIN":
        return EXIT_NXDOMAIN
    return EXIT_RCODE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
