#!/bin/sh
# AES-256-CTR over N MiB of zeros with Debian's openssl tool; answers the ciphertext's last 16
# bytes in hex. OpenSSL uses AES-NI when the CPU has it and OPENSSL_ia32cap does not hide it.
set -eu
read -r mib || true
case "$mib" in
  "" | *[!0-9]*) echo "the request must be a whole number of MiB (1-256), not '$mib'" >&2; exit 2 ;;
esac
if [ "$mib" -lt 1 ] || [ "$mib" -gt 256 ]; then
  echo "the request must be 1-256 MiB, not $mib" >&2
  exit 2
fi
head -c "$((mib * 1048576))" /dev/zero |
  openssl enc -aes-256-ctr -nosalt \
    -K 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
    -iv 000102030405060708090a0b0c0d0e0f |
  tail -c 16 | od -An -tx1 | tr -d ' \n'
echo
