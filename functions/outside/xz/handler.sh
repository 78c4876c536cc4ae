#!/bin/sh
# xz -1 on one thread over about N MiB of decimal numbers, one per line; answers the compressed
# size.
set -eu
read -r mib || true
case "$mib" in
  "" | *[!0-9]*) echo "the request must be a whole number of MiB (1-256), not '$mib'" >&2; exit 2 ;;
esac
if [ "$mib" -lt 1 ] || [ "$mib" -gt 256 ]; then
  echo "the request must be 1-256 MiB, not $mib" >&2
  exit 2
fi
seq 1 "$((mib * 150000))" | xz -1 -T1 | wc -c
