#!/usr/bin/env python3
"""kv-server reference solution: a key-value server that speaks RESP2 like Redis.

Run:  python3 server.py --port 6380

Design in one paragraph: one asyncio event loop serves every client. Each client
has its own coroutine that reads whatever bytes have arrived, feeds them to an
incremental RESP parser, executes every *complete* command the buffer holds, and
writes all the replies for that read in one go. Bytes of an unfinished command
stay in the parser's buffer until the rest arrives. Keys and values are `bytes`
from end to end; nothing is ever decoded as text.

Standard library only (Python 3.11+).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import sys
import time

# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------

# A "*<n>" or "$<n>" header is a handful of bytes. If this many bytes arrive
# without a CRLF, the client is not speaking RESP; stop buffering (Redis uses
# the same 64 KiB limit).
MAX_HEADER_LINE = 64 * 1024
# Largest bulk string we accept (Redis's default proto-max-bulk-len).
MAX_BULK_LEN = 512 * 1024 * 1024
# Most arguments in one command. Redis allows more; a bigger count is garbage.
MAX_ARGS = 1024 * 1024

READ_SIZE = 64 * 1024
# Write replies out once this many bytes have piled up, even mid-read.
FLUSH_AT = 1024 * 1024

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# ---------------------------------------------------------------------------
# Integers, parsed the way Redis does (its string2ll)
# ---------------------------------------------------------------------------

# Exactly a base-10 integer: no sign "+", no spaces, no leading zeros, no "-0".
# Do not use int(b) alone: it also accepts b" 7 ", b"+7", b"1_000" and b"007".
_INT_RE = re.compile(rb"0|-?[1-9][0-9]*")


def parse_int64(raw: bytes) -> int | None:
    """Return the signed 64-bit integer `raw` spells, or None if it is not one."""
    if len(raw) > 20 or not _INT_RE.fullmatch(raw):
        return None
    value = int(raw)
    if not INT64_MIN <= value <= INT64_MAX:
        return None
    return value


# ---------------------------------------------------------------------------
# RESP replies
# ---------------------------------------------------------------------------

CRLF = b"\r\n"
OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
NIL = b"$-1\r\n"  # "no value". Not the same as the empty string b"$0\r\n\r\n".


def bulk(value: bytes) -> bytes:
    return b"$%d\r\n" % len(value) + value + CRLF


def integer(n: int) -> bytes:
    return b":%d\r\n" % n


def error(message: str | bytes) -> bytes:
    if isinstance(message, str):
        message = message.encode()
    # An error reply is one line: a CR or LF inside it would end it early and
    # the client would read the rest as the next reply. Messages can contain
    # client bytes (an unknown command's name), so scrub them.
    message = message.replace(b"\r", b" ").replace(b"\n", b" ")
    return b"-ERR " + message + CRLF


def wrong_arity(name: bytes) -> bytes:
    return error(b"wrong number of arguments for '%s' command" % name.lower())


SYNTAX_ERROR = error("syntax error")
NOT_AN_INTEGER = error("value is not an integer or out of range")

# ---------------------------------------------------------------------------
# Incremental RESP parser
# ---------------------------------------------------------------------------


class ProtocolError(Exception):
    """The client sent bytes that are not a RESP command."""


class RespParser:
    """Turns a byte stream into commands (lists of bulk strings).

    TCP delivers a stream, not messages: one read may hold half a command,
    exactly one, or a thousand and a half. feed() appends whatever arrived;
    next_command() returns one complete command at a time, or None when the
    buffer holds only part of the next one. The parser remembers how far it
    got (how many arguments are still missing, the length of the bulk string
    being read), so bytes already parsed are never parsed again.

    A request looks like  *2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\nk\\r\\n :
    an array header "*<count>", then <count> bulk strings "$<len>" + data.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0  # start of the unparsed bytes in _buf
        self._args: list[bytes] = []  # arguments of the command being read
        self._missing = 0  # arguments still to read; 0 = expecting a "*" header
        self._bulk_len = -1  # length of the bulk string being read; -1 = header not read yet

    def feed(self, data: bytes) -> None:
        if self._pos:
            # Drop what has been parsed. Only a partial command remains, so
            # this is cheap (and happens once per read, not once per command).
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def next_command(self) -> list[bytes] | None:
        while True:
            if self._missing == 0:
                line = self._read_line()
                if line is None:
                    return None
                if line[:1] != b"*":
                    raise ProtocolError(f"expected '*', got {line[:1]!r}")
                count = parse_int64(line[1:])
                if count is None or count > MAX_ARGS:
                    raise ProtocolError("invalid multibulk length")
                if count <= 0:
                    continue  # "*0" and "*-1" are empty requests; Redis ignores them
                self._missing = count

            while self._missing:
                if self._bulk_len < 0:
                    line = self._read_line()
                    if line is None:
                        return None
                    if line[:1] != b"$":
                        raise ProtocolError(f"expected '$', got {line[:1]!r}")
                    length = parse_int64(line[1:])
                    if length is None or length < 0 or length > MAX_BULK_LEN:
                        raise ProtocolError("invalid bulk length")
                    self._bulk_len = length
                # The data is counted, not delimited: it may contain \r\n or
                # any other byte. Wait until all of it plus the CRLF is here.
                end = self._pos + self._bulk_len
                if len(self._buf) < end + 2:
                    return None
                if self._buf[end : end + 2] != CRLF:
                    raise ProtocolError("bulk string not followed by CRLF")
                self._args.append(bytes(self._buf[self._pos : end]))
                self._pos = end + 2
                self._bulk_len = -1
                self._missing -= 1

            args, self._args = self._args, []
            return args

    def _read_line(self) -> bytes | None:
        """Consume and return one header line without its CRLF, or None if incomplete."""
        end = self._buf.find(CRLF, self._pos)
        if end < 0:
            if len(self._buf) - self._pos > MAX_HEADER_LINE:
                raise ProtocolError("header line too long")
            return None
        line = bytes(self._buf[self._pos : end])
        self._pos = end + 2
        return line


# ---------------------------------------------------------------------------
# The key space
# ---------------------------------------------------------------------------


def now_ms() -> float:
    # A monotonic clock: a TTL must not jump when someone changes the wall clock.
    return time.monotonic() * 1000.0


class Store:
    """Keys and values (both bytes), with optional expiry times.

    Like Redis, the expiry times live in a second dict that holds only the
    keys that have one. A key whose time has passed is deleted the moment
    anyone looks at it ("lazy" expiry); sweep() also removes expired keys
    nobody looks at any more, so they do not use memory forever.
    """

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.expires: dict[bytes, float] = {}  # key -> deadline (now_ms() clock)

    def _expire_if_due(self, key: bytes) -> None:
        deadline = self.expires.get(key)
        if deadline is not None and deadline <= now_ms():
            del self.expires[key]
            del self.data[key]

    def get(self, key: bytes) -> bytes | None:
        self._expire_if_due(key)
        return self.data.get(key)

    def exists(self, key: bytes) -> bool:
        self._expire_if_due(key)
        return key in self.data

    def set(self, key: bytes, value: bytes, deadline: float | None = None) -> None:
        """Store a value. Without a deadline the key becomes persistent."""
        self.data[key] = value
        if deadline is None:
            self.expires.pop(key, None)
        else:
            self.expires[key] = deadline

    def replace_value(self, key: bytes, value: bytes) -> None:
        """Change the value but keep any expiry (what INCR does)."""
        self.data[key] = value

    def delete(self, key: bytes) -> bool:
        self._expire_if_due(key)
        self.expires.pop(key, None)
        return self.data.pop(key, None) is not None

    def sweep(self) -> None:
        now = now_ms()
        for key in [k for k, deadline in self.expires.items() if deadline <= now]:
            del self.expires[key]
            del self.data[key]


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def cmd_ping(store: Store, args: list[bytes]) -> bytes:
    if len(args) > 2:
        return wrong_arity(args[0])
    return PONG if len(args) == 1 else bulk(args[1])


def cmd_echo(store: Store, args: list[bytes]) -> bytes:
    return bulk(args[1])


def cmd_get(store: Store, args: list[bytes]) -> bytes:
    value = store.get(args[1])
    return NIL if value is None else bulk(value)


def cmd_set(store: Store, args: list[bytes]) -> bytes:
    """SET key value [EX seconds | PX milliseconds] [NX | XX]"""
    key, value = args[1], args[2]
    nx = xx = False
    unit: bytes | None = None  # b"EX" or b"PX" once seen
    amount: bytes | None = None

    # Options may come in any order and any case. Like Redis: NX with XX, or
    # EX with PX, is a syntax error; repeating the same one is allowed.
    i = 3
    while i < len(args):
        opt = args[i].upper()
        if opt == b"NX" and not xx:
            nx = True
        elif opt == b"XX" and not nx:
            xx = True
        elif opt in (b"EX", b"PX") and unit in (None, opt) and i + 1 < len(args):
            unit, amount = opt, args[i + 1]
            i += 1
        else:
            return SYNTAX_ERROR
        i += 1

    deadline = None
    if amount is not None:
        n = parse_int64(amount)
        if n is None:
            return NOT_AN_INTEGER
        ms = n * 1000 if unit == b"EX" else n
        # Must be positive, and (as in Redis) the absolute expiry time in Unix
        # milliseconds must still fit in 64 bits.
        if n <= 0 or ms > INT64_MAX - int(time.time() * 1000):
            return error("invalid expire time in 'set' command")
        deadline = now_ms() + ms

    # The condition is checked after the options are validated: a bad option
    # is an error even when NX/XX would not have set anything.
    if (nx and store.exists(key)) or (xx and not store.exists(key)):
        return NIL
    store.set(key, value, deadline)  # no EX/PX: deadline None clears any old expiry
    return OK


def cmd_del(store: Store, args: list[bytes]) -> bytes:
    # "DEL k k" removes k once: the second time it is already gone.
    return integer(sum(store.delete(key) for key in args[1:]))


def cmd_exists(store: Store, args: list[bytes]) -> bytes:
    # Counts names, not distinct keys: "EXISTS k k" is 2 when k exists.
    return integer(sum(store.exists(key) for key in args[1:]))


def cmd_incr(store: Store, args: list[bytes]) -> bytes:
    key = args[1]
    current = store.get(key)
    n = 0 if current is None else parse_int64(current)
    if n is None:
        return NOT_AN_INTEGER  # and the value stays as it was
    if n == INT64_MAX:
        return error("increment or decrement would overflow")
    n += 1
    if current is None:
        store.set(key, b"%d" % n)
    else:
        store.replace_value(key, b"%d" % n)
    return integer(n)


# name -> (handler, arity). Arity counts the command name, as in Redis's
# command table: N means exactly N, -N means at least N.
COMMANDS = {
    b"PING": (cmd_ping, -1),
    b"ECHO": (cmd_echo, 2),
    b"GET": (cmd_get, 2),
    b"SET": (cmd_set, -3),
    b"DEL": (cmd_del, -2),
    b"EXISTS": (cmd_exists, -2),
    b"INCR": (cmd_incr, 2),
}


def execute(store: Store, args: list[bytes]) -> bytes:
    """Run one command and return its reply. Never raises for bad input."""
    name = args[0].upper()  # bytes.upper() only changes ASCII letters
    entry = COMMANDS.get(name)
    if entry is None:
        return error(b"unknown command '%s'" % args[0][:128])
    handler, arity = entry
    if (arity >= 0 and len(args) != arity) or len(args) < -arity:
        return wrong_arity(args[0])
    return handler(store, args)


# ---------------------------------------------------------------------------
# Networking
# ---------------------------------------------------------------------------


async def serve_client(store: Store, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    parser = RespParser()
    try:
        while True:
            # Whatever has arrived: 1 byte or 64 KiB, any number of commands.
            data = await reader.read(READ_SIZE)
            if not data:
                # The client closed (or half-closed) its side. Everything it sent
                # before that has been answered already, so we can close too.
                break
            parser.feed(data)

            replies: list[bytes] = []
            pending = 0  # bytes in replies
            protocol_error = None
            try:
                while (args := parser.next_command()) is not None:
                    reply = execute(store, args)
                    replies.append(reply)
                    pending += len(reply)
                    if pending >= FLUSH_AT:
                        # A few bytes of commands can ask for a lot of output (64 KiB
                        # of "GET big" is 2,700 copies of a 512 KiB value). Hand it to
                        # the client now, and wait for it if it is not reading, rather
                        # than build gigabytes in memory while the others wait.
                        writer.write(b"".join(replies))
                        replies.clear()
                        pending = 0
                        await writer.drain()
            except ProtocolError as exc:
                # We can no longer tell where the next command starts: answer what
                # came before, report the error, and close this connection (only
                # this one).
                protocol_error = exc
                replies.append(error(f"Protocol error: {exc}"))

            if replies:
                # Usually this is the only write for this read: one write for all
                # its replies, not one per command.
                writer.write(b"".join(replies))
                # Returns at once unless the client is not reading its replies;
                # then we stop reading its commands until it catches up.
                await writer.drain()
            if protocol_error:
                break
    except OSError:
        pass  # ConnectionResetError (RST), BrokenPipeError...: the client vanished
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def sweep_expired(store: Store) -> None:
    while True:
        await asyncio.sleep(1)
        store.sweep()


async def main(port: int) -> None:
    store = Store()
    server = await asyncio.start_server(
        lambda r, w: serve_client(store, r, w),
        host="127.0.0.1",
        port=port,
        # Connections the OS may queue before we accept them (asyncio's default
        # is 100): room for a burst of clients all connecting at once.
        backlog=1024,
    )
    sweeper = asyncio.create_task(sweep_expired(store))  # keep a reference
    print(f"kv-server listening on 127.0.0.1:{port}", flush=True)
    try:
        async with server:
            await server.serve_forever()
    finally:
        sweeper.cancel()


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="A key-value server speaking RESP2.")
    ap.add_argument("--port", type=int, default=6380, help="TCP port on 127.0.0.1 (default 6380)")
    args = ap.parse_args()
    if not 1 <= args.port <= 65535:
        ap.error("--port must be between 1 and 65535")
    return args


if __name__ == "__main__":
    port = parse_args().port
    # Ctrl-C (SIGINT) ends the process at once, like SIGTERM does by default:
    # there is nothing to save, and the OS closes every socket. (Otherwise
    # asyncio turns Ctrl-C into task cancellations, and Python 3.11 prints
    # tracebacks for the cancelled client tasks.)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        asyncio.run(main(port))
    except OSError as exc:  # e.g. the port is already in use
        print(f"kv-server: cannot listen on 127.0.0.1:{port}: {exc}", file=sys.stderr)
        sys.exit(1)
