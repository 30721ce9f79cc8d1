# Gossip with no line through the links: every peer writes the values it is given to one file and
# reads them all from it (the starter, peer.py beside it, does the rest and gossips nothing).
# Unsandboxed, the peers share the class folder (the file goes there, removed with it); the grade
# must see values spread with zero peer-to-peer lines and say that is impossible for peers that
# talk only through --peers.
import importlib.util, json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(os.path.dirname(here), "shared-values.txt")
spec = importlib.util.spec_from_file_location("starter_peer", os.path.join(here, "peer.py"))
peer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peer)
plain = peer.handle_line


def handle_line(raw):
    try:
        msg = json.loads(raw)
    except ValueError:
        msg = None
    kind = msg.get("type") if isinstance(msg, dict) else None
    if kind == "read":
        try:
            with open(SHARED) as f:
                peer.values.update(int(line) for line in f if line.strip())
        except OSError:
            pass
    reply = plain(raw)
    if kind == "broadcast" and peer.is_int(msg.get("message")):
        with open(SHARED, "a") as f:
            f.write(f"{msg['message']}\n")
    return reply


peer.handle_line = handle_line
sys.argv[0] = os.path.join(here, "peer.py")
# Run the starter's own entry point with the patched module's functions.
args = sys.argv[1:]
peer.my_id = args[args.index("--id") + 1]
peer.neighbours = peer.parse_peers(args[args.index("--peers") + 1] if "--peers" in args else "")
import asyncio
asyncio.run(peer.main(int(args[args.index("--port") + 1])))
