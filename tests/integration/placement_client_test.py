#!/usr/bin/env python3
"""A platform's view: a Python gRPC client, generated from proto/ at test time, asks the
scheduler where to run a function (Place), reports the run it executed itself (Report, twice:
idempotent), and asks why (Explain). It also registers its node and deploys the function
through the same public APIs, so nothing here is private to Tailor's C++ code.

usage: placement_client_test.py BIN_DIR PROTO_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

BIN_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else "build/bin"
PROTO_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else "proto"

PROTOS = ["inventory", "membership", "run_report", "placement", "registry"]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tailor_client  # noqa: E402
GEN_DIR = tailor_client.generate(PROTO_DIR, PROTOS)

from tailor.v1 import membership_pb2, membership_pb2_grpc  # noqa: E402
from tailor.v1 import placement_pb2, placement_pb2_grpc  # noqa: E402
from tailor.v1 import registry_pb2, registry_pb2_grpc  # noqa: E402
from tailor.v1 import run_report_pb2  # noqa: E402


def read_text(path):
    with open(path) as f:
        return f.read().strip()




class PlacementClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="tailor-pyclient-")
        addr_file = os.path.join(cls.workdir, "s.addr")
        cls.log = open(os.path.join(cls.workdir, "scheduler.log"), "w")
        cls.proc = subprocess.Popen(
            [os.path.join(BIN_DIR, "tailor-scheduler"), "--insecure-allow-anyone", "--listen", "127.0.0.1:0",
             "--data-dir", os.path.join(cls.workdir, "data"), "--address-file", addr_file,
             "--lease-timeout-ms", "60000"],
            stdout=cls.log, stderr=cls.log)
        deadline = time.time() + 10
        while not (os.path.exists(addr_file) and read_text(addr_file)):
            if time.time() > deadline:
                raise RuntimeError("scheduler did not start")
            time.sleep(0.05)
        cls.channel = grpc.insecure_channel(read_text(addr_file))
        membership = membership_pb2_grpc.MembershipStub(cls.channel)
        for node, features in [("py-aes", {"aes": True}), ("py-plain", {"aes": False})]:
            req = membership_pb2.RegisterRequest(node_id=node, address="10.0.0.1:7401")
            req.inventory.topology.logical_cores = 4
            req.inventory.memory_bytes = 8 << 30
            req.inventory.cpu_features.update(features)
            membership.Register(req, timeout=5)
        data = tailor_client.bundle("py-echo", "1.0", "memory_hint_bytes = 67108864\n")
        chunks = [registry_pb2.DeployChunk(
            header=registry_pb2.DeployHeader(size_bytes=len(data)))]
        chunks += [registry_pb2.DeployChunk(data=data[i:i + 1000])
                   for i in range(0, len(data), 1000)]
        registry_pb2_grpc.RegistryStub(cls.channel).Deploy(iter(chunks), timeout=10)
        cls.placement = placement_pb2_grpc.PlacementStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.log.close()
        shutil.rmtree(cls.workdir, ignore_errors=True)
        tailor_client.cleanup(GEN_DIR)

    def test_place_report_explain(self):
        placed = self.placement.Place(placement_pb2.PlaceRequest(
            function_name="py-echo", payload_bytes=100, required_features=["aes"]), timeout=5)
        self.assertEqual(placed.node_id, "py-aes")
        self.assertEqual(placed.node_address, "10.0.0.1:7401")
        self.assertEqual(placed.allocation.memory_limit_bytes, 64 << 20)
        self.assertEqual(placed.function_version, "1.0")
        self.assertTrue(placed.decision_id)

        report = run_report_pb2.RunReport(
            invocation_id="platform-run-1", function_name="py-echo", node_id=placed.node_id,
            wall_time_us=12000, user_cpu_us=9000, peak_memory_bytes=20 << 20,
            end_unix_ms=int(time.time() * 1000),
            outcome=run_report_pb2.RUN_OUTCOME_SUCCEEDED)
        first = self.placement.Report(placement_pb2.ReportRequest(
            decision_id=placed.decision_id, report=report), timeout=5)
        again = self.placement.Report(placement_pb2.ReportRequest(
            decision_id=placed.decision_id, report=report), timeout=5)
        self.assertFalse(first.duplicate)
        self.assertTrue(again.duplicate)

        why = self.placement.Explain(
            placement_pb2.ExplainRequest(decision_id=placed.decision_id), timeout=5)
        self.assertEqual(why.chosen_node_id, "py-aes")
        by_node = {c.node_id: c for c in why.candidates}
        self.assertTrue(by_node["py-aes"].eligible)
        self.assertFalse(by_node["py-plain"].eligible)
        self.assertEqual(by_node["py-plain"].reason, "lacks aes")

    def test_errors_carry_grpc_codes(self):
        with self.assertRaises(grpc.RpcError) as e:
            self.placement.Place(placement_pb2.PlaceRequest(function_name="nope"), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            self.placement.Report(placement_pb2.ReportRequest(
                report=run_report_pb2.RunReport(function_name="py-echo", node_id="py-aes")),
                timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(grpc.RpcError) as e:
            self.placement.Explain(placement_pb2.ExplainRequest(decision_id="x"), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.NOT_FOUND)
        with self.assertRaises(grpc.RpcError) as e:
            registry_pb2_grpc.RegistryStub(self.channel).Deploy(iter([
                registry_pb2.DeployChunk(header=registry_pb2.DeployHeader()),
                registry_pb2.DeployChunk(data=b"not a tarball")]), timeout=5)
        self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)


if __name__ == "__main__":
    unittest.main()
