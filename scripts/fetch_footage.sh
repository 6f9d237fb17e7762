#!/usr/bin/env bash
# Real footage of people for the demo and the tests, taken from Debian's opencv-doc package
# (OpenCV's sample data; never committed to this repository):
#   vtest.avi (768x576, 10 fps, 795 frames of pedestrians), messi5.jpg, basketball1/2.png
#
#   scripts/fetch_footage.sh [DIR]      DIR defaults to $FHMR_FOOTAGE, else ~/.cache/fhmr_ros/footage
#
# Idempotent: does nothing when every file is there. Needs apt-get and dpkg-deb (no root:
# `apt-get download` only fetches the .deb into a temporary folder).
set -euo pipefail
dir="${1:-${FHMR_FOOTAGE:-${XDG_CACHE_HOME:-$HOME/.cache}/fhmr_ros/footage}}"
files=(vtest.avi messi5.jpg basketball1.png basketball2.png)
missing=0
for f in "${files[@]}"; do [ -s "$dir/$f" ] || missing=1; done
[ "$missing" = 0 ] && exit 0
mkdir -p "$dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "[footage] apt-get download opencv-doc (OpenCV sample data) -> $dir"
(cd "$tmp" && apt-get download -q opencv-doc > /dev/null 2> >(grep -v 'unsandboxed' >&2))
dpkg-deb -x "$tmp"/opencv-doc_*.deb "$tmp/x"
for f in "${files[@]}"; do
  cp "$tmp/x/usr/share/doc/opencv-doc/examples/data/$f" "$dir/$f"
done
