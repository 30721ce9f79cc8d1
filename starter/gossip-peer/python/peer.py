#!/usr/bin/env python3
"""gossip-peer starter: a peer that should gossip every value to every other peer.

    Run:    python3 peer.py --id n1 --port 7001 --peers ""
    Try:    printf '{"type":"broadcast","message":5,"msg_id":1}\\n' | nc 127.0.0.1 7001
    Grade:  npx sockgrade grade .

What is here already: one peer answering its clients. It listens on 127.0.0.1,
serves any number of connections at once (asyncio: one coroutine per
connection, all in one thread, so no locks are needed), splits the byte stream
into lines, and answers broadcast and read. With no neighbours
(--peers "") that is all a peer has to do: stage 1 of the grader passes.

What is missing (the TODOs): talking to the neighbours in --peers. Read the
handout first. In order:
  1. connect to every neighbour and keep retrying (with backoff) when it is down;
  2. send each new value to every neighbour, and handle the neighbours' lines;
  3. make it cheap: remember what each neighbour already has, batch values;
  4. make it reliable: acknowledgements and resending (lines get lost silently
     in a partition), and a full catch-up when a neighbour (re)connects.

Standard library only (Python 3.9+).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any, Dict, List, Optional, Set, Tuple

READ_SIZE = 64 * 1024
# A line longer than this is garbage: drop what we buffered rather than grow forever.
MAX_LINE_BYTES = 16 * 1024 * 1024

# Every value this peer has learned, from a client or (once you write it) a neighbour.
# A set: read_ok must list each value exactly once.
values: Set[int] = set()

# The neighbours' addresses from --peers, as (host, port). Each one is the grader's
# proxy for one link (this peer -> that neighbour).
neighbours: List[Tuple[str, int]] = []

# This peer's id (--id), e.g. "n1". Handy in your own lines, so that the receiver
# can tell which neighbour a value came from.
my_id = ""


def encode(obj: Dict[str, Any]) -> bytes:
    """One JSON object as one line."""
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


def is_int(x: Any) -> bool:
    # bool is a subclass of int in Python, but true is not a value.
    return isinstance(x, int) and not isinstance(x, bool)


async def read_lines(reader: asyncio.StreamReader):
    """Yield the complete lines of a connection, however the bytes are split.

    TCP is a byte stream: one read may hold part of a line, one line, or many
    lines and a part; the part stays buffered until its newline arrives.
    """
    buf = bytearray()
    while True:
        data = await reader.read(READ_SIZE)
        if not data:
            if buf.strip():
                yield bytes(buf)  # a last line without its newline
            return
        buf += data
        start = 0
        while True:
            nl = buf.find(b"\n", start)
            if nl < 0:
                break
            yield bytes(buf[start:nl])
            start = nl + 1
        del buf[:start]
        if len(buf) > MAX_LINE_BYTES:
            buf.clear()


# ---------------------------------------------------------------------------
# Lines, from clients (and from neighbours, once you add your own types)
# ---------------------------------------------------------------------------


def handle_line(raw: bytes) -> Optional[Dict[str, Any]]:
    """Handle one line from any connection; return the reply object, if any."""
    if not raw.strip():
        return None
    try:
        msg = json.loads(raw)
    except ValueError:  # not JSON, or not UTF-8
        return {"type": "error", "text": "not a JSON line"}
    if not isinstance(msg, dict):
        return {"type": "error", "text": "expected a JSON object"}
    kind = msg.get("type")

    if kind == "broadcast":
        value = msg.get("message")
        if not is_int(value):
            return {"type": "error", "text": "broadcast needs an integer \"message\"", "in_reply_to": msg.get("msg_id")}
        if value not in values:
            values.add(value)
            # TODO: a new value must reach every neighbour. Do not write to the
            #       neighbours from here, one line per value: queue it for each
            #       neighbour (a set of values to send per neighbour) and let the
            #       sender send what is queued, e.g. every 20-50 ms, in ONE line.
        return {"type": "broadcast_ok", "in_reply_to": msg.get("msg_id")}

    if kind == "read":
        return {"type": "read_ok", "messages": sorted(values), "in_reply_to": msg.get("msg_id")}

    # TODO: your own peer-to-peer lines, of your own design. For example:
    #   {"type":"gossip","from":"n1","id":7,"messages":[1,2,3]}
    #       -> add the values; the NEW ones go on to your other neighbours (not back
    #          to the one that sent them: it has them). Reply on the same connection:
    #   {"type":"gossip_ok","id":7}
    #       -> the neighbour got batch 7: never send those values to it again.
    #   A line on a connection that a neighbour opened to you comes from the proxy,
    #   so its address does not tell you who sent it: put your id in your lines.

    if kind == "error":
        return None  # never answer an error with an error: two peers could ping-pong forever
    return {"type": "error", "text": f"unknown type {kind!r}"}


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Runs once per incoming connection (a client, or a neighbour that connected to us)."""
    try:
        async for raw in read_lines(reader):
            reply = handle_line(raw)
            if reply is not None:
                writer.write(encode(reply))
                await writer.drain()  # waits only if the other side is not reading
    except (OSError, RuntimeError):
        pass  # ConnectionResetError, BrokenPipeError...: the other end vanished
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, RuntimeError):
            pass


# ---------------------------------------------------------------------------
# Neighbours: all TODO
# ---------------------------------------------------------------------------


async def talk_to_neighbour(host: str, port: int) -> None:
    """Keep a connection to one neighbour open, forever, and gossip over it.

    TODO, step by step:
      1. Connect: reader, writer = await asyncio.open_connection(host, port).
         The neighbour may not be up yet, or die later: the grader's proxy then
         accepts and immediately resets the connection. Catch OSError (refused,
         reset), wait, and try again, forever, with backoff: 100 ms, doubling to
         1 s; back to 100 ms after a connection that worked. Never let an
         exception escape: an uncaught one ends this task silently.
      2. On every new connection, send the neighbour everything it may lack: it
         may have restarted EMPTY (a restarted peer must catch up).
      3. While connected, send what is queued for this neighbour in one line
         every 20-50 ms (a hop costs 100 ms on the grader's grid, so do not wait
         long), and read the neighbour's replies (acknowledgements) on the same
         connection with read_lines(reader).
      4. Lines get lost without an error while a link is cut (partitions): keep
         what was sent but not acknowledged, and resend it after ~0.5-1 s.
      5. Once every neighbour has every value, send nothing (or a small line at
         most once a second): the grader measures lines and bytes per link.
    """
    return


# ---------------------------------------------------------------------------
# Start-up (you should not need to change much below)
# ---------------------------------------------------------------------------


def parse_peers(text: str) -> List[Tuple[str, int]]:
    """"127.0.0.1:7002,127.0.0.1:7003" -> [(host, port), ...]; "" -> []."""
    out = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"bad neighbour address {item!r} (expected host:port)")
        out.append((host or "127.0.0.1", int(port)))
    return out


async def main(port: int) -> None:
    server = await asyncio.start_server(serve_connection, host="127.0.0.1", port=port, backlog=1024)
    # Keep references to the tasks: asyncio holds only weak ones.
    tasks = [asyncio.create_task(talk_to_neighbour(h, p)) for h, p in neighbours]
    print(f"gossip-peer {my_id} listening on 127.0.0.1:{port}, {len(tasks)} neighbour(s)", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="A gossip peer: broadcast/read over newline-delimited JSON.")
    ap.add_argument("--id", required=True, help="this peer's id, e.g. n1")
    ap.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    ap.add_argument("--peers", default="", help='neighbours, "host:port,host:port" (may be "")')
    args = ap.parse_args()
    my_id = args.id
    try:
        neighbours = parse_peers(args.peers)
    except ValueError as exc:
        ap.error(str(exc))
    # Ctrl-C ends the process at once, like SIGTERM: there is nothing to save.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        asyncio.run(main(args.port))
    except OSError as exc:  # e.g. the port is already in use
        print(f"gossip-peer: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        sys.exit(1)
