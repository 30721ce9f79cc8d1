#!/bin/sh
# Python's own http.server under the http-server contract: the assignment's arguments
# (--port P --root DIR) become http.server's (--bind, --directory, the port last).
port=
root=
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$port" ] || [ -z "$root" ]; then
  echo "usage: run.sh --port P --root DIR" >&2
  exit 2
fi
exec python3 -m http.server --protocol HTTP/1.1 --bind 127.0.0.1 --directory "$root" "$port"
