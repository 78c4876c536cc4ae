#!/bin/sh
# AES-256-CTR over N MiB of zeros with Debian's openssl tool; answers the ciphertext's last 16
# bytes in hex. OpenSSL uses AES-NI when the CPU has it and OPENSSL_ia32cap does not hide it.
set -eu
. "$(dirname "$0")/request.sh"
head -c "$((mib * 1048576))" /dev/zero |
  openssl enc -aes-256-ctr -nosalt \
    -K 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
    -iv 000102030405060708090a0b0c0d0e0f |
  tail -c 16 | od -An -tx1 | tr -d ' \n'
echo
