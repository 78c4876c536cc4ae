#!/bin/sh
# SHA-256 of N MiB of zeros with Debian's openssl tool; answers the digest in hex. OpenSSL uses
# SHA-NI when the CPU has it and OPENSSL_ia32cap does not hide it.
set -eu
. "$(dirname "$0")/request.sh"
head -c "$((mib * 1048576))" /dev/zero | openssl dgst -sha256 -r | cut -d' ' -f1
