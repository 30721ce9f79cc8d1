#!/usr/bin/env python3
"""bittorrent-peer starter: a BitTorrent peer (BEP 3) that should download a file from a swarm
and upload it back.

    Run:    python3 peer.py --torrent file.torrent --dir . --port 6881
    Grade:  npx sockgrade grade .

What is here already: everything up to the peer wire protocol. The peer listens on
127.0.0.1:<port> first thing and accepts every connection (for now it closes them at once),
reads the .torrent file (a bencode decoder; the info_hash is the SHA-1 of the info dictionary's
bytes as they are in the file), announces to the tracker with event=started, re-announces every
"interval" seconds, survives a tracker that fails or answers garbage, and prints the peers it
was given. Stage 1's first two tests (announce, reannounce) pass as it is.

What is missing (the TODOs): the peer wire protocol, handout section 4. Read the handout
first. In order:
  1. connect to every peer the tracker gives you; handshake both ways, checking the info_hash
     (talk_to_peer, and serve_connection for the peers that connect to you);
  2. download: interested, wait for unchoke, 16 KiB requests, several in flight, from every
     peer at once; check each piece's SHA-1, write it at index x piece length in --dir/<name>;
  3. say "have" to every peer after each verified piece, and announce event=completed once;
  4. upload: bitfield after the handshake, unchoke interested peers, answer their requests;
  5. at start, check an existing --dir/<name>: the pieces that match are yours.

Standard library only (Python 3.9+).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import signal
import string
import sys
import traceback
from typing import Any, Dict, List, Set, Tuple
from urllib.parse import urlsplit

# Bytes per request: every block is 16 KiB, except the last block of the last piece (handout 4).
BLOCK = 16 * 1024
# Message ids (handout 4). A message on the wire: 4-byte big-endian length, 1-byte id, payload.
CHOKE, UNCHOKE, INTERESTED, NOT_INTERESTED, HAVE, BITFIELD, REQUEST, PIECE, CANCEL = range(9)

# The tracker: how long one announce may take, how long to wait after one that failed with no
# "interval" in its answer, and the interval to use when the answer gives none.
TRACKER_TIMEOUT_S = 10.0
RETRY_S = 5.0
DEFAULT_INTERVAL_S = 30.0
MAX_TRACKER_ANSWER = 1024 * 1024


# ---------------------------------------------------------------------------
# Bencode (handout 2): i42e, 4:spam, l...e, d...e
# ---------------------------------------------------------------------------

MAX_DEPTH = 100  # lists in lists in lists...: refuse rather than recurse forever


def bdecode_at(data: bytes, i: int, depth: int = 0) -> Tuple[Any, int]:
    """Decode the value that starts at data[i]; return it and the index just past it.

    Integers become int, byte strings bytes, lists list, dictionaries dict with bytes keys.
    Anything that is not bencode raises ValueError (never IndexError: the tracker's answer is
    data from the network, and must not crash the peer).
    """
    if depth > MAX_DEPTH:
        raise ValueError("bencode nested too deep")
    if i >= len(data):
        raise ValueError("bencode ends too early")
    c = data[i : i + 1]
    if c == b"i":
        end = data.find(b"e", i + 1)
        if end < 0:
            raise ValueError("an integer without its 'e'")
        text = data[i + 1 : end]
        if not text or not text.lstrip(b"-").isdigit():
            raise ValueError(f"a bad integer {text!r}")
        return int(text), end + 1
    if c.isdigit():
        colon = data.find(b":", i)
        if colon < 0 or not data[i:colon].isdigit():
            raise ValueError("a byte string without a valid length")
        start = colon + 1
        end = start + int(data[i:colon])
        if end > len(data):
            raise ValueError("a byte string runs past the end")
        return data[start:end], end
    if c == b"l":
        items = []
        i += 1
        while data[i : i + 1] != b"e":
            item, i = bdecode_at(data, i, depth + 1)
            items.append(item)
        return items, i + 1
    if c == b"d":
        d: Dict[bytes, Any] = {}
        i += 1
        while data[i : i + 1] != b"e":
            key, i = bdecode_at(data, i, depth + 1)
            if not isinstance(key, bytes):
                raise ValueError("a dictionary key that is not a byte string")
            d[key], i = bdecode_at(data, i, depth + 1)
        return d, i + 1
    raise ValueError(f"unexpected byte {c!r} at offset {i}")


def bdecode(data: bytes) -> Any:
    """Decode a whole bencoded value; bytes left over are an error."""
    value, end = bdecode_at(data, 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} byte(s) after the value")
    return value


# ---------------------------------------------------------------------------
# The torrent (handout 2)
# ---------------------------------------------------------------------------


class Torrent:
    def __init__(self, raw: bytes) -> None:
        top = bdecode(raw)
        if not isinstance(top, dict) or not isinstance(top.get(b"info"), dict):
            raise ValueError("not a metainfo file (no info dictionary)")
        info = top[b"info"]
        announce = top.get(b"announce")
        name, length, piece_length, pieces = info.get(b"name"), info.get(b"length"), info.get(b"piece length"), info.get(b"pieces")
        if not isinstance(announce, bytes):
            raise ValueError("no announce URL")
        if not isinstance(name, bytes) or not isinstance(length, int) or not isinstance(piece_length, int) or not isinstance(pieces, bytes):
            raise ValueError("info needs name, length, piece length and pieces (single-file torrents only)")
        if length < 0 or piece_length <= 0 or len(pieces) % 20 or len(pieces) // 20 != -(-length // piece_length):
            raise ValueError("length, piece length and pieces do not agree")
        self.announce: str = announce.decode("utf-8", "replace")
        self.name: str = name.decode("utf-8", "replace")
        if self.name in ("", ".", "..") or "/" in self.name or "\0" in self.name:
            raise ValueError(f"the name {self.name!r} is not a plain file name")
        self.length: int = length
        self.piece_length: int = piece_length
        # The SHA-1 of every piece, 20 bytes each.
        self.hashes: List[bytes] = [pieces[k : k + 20] for k in range(0, len(pieces), 20)]
        # The info_hash: SHA-1 of the info dictionary's bytes exactly as they are in the file.
        start, end = info_span(raw)
        self.info_hash: bytes = hashlib.sha1(raw[start:end]).digest()

    def piece_size(self, index: int) -> int:
        """Bytes in piece `index` (the last piece may be shorter)."""
        return min(self.piece_length, self.length - index * self.piece_length)


def info_span(raw: bytes) -> Tuple[int, int]:
    """Where the value of the top-level key "info" starts and ends in the file."""
    i = 1  # past the top-level 'd'
    while raw[i : i + 1] != b"e":
        key, i = bdecode_at(raw, i)
        start = i
        _, i = bdecode_at(raw, i)
        if key == b"info":
            return start, i
    raise ValueError("no info dictionary")


# ---------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------

torrent: Torrent
out_dir = "."
my_port = 0
# 20 bytes, the same for the whole run: sent to the tracker and in every handshake.
peer_id = ("-SP0001-" + "".join(random.choices(string.ascii_letters + string.digits, k=12))).encode()

# Which pieces this peer has, verified (True) or not yet (False).
have: List[bool] = []
# Bytes of blocks sent to other peers, and bytes of verified pieces downloaded: the announce
# reports both. TODO: count them as you upload and download.
uploaded = 0
downloaded = 0

# Every peer address the tracker gave, as (ip, port).
known_peers: Set[Tuple[str, int]] = set()
# The tasks running in the background (the tracker's, one per peer we connect to). Keep
# references to them: asyncio holds only weak ones.
background: Set[asyncio.Task] = set()


def bytes_left() -> int:
    """Bytes still to download: what "left" says in an announce (0 once complete)."""
    return sum(torrent.piece_size(i) for i, ok in enumerate(have) if not ok)


# ---------------------------------------------------------------------------
# The tracker (handout 3)
# ---------------------------------------------------------------------------


class TrackerError(Exception):
    """An announce that failed: no connection, no answer, not HTTP 200, not bencode."""


def percent_encode(b: bytes) -> str:
    """Every byte as %xx: fine for info_hash and peer_id (20 raw bytes each)."""
    return "".join(f"%{x:02X}" for x in b)


async def announce(event: str) -> Dict[bytes, Any]:
    """Send one announce to the tracker; return its answer, a bencoded dictionary.

    event is "started", "completed", or "" for a regular announce (then no event= at all).
    Raises TrackerError if there is no usable answer. A "failure reason" in the answer is
    the caller's business.
    """
    url = urlsplit(torrent.announce)
    if url.scheme != "http" or not url.hostname:
        raise TrackerError(f"cannot announce to {torrent.announce!r}: only http:// trackers")
    try:
        port = url.port or 80
    except ValueError:
        raise TrackerError(f"a bad port in {torrent.announce!r}")
    query = (
        f"info_hash={percent_encode(torrent.info_hash)}&peer_id={percent_encode(peer_id)}"
        f"&port={my_port}&uploaded={uploaded}&downloaded={downloaded}&left={bytes_left()}&compact=1"
    )
    if event:
        query += f"&event={event}"
    target = (url.path or "/") + ("&" if url.query else "?") + (url.query + "&" if url.query else "") + query
    # HTTP/1.0: the tracker sends the whole answer in one piece (no chunked encoding) and then
    # closes the connection, so the answer is everything until EOF.
    request = f"GET {target} HTTP/1.0\r\nHost: {url.hostname}:{port}\r\nUser-Agent: bittorrent-peer-starter\r\n\r\n"

    async def exchange() -> bytes:
        reader, writer = await asyncio.open_connection(url.hostname, port)
        try:
            writer.write(request.encode())
            await writer.drain()
            data = bytearray()
            while True:
                more = await reader.read(64 * 1024)
                if not more:
                    return bytes(data)
                data += more
                if len(data) > MAX_TRACKER_ANSWER:
                    raise TrackerError("the answer is too long")
        finally:
            writer.close()

    try:
        response = await asyncio.wait_for(exchange(), TRACKER_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise TrackerError(f"no answer within {TRACKER_TIMEOUT_S:.0f} s")
    except OSError as exc:  # refused, reset...
        raise TrackerError(f"cannot reach {url.hostname}:{port}: {exc}")
    head, sep, body = response.partition(b"\r\n\r\n")
    if not sep:
        raise TrackerError("not an HTTP answer (no end of headers)")
    lines = head.split(b"\r\n")
    status = lines[0].split(b" ")
    if len(status) < 2 or not status[0].startswith(b"HTTP/") or status[1] != b"200":
        raise TrackerError(f"the tracker answered {lines[0][:100].decode('latin1')!r}")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            body = body[: int(value.strip())]
    try:
        answer = bdecode(body)
    except ValueError as exc:
        raise TrackerError(f"the answer is not bencode ({exc})")
    if not isinstance(answer, dict):
        raise TrackerError("the answer is not a bencoded dictionary")
    return answer


def parse_peers(value: Any) -> List[Tuple[str, int]]:
    """The "peers" of an answer: compact (6 bytes a peer, BEP 23), or a list of dictionaries."""
    out: List[Tuple[str, int]] = []
    if isinstance(value, bytes):
        for k in range(0, len(value) - len(value) % 6, 6):
            ip = ".".join(str(x) for x in value[k : k + 4])
            out.append((ip, int.from_bytes(value[k + 4 : k + 6], "big")))
    elif isinstance(value, list):  # the original form, in case a tracker ignores compact=1
        for p in value:
            if isinstance(p, dict) and isinstance(p.get(b"ip"), bytes) and isinstance(p.get(b"port"), int):
                out.append((p[b"ip"].decode("latin1"), p[b"port"]))
    return [(ip, port) for ip, port in out if 0 < port < 65536]


async def tracker_loop() -> None:
    """Announce with event=started, then every "interval" seconds with no event, forever.

    An announce that fails (no answer, garbage, or a "failure reason") is printed and tried
    again a little later; it never stops the peer.

    TODO (handout 3): once the last piece is verified and written, announce ONCE with
    event=completed (left is then 0), e.g. by starting a task that awaits
    announce("completed") and catches TrackerError, from where the last piece is written.
    The regular announces go on as before.
    """
    event = "started"  # until the tracker has accepted one
    while True:
        delay = RETRY_S
        try:
            answer = await announce(event)
            interval = answer.get(b"interval")
            reason = answer.get(b"failure reason")
            if reason is not None:
                text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else repr(reason)
                print(f"tracker: the announce failed: {text}", flush=True)
                if isinstance(interval, int) and interval > 0:
                    delay = interval
            else:
                event = ""
                delay = interval if isinstance(interval, int) and interval > 0 else DEFAULT_INTERVAL_S
                peers = parse_peers(answer.get(b"peers"))
                print(f"tracker: {len(peers)} peer(s): {' '.join(f'{ip}:{p}' for ip, p in peers) or '-'} (next announce in {delay} s)", flush=True)
                for addr in peers:
                    if addr not in known_peers:
                        known_peers.add(addr)
                        task = asyncio.create_task(talk_to_peer(*addr))
                        background.add(task)
                        task.add_done_callback(background.discard)
        except TrackerError as exc:
            print(f"tracker: the announce failed: {exc}", flush=True)
        except Exception:  # a bug of ours: report it, and keep announcing
            traceback.print_exc()
        await asyncio.sleep(max(1.0, delay))


# ---------------------------------------------------------------------------
# The peer wire protocol (handout 4): all TODO
# ---------------------------------------------------------------------------


async def talk_to_peer(ip: str, port: int) -> None:
    """Connect to a peer the tracker gave and download from it (and upload to it) until one
    side closes.

    TODO, step by step (handout 4):
      1. reader, writer = await asyncio.open_connection(ip, port); catch OSError (the peer
         may be gone). The address is the grader's link to that peer: use it as it is.
      2. Handshake: send bytes([19]) + b"BitTorrent protocol" + bytes(8) + info_hash +
         peer_id (68 bytes); read the peer's 68 (await reader.readexactly(68)). If its
         info_hash is not torrent.info_hash, close the connection at once.
      3. Send your bitfield if you have any piece. Then read messages in a loop:
         length = int.from_bytes(await reader.readexactly(4), "big"); 0 is a keep-alive;
         otherwise the id and payload are the next `length` bytes. Ignore unknown ids.
      4. Track the peer's pieces (bitfield, have) and whether it chokes you. Send interested
         when it has a piece you lack; after unchoke, keep 5-10 requests of BLOCK bytes in
         flight (index, begin, length: three 4-byte big-endian integers). Never request
         while choked; after a choke its unanswered requests are dropped.
      5. Pieces are shared by all connections: one place that knows which blocks are wanted,
         requested (from whom) and received, so that different peers fetch different pieces,
         and a peer that chokes you or disconnects gives its outstanding requests back.
      6. When a piece is complete, hashlib.sha1(data).digest() == torrent.hashes[index]? Yes:
         write it at offset index * torrent.piece_length in os.path.join(out_dir,
         torrent.name) (open with "r+b", creating the file first), set have[index], count
         downloaded, send have to every connected peer. No: throw it away, ask again
         elsewhere.
      7. Serve this peer too, exactly as serve_connection does.
    """
    return


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Runs once per incoming connection: a peer that wants to download from us (or trade).

    TODO (handout 4, Uploading): read its handshake (close if the info_hash is not ours),
    answer with yours, send your bitfield, then read its messages: unchoke it when it is
    interested, and answer each request (index, begin, length <= 16 KiB, for a piece you have)
    with a piece message: index, begin, then the bytes read from the file. Count uploaded.
    It is also a peer you can download from: share the code with talk_to_peer.

    For now it is closed at once.
    """
    writer.close()
    try:
        await writer.wait_closed()
    except (OSError, RuntimeError):
        pass


# ---------------------------------------------------------------------------
# Start-up
# ---------------------------------------------------------------------------


async def main(torrent_path: str) -> None:
    global torrent, have
    # Listen first (handout 1): the grader connects as soon as the port is open.
    server = await asyncio.start_server(serve_connection, host="127.0.0.1", port=my_port, backlog=1024)
    try:
        with open(torrent_path, "rb") as f:
            torrent = Torrent(f.read())
    except (OSError, ValueError) as exc:
        print(f"bittorrent-peer: cannot use the torrent {torrent_path}: {exc}", file=sys.stderr)
        sys.exit(1)
    have = [False] * len(torrent.hashes)
    print(
        f"bittorrent-peer listening on 127.0.0.1:{my_port}; {torrent.name}: {torrent.length} bytes in "
        f"{len(torrent.hashes)} pieces of {torrent.piece_length}; info_hash {torrent.info_hash.hex()}",
        flush=True,
    )

    # TODO (handout 1): if os.path.join(out_dir, torrent.name) already exists with the full
    #   length, check the SHA-1 of every piece in it: the ones that match are yours (set
    #   have[i]), and a peer with all of them is a seeder from the start (left=0).

    background.add(asyncio.create_task(tracker_loop()))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="A BitTorrent peer: downloads a single-file torrent and seeds it.")
    ap.add_argument("--torrent", required=True, help="the .torrent (metainfo) file")
    ap.add_argument("--dir", required=True, help="the folder to write the file into")
    ap.add_argument("--port", type=int, required=True, help="TCP port to listen on, on 127.0.0.1")
    args = ap.parse_args()
    if not 0 < args.port < 65536:
        ap.error("--port must be 1 to 65535")
    my_port = args.port
    out_dir = args.dir
    # Ctrl-C ends the process at once, like SIGTERM: the pieces already written are safe.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        asyncio.run(main(args.torrent))
    except OSError as exc:  # e.g. the port is already in use
        print(f"bittorrent-peer: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        sys.exit(1)
