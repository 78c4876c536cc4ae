#!/usr/bin/env python3
"""Every query in every Grafana dashboard (dashboards/*.json) returns data from a real
Prometheus server (Debian's `prometheus`) scraping a running local cluster: a scheduler and two
agents (one emulating an old host), sample functions deployed and invoked. Prometheus loads the
shipped recording rules (deploy/prometheus/tailor-rules.yml), checked first with promtool.

usage: dashboards_test.py BIN_DIR SOURCE_DIR FUNCTIONS_DIR
"""
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

BIN_DIR, SOURCE_DIR, FUNCTIONS_DIR = (sys.argv.pop(1) for _ in range(3))


def read_text(path):
    with open(path) as f:
        return f.read().strip()


def wait_for_file(path, proc, what):
    deadline = time.time() + 20
    while not (os.path.exists(path) and read_text(path)):
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("%s did not start" % what)
        time.sleep(0.05)
    return read_text(path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dashboard_queries():
    """(dashboard file, panel title, expr) for every target of every panel."""
    out = []
    for path in sorted(glob.glob(os.path.join(SOURCE_DIR, "dashboards", "*.json"))):
        with open(path) as f:
            board = json.load(f)
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                out.append((os.path.basename(path), panel["title"], target["expr"]))
        for var in board.get("templating", {}).get("list", []):
            if var.get("type") == "query":
                out.append((os.path.basename(path), "variable " + var["name"], var["definition"]))
    return out


class DashboardsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="tailor-dashboards-")
        os.chmod(cls.workdir, 0o755)  # functions run as an unprivileged user
        cls.procs = []
        cls.logs = []
        w = cls.workdir

        def start(argv, name):
            log = open(os.path.join(w, name + ".log"), "w")
            cls.logs.append(log)
            proc = subprocess.Popen(argv, stdout=log, stderr=log)
            cls.procs.append(proc)
            return proc

        sched = start([os.path.join(BIN_DIR, "tailor-scheduler"), "--insecure-allow-anyone", "--listen", "127.0.0.1:0",
                       "--data-dir", os.path.join(w, "data"),
                       "--address-file", os.path.join(w, "s.addr"),
                       "--metrics-listen", "127.0.0.1:0",
                       "--metrics-address-file", os.path.join(w, "s.metrics"),
                       "--lease-timeout-ms", "30000"], "scheduler")
        cls.address = wait_for_file(os.path.join(w, "s.addr"), sched, "scheduler")
        metrics = {"scheduler": wait_for_file(os.path.join(w, "s.metrics"), sched, "scheduler")}
        for node, emulation in [("old-host", "deploy/emulation/old-host.toml"), ("new-host", None)]:
            argv = [os.path.join(BIN_DIR, "tailor-agent"), "run", "--insecure-allow-anyone", "--scheduler", cls.address,
                    "--node-id", node, "--data-dir", os.path.join(w, node),
                    "--address-file", os.path.join(w, node + ".addr"),
                    "--metrics-listen", "127.0.0.1:0",
                    "--metrics-address-file", os.path.join(w, node + ".metrics")]
            if emulation:
                argv += ["--emulation", os.path.join(SOURCE_DIR, emulation)]
            agent = start(argv, node)
            metrics[node] = wait_for_file(os.path.join(w, node + ".metrics"), agent, node)
        deadline = time.time() + 20
        while cls.ctl(["nodes", "--output", "json"]).count('"healthy"') < 2:
            if time.time() > deadline:
                raise RuntimeError("agents did not register; see %s" % w)
            time.sleep(0.2)
        cls.ctl(["deploy"] + [os.path.join(FUNCTIONS_DIR, f) for f in ("aes-gcm", "sleep-io")])

        # Prometheus with the shipped rules, scraping every second.
        rules = os.path.join(w, "tailor-rules.yml")
        shutil.copy(os.path.join(SOURCE_DIR, "deploy/prometheus/tailor-rules.yml"), rules)
        subprocess.run(["promtool", "check", "rules", rules], check=True, capture_output=True)
        config = os.path.join(w, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files: [%s]\nscrape_configs:\n"
                    "  - job_name: tailor-scheduler\n    static_configs:\n"
                    "      - targets: ['%s']\n"
                    "  - job_name: tailor-agent\n    static_configs:\n"
                    "      - targets: ['%s', '%s']\n"
                    % (rules, metrics["scheduler"], metrics["old-host"], metrics["new-host"]))
        subprocess.run(["promtool", "check", "config", config], check=True, capture_output=True)
        cls.prometheus = "http://127.0.0.1:%d" % free_port()
        start(["prometheus", "--config.file", config, "--storage.tsdb.path",
               os.path.join(w, "tsdb"), "--web.listen-address",
               cls.prometheus.replace("http://", "")], "prometheus")
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(cls.prometheus + "/-/ready", timeout=1)
                break
            except Exception:
                if time.time() > deadline:
                    raise RuntimeError("prometheus did not become ready; see %s" % w)
                time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            p.terminate()
        for p in cls.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in cls.logs:
            log.close()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    @classmethod
    def ctl(cls, args):
        r = subprocess.run([os.path.join(BIN_DIR, "tailorctl"), "--insecure", "--scheduler", cls.address] + args,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("tailorctl %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def query(self, expr):
        url = self.prometheus + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
        self.assertEqual(body["status"], "success", expr)
        return body["data"]["result"]

    def test_every_dashboard_query_returns_data(self):
        queries = dashboard_queries()
        self.assertGreaterEqual(len(queries), 20)
        # Traffic while Prometheus scrapes, until every query answers (or a deadline).
        pending = list(queries)
        deadline = time.time() + 90
        invoked = 0
        while pending and time.time() < deadline:
            for _ in range(4):
                self.ctl(["invoke", "aes-gcm", "--data", '{"bytes": 65536, "rounds": 2}'])
                self.ctl(["invoke", "sleep-io", "--data", '{"sleep_ms": 5, "file_bytes": 4096}'])
                invoked += 2
            still = []
            for board, title, expr in pending:
                if expr.startswith("label_values("):
                    metric, label = expr[len("label_values("):-1].split(", ")
                    url = "%s/api/v1/label/%s/values?%s" % (
                        self.prometheus, label, urllib.parse.urlencode({"match[]": metric}))
                    with urllib.request.urlopen(url, timeout=5) as r:
                        answered = bool(json.load(r)["data"])
                else:
                    answered = bool(self.query(expr.replace("$function", ".*")))
                if not answered:
                    still.append((board, title, expr))
            pending = still
        self.assertEqual(pending, [], "queries without data after %d invocations" % invoked)
        # The function variable lists what ran.
        values = self.query('count by (function) (tailor_agent_invocations_total)')
        self.assertEqual({v["metric"]["function"] for v in values}, {"aes-gcm", "sleep-io"})


if __name__ == "__main__":
    unittest.main()
