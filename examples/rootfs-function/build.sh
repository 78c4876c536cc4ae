#!/usr/bin/env bash
# Builds a function bundle that brings its own root file system: a POSIX shell and the
# libraries it needs, copied from this host (what `docker export` of a small image gives, in
# miniature), and a handler that greets from it.
#
#   examples/rootfs-function/build.sh OUT    writes the bundle to OUT (which must not exist)
#   tailorctl deploy OUT                     deploys it; invoke it with a name on stdin
set -euo pipefail
out=${1:?usage: build.sh OUT}
[ -e "$out" ] && { echo "build.sh: $out exists" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/rootfs"
cp "$here/tailor.toml" "$here/handler.sh" "$out/"
chmod 0755 "$out/handler.sh"

# The shell, and every library the dynamic linker would load for it (ldd prints their paths).
shell=$(readlink -f /bin/sh)
copy() {
  local file=$1 dest=$2
  mkdir -p "$out/rootfs$(dirname "$dest")"
  cp -L "$file" "$out/rootfs$dest"
}
copy "$shell" /bin/sh
for lib in $(ldd "$shell" | grep -o '/[^ ]*'); do copy "$lib" "$lib"; done
chmod -R a+rX "$out/rootfs"
chmod 0755 "$out/rootfs/bin/sh"

mkdir -p "$out/rootfs/etc"
echo 'PRETTY_NAME="Tailor example rootfs"' > "$out/rootfs/etc/os-release"
echo "bundle written to $out"
