#!/usr/bin/env python3
"""A small FaaS platform that uses Tailor as its placement backend, end to end.

It does what a platform's controller does (docs/integration.md):
  1. generates Python stubs from Tailor's public protos (protoc + grpc_python_plugin),
  2. registers its own invoker hosts as nodes (Membership.Register, then Heartbeat),
  3. registers its functions for placement only (Registry.RegisterFunction: no executable),
  4. for each invocation: Place, "runs" it on the chosen invoker, and Reports the run,
     sometimes giving a decision back instead (CancelPlacement),
  5. asks for a ranking of its invokers (Rank) and why a decision was made (Explain).

The runs are simulated: `encrypt` takes 15 ms on an invoker with AES-NI and 60 ms without;
`resize` 40 ms anywhere. Tailor is told nothing of this but the reports, and learns it: the
script fails (exit 1) unless the last 20 `encrypt` calls went to the AES-NI invoker.

usage: fake_platform.py --scheduler HOST:PORT [--proto-dir DIR] [--ca-file F --token-file F]
                        [--calls N]
Without --ca-file the channel is plaintext (a scheduler started with --insecure-allow-anyone on
loopback). With TLS, use a token of role `platform`; invokers then register with their own
node certificates (docs/integration.md), so --skip-register leaves registration to them.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOS = ["inventory", "membership", "run_report", "placement", "registry"]

# The simulated invokers: name -> (CPU features, cores, memory).
INVOKERS = {
    "invoker-aes": ({"aes": True, "avx2": True}, 8, 16 << 30),
    "invoker-plain": ({"aes": False, "avx2": True}, 8, 16 << 30),
}


def generate_stubs(proto_dir):
    out = tempfile.mkdtemp(prefix="tailor-platform-stubs-")
    subprocess.run(
        ["protoc", "-I", proto_dir, "--python_out", out, "--grpc_python_out", out,
         "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin"]
        + [os.path.join(proto_dir, "tailor/v1/%s.proto" % p) for p in PROTOS],
        check=True)
    sys.path.insert(0, out)
    return out


def run_time_ms(function, node):
    """What running `function` on `node` takes on this pretend platform."""
    if function == "encrypt":
        return 15 if INVOKERS[node][0]["aes"] else 60
    return 40


class Platform:
    def __init__(self, channel, metadata):
        from tailor.v1 import membership_pb2_grpc, placement_pb2_grpc, registry_pb2_grpc
        self.membership = membership_pb2_grpc.MembershipStub(channel)
        self.placement = placement_pb2_grpc.PlacementStub(channel)
        self.registry = registry_pb2_grpc.RegistryStub(channel)
        self.md = metadata

    def register_invokers(self):
        from tailor.v1 import membership_pb2
        for name, (features, cores, memory) in INVOKERS.items():
            req = membership_pb2.RegisterRequest(node_id=name, address="127.0.0.1:9",
                                                 agent_version="fake-platform")
            req.inventory.topology.logical_cores = cores
            req.inventory.memory_bytes = memory
            req.inventory.cpu.model_name = "Pretend CPU"
            req.inventory.cpu_features.update(features)
            self.membership.Register(req, timeout=5, metadata=self.md)

    def heartbeat(self):
        from tailor.v1 import membership_pb2
        for name in INVOKERS:
            self.membership.Heartbeat(membership_pb2.HeartbeatRequest(node_id=name),
                                      timeout=5, metadata=self.md)

    def register_functions(self):
        from tailor.v1 import registry_pb2
        for name, prefers in [("encrypt", []), ("resize", [])]:
            reply = self.registry.RegisterFunction(registry_pb2.RegisterFunctionRequest(
                name=name, version="1", timeout_ms=2000, memory_hint_bytes=128 << 20,
                prefers=prefers), timeout=5, metadata=self.md)
            print("registered %s %s (placement only: %s, unchanged: %s)" % (
                reply.function.name, reply.function.version, reply.function.placement_only,
                reply.unchanged))

    def invoke(self, function, give_back=False):
        """Place, run (simulated), report. Returns the node it ran on (None if given back)."""
        from tailor.v1 import placement_pb2, run_report_pb2
        placed = self.placement.Place(placement_pb2.PlaceRequest(function_name=function),
                                      timeout=5, metadata=self.md)
        if give_back:
            released = self.placement.CancelPlacement(placement_pb2.CancelPlacementRequest(
                decision_id=placed.decision_id), timeout=5, metadata=self.md).released
            assert released, "a fresh decision holds a reservation to give back"
            return None
        wall_ms = run_time_ms(function, placed.node_id)
        end_ms = int(time.time() * 1000)
        report = run_report_pb2.RunReport(
            invocation_id="fake-" + uuid.uuid4().hex, function_name=function,
            node_id=placed.node_id, outcome=run_report_pb2.RUN_OUTCOME_SUCCEEDED,
            wall_time_us=wall_ms * 1000, start_unix_ms=end_ms - wall_ms, end_unix_ms=end_ms,
            user_cpu_us=wall_ms * 900, peak_memory_bytes=48 << 20,
            memory_limit_bytes=placed.allocation.memory_limit_bytes)
        self.placement.Report(placement_pb2.ReportRequest(
            decision_id=placed.decision_id, report=report), timeout=5, metadata=self.md)
        self.last_decision = placed.decision_id
        return placed.node_id


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scheduler", required=True)
    ap.add_argument("--proto-dir", default=os.path.join(HERE, "..", "..", "proto"))
    ap.add_argument("--ca-file")
    ap.add_argument("--token-file")
    ap.add_argument("--skip-register", action="store_true")
    ap.add_argument("--calls", type=int, default=80)
    args = ap.parse_args()

    stubs = generate_stubs(args.proto_dir)
    try:
        if args.ca_file:
            with open(args.ca_file, "rb") as f:
                channel = grpc.secure_channel(args.scheduler,
                                              grpc.ssl_channel_credentials(f.read()))
        else:
            channel = grpc.insecure_channel(args.scheduler)
        metadata = []
        if args.token_file:
            with open(args.token_file) as f:
                metadata = [("authorization", "Bearer " + f.read().strip())]
        platform = Platform(channel, metadata)
        if not args.skip_register:
            platform.register_invokers()
        platform.register_functions()

        from tailor.v1 import placement_pb2
        encrypt_nodes = []
        for i in range(args.calls):
            if not args.skip_register and i % 10 == 0:
                platform.heartbeat()
            function = "encrypt" if i % 2 == 0 else "resize"
            node = platform.invoke(function, give_back=(i % 13 == 12))
            if function == "encrypt" and node:
                encrypt_nodes.append(node)

        ranking = platform.placement.Rank(placement_pb2.RankRequest(function_name="encrypt"),
                                          timeout=5, metadata=metadata)
        print("Rank(encrypt):")
        for n in ranking.nodes:
            print("  %-14s eligible=%s score=%.2f predicted=%.1f ms %s" % (
                n.node_id, n.eligible, n.score, n.predicted_duration_ms, n.reason))
        why = platform.placement.Explain(placement_pb2.ExplainRequest(
            decision_id=platform.last_decision), timeout=5, metadata=metadata)
        print("Explain(last decision): %s chose %s (explored: %s)" % (
            why.function_name, why.chosen_node_id, why.explored))

        last = encrypt_nodes[-20:]
        on_aes = sum(1 for n in last if n == "invoker-aes")
        print("encrypt: %d of its last %d calls on invoker-aes" % (on_aes, len(last)))
        ok = (on_aes == len(last) and ranking.nodes[0].node_id == "invoker-aes"
              and 10 <= ranking.nodes[0].predicted_duration_ms <= 25)
        print("learned" if ok else "did not learn")
        return 0 if ok else 1
    finally:
        shutil.rmtree(stubs, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
