#!/bin/sh
# atftpd (0.8.0, Debian package atftpd) under the tftp-server contract:
#   --port P --root DIR --timeout-ms T  ->  atftpd --daemon --no-fork --port P --bind-address 127.0.0.1 ... DIR
# atftpd does the whole protocol; this script only maps the arguments. See README.md for what it
# does differently from the contract, and expected.json for the tests that fail because of it.
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
# The Debian packages atftpd and tftpd-hpa conflict: where tftpd-hpa is installed, atftpd is
# unpacked from its .deb into /opt/atftpd (.ci/run does it; the grader's sandbox shows /opt
# read-only). $ATFTPD names another binary (outside the sandbox only: it passes no environment).
atftpd=${ATFTPD:-}
if [ -z "$atftpd" ]; then
  for f in "$(command -v atftpd 2>/dev/null)" /usr/sbin/atftpd /opt/atftpd/usr/sbin/atftpd; do
    if [ -n "$f" ] && [ -x "$f" ]; then atftpd=$f; break; fi
  done
fi
if [ -n "$atftpd" ] && [ ! -x "$atftpd" ]; then
  echo "run.sh: ATFTPD=$atftpd is not an executable file" >&2
  exit 2
fi
if [ -z "$atftpd" ]; then
  echo "run.sh: atftpd is not installed: looked for atftpd on PATH, /usr/sbin/atftpd and /opt/atftpd/usr/sbin/atftpd." >&2
  echo "run.sh: it conflicts with tftpd-hpa, so unpack it: apt-get download atftpd && sudo dpkg-deb -x atftpd_*.deb /opt/atftpd (.ci/run does this)" >&2
  exit 2
fi
# --retry-timeout takes whole seconds: the contract's milliseconds rounded up, at least 1.
retry_s=$(( (timeout_ms + 999) / 1000 ))
[ "$retry_s" -lt 1 ] && retry_s=1
# Started as root, atftpd switches to --user/--group (default nobody.nogroup), who cannot reach
# the grader's root folder (0700): as root it stays root. Started as anyone else (the grader's
# sandbox: a uid with no passwd entry) it keeps its identity and ignores --user/--group.
if [ "$(id -u)" = 0 ]; then
  identity="--user root --group root"
else
  identity=
fi
# --daemon --no-fork      standalone, in the foreground: the grader signals this process
#                         (SIGTERM: "atftpd terminating", exit 0)
# --port/--bind-address   127.0.0.1:P only
# --retry-timeout S       retransmission timeout (seconds)
# --prevent-sas           meant to ignore duplicate ACKs; in 0.8.0 it only drops ACKs older than
#                         the last one, so a duplicate of the last ACK is still answered (README)
# --no-multicast          no RFC 2090 multicast option
# --logfile - --verbose=5 one line per request on stdout, instead of syslog
# --maxthread 200         concurrent transfers (default 100)
exec "$atftpd" --daemon --no-fork --port "$port" --bind-address 127.0.0.1 \
  --retry-timeout "$retry_s" --prevent-sas --no-multicast \
  $identity --logfile - --verbose=5 --maxthread 200 \
  "$root"
