"""A small, correct kv-server (RESP2, Redis semantics) that the broken scenarios build on.

Standard library only. Each scenario imports this module and overrides the one piece where
its bug lives, so that everything else behaves exactly like redis-server on the grader's cases:

  parse_commands(buf)   incremental, binary-safe RESP parser: (complete commands, remainder)
  Executor              runs one command on the shared store and returns the encoded reply;
                        the reply encoders (EOL, simple, error, integer, bulk, nil) and the
                        expiry check (expired) are methods, so a subclass can break one of them
  Connection            per-client protocol state, no I/O: feed(bytes) -> (reply bytes, keep_open)
  Server                the asyncio accept/read/write loop; run(port) serves forever
  main()                parses --port P and runs Server()

Where this deliberately copies Redis 7 rather than being stricter, a comment says so.
"""

import argparse
import asyncio
import os
import re
import sys
import time
import traceback

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1

# Redis' limits: a header line (or an inline command) with no "\r" within 64 KiB is an error,
# and so are more than INT_MAX array items or a bulk string over 512 MiB.
MAX_LINE = 64 * 1024
MAX_ITEMS = 2 ** 31 - 1
MAX_BULK = 512 * 1024 * 1024

_INTEGER = re.compile(rb'(0|-?[1-9][0-9]*)\Z')


def parse_int64(b):
    """Redis' string2ll: a canonical base-10 signed 64-bit integer, else None.

    No sign "+", no spaces, no leading zeros, no "-0": "01", " 1", "+1", "1.5" are all refused.
    """
    if len(b) > 20 or not _INTEGER.match(b):
        return None
    n = int(b)
    return n if INT64_MIN <= n <= INT64_MAX else None


# --------------------------------------------------------------------------------------------
# Protocol


class ProtocolError(Exception):
    """The bytes can never become a valid request. `commands` holds the complete commands that
    came before the bad bytes (Redis answers those, then the error, then closes)."""

    def __init__(self, message, commands=()):
        super().__init__(message)
        self.commands = list(commands)


def parse_commands(buf):
    """Parse as many complete commands as `buf` holds.

    Returns (commands, remainder): each command is a list of bytes arguments; `remainder` is the
    start of an incomplete command (keep it and prepend it to the next read). Raises
    ProtocolError on bytes that can never be valid. Binary-safe: bulk strings are taken by their
    length, never by looking for "\\r\\n" inside them.
    """
    commands = []
    pos = 0
    n = len(buf)
    while pos < n:
        try:
            if buf[pos:pos + 1] == b'*':
                step = _parse_multibulk(buf, pos)
            else:
                step = _parse_inline(buf, pos)
        except ProtocolError as e:
            raise ProtocolError(str(e), commands) from None
        if step is None:  # incomplete: wait for more bytes
            break
        command, pos = step
        if command:  # "*0\r\n", "*-1\r\n" and empty inline lines are skipped, as in Redis
            commands.append(command)
    return commands, buf[pos:]


def _header_line(buf, pos, what):
    """The line starting after the type byte at `pos`, up to "\\r". Returns (text, next_pos) or
    None if it is not all here. Like Redis, the byte after "\\r" is skipped, not checked."""
    cr = buf.find(b'\r', pos)
    if cr < 0 or cr + 1 >= len(buf):
        if len(buf) - pos > MAX_LINE:
            raise ProtocolError('Protocol error: too big %s count string' % what)
        return None
    return buf[pos + 1:cr], cr + 2


def _parse_multibulk(buf, pos):
    line = _header_line(buf, pos, 'mbulk')
    if line is None:
        return None
    text, pos = line
    count = parse_int64(text)
    if count is None or count > MAX_ITEMS:
        raise ProtocolError('Protocol error: invalid multibulk length')
    args = []
    for _ in range(count):  # count <= 0: an empty command, skipped by the caller
        if pos >= len(buf):
            return None
        if buf[pos:pos + 1] != b'$':
            got = buf[pos:pos + 1].decode('latin-1')
            raise ProtocolError("Protocol error: expected '$', got '%s'" % got)
        line = _header_line(buf, pos, 'bulk')
        if line is None:
            return None
        text, pos = line
        size = parse_int64(text)
        if size is None or size < 0 or size > MAX_BULK:
            raise ProtocolError('Protocol error: invalid bulk length')
        if len(buf) < pos + size + 2:
            return None
        args.append(buf[pos:pos + size])
        pos += size + 2  # like Redis, the two bytes after the data are skipped, not checked
    return args, pos


def _parse_inline(buf, pos):
    """Redis also takes a bare line of words ("PING\\r\\n", as telnet sends). Quotes are not
    interpreted here (Redis does); the grader only sends RESP arrays."""
    lf = buf.find(b'\n', pos)
    if lf < 0:
        if len(buf) - pos > MAX_LINE:
            raise ProtocolError('Protocol error: too big inline request')
        return None
    line = buf[pos:lf]
    if line.endswith(b'\r'):
        line = line[:-1]
    return line.split(), lf + 1


# --------------------------------------------------------------------------------------------
# Commands


class CommandError(Exception):
    """Raised inside a command to answer with an error reply ("-ERR ...")."""


class Executor:
    """The store and the commands. One Executor is shared by every client."""

    EOL = b'\r\n'

    # name -> (method, arity) with Redis' arity convention: n means exactly n arguments
    # counting the command name, -n means at least n.
    COMMANDS = {
        b'PING': ('cmd_ping', -1),
        b'ECHO': ('cmd_echo', 2),
        b'SET': ('cmd_set', -3),
        b'GET': ('cmd_get', 2),
        b'DEL': ('cmd_del', -2),
        b'EXISTS': ('cmd_exists', -2),
        b'INCR': ('cmd_incr', 2),
    }

    def __init__(self):
        self.data = {}  # key bytes -> value bytes
        self.expires = {}  # key bytes -> deadline, ms since the epoch

    # ---- replies

    def simple(self, text):
        return b'+' + text + self.EOL

    def error(self, message):
        # One line, always: "\r" and "\n" in the text (an echoed command name) become spaces, as in Redis.
        text = message.encode('utf-8', 'replace').replace(b'\r', b' ').replace(b'\n', b' ')
        return b'-ERR ' + text + self.EOL

    def integer(self, n):
        return b':%d' % n + self.EOL

    def bulk(self, value):
        return b'$%d' % len(value) + self.EOL + value + self.EOL

    def nil(self):
        return b'$-1' + self.EOL

    # ---- dispatch

    def execute(self, args):
        """Run one command (a non-empty list of bytes) and return its encoded reply."""
        name = args[0].upper()
        spec = self.COMMANDS.get(name)
        if spec is None:
            return self.error(self.unknown_command_message(args))
        method, arity = spec
        if (arity >= 0 and len(args) != arity) or len(args) < -arity:
            return self.error("wrong number of arguments for '%s' command" % name.decode().lower())
        try:
            return getattr(self, method)(args)
        except CommandError as e:
            return self.error(str(e))

    @staticmethod
    def unknown_command_message(args):
        def show(b):
            return b[:128].decode('utf-8', 'replace')
        shown = ''.join("'%s' " % show(a) for a in args[1:])
        return "unknown command '%s', with args beginning with: %s" % (show(args[0]), shown)

    # ---- expiry (lazy: a key is dropped when it is next touched after its deadline)

    @staticmethod
    def now_ms():
        return int(time.time() * 1000)

    def expired(self, key):
        deadline = self.expires.get(key)
        return deadline is not None and self.now_ms() > deadline

    def lookup(self, key):
        """The live value of `key`, or None. Drops the key if its deadline has passed."""
        if key in self.data and self.expired(key):
            del self.data[key]
            del self.expires[key]
        return self.data.get(key)

    # ---- commands

    def cmd_ping(self, args):
        if len(args) > 2:
            raise CommandError("wrong number of arguments for 'ping' command")
        return self.bulk(args[1]) if len(args) == 2 else self.simple(b'PONG')

    def cmd_echo(self, args):
        return self.bulk(args[1])

    def cmd_get(self, args):
        value = self.lookup(args[1])
        return self.nil() if value is None else self.bulk(value)

    def cmd_set(self, args):
        key, value = args[1], args[2]
        # Options are all parsed before any is checked, as Redis does: a syntax error anywhere
        # wins over a bad number. "EX 1 EX 2" is allowed (the last wins); EX with PX is not.
        nx = xx = False
        unit = expire = None
        i = 3
        while i < len(args):
            opt = args[i].upper()
            has_next = i + 1 < len(args)
            if opt == b'NX' and not xx:
                nx = True
            elif opt == b'XX' and not nx:
                xx = True
            elif opt in (b'EX', b'PX') and unit in (None, opt) and has_next:
                unit, expire = opt, args[i + 1]
                i += 1
            else:
                raise CommandError('syntax error')
            i += 1
        deadline = None
        if unit is not None:
            amount = parse_int64(expire)
            if amount is None:
                raise CommandError('value is not an integer or out of range')
            if amount <= 0 or (unit == b'EX' and amount > INT64_MAX // 1000):
                raise CommandError("invalid expire time in 'set' command")
            ms = amount * 1000 if unit == b'EX' else amount
            now = self.now_ms()
            if ms > INT64_MAX - now:
                raise CommandError("invalid expire time in 'set' command")
            deadline = now + ms
        exists = self.lookup(key) is not None
        if (nx and exists) or (xx and not exists):
            return self.nil()
        self.data[key] = value
        if deadline is None:
            self.expires.pop(key, None)  # a plain SET clears any earlier expiry
        else:
            self.expires[key] = deadline
        return self.simple(b'OK')

    def cmd_del(self, args):
        removed = 0
        for key in args[1:]:
            if self.lookup(key) is not None:
                del self.data[key]
                self.expires.pop(key, None)
                removed += 1
        return self.integer(removed)

    def cmd_exists(self, args):
        # a key named twice counts twice
        return self.integer(sum(1 for key in args[1:] if self.lookup(key) is not None))

    def cmd_incr(self, args):
        key = args[1]
        value = self.lookup(key)
        n = 0 if value is None else parse_int64(value)
        if n is None:
            raise CommandError('value is not an integer or out of range')
        if n == INT64_MAX:
            raise CommandError('increment or decrement would overflow')
        n += 1
        self.data[key] = b'%d' % n  # INCR keeps the key's expiry, as in Redis
        return self.integer(n)


# --------------------------------------------------------------------------------------------
# Network


class Connection:
    """One client's protocol state: bytes in, reply bytes out. No I/O, so a scenario's own loop
    (blocking, select, ...) can reuse it."""

    def __init__(self, executor):
        self.executor = executor
        self.buffer = b''

    def feed(self, data):
        """Take the bytes of one read. Returns (replies to send, keep the connection open)."""
        self.buffer += data
        try:
            commands, self.buffer = parse_commands(self.buffer)
        except ProtocolError as e:
            # Answer what came before the bad bytes, then the error; then close, as Redis does.
            replies = b''.join(self.executor.execute(c) for c in e.commands)
            return replies + self.executor.error(str(e)), False
        return b''.join(self.executor.execute(c) for c in commands), True


class Server:
    """asyncio loop: every client is served as its bytes arrive; nobody waits for anybody."""

    host = '127.0.0.1'
    executor_class = Executor
    connection_class = Connection
    read_size = 64 * 1024

    def __init__(self):
        self.executor = self.executor_class()

    async def handle_client(self, reader, writer):
        conn = self.connection_class(self.executor)
        try:
            while True:
                data = await reader.read(self.read_size)
                if not data:  # the client closed (or half-closed): every reply has been sent
                    break
                replies, keep_open = conn.feed(data)
                if replies:
                    writer.write(replies)
                    await writer.drain()
                if not keep_open:
                    break
        except ConnectionError:  # reset by the client, or a write to a closed socket
            pass
        writer.close()

    async def _client(self, reader, writer):
        try:
            await self.handle_client(reader, writer)
        except Exception:
            # Like a single-threaded server, an exception nobody catches ends the process, with
            # its traceback and status 1 (asyncio alone would log it and drop only that client).
            # A correct executor never raises: this is what makes a scenario's crash a real
            # crash. os._exit, not sys.exit: nothing is cleaned up first, so no client sees its
            # connection closed while the process is still alive.
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)

    async def serve(self, port):
        server = await asyncio.start_server(self._client, self.host, port, backlog=511)
        print('listening on %s:%d' % (self.host, port), file=sys.stderr, flush=True)
        await server.serve_forever()

    def run(self, port):
        asyncio.run(self.serve(port))


def parse_port(argv=None):
    parser = argparse.ArgumentParser(description='kv-server (RESP2)')
    parser.add_argument('--port', type=int, required=True)
    return parser.parse_args(argv).port


def main(server_class=Server, argv=None):
    server_class().run(parse_port(argv))


if __name__ == '__main__':
    main()
