#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04).
# It installs Node.js 20, Python 3 and what this assignment's submissions need, then the
# sockgrade bundled next to it (/autograder/source), without its development dependencies.
# Written by `sockgrade export gradescope @ASSIGNMENT@` (sockgrade @VERSION@).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

apt-get update
apt-get install -y --no-install-recommends ca-certificates curl xz-utils python3 @APT_PACKAGES@

# Node.js 20 from the official release tarball, checked against the release's SHASUMS256.txt.
if ! node --version 2>/dev/null | grep -q '^v20\.'; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "setup.sh: no Node.js 20 build for $(uname -m)" >&2; exit 1 ;;
  esac
  base=https://nodejs.org/dist/latest-v20.x
  work="$(mktemp -d)"
  curl -fsSL "$base/SHASUMS256.txt" -o "$work/SHASUMS256.txt"
  tarball="$(grep -o "node-v20\.[0-9.]*-linux-$arch\.tar\.xz" "$work/SHASUMS256.txt" | head -n 1)"
  curl -fsSL "$base/$tarball" -o "$work/$tarball"
  (cd "$work" && grep " $tarball\$" SHASUMS256.txt | sha256sum -c -)
  tar -xJf "$work/$tarball" -C /usr/local --strip-components=1
  rm -rf "$work"
fi
node --version
python3 --version

# sockgrade's runtime dependencies, exactly as locked. dist/ is shipped already built, so no
# lifecycle scripts run (the build would need the development dependencies).
cd /autograder/source
npm ci --omit=dev --ignore-scripts --no-audit --no-fund
chmod +x /autograder/source/run_autograder /autograder/source/bin/sockgrade.js
