#!/usr/bin/env python3
"""kv-server starter: a key-value server that speaks the Redis protocol (RESP2).

    Run:    python3 server.py --port 6380
    Try:    redis-cli -p 6380 ping
    Grade:  npx sockgrade grade .

What is here already: the networking. The server listens on 127.0.0.1, serves
any number of clients at once (asyncio: one coroutine per client, all in one
thread, so no locks are needed), reads whatever bytes arrive and writes replies.

What is missing (the TODOs): the RESP parser, the commands, and expiry. Read the
handout first. Keep everything as `bytes`: keys and values may hold any byte,
so never .decode() them.

Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

READ_SIZE = 64 * 1024


class ProtocolError(Exception):
    """Raise this from the parser when the client's bytes are not valid RESP."""


# ---------------------------------------------------------------------------
# The RESP parser
# ---------------------------------------------------------------------------


class RespParser:
    """Turns the byte stream from one client into commands.

    TCP is a byte stream, not a sequence of messages: one read may return half
    a command, exactly one, or many commands and a half. feed() is called with
    whatever arrived; next_command() must then return the complete commands one
    at a time, and keep an incomplete one in the buffer until the rest arrives.
    """

    def __init__(self) -> None:
        self.buf = bytearray()  # bytes received but not parsed yet

    def feed(self, data: bytes) -> None:
        self.buf += data

    def next_command(self) -> list[bytes] | None:
        """Remove one complete command from the front of self.buf and return its
        arguments, e.g. [b"SET", b"key", b"value"]. Return None if the buffer
        does not hold a complete command (yet). Raise ProtocolError if the bytes
        are not RESP.

        A command is an array of bulk strings:  *2\\r\\n$3\\r\\nGET\\r\\n$1\\r\\nk\\r\\n
        TODO: parse "*<count>\\r\\n", then <count> times "$<length>\\r\\n",
              <length> bytes of data (which may contain \\r\\n!) and "\\r\\n".
              If any part is not complete yet, leave the buffer as it is and
              return None.
        """
        # PLACEHOLDER, only so that the loop in serve_client() runs: it takes
        # everything that has arrived and pretends it is one command. It works
        # only when a single read happens to hold exactly one PING. Replace it.
        if not self.buf:
            return None
        data = bytes(self.buf)
        self.buf.clear()
        if data.upper() == b"*1\r\n$4\r\nPING\r\n":
            return [b"PING"]
        return [data]


# ---------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------

# TODO: the key space. A dict from bytes to bytes is a good start; keys with
# an expiry (SET ... EX/PX) also need to remember when they expire.
store: dict[bytes, bytes] = {}


def execute(args: list[bytes]) -> bytes:
    """Run one command and return its complete reply, e.g. b"+PONG\\r\\n"."""
    name = args[0].upper()  # command names are case-insensitive
    if name == b"PING":
        # TODO: "PING message" replies with the message as a bulk string.
        return b"+PONG\r\n"
    # TODO: ECHO, SET (with EX/PX and NX/XX), GET, DEL, EXISTS, INCR.
    # TODO: an unknown command or a wrong number of arguments gets an error
    #       reply ("-ERR ...\r\n") and the connection stays open.
    return b"-ERR not implemented\r\n"


# ---------------------------------------------------------------------------
# Networking (you should not need to change much below)
# ---------------------------------------------------------------------------


async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Runs once per connected client, concurrently with all the others."""
    parser = RespParser()
    try:
        while True:
            # Whatever has arrived: 1 byte or 64 KiB, part of a command or many.
            data = await reader.read(READ_SIZE)
            if not data:
                break  # the client closed its side of the connection
            parser.feed(data)

            replies = []
            closing = False
            try:
                while (args := parser.next_command()) is not None:
                    replies.append(execute(args))
            except ProtocolError as exc:
                # After garbage we cannot know where the next command starts:
                # report it and close this connection (the others carry on).
                replies.append(b"-ERR Protocol error: %s\r\n" % str(exc).encode())
                closing = True

            if replies:
                writer.write(b"".join(replies))  # one write for all of them
                await writer.drain()  # waits only if the client is not reading
            if closing:
                break
    except OSError:
        pass  # e.g. ConnectionResetError: the client vanished; forget it
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


async def main(port: int) -> None:
    server = await asyncio.start_server(serve_client, host="127.0.0.1", port=port)
    print(f"kv-server listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="A key-value server speaking RESP2.")
    ap.add_argument("--port", type=int, default=6380, help="TCP port on 127.0.0.1 (default 6380)")
    port = ap.parse_args().port
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: just stop, no traceback
    try:
        asyncio.run(main(port))
    except OSError as exc:  # e.g. the port is already in use
        print(f"kv-server: cannot listen on 127.0.0.1:{port}: {exc}", file=sys.stderr)
        sys.exit(1)
