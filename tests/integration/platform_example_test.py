#!/usr/bin/env python3
"""Runs examples/platform/fake_platform.py, unmodified, against a real scheduler started on
loopback, as docs/integration.md tells a platform team to: the example must learn (exit 0).

usage: platform_example_test.py BIN_DIR SOURCE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time


def main():
    bin_dir, source_dir = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="tailor-platform-example-")
    addr_file = os.path.join(work, "addr")
    with open(os.path.join(work, "scheduler.log"), "w") as log:
        proc = subprocess.Popen(
            [os.path.join(bin_dir, "tailor-scheduler"), "--insecure-allow-anyone", "--listen",
             "127.0.0.1:0", "--data-dir", os.path.join(work, "data"), "--address-file",
             addr_file, "--lease-timeout-ms", "60000"], stdout=log, stderr=log)
        try:
            deadline = time.time() + 10
            while not (os.path.exists(addr_file) and open(addr_file).read().strip()):
                if time.time() > deadline or proc.poll() is not None:
                    print("the scheduler did not start")
                    return 1
                time.sleep(0.05)
            example = os.path.join(source_dir, "examples", "platform", "fake_platform.py")
            return subprocess.run([sys.executable, example, "--scheduler",
                                   open(addr_file).read().strip(), "--proto-dir",
                                   os.path.join(source_dir, "proto")]).returncode
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
