#!/bin/sh
# ctorrent (Enhanced CTorrent dnh3.3.2, Debian package ctorrent) under the bittorrent-peer
# contract: --torrent FILE --dir DIR --port P  ->  ctorrent -p P -s DIR/<name> FILE, seeding until
# signalled. The tracker is its only source of peers (it has no DHT or PEX).
torrent=
dir=
port=
while [ $# -gt 0 ]; do
  case "$1" in
    --torrent) torrent=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$torrent" ] || [ -z "$dir" ] || [ -z "$port" ]; then
  echo "usage: run.sh --torrent FILE --dir DIR --port P" >&2
  exit 2
fi
# The file's name as the torrent gives it (ctorrent -x prints the metainfo).
name=$(ctorrent -x "$torrent" 2>/dev/null | sed -n 's/^<1> \(.*\) \[[0-9]*\]$/\1/p' | head -n 1)
[ -n "$name" ] || { echo "run.sh: cannot read the torrent's name" >&2; exit 2; }
# -e 1000: seed for 1000 hours (until signalled); -b: its bitfield file beside the data, not
# beside the torrent; -M/-m: peers; -I: the address it announces. Its console line (a status
# redrawn every second) goes nowhere; its messages (stderr) stay.
exec ctorrent -e 1000 -p "$port" -i 127.0.0.1 -I 127.0.0.1 -s "$dir/$name" -b "$dir/.ctorrent.bf" -C 4 "$torrent" >/dev/null
