#!/bin/sh
# aria2c (1.36, Debian package aria2) under the bittorrent-peer contract:
#   --torrent FILE --dir DIR --port P  ->  aria2c ... --dir=DIR --listen-port=P FILE
# aria2 does the tracker, the wire protocol, hashing and seeding; this script only maps the
# arguments and keeps it on loopback with nothing but the tracker for finding peers.
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
mkdir -p "$dir" || exit 2
# --interface=127.0.0.1   binds every socket, the listening one included, to loopback
# --disable-ipv6          no IPv6 listener, no IPv6 tracker/peer connections
# --enable-dht*/--enable-peer-exchange/--bt-enable-lpd=false: the tracker is the only source of
#                         peers (aria2 has no UPnP/NAT-PMP at all)
# --seed-ratio=0.0 and no --seed-time: no seed criterion at all, so it seeds until signalled
# --check-integrity=true  a complete file already in DIR is hashed and then seeded
# --bt-tracker-interval=0 (the default) follows the tracker: it re-announces every `min interval`
#                         (the smaller of it and `interval`) or, without one, every `interval`
# --auto-save-interval=0  no DIR/<name>.aria2 control file while it runs (aria2 still writes one
#                         if stopped before the download is complete; --check-integrity re-verifies)
# --no-conf               ignores any ~/.aria2/aria2.conf of the machine
# --show-console-readout=false --summary-interval=0 --console-log-level=notice: a handful of
#                         lines per run (start, listening, complete, shutdown), never a progress bar;
#                         two ERROR lines per failed announce; "Checksum error detected" at start
#                         just means the file was missing or incomplete
# Not configurable: every connection aria2 opens starts with an MSE (encrypted) handshake; it
# retries with a plain one when the peer closes (or after 180 s of silence, hidden --bt-timeout).
exec aria2c \
  --no-conf=true \
  --interface=127.0.0.1 \
  --disable-ipv6=true \
  --async-dns=false \
  --enable-dht=false --enable-dht6=false \
  --enable-peer-exchange=false \
  --bt-enable-lpd=false \
  --bt-external-ip=127.0.0.1 \
  --listen-port="$port" \
  --dir="$dir" \
  --seed-ratio=0.0 \
  --bt-tracker-interval=0 \
  --check-integrity=true \
  --bt-hash-check-seed=true \
  --file-allocation=none \
  --allow-overwrite=true \
  --auto-file-renaming=false \
  --auto-save-interval=0 \
  --bt-save-metadata=false \
  --summary-interval=0 \
  --show-console-readout=false \
  --console-log-level=notice \
  --enable-color=false \
  --download-result=hide \
  "$torrent"
