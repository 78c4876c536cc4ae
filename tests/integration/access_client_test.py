#!/usr/bin/env python3
"""An outsider's view of access control: a Python gRPC client, generated from proto/ at test
time, against a scheduler started with no security flags (as the README and deploy/ start it),
with and without credentials. Real TLS on loopback, real tokens, real node certificates made
with `tailorctl certs`.

usage: access_client_test.py BIN_DIR PROTO_DIR
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

PROTOS = ["access", "inventory", "membership", "run_report", "registry", "gateway",
          "placement"]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tailor_client  # noqa: E402
GEN_DIR = tailor_client.generate(PROTO_DIR, PROTOS)

from tailor.v1 import access_pb2, access_pb2_grpc  # noqa: E402
from tailor.v1 import gateway_pb2, gateway_pb2_grpc  # noqa: E402
from tailor.v1 import membership_pb2, membership_pb2_grpc  # noqa: E402
from tailor.v1 import registry_pb2, registry_pb2_grpc  # noqa: E402

SERVER_NAME = "scheduler.tailor"


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()




def deploy_chunks(data, tenant=""):
    yield registry_pb2.DeployChunk(
        header=registry_pb2.DeployHeader(size_bytes=len(data), tenant=tenant))
    yield registry_pb2.DeployChunk(data=data)


class AccessClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="tailor-pyaccess-")
        data_dir = os.path.join(cls.workdir, "data")
        addr_file = os.path.join(cls.workdir, "s.addr")
        cls.log = open(os.path.join(cls.workdir, "scheduler.log"), "w")
        cls.proc = subprocess.Popen(
            [os.path.join(BIN_DIR, "tailor-scheduler"), "--listen", "127.0.0.1:0",
             "--data-dir", data_dir, "--address-file", addr_file],
            stdout=cls.log, stderr=cls.log)
        deadline = time.time() + 10
        while not (os.path.exists(addr_file) and read(addr_file).strip()):
            if time.time() > deadline:
                raise RuntimeError("scheduler did not start: " +
                                   read(os.path.join(cls.workdir, "scheduler.log")))
            time.sleep(0.05)
        cls.address = read(addr_file).strip()
        cls.ca_dir = os.path.join(data_dir, "pki", "ca")
        cls.ca = read(os.path.join(cls.ca_dir, "ca.crt"), "rb")
        cls.admin = read(os.path.join(data_dir, "admin.token")).strip()
        cls.channels = []

    @classmethod
    def tearDownClass(cls):
        for c in cls.channels:
            c.close()
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.log.close()
        shutil.rmtree(cls.workdir, ignore_errors=True)
        tailor_client.cleanup(GEN_DIR)

    def channel(self, token=None, cert_dir=None):
        key = cert = None
        if cert_dir:
            key = read(os.path.join(cert_dir, "tls.key"), "rb")
            cert = read(os.path.join(cert_dir, "tls.crt"), "rb")
        creds = grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=key,
                                             certificate_chain=cert)
        if token:
            creds = grpc.composite_channel_credentials(
                creds, grpc.access_token_call_credentials(token))
        c = grpc.secure_channel(self.address, creds,
                                options=[("grpc.ssl_target_name_override", SERVER_NAME)])
        self.channels.append(c)
        return c

    def token(self, name, role, tenant="default"):
        access = access_pb2_grpc.AccessStub(self.channel(self.admin))
        return access.CreateToken(access_pb2.CreateTokenRequest(
            name=name, role=role, tenant=tenant), timeout=5).bearer

    def node_cert(self, node_id):
        out = os.path.join(self.workdir, "tls-" + node_id)
        subprocess.run([os.path.join(BIN_DIR, "tailorctl"), "certs", "issue", "--ca-dir",
                        self.ca_dir, "--kind", "node", "--node-id", node_id, "--out", out],
                       check=True, stdout=subprocess.DEVNULL)
        return out

    def assertCode(self, code, call):
        with self.assertRaises(grpc.RpcError) as caught:
            call()
        self.assertEqual(caught.exception.code(), code, caught.exception.details())

    def test_no_credentials_cannot_register_deploy_list_or_invoke(self):
        plain = grpc.insecure_channel(self.address)
        self.channels.append(plain)
        self.assertCode(grpc.StatusCode.UNAVAILABLE, lambda: registry_pb2_grpc.RegistryStub(
            plain).ListFunctions(registry_pb2.ListFunctionsRequest(), timeout=5))
        anon = self.channel()
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, lambda: registry_pb2_grpc.RegistryStub(
            anon).ListFunctions(registry_pb2.ListFunctionsRequest(), timeout=5))
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, lambda: registry_pb2_grpc.RegistryStub(
            anon).Deploy(deploy_chunks(tailor_client.bundle("anon", "1")), timeout=5))
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED,
                        lambda: membership_pb2_grpc.MembershipStub(anon).Register(
                            membership_pb2.RegisterRequest(node_id="n", address="10.0.0.1:1"),
                            timeout=5))
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, lambda: gateway_pb2_grpc.GatewayStub(
            anon).Invoke(gateway_pb2.GatewayInvokeRequest(function_name="x"), timeout=5))

    def test_a_reader_cannot_deploy_and_a_revoked_token_is_refused_at_once(self):
        reader = self.token("py-reader", "reader")
        registry = registry_pb2_grpc.RegistryStub(self.channel(reader))
        registry.ListFunctions(registry_pb2.ListFunctionsRequest(), timeout=5)
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED,
                        lambda: registry.Deploy(deploy_chunks(tailor_client.bundle("r", "1")), timeout=5))
        access = access_pb2_grpc.AccessStub(self.channel(self.admin))
        access.RevokeToken(access_pb2.RevokeTokenRequest(id_or_name="py-reader"), timeout=5)
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, lambda: registry.ListFunctions(
            registry_pb2.ListFunctionsRequest(), timeout=5))

    def test_a_node_certificate_cannot_register_another_node(self):
        b = membership_pb2_grpc.MembershipStub(self.channel(cert_dir=self.node_cert("node-b")))
        self.assertCode(grpc.StatusCode.PERMISSION_DENIED, lambda: b.Register(
            membership_pb2.RegisterRequest(node_id="node-a", address="10.0.0.1:1"), timeout=5))
        who = access_pb2_grpc.AccessStub(self.channel(
            cert_dir=self.node_cert("node-c"))).WhoAmI(access_pb2.WhoAmIRequest(), timeout=5)
        self.assertEqual((who.kind, who.name), ("node", "node-c"))

    def test_tenants_cannot_see_each_others_functions_or_results(self):
        admin = registry_pb2_grpc.RegistryStub(self.channel(self.admin))
        admin.Deploy(deploy_chunks(tailor_client.bundle("py-acme", "1"), tenant="acme"), timeout=10)
        acme = self.token("py-acme-app", "invoker", "acme")
        globex = self.token("py-globex-app", "invoker", "globex")
        seen = registry_pb2_grpc.RegistryStub(self.channel(acme)).ListFunctions(
            registry_pb2.ListFunctionsRequest(), timeout=5)
        self.assertEqual([f.name for f in seen.functions], ["py-acme"])
        seen = registry_pb2_grpc.RegistryStub(self.channel(globex)).ListFunctions(
            registry_pb2.ListFunctionsRequest(), timeout=5)
        self.assertEqual(list(seen.functions), [])
        queued = gateway_pb2_grpc.GatewayStub(self.channel(acme)).InvokeAsync(
            gateway_pb2.GatewayInvokeRequest(function_name="py-acme", payload=b"card-4111"),
            timeout=5)
        gateway_pb2_grpc.GatewayStub(self.channel(acme)).GetResult(
            gateway_pb2.GetResultRequest(id=queued.id), timeout=5)
        self.assertCode(grpc.StatusCode.NOT_FOUND, lambda: gateway_pb2_grpc.GatewayStub(
            self.channel(globex)).GetResult(gateway_pb2.GetResultRequest(id=queued.id),
                                            timeout=5))
        self.assertCode(grpc.StatusCode.NOT_FOUND, lambda: gateway_pb2_grpc.GatewayStub(
            self.channel(globex)).InvokeAsync(
                gateway_pb2.GatewayInvokeRequest(function_name="py-acme"), timeout=5))


if __name__ == "__main__":
    unittest.main(verbosity=2)
