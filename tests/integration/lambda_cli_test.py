#!/usr/bin/env python3
"""Lambda functions through the AWS CLI: a secure loopback cluster (mutual TLS, tokens) of a
scheduler with its HTTP endpoint and two agents on different emulated hosts runs the shipped
Python custom runtime (examples/lambda/python/bootstrap) with a test handler. Debian's
`aws lambda invoke` (awscli v2), signing with an access key made by `tailorctl tokens create
--aws-access-key`, invokes it synchronously (twice: the second call runs on the first call's
warm instance), with a function error, a timeout, a log tail, asynchronously (Event) and as a
DryRun; bad credentials and unknown functions get Lambda's errors. The AWS SDK for
JavaScript's Lambda client (tests/js, installed by scripts/bootstrap with npm) does the same.

usage: lambda_cli_test.py BIN_DIR SOURCE_DIR
"""
import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BIN_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else "build/bin"
SOURCE_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else "."
AWS = shutil.which("aws", path="/usr/bin") or shutil.which("aws")
NODES = ["old-host", "new-host"]
NODE = shutil.which("node")
JS_DIR = os.path.join(SOURCE_DIR, "tests", "js")


def read(path):
    with open(path) as f:
        return f.read()


def wait_for(what, predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(what + " did not happen in time")


@unittest.skipIf(AWS is None, "the AWS CLI is not installed (scripts/bootstrap installs awscli)")
class LambdaCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tailor-lambda-cli-")
        os.chmod(cls.work, 0o755)
        cls.procs = []
        cls.logs = []
        pki = os.path.join(cls.work, "pki")
        cls.ctl([ "certs", "init-ca", "--ca-dir", pki + "/ca"], creds=False)
        cls.ctl(["certs", "issue", "--ca-dir", pki + "/ca", "--kind", "scheduler", "--out",
                 pki + "/scheduler"], creds=False)
        for node in NODES:
            cls.ctl(["certs", "issue", "--ca-dir", pki + "/ca", "--kind", "node", "--node-id", node,
                     "--out", pki + "/" + node], creds=False)
        data = os.path.join(cls.work, "data")
        cls.start("scheduler", [os.path.join(BIN_DIR, "tailor-scheduler"), "--listen", "127.0.0.1:0",
                                "--data-dir", data, "--tls-dir", pki + "/scheduler",
                                "--address-file", cls.work + "/s.addr", "--http-listen",
                                "127.0.0.1:0", "--http-address-file", cls.work + "/h.addr",
                                "--lease-timeout-ms", "3000", "--heartbeat-interval-ms", "300"])
        wait_for("the scheduler's start", lambda: os.path.exists(cls.work + "/h.addr") and
                 read(cls.work + "/h.addr").strip() and os.path.exists(data + "/admin.token"))
        cls.env = dict(os.environ, TAILOR_SCHEDULER=read(cls.work + "/s.addr").strip(),
                       TAILOR_CA_FILE=pki + "/ca/ca.crt", TAILOR_TOKEN_FILE=data + "/admin.token")
        cls.endpoint = "http://" + read(cls.work + "/h.addr").strip()
        cls.metrics = {}
        for node in NODES:
            cls.start(node, [os.path.join(BIN_DIR, "tailor-agent"), "run", "--scheduler",
                             cls.env["TAILOR_SCHEDULER"], "--tls-dir", pki + "/" + node,
                             "--data-dir", cls.work + "/" + node, "--emulation",
                             os.path.join(SOURCE_DIR, "deploy", "emulation", node + ".toml"),
                             "--metrics-address-file", cls.work + "/" + node + ".metrics"])
        wait_for("two healthy nodes", lambda: cls.ctl(["nodes", "-o", "json"]).count(
            '"health": "healthy"') == 2)
        cls.ctl(["deploy", os.path.join(SOURCE_DIR, "examples", "lambda", "python"),
                 os.path.join(SOURCE_DIR, "examples", "lambda", "node"), cls.bundle()])
        keys = cls.ctl(["tokens", "create", "lambda-invoker", "--role", "invoker",
                        "--aws-access-key"])
        cls.key_id = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", keys).group(1)
        cls.secret = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", keys).group(1)
        reader = cls.ctl(["tokens", "create", "lambda-reader", "--role", "reader",
                          "--aws-access-key"])
        cls.reader_key = (re.search(r"AWS_ACCESS_KEY_ID=(\S+)", reader).group(1),
                          re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", reader).group(1))

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            p.terminate()
        for p in reversed(cls.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in cls.logs:
            log.close()
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def start(cls, name, argv):
        log = open(os.path.join(cls.work, name + ".log"), "w")
        cls.logs.append(log)
        cls.procs.append(subprocess.Popen(argv, stdout=log, stderr=log))

    @classmethod
    def ctl(cls, args, creds=True):
        env = cls.env if creds else os.environ
        r = subprocess.run([os.path.join(BIN_DIR, "tailorctl")] + args, env=env,
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("tailorctl %s failed: %s" % (" ".join(args), r.stderr))
        return r.stdout

    @classmethod
    def bundle(cls):
        """The test handler with the shipped bootstrap, as a function of its own."""
        src = os.path.join(cls.work, "lambda-test")
        os.makedirs(src)
        shutil.copy(os.path.join(SOURCE_DIR, "examples", "lambda", "python", "bootstrap"), src)
        shutil.copy(os.path.join(SOURCE_DIR, "tests", "fixtures", "lambda", "handler.py"), src)
        os.chmod(os.path.join(src, "bootstrap"), 0o755)
        os.chmod(os.path.join(src, "handler.py"), 0o644)
        with open(os.path.join(src, "tailor.toml"), "w") as f:
            f.write('name = "lambda-test"\nversion = "1"\nruntime = "lambda"\n'
                    'handler = "handler.handler"\ntimeout_ms = 4000\n')
        return src

    def aws(self, function, payload=None, key=None, extra=()):
        """Runs `aws lambda invoke`; returns (exit code, CLI output JSON or stderr, response)."""
        out = os.path.join(self.work, "out-%d.json" % time.monotonic_ns())
        key_id, secret = key or (self.key_id, self.secret)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="", AWS_MAX_ATTEMPTS="1",
                   AWS_EC2_METADATA_DISABLED="true")
        argv = [AWS, "lambda", "invoke", "--endpoint-url", self.endpoint, "--function-name",
                function, "--cli-binary-format", "raw-in-base64-out"]
        if payload is not None:
            argv += ["--payload", json.dumps(payload)]
        r = subprocess.run(argv + list(extra) + [out], env=env, capture_output=True, text=True,
                           timeout=120)
        body = read(out) if os.path.exists(out) else ""
        if r.returncode != 0:
            return r.returncode, r.stderr, body
        return 0, json.loads(r.stdout), body

    def metric(self, node, name, **labels):
        text = urllib.request.urlopen(
            "http://" + read(self.work + "/" + node + ".metrics").strip() + "/metrics").read()
        total = 0.0
        for line in text.decode().splitlines():
            if not line.startswith(name + "{"):
                continue
            if all('%s="%s"' % (k, v) in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def starts(self, function, kind):
        return sum(self.metric(n, "tailor_agent_lambda_starts_total", function=function, kind=kind)
                   for n in NODES)

    def test_a_second_call_runs_warm_on_the_first_calls_instance(self):
        code, first, body1 = self.aws("lambda-test", {"n": 1})
        self.assertEqual(code, 0, first)
        self.assertEqual(first["StatusCode"], 200)
        self.assertEqual(first["ExecutedVersion"], "1")
        self.assertNotIn("FunctionError", first)
        # Placed where the idle instance is, once the scheduler knows of it.
        time.sleep(1)
        code, second, body2 = self.aws("lambda-test", {"n": 2})
        self.assertEqual(code, 0, second)
        a, b = json.loads(body1), json.loads(body2)
        self.assertEqual(a["echo"], {"n": 1})
        self.assertEqual(b["echo"], {"n": 2})
        self.assertEqual(a["instance"], b["instance"], "the second call reused the warm instance")
        self.assertGreaterEqual(self.starts("lambda-test", "warm"), 1)

    def test_a_function_error_is_unhandled_with_the_runtimes_error_json(self):
        code, out, body = self.aws("lambda-test", {"op": "fail"})
        self.assertEqual(code, 0, out)
        self.assertEqual(out["StatusCode"], 200)
        self.assertEqual(out["FunctionError"], "Unhandled")
        error = json.loads(body)
        self.assertEqual(error["errorType"], "ValueError")
        self.assertEqual(error["errorMessage"], "bad input on purpose")

    def test_a_timeout_is_an_unhandled_function_error(self):
        code, out, body = self.aws("lambda-test", {"op": "sleep", "s": 30})
        self.assertEqual(code, 0, out)
        self.assertEqual(out["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(body)["errorType"], "Sandbox.Timedout")

    def test_the_log_tail_is_the_invocations_log(self):
        code, out, body = self.aws("word-stats", {"text": "the cat and the hat"},
                                   extra=["--log-type", "Tail"])
        self.assertEqual(code, 0, out)
        self.assertEqual(json.loads(body)["words"], 5)
        self.assertIn("counted 5 words", base64.b64decode(out["LogResult"]).decode())

    def test_the_nodejs_example_runs_and_fails_as_lambda_would(self):
        import hashlib
        code, out, body = self.aws("text-hash", {"text": "hello"})
        self.assertEqual(code, 0, out)
        self.assertNotIn("FunctionError", out)
        self.assertEqual(json.loads(body)["sha256"], hashlib.sha256(b"hello").hexdigest())
        code, out, body = self.aws("text-hash", {"text": 5})
        self.assertEqual(out["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(body)["errorType"], "TypeError")

    def test_an_event_invocation_is_queued_and_runs(self):
        before = self.starts("word-stats", "cold") + self.starts("word-stats", "warm")
        code, out, _ = self.aws("word-stats", {"text": "async"},
                                extra=["--invocation-type", "Event"])
        self.assertEqual(code, 0, out)
        self.assertEqual(out["StatusCode"], 202)
        wait_for("the queued invocation's run", lambda: self.starts("word-stats", "cold") +
                 self.starts("word-stats", "warm") > before)

    def test_a_dry_run_checks_without_running(self):
        before = self.starts("word-stats", "cold") + self.starts("word-stats", "warm")
        code, out, _ = self.aws("word-stats", {}, extra=["--invocation-type", "DryRun"])
        self.assertEqual(code, 0, out)
        self.assertEqual(out["StatusCode"], 204)
        code, err, _ = self.aws("nothing-here", {}, extra=["--invocation-type", "DryRun"])
        self.assertNotEqual(code, 0)
        self.assertIn("ResourceNotFoundException", err)
        self.assertEqual(self.starts("word-stats", "cold") + self.starts("word-stats", "warm"),
                         before)

    @unittest.skipIf(NODE is None or not os.path.isdir(os.path.join(JS_DIR, "node_modules")),
                     "Node.js or tests/js/node_modules missing (scripts/bootstrap installs them)")
    def test_the_aws_sdk_for_javascript_invokes_sync_async_and_with_a_function_error(self):
        before = self.starts("lambda-test", "cold") + self.starts("lambda-test", "warm")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=self.key_id, AWS_SECRET_ACCESS_KEY=self.secret,
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        r = subprocess.run([NODE, os.path.join(JS_DIR, "invoke.mjs"), self.endpoint, "lambda-test"],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        self.assertEqual(got["sync"]["status"], 200)
        self.assertIsNone(got["sync"]["error"])
        self.assertEqual(json.loads(got["sync"]["payload"])["echo"], {"n": 1})
        self.assertEqual(got["failed"]["error"], "Unhandled")
        self.assertEqual(json.loads(got["failed"]["payload"])["errorType"], "ValueError")
        self.assertIn("log line for", got["tail"]["log"])
        self.assertEqual(got["event"]["status"], 202)
        self.assertEqual(got["dry"]["status"], 204)
        self.assertEqual(got["missing"], "ResourceNotFoundException")
        # sync, failed, tail and the queued event: four runs.
        wait_for("the SDK's four runs", lambda: self.starts("lambda-test", "cold") +
                 self.starts("lambda-test", "warm") >= before + 4)

    def test_a_schedule_invokes_its_function_each_minute(self):
        self.ctl(["schedules", "create", "every-minute", "word-stats", "--expression",
                  "cron(* * * * ? *)", "--data", '{"text": "on schedule"}'])
        listed = json.loads(self.ctl(["schedules", "-o", "json"]))["schedules"]
        self.assertEqual([s["name"] for s in listed], ["every-minute"])
        fired = wait_for("the schedule's first firing", lambda: json.loads(
            self.ctl(["schedules", "-o", "json"]))["schedules"][0].get("last_invocation_id"),
            seconds=75)
        result = json.loads(self.ctl(["result", fired, "--wait", "-o", "json"]))
        self.assertEqual(result["state"], "ASYNC_STATE_SUCCEEDED")
        self.assertEqual(json.loads(base64.b64decode(result["response"]["output"]))["words"], 2)
        self.ctl(["schedules", "delete", "every-minute"])
        self.assertEqual(json.loads(self.ctl(["schedules", "-o", "json"])).get("schedules", []), [])

    def test_credentials_and_names_that_do_not_check_out_get_lambdas_errors(self):
        for key, error in [((self.key_id, "x" * 40), "InvalidSignatureException"),
                           (("AKTL0000000000000000", self.secret), "UnrecognizedClientException"),
                           (self.reader_key, "AccessDeniedException")]:
            code, err, _ = self.aws("word-stats", {}, key=key)
            self.assertNotEqual(code, 0)
            self.assertIn(error, err)
        code, err, _ = self.aws("no-such-function", {})
        self.assertIn("ResourceNotFoundException", err)
        code, err, _ = self.aws("word-stats", extra=["--payload", "not json"])
        self.assertIn("InvalidRequestContentException", err)


if __name__ == "__main__":
    unittest.main()
