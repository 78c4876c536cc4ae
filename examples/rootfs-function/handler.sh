#!/bin/sh
# Reads a name on stdin and greets from the bundle's own root file system (its /etc/os-release).
read -r name || true
. /etc/os-release
echo "hello, ${name:-world}, from $PRETTY_NAME"
