#!/usr/bin/env python3
"""The scheduler and the agent serve the standard gRPC health service and server reflection.

Debian ships no health.proto or reflection.proto, so this test speaks their wire format
directly through grpcio's generic calls: the messages involved are one or two fields each.

usage: grpc_standard_services_test.py BIN_DIR
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

BIN_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else "build/bin"


def start(args, workdir, name):
    addr_file = os.path.join(workdir, name + ".addr")
    log = open(os.path.join(workdir, name + ".log"), "w")
    proc = subprocess.Popen(args + ["--address-file", addr_file], stdout=log, stderr=log)
    deadline = time.time() + 10
    while time.time() < deadline:
        if os.path.exists(addr_file) and open(addr_file).read().strip():
            return proc, open(addr_file).read().strip()
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(name + " did not start")


def read_varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(data):
    """Yields (field_number, wire_type, value) of a serialized protobuf message."""
    i = 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, i = read_varint(data, i)
        elif wire_type == 2:
            length, i = read_varint(data, i)
            value, i = data[i:i + length], i + length
        else:
            raise ValueError("unexpected wire type %d" % wire_type)
        yield number, wire_type, value


def health_status(channel, service=""):
    check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=lambda b: b,
                                response_deserializer=lambda b: b)
    # HealthCheckRequest{service=1}
    request = b"" if not service else b"\x0a" + bytes([len(service)]) + service.encode()
    response = check(request, timeout=5)
    # HealthCheckResponse{status=1}: 1 = SERVING
    return dict((n, v) for n, _, v in fields(response)).get(1, 0)


def reflected_services(channel):
    info = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=lambda b: b, response_deserializer=lambda b: b)
    # ServerReflectionRequest{list_services=7: ""}
    responses = list(info(iter([b"\x3a\x00"]), timeout=5))
    names = []
    for number, _, value in fields(responses[0]):
        if number == 6:  # list_services_response
            for n, _, service in fields(value):
                if n == 1:  # ServiceResponse
                    names += [v.decode() for m, _, v in fields(service) if m == 1]
    return names


class StandardServicesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.terminate()
            p.wait(timeout=10)
        self.dir.cleanup()

    def test_scheduler_and_agent(self):
        sched, sched_addr = start([os.path.join(BIN_DIR, "tailor-scheduler"), "--insecure-allow-anyone", "--listen",
                                   "127.0.0.1:0", "--data-dir", os.path.join(self.dir.name, "d")],
                                  self.dir.name, "scheduler")
        self.procs.append(sched)
        agent, agent_addr = start([os.path.join(BIN_DIR, "tailor-agent"), "run", "--insecure-allow-anyone", "--scheduler",
                                   sched_addr, "--node-id", "n1",
                                   "--data-dir", os.path.join(self.dir.name, "n1")], self.dir.name, "agent")
        self.procs.append(agent)
        for addr, service in [(sched_addr, "tailor.v1.Membership"), (agent_addr, "tailor.internal.v1.Agent")]:
            with grpc.insecure_channel(addr) as channel:
                self.assertEqual(health_status(channel), 1, addr)
                names = reflected_services(channel)
                self.assertIn(service, names)
                self.assertIn("grpc.health.v1.Health", names)


if __name__ == "__main__":
    unittest.main(verbosity=2)
