"""A small, correct gossip peer that the broken scenarios build on.

Standard library only (asyncio). Each scenario imports this module and overrides the one piece
where its bug lives; everything else behaves like a correct peer under the contract.

The peer-to-peer protocol (lines of our own design, one JSON object each):
  on an outgoing link  ->  {"type":"hello","id":"n1"}             <-  {"type":"hello_ok","id":"n2"}
                       ->  {"type":"gossip","id":7,"values":[..]}  <-  {"type":"gossip_ok","in_reply_to":7}

Design:
  Link        one address from --peers: our outgoing connection to it, kept up by a reconnect
              loop with backoff (100 ms doubling to 1 s, back to 100 ms once the neighbour
              answered hello_ok: the proxy accepts and then resets when the neighbour is down, so
              a bare connect proves nothing), and what that neighbour still needs: `unsent`
              (values for the next batch) and `inflight` (value -> when last sent, until
              acknowledged). On every new connection everything we know is queued again, so a
              neighbour that restarted empty catches up. Batches do not wait for hello_ok (a
              one-way cut may drop it); the hello is repeated every RESEND_AFTER until answered.
  Peer        the values, the links, the listening socket and the batch ticker: every
              BATCH_INTERVAL each ready link sends one gossip line with its unsent values plus
              the inflight ones not acknowledged within RESEND_AFTER (lines lost in a partition
              or a one-way cut are repaired that way). A value learned from neighbour n3 is not
              sent back to n3, and a value n3 sends us that we already have is taken off our
              link to n3 (the hello told us who is on the other end).
  main()      parses --id, --port, --peers and runs Peer().

Override points for the scenarios: Peer.split_lines (framing), Peer.handle_line / on_<type>
(dispatch), Peer.learn / Peer.remember (storage and forwarding), Link.queue / Link.flush /
Link.on_connect / Link.on_ack (sending), Peer.run_link (connecting), Peer.ticker (timing).
"""

import argparse
import asyncio
import json
import os
import sys
import time
import traceback

HOST = '127.0.0.1'
READ_SIZE = 64 * 1024


def encode(obj):
    return (json.dumps(obj, separators=(',', ':')) + '\n').encode('utf-8')


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def fatal():
    """An exception nobody expected: print it and end the process with status 1, the way an
    uncaught exception ends a student's program (asyncio alone would only log it and drop the
    task). os._exit: nothing is cleaned up first."""
    traceback.print_exc()
    sys.stderr.flush()
    os._exit(1)


def spawn(coro):
    async def guarded():
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            fatal()
    return asyncio.get_running_loop().create_task(guarded())


class BadRequest(Exception):
    pass


class Conn:
    """One TCP connection, either direction. `link` is set on our outgoing connections; `nid` is
    the neighbour's id once its hello (or hello_ok) has told us."""

    def __init__(self, writer, link=None):
        self.writer = writer
        self.link = link
        self.nid = None
        self.buffer = b''

    def send(self, obj):
        if not self.writer.is_closing():
            self.writer.write(encode(obj))


class Link:
    def __init__(self, peer, addr):
        self.peer = peer
        self.addr = addr
        host, _, port = addr.rpartition(':')
        self.host = host or HOST
        self.port = int(port)
        self.nid = None
        self.conn = None
        self.ready = False  # connected: batches go out
        self.answered = False  # the neighbour answered our hello on the current connection
        self.unsent = set()
        self.inflight = {}  # value -> monotonic time it was last sent
        self.batches = {}  # batch id -> (time sent, values)
        self.next_id = 1
        self.hello_at = 0.0  # when we last said hello on the current connection

    # ---- what the neighbour needs

    def queue(self, value):
        """A value the neighbour is not known to have: send it in the next batch."""
        self.unsent.add(value)

    def known(self, value):
        """The neighbour has the value (it sent it to us): stop sending it."""
        self.unsent.discard(value)
        self.inflight.pop(value, None)

    def on_connect(self, conn):
        """A new connection: (re)send everything, the neighbour may have restarted empty."""
        self.conn = conn
        self.ready = True
        self.unsent = set(self.peer.values)
        self.inflight.clear()
        self.batches.clear()

    def on_hello_ok(self, nid):
        self.nid = nid
        self.answered = True

    def on_down(self):
        self.ready = False
        self.conn = None

    def on_ack(self, batch_id):
        entry = self.batches.pop(batch_id, None)
        if entry is None:
            return
        for v in entry[1]:
            self.inflight.pop(v, None)

    def due(self, now):
        """Values sent but not acknowledged within RESEND_AFTER."""
        after = self.peer.resend_after
        return [v for v, t in self.inflight.items() if now - t >= after]

    def flush(self, now):
        """Called every batch interval while the link is ready: one line with what is due."""
        batch = self.unsent.union(self.due(now))
        if not batch:
            return
        self.unsent.clear()
        self.send_batch(batch, now)

    def send_batch(self, batch, now):
        bid = self.next_id
        self.next_id += 1
        for v in batch:
            self.inflight[v] = now
        self.batches[bid] = (now, batch)
        if len(self.batches) > 64:  # acks lost in a partition: forget batches nobody will ack
            for old in [b for b, (t, _) in self.batches.items() if now - t > 5.0]:
                del self.batches[old]
        self.conn.send({'type': 'gossip', 'id': bid, 'values': sorted(batch)})


class Peer:
    link_class = Link
    batch_interval = 0.04
    resend_after = 0.7
    backoff_min = 0.1
    backoff_max = 1.0

    def __init__(self, nid, port, peers):
        self.id = nid
        self.port = port
        self.values = set()
        self.links = [self.link_class(self, a) for a in peers]

    # ---- storage and forwarding

    def remember(self, value):
        """Store a value; True if it is new."""
        if value in self.values:
            return False
        self.values.add(value)
        return True

    def learn(self, value, source=None):
        """A value from a client (source None) or from neighbour `source`."""
        if self.remember(value):
            for link in self.links:
                if source is None or link.nid != source:
                    link.queue(value)
        elif source is not None:
            for link in self.links:
                if link.nid == source:
                    link.known(value)

    def read_values(self):
        return sorted(self.values)

    # ---- framing

    def split_lines(self, conn, data):
        """Bytes of one read -> the complete lines in them (the rest is kept for the next)."""
        conn.buffer += data
        *lines, conn.buffer = conn.buffer.split(b'\n')
        return lines

    async def read_loop(self, reader, conn):
        try:
            while True:
                data = await reader.read(READ_SIZE)
                if not data:
                    return
                for line in self.split_lines(conn, data):
                    self.handle_line(conn, line)
        except (ConnectionError, OSError):
            return

    # ---- requests

    def handle_line(self, conn, line):
        if not line.strip():
            return
        try:
            try:
                msg = json.loads(line)
            except (ValueError, UnicodeDecodeError):
                raise BadRequest('not JSON')
            if not isinstance(msg, dict):
                raise BadRequest('not a JSON object')
            kind = msg.get('type')
            handler = getattr(self, 'on_' + kind, None) if isinstance(kind, str) else None
            if handler is None:
                raise BadRequest('unknown type')
            handler(conn, msg)
        except BadRequest as e:
            conn.send({'type': 'error', 'text': str(e)})

    @staticmethod
    def field(msg, name, check=is_int):
        value = msg.get(name)
        if not check(value):
            raise BadRequest('bad or missing %s' % name)
        return value

    def on_broadcast(self, conn, msg):
        value = self.field(msg, 'message')
        mid = self.field(msg, 'msg_id')
        self.learn(value)
        conn.send({'type': 'broadcast_ok', 'in_reply_to': mid})

    def on_read(self, conn, msg):
        mid = self.field(msg, 'msg_id')
        conn.send({'type': 'read_ok', 'messages': self.read_values(), 'in_reply_to': mid})

    def on_hello(self, conn, msg):
        conn.nid = self.field(msg, 'id', lambda x: isinstance(x, str))
        conn.send({'type': 'hello_ok', 'id': self.id})

    def on_gossip(self, conn, msg):
        values = self.field(msg, 'values', lambda x: isinstance(x, list) and all(map(is_int, x)))
        bid = msg.get('id')
        for v in values:
            self.learn(v, conn.nid)
        conn.send({'type': 'gossip_ok', 'in_reply_to': bid})

    def on_hello_ok(self, conn, msg):
        if conn.link is None:
            raise BadRequest('unexpected hello_ok')
        conn.nid = self.field(msg, 'id', lambda x: isinstance(x, str))
        conn.link.on_hello_ok(conn.nid)

    def on_gossip_ok(self, conn, msg):
        if conn.link is None:
            raise BadRequest('unexpected gossip_ok')
        conn.link.on_ack(msg.get('in_reply_to'))

    # ---- connections

    async def on_client(self, reader, writer):
        await self.read_loop(reader, Conn(writer))
        writer.close()

    async def connect(self, link):
        """One connection to the link's address; returns when it is closed or reset."""
        reader, writer = await asyncio.open_connection(link.host, link.port)
        conn = Conn(writer, link)
        link.answered = False
        self.say_hello(conn, time.monotonic())
        link.on_connect(conn)
        try:
            await self.read_loop(reader, conn)
        finally:
            link.on_down()
            writer.close()

    async def run_link(self, link):
        """Keep a connection to the neighbour up, forever, with backoff between attempts. The
        backoff starts again from its minimum once a connection got as far as hello_ok (the
        proxy accepts and then resets when the neighbour is down, so a bare connect proves
        nothing)."""
        delay = self.backoff_min
        while True:
            link.answered = False
            try:
                await self.connect(link)
            except (ConnectionError, OSError):
                pass
            if link.answered:
                delay = self.backoff_min
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max)

    def say_hello(self, conn, now):
        conn.link.hello_at = now
        conn.send({'type': 'hello', 'id': self.id})

    async def ticker(self):
        while True:
            await asyncio.sleep(self.batch_interval)
            now = time.monotonic()
            for link in self.links:
                if not link.ready:
                    continue
                link.flush(now)
                if not link.answered and now - link.hello_at >= self.resend_after:
                    # the hello or its answer was lost (a partition drops lines silently)
                    self.say_hello(link.conn, now)

    async def serve(self):
        server = await asyncio.start_server(
            lambda r, w: spawn(self.on_client(r, w)), HOST, self.port, backlog=511)
        print('%s listening on %s:%d, neighbours %s' % (self.id, HOST, self.port, [l.addr for l in self.links]),
              file=sys.stderr, flush=True)
        for link in self.links:
            spawn(self.run_link(link))
        spawn(self.ticker())
        await server.serve_forever()

    def run(self):
        asyncio.run(self.serve())


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='gossip peer')
    parser.add_argument('--id', required=True)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--peers', default='')
    args = parser.parse_args(argv)
    peers = [p.strip() for p in args.peers.split(',') if p.strip()]
    return args.id, args.port, peers


def main(peer_class=Peer, argv=None):
    nid, port, peers = parse_args(argv)
    peer_class(nid, port, peers).run()


if __name__ == '__main__':
    main()
