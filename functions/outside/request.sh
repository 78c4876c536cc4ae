# Sourced by each handler (the build copies it into every bundle: a run sees only its own).
# Reads the request, a whole number of MiB from 1 to 256, into $mib, or exits 2 with the reason
# on stderr.
read -r mib || true
case "$mib" in
  "" | *[!0-9]*) echo "the request must be a whole number of MiB (1-256), not '$mib'" >&2; exit 2 ;;
esac
if [ "$mib" -lt 1 ] || [ "$mib" -gt 256 ]; then
  echo "the request must be 1-256 MiB, not $mib" >&2
  exit 2
fi
