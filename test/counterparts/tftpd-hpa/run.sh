#!/bin/sh
# tftpd-hpa (5.2+20150808, Debian package tftpd-hpa) under the tftp-server contract:
#   --port P --root DIR --timeout-ms T  ->  in.tftpd -L -a 127.0.0.1:P -c -p -s -u root -T T*1000 DIR
# in.tftpd does the whole protocol; this script only maps the arguments. See README.md for what
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
# in.tftpd is apt-installed (.ci/run); $IN_TFTPD names another binary (outside the sandbox only:
# it passes no environment). atftpd's package ships an in.tftpd too, so it is asked who it is.
in_tftpd=${IN_TFTPD:-}
if [ -z "$in_tftpd" ]; then
  for f in "$(command -v in.tftpd 2>/dev/null)" /usr/sbin/in.tftpd; do
    if [ -n "$f" ] && [ -x "$f" ]; then in_tftpd=$f; break; fi
  done
fi
if [ -z "$in_tftpd" ] || [ ! -x "$in_tftpd" ]; then
  echo "run.sh: in.tftpd is not installed (looked on PATH and in /usr/sbin): apt-get install tftpd-hpa (.ci/run does this)" >&2
  exit 2
fi
case "$("$in_tftpd" -V 2>&1)" in
  tftp-hpa*) ;;
  *) echo "run.sh: $in_tftpd is not tftpd-hpa's (it says: $("$in_tftpd" -V 2>&1 | head -n 1)); apt-get install tftpd-hpa, or set IN_TFTPD" >&2; exit 2 ;;
esac
# in.tftpd forks one child per request, and each child calls setregid/initgroups/setreuid to become
# -u's user; as a non-root user that fails with EPERM and the child exits (code 71, logged only to
# syslog) without answering anything: tftpd-hpa 5.2 cannot serve unprivileged, so it cannot run in
# the grader's sandbox (README.md).
if [ "$(id -u)" != 0 ]; then
  echo "run.sh: in.tftpd 5.2 must run as root (as any other user every transfer child exits at initgroups())" >&2
  exit 2
fi
# -T takes microseconds, 10000 (10 ms) to 255000000 (it exits on less); the contract's
# milliseconds times 1000.
retransmit_us=$((timeout_ms * 1000))
[ "$retransmit_us" -lt 10000 ] && retransmit_us=10000
# -L          standalone, in the foreground (implies --listen): the grader signals this process
# -a A:P      listen on 127.0.0.1:P only
# -c          allow WRQ to create new files (without it only existing, world-writable files can be
#             written); an existing file is still overwritten, see README
# -p          permissive: no extra checks beyond the OS's (without it only world-readable files
#             are served and only world-writable ones written)
# -s          chroot into DIR for each transfer: names are relative to DIR and cannot leave it
# -u root     the user each transfer runs as; with the default "nobody" a DIR made by mktemp
#             (0700, owned by root) is unreachable: every RRQ/WRQ gets ERROR 0 "Permission denied"
# -T us       retransmission timeout (the first one; see README for the backoff)

exec "$in_tftpd" -L -a "127.0.0.1:$port" -c -p -s -u root -T "$retransmit_us" "$root"
