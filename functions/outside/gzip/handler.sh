#!/bin/sh
# gzip -6 over about N MiB of decimal numbers, one per line; answers the compressed size.
set -eu
. "$(dirname "$0")/request.sh"
seq 1 "$((mib * 150000))" | gzip -6 | wc -c
