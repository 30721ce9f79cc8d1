#!/bin/sh
# MEASURING VARIANT ONLY: counterparts/atftpd/run.sh without --prevent-sas (see NOTES.md).
# atftpd (0.8.0, Debian package atftpd) under the tftp-server contract:
#   --port P --root DIR [--timeout-ms T]  ->  atftpd --daemon --no-fork --port P --bind-address 127.0.0.1 ... DIR
# atftpd does the whole protocol; this script only maps the arguments. See README.md for what
# it does differently from the contract (measured, not guessed).
port=
root=
timeout_ms=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --timeout-ms) timeout_ms=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$port" ] || [ -z "$root" ]; then
  echo "usage: run.sh --port P --root DIR [--timeout-ms T]" >&2
  exit 2
fi
if [ ! -d "$root" ]; then
  echo "run.sh: $root is not a folder" >&2
  exit 2
fi
# The Debian packages atftpd and tftpd-hpa conflict, so only one can be installed with apt;
# ATFTPD may name a binary unpacked from the .deb (apt-get download atftpd; dpkg-deb -x).
atftpd=${ATFTPD:-}
if [ -z "$atftpd" ]; then
  atftpd=$(command -v atftpd || true)
  [ -z "$atftpd" ] && [ -x /usr/sbin/atftpd ] && atftpd=/usr/sbin/atftpd
  [ -z "$atftpd" ] && [ -x "$(dirname "$0")/../../vendor/atftpd-root/usr/sbin/atftpd" ] && \
    atftpd="$(dirname "$0")/../../vendor/atftpd-root/usr/sbin/atftpd"
fi
if [ -z "$atftpd" ]; then
  echo "run.sh: atftpd not found (apt-get install atftpd, or set ATFTPD)" >&2
  exit 2
fi
# --retry-timeout is in whole seconds: the contract's milliseconds rounded up, at least 1.
retry_s=$(( (timeout_ms + 999) / 1000 ))
[ "$retry_s" -lt 1 ] && retry_s=1
# The user it switches to: itself (root stays root, so a DIR made by mktemp, 0700 and owned by
# root, stays reachable; an unprivileged user keeps its own identity).
user=$(id -un)
group=$(id -gn)
# --daemon --no-fork  standalone, in the foreground: the grader signals this process
# --port/--bind-address  127.0.0.1:P only
# --retry-timeout S   retransmission timeout (seconds)
#       a duplicate ACK is ignored instead of answered with DATA (the default
#                     re-sends DATA for every ACK: the Sorcerer's Apprentice bug, see README)
# --no-multicast      no RFC 2090 multicast option
# --user/--group      see above
# --logfile -         log to stdout instead of syslog; --verbose=5 (LOG_NOTICE) one line per request
# --maxthread 200     concurrent transfers (default 100)
exec "$atftpd" --daemon --no-fork --port "$port" --bind-address 127.0.0.1 \
  --retry-timeout "$retry_s" --no-multicast \
  --user "$user" --group "$group" --logfile - --verbose=5 --maxthread 200 \
  "$root"
