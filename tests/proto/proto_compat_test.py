#!/usr/bin/env python3
"""scripts/check-proto-compat on the repo's protos (they must be compatible with the committed
baseline) and on edited copies: additions pass; a removed field, a changed type, a removed
method or a renamed enum value fail.

usage: proto_compat_test.py SOURCE_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = sys.argv.pop(1) if len(sys.argv) > 1 else "."
CHECK = os.path.join(SOURCE, "scripts", "check-proto-compat")
BASELINE = os.path.join(SOURCE, "proto", "compat", "tailor-v1.binpb")


def check(proto_dir):
    r = subprocess.run([sys.executable, CHECK, "--proto-dir", proto_dir, "--baseline", BASELINE],
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


class ProtoCompatTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tailor-proto-compat-")
        shutil.copytree(os.path.join(SOURCE, "proto", "tailor"), os.path.join(self.dir, "tailor"))
        shutil.copytree(os.path.join(SOURCE, "proto", "google"), os.path.join(self.dir, "google"))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def edit(self, name, old, new):
        path = os.path.join(self.dir, "tailor", "v1", name)
        text = open(path).read()
        self.assertIn(old, text)
        open(path, "w").write(text.replace(old, new, 1))

    def test_the_repos_protos_are_compatible_with_the_baseline(self):
        rc, out = check(os.path.join(SOURCE, "proto"))
        self.assertEqual(rc, 0, out)

    def test_additions_are_compatible(self):
        self.edit("placement.proto", "  uint32 limit = 7;", "  uint32 limit = 7;\n  string note = 99;")
        rc, out = check(self.dir)
        self.assertEqual(rc, 0, out)

    def test_a_removed_field_must_be_reserved(self):
        self.edit("placement.proto", "  bool replayed = 9;", "")
        rc, out = check(self.dir)
        self.assertEqual(rc, 1, out)
        self.assertIn("tailor.v1.PlaceResponse.replayed (9) was removed", out)
        # Reserving its number and name makes the removal compatible.
        self.edit("placement.proto", "message PlaceResponse {",
                  "message PlaceResponse {\n  reserved 9;\n  reserved \"replayed\";")
        rc, out = check(self.dir)
        self.assertEqual(rc, 0, out)

    def test_a_changed_type_a_removed_method_and_a_renamed_enum_value_break(self):
        self.edit("placement.proto", "  uint64 payload_bytes = 3;", "  string payload_bytes = 3;")
        self.edit("placement.proto", "  rpc Rank(RankRequest) returns (RankResponse);", "")
        self.edit("run_report.proto", "RUN_OUTCOME_CANCELLED = 9;", "RUN_OUTCOME_ABORTED = 9;")
        rc, out = check(self.dir)
        self.assertEqual(rc, 1, out)
        self.assertIn("tailor.v1.PlaceRequest field 3 changed its type", out)
        self.assertIn("method tailor.v1.Placement.Rank was removed", out)
        self.assertIn("RUN_OUTCOME_CANCELLED", out)


if __name__ == "__main__":
    unittest.main()
