#!/bin/sh
# SHA-256 of N MiB of zeros with Debian's openssl tool; answers the digest in hex. OpenSSL uses
# SHA-NI when the CPU has it and OPENSSL_ia32cap does not hide it.
set -eu
read -r mib || true
case "$mib" in
  "" | *[!0-9]*) echo "the request must be a whole number of MiB (1-256), not '$mib'" >&2; exit 2 ;;
esac
if [ "$mib" -lt 1 ] || [ "$mib" -gt 256 ]; then
  echo "the request must be 1-256 MiB, not $mib" >&2
  exit 2
fi
head -c "$((mib * 1048576))" /dev/zero | openssl dgst -sha256 -r | cut -d' ' -f1
