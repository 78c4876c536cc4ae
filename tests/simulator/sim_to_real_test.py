#!/usr/bin/env python3
"""scripts/sim_to_real.py on recorded calls: the calibration becomes per-host measured
durations, the real tailor-sim accepts the cluster, function and trace files it writes, and
simulates the calls with the measured durations; the comparison has every function and policy.

  sim_to_real_test.py BIN_DIR SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile
import unittest

BIN_DIR, SOURCE_DIR = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import sim_to_real  # noqa: E402

# Isolated runs: "crypto" is 4x slower on old-host, "wait" the same everywhere.
MEASURED = {"crypto": {"new-host": 40.0, "old-host": 160.0}, "wait": {"new-host": 50.0,
                                                                   "old-host": 50.0}}


def calibration_records():
    records = []
    for function, per_node in MEASURED.items():
        for node, ms in per_node.items():
            for k, factor in enumerate((0.95, 1.0, 1.05, 1.0, 1.1)):
                cpu = ms * factor if function == "crypto" else 1.0
                records.append({"policy": "round-robin", "function": function, "ok": True,
                                "node_id": node, "wall_ms": ms * factor, "cpu_ms": cpu,
                                "latency_ms": ms * factor + 3 + k,  # 3-7 ms beyond the run
                                "peak_memory_bytes": (10 + k) << 20})
    # A failed call says nothing about durations.
    records.append({"policy": "round-robin", "function": "crypto", "ok": False,
                    "node_id": "old-host", "wall_ms": 9999.0})
    return records


def demo_calls():
    """120 calls 1 s apart (never overlapping), crypto, crypto, wait, ..., under both policies
    (two in three crypto: round-robin's cycle gives each function both hosts)."""
    calls = []
    for policy in sim_to_real.POLICIES:
        for i in range(120):
            function = "crypto" if i % 3 != 2 else "wait"
            calls.append({"policy": policy, "function": function, "scheduled_ms": i * 1000.0,
                          "ok": True, "wall_ms": 45.0, "latency_ms": 60.0, "node_id": "new-host"})
    return calls


NODES = [{"node_id": n, "logical_cores": 2, "memory_bytes": 8 << 30, "l3_bytes": 32 << 20,
          "cpu_features": {"aes": n == "new-host", "avx2": True, "sha_ni": False}}
         for n in ("new-host", "old-host")]


class SimToRealTest(unittest.TestCase):
    def test_calibration_is_each_hosts_median_of_successful_runs(self):
        lines = sim_to_real.function_lines(calibration_records())
        self.assertIn("measured_ms=new-host:40.000,old-host:160.000", lines["crypto"])
        self.assertIn("function fn-crypto kind=io", lines["crypto"])
        self.assertIn("cpu=1.00", lines["crypto"])     # busy the whole run
        self.assertIn("interference=0.5", lines["crypto"])
        self.assertIn("cpu=0.05", lines["wait"])       # waits: the least CPU share kept
        self.assertIn("interference=0 ", lines["wait"])
        self.assertIn("memory_mib=0:10.0,50:12.0,100:14.0", lines["crypto"])

    def test_a_function_never_run_alone_on_a_host_is_named(self):
        runs = [r for r in calibration_records()
                if not (r["function"] == "wait" and r["node_id"] == "old-host")]
        self.assertEqual(sim_to_real.missing_calibration(runs, {"crypto", "wait"},
                                                         ["new-host", "old-host"]),
                         [("wait", "old-host")])
        self.assertEqual(sim_to_real.missing_calibration(calibration_records(),
                                                         {"crypto", "wait"},
                                                         ["new-host", "old-host"]), [])

    def test_dispatch_is_the_median_beyond_the_run(self):
        self.assertAlmostEqual(sim_to_real.dispatch_ms(calibration_records()), 5.0)

    def test_cluster_has_one_class_per_node_with_its_present_features(self):
        lines = sim_to_real.cluster_lines(NODES, {"old-host": 0.6})
        self.assertEqual(len(lines), 2)
        self.assertIn("class new-host count=1 cores=2", lines[0])
        self.assertIn("features=aes,avx2", lines[0])
        self.assertIn("speed=0.6 features=avx2", lines[1])
        # On one machine the hosts share its cores.
        pooled = sim_to_real.cluster_lines(NODES, {}, machine_cores=2)
        self.assertEqual(pooled[0], "pool machine cores=2")
        self.assertTrue(all(line.endswith(" pool=machine") for line in pooled[1:]))

    def test_tailor_sim_simulates_the_calls_with_the_measured_durations(self):
        with tempfile.TemporaryDirectory() as d:
            paths = {n: os.path.join(d, n) for n in ("c", "f", "t.csv", "out.csv")}
            with open(paths["c"], "w") as f:
                f.write("\n".join(sim_to_real.cluster_lines(NODES, {}, 2)) + "\n")
            with open(paths["f"], "w") as f:
                f.write("\n".join(sim_to_real.function_lines(calibration_records()).values()))
            with open(paths["t.csv"], "w") as f:
                f.write(sim_to_real.trace_csv(demo_calls(), "performance"))
            subprocess.run([os.path.join(BIN_DIR, "tailor-sim"), "--trace", paths["t.csv"],
                            "--cluster", paths["c"], "--functions", paths["f"], "--no-hints",
                            "--processor-sharing", "--policies", "performance,round-robin",
                            "--dispatch-ms", "5",
                            "--per-function", paths["out.csv"]],
                           check=True, stdout=subprocess.DEVNULL)
            with open(paths["out.csv"]) as f:
                sim = sim_to_real.sim_figures(f.read())
        # Round-robin alternates the two hosts: crypto's mean run is about (40 + 160) / 2.
        calls, run_ms, _, _ = sim[("round-robin", "fn-crypto")]
        self.assertEqual(calls, 80)
        self.assertAlmostEqual(run_ms, 100, delta=10)
        self.assertAlmostEqual(sim[("round-robin", "fn-wait")][1], 50, delta=5)
        self.assertAlmostEqual(sim[("round-robin", "fn-wait")][2], 55, delta=5)  # + dispatch
        # Tailor learns the 4x and runs crypto on new-host nearly always.
        self.assertLess(sim[("performance", "fn-crypto")][1], 55)
        table = sim_to_real.comparison_table(sim_to_real.real_figures(demo_calls()), sim,
                                             ["crypto", "wait"])
        for policy in sim_to_real.POLICIES:
            for function, calls in (("crypto", 80), ("wait", 40)):
                self.assertRegex(table, rf"\| {policy} \| {function} \| {calls} \| 45.0 \|")
        self.assertIn("geometric mean absolute gap", table)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
