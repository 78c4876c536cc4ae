#!/bin/sh
# xz -1 on one thread over about N MiB of decimal numbers, one per line; answers the compressed
# size.
set -eu
. "$(dirname "$0")/request.sh"
seq 1 "$((mib * 150000))" | xz -1 -T1 | wc -c
