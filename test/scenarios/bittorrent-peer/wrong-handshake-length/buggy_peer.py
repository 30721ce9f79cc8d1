# BUG: the handshake we send has 7 reserved bytes instead of 8 (an off-by-one): 67 bytes, not 68,
# so the other side's parse of it is shifted by one byte (or never completes).
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    async def handshake(self, c):
        pstr = ref.PSTR
        ours = bytes([len(pstr)]) + pstr + bytes(7) + self.t.info_hash + self.peer_id  # the bug: 7, not 8
        if c.outgoing:
            c.send(ours)
        first = await c.reader.readexactly(1)
        if first[0] != len(pstr):
            raise ref.ProtocolError("bad handshake: protocol string length")
        rest = await c.reader.readexactly(len(pstr) + 8 + 20)
        if rest[: len(pstr)] != pstr:
            raise ref.ProtocolError("bad handshake: protocol string")
        if rest[len(pstr) + 8 :] != self.t.info_hash:
            raise ref.ProtocolError("handshake for another torrent")
        if not c.outgoing:
            c.send(ours)
        c.peer_id = await c.reader.readexactly(20)


ref.run(Buggy)
