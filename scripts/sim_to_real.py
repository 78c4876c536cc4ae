#!/usr/bin/env python3
"""Sim-to-real: the demo's workload on real (emulated) hosts against tailor-sim's prediction.

  scripts/sim-to-real [--duration-s N] [--calibration-calls N] [--out DIR] [--no-setup]
                      [--workload FILE]

1. Runs scripts/demo (three emulated hosts, the workload replayed under `performance` and then
   under `round-robin`; every call recorded) and keeps its cluster up. The workload is the
   demo's own (functions/demo-workload.toml: the repo's sample functions) unless --workload
   names another, such as functions/outside-workload.toml (Debian's openssl, gzip and xz).
2. Calibrates: the same functions called one at a time under round-robin
   (`tailorctl replay --concurrency 1 --skew 0`), so every run is alone on the machine; each
   function's median run time on each host becomes its `measured_ms` in a simulator function
   file, with its spread (noise), CPU share and memory peaks; the median of what a call took
   beyond its run becomes the simulation's `--dispatch-ms`.
3. Writes the demo's calls as a trace (Azure 2021 CSV: the real arrival times) and the
   cluster as the agents reported it, and simulates the same calls with tailor-sim under the
   same two policies.
4. Compares, per function and policy, the real and simulated run time and latency
   (DIR/sim-to-real.md; docs/benchmarks.md quotes it).

The simulator is not told what the real runs did under load: only the isolated calibration
runs. What it leaves out (all emulated hosts share this machine's cores, so a busy host slows
the others; a loaded scheduler and agent take longer to dispatch a call) is what the gap shows.
"""
import argparse
import collections
import csv
import io
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
import tomllib

POLICIES = ("performance", "round-robin")
# A label per demo function: the simulator's kinds only choose static-rules' rule and the
# hints, and the demo's manifests give no hints (simulated with --no-hints).
KINDS = {"aes-gcm": "crypto", "sha256": "hashing", "chacha20": "vector", "compress": "cache",
         "sleep-io": "io", "openssl-aes": "crypto", "openssl-sha256": "hashing", "gzip": "cache",
         "xz": "memory"}
# CPU-bound runs slow down by the CPU share co-runners hold (processor sharing); a run that
# mostly waits does not.
CPU_BOUND_SHARE = 0.5


def sim_name(function):
    """The name tailor-sim gives a function of an Azure 2021 trace ("fn-" + 12 characters)."""
    return "fn-" + function[:12]


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def median(values):
    return statistics.median(values) if values else 0.0


def spread_sd_log(values):
    """Interquartile spread of log durations as a standard deviation (0.05 at least)."""
    if len(values) < 4:
        return 0.05
    logs = sorted(math.log(max(v, 1e-3)) for v in values)
    q = statistics.quantiles(logs, n=4)
    return max(0.05, (q[2] - q[0]) / 1.349)


def function_lines(calibration):
    """Simulator function-file lines from isolated runs: {function: line}."""
    by_function = collections.defaultdict(list)
    for r in calibration:
        if r.get("ok") and r.get("wall_ms", 0) > 0 and r.get("node_id"):
            by_function[r["function"]].append(r)
    lines = {}
    for function, runs in sorted(by_function.items()):
        per_node = collections.defaultdict(list)
        for r in runs:
            per_node[r["node_id"]].append(r["wall_ms"])
        measured = {node: median(walls) for node, walls in per_node.items()}
        # Noise: each host's runs against that host's median, pooled.
        relative = [w / measured[n] for n, walls in per_node.items() for w in walls]
        cpu = median([r.get("cpu_ms", 0) / r["wall_ms"] for r in runs])
        peaks_mib = sorted(max(1.0, r.get("peak_memory_bytes", 0) / 2**20) for r in runs)
        lines[function] = (
            f"function {sim_name(function)} kind={KINDS.get(function, 'io')} "
            f"base_ms={min(measured.values()):.3f} noise_sd={spread_sd_log(relative):.3f} "
            f"cpu={min(4.0, max(0.05, cpu)):.2f} clock=0 "
            f"interference={CPU_BOUND_SHARE if cpu >= CPU_BOUND_SHARE else 0} "
            "measured_ms=" + ",".join(f"{n}:{ms:.3f}" for n, ms in sorted(measured.items())) +
            f" memory_mib=0:{peaks_mib[0]:.1f},50:{median(peaks_mib):.1f},100:{peaks_mib[-1]:.1f}")
    return lines


def missing_calibration(calibration, functions, node_ids):
    """(function, node) pairs with no successful isolated run: the simulation would have to
    guess their durations."""
    seen = {(r["function"], r["node_id"]) for r in calibration
            if r.get("ok") and r.get("wall_ms", 0) > 0}
    return [(f, n) for f in sorted(functions) for n in sorted(node_ids) if (f, n) not in seen]


def dispatch_ms(calibration):
    """What a lone call pays besides its run (placement, forwarding, process start): the
    median of latency minus run time over the isolated calls."""
    return median([r["latency_ms"] - r["wall_ms"] for r in calibration
                   if r.get("ok") and r.get("wall_ms", 0) > 0])


def cluster_lines(nodes, speeds, machine_cores=None):
    """One class per node, as its agent reported it; `speeds` by node (fastest-first's order).
    With `machine_cores`, the hosts share that many cores (a pool): the demo's emulated hosts
    all run on this one machine."""
    out = [f"pool machine cores={machine_cores}"] if machine_cores else []
    for n in sorted(nodes, key=lambda n: n["node_id"]):
        features = sorted(f for f, present in n.get("cpu_features", {}).items() if present)
        out.append(
            f"class {n['node_id']} count=1 cores={max(1, n['logical_cores'])} "
            f"memory_gib={max(0.125, n['memory_bytes'] / 2**30):.3f} "
            f"l3_mib={n['l3_bytes'] / 2**20:.3f} speed={speeds.get(n['node_id'], 1.0)} "
            f"features={','.join(features)}" + (" pool=machine" if machine_cores else ""))
    return out


def trace_csv(calls, policy):
    """The policy's calls as an Azure 2021 trace: each call starts at its scheduled time."""
    rows = ["app,func,end_timestamp,duration"]
    for r in sorted((r for r in calls if r["policy"] == policy), key=lambda r: r["scheduled_ms"]):
        duration_s = max(r.get("wall_ms", 0), 1.0) / 1000
        rows.append(f"demo,{r['function']},{r['scheduled_ms'] / 1000 + duration_s:.6f},"
                    f"{duration_s:.6f}")
    return "\n".join(rows) + "\n"


def real_figures(calls):
    """{(policy, function): (calls, mean wall ms, mean latency ms, median latency ms)}."""
    groups = collections.defaultdict(list)
    for r in calls:
        if r.get("ok"):
            groups[(r["policy"], r["function"])].append(r)
    return {k: (len(v), statistics.fmean(r["wall_ms"] for r in v),
                statistics.fmean(r["latency_ms"] for r in v), median([r["latency_ms"] for r in v]))
            for k, v in groups.items()}


def sim_figures(per_function_csv_text):
    """{(policy, sim function name): (calls, mean run ms, mean latency ms, median latency)}."""
    out = {}
    for row in csv.DictReader(io.StringIO(per_function_csv_text)):
        out[(row["policy"], row["function"])] = (
            int(row["calls"]) - int(row["failed"]), float(row["mean_run_ms"]),
            float(row["mean_latency_ms"]), float(row["median_latency_ms"]))
    return out


def comparison_table(real, sim, functions):
    lines = ["| policy | function | calls | run ms real | run ms sim | sim/real | latency ms real "
             "| latency ms sim | sim/real | median latency real / sim |",
             "|" + "---|" * 10]
    ratios = collections.defaultdict(list)
    for policy in POLICIES:
        for function in functions:
            r, s = real.get((policy, function)), sim.get((policy, sim_name(function)))
            if not r or not s:
                lines.append(f"| {policy} | {function} | - | - | - | - | - | - | - | - |")
                continue
            run_ratio, latency_ratio = s[1] / r[1], s[2] / r[2]
            ratios[policy].append(latency_ratio)
            lines.append(f"| {policy} | {function} | {r[0]} | {r[1]:.1f} | {s[1]:.1f} | "
                         f"{run_ratio:.2f} | {r[2]:.1f} | {s[2]:.1f} | {latency_ratio:.2f} | "
                         f"{r[3]:.1f} / {s[3]:.1f} |")
    lines.append("")
    for policy, values in ratios.items():
        gaps = [abs(math.log(v)) for v in values]
        lines.append(f"{policy}: simulated mean latency over real, per function: "
                     f"{min(values):.2f}-{max(values):.2f} (geometric mean absolute gap "
                     f"{math.exp(statistics.fmean(gaps)):.2f}x)")
    return "\n".join(lines) + "\n"


def tailorctl(bin_dir, demo_dir, token, *args):
    env = dict(os.environ,
               TAILOR_SCHEDULER=open(f"{demo_dir}/scheduler.addr").read().strip(),
               TAILOR_CA_FILE=f"{demo_dir}/pki/ca/ca.crt",
               TAILOR_TOKEN_FILE=f"{demo_dir}/{token}")
    return subprocess.run([f"{bin_dir}/tailorctl", *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def stop_cluster(demo_dir):
    """Stops what `scripts/demo --keep` left running and waits (10 s at most) until it is gone."""
    try:
        with open(f"{demo_dir}/pids") as f:
            pids = [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for _ in range(100):
        alive = [p for p in pids if os.path.exists(f"/proc/{p}")]
        if not alive:
            break
        time.sleep(0.1)
    os.remove(f"{demo_dir}/pids")


def run_real(args, bin_dir, demo_dir):
    """The demo, then the calibration on its cluster; returns (calls, calibration, nodes)."""
    demo = ["scripts/demo", "--keep", "--duration-s", str(args.duration_s),
            "--workload", args.workload]
    if args.no_setup:
        demo.append("--no-setup")
    with open(f"{args.out}/demo.txt", "w") as log:
        subprocess.run(demo, check=True, stdout=log, stderr=subprocess.STDOUT)
    calibration = f"{args.out}/calibration.jsonl"
    tailorctl(bin_dir, demo_dir, "tokens/invoker.token", "replay",
              "--workload", args.workload, "--trace", "bench/traces/azure2019",
              "--policy", "round-robin", "--concurrency", "1", "--skew", "0",
              "--invocations", str(args.calibration_calls), "--duration-s", "5",
              "--record", calibration, "--quiet")
    nodes = json.loads(tailorctl(bin_dir, demo_dir, "data/admin.token", "--output", "json",
                                 "nodes"))["nodes"]
    return read_jsonl(f"{demo_dir}/calls.jsonl"), read_jsonl(calibration), nodes


def simulate(args, bin_dir, calls, calibration, nodes):
    """Writes the simulator's inputs from the real run and returns its per-function CSV."""
    missing = missing_calibration(calibration, {r["function"] for r in calls},
                                  [n["node_id"] for n in nodes])
    if missing:
        pairs = ", ".join(f"{f} on {n}" for f, n in missing)
        sys.exit(f"sim-to-real: no isolated run of {pairs}; rerun with more "
                 "--calibration-calls")
    speeds = {}
    for path in sorted(os.listdir("deploy/emulation")):
        with open(f"deploy/emulation/{path}", "rb") as f:
            e = tomllib.load(f)
        speeds[e["name"]] = e.get("cpu_speed_factor", 1.0)
    files = {name: f"{args.out}/{name}" for name in
             ("demo.cluster", "demo.functions", "demo-trace.csv", "sim.csv")}
    with open(files["demo.cluster"], "w") as f:
        f.write("# The demo's emulated hosts as their agents reported them, sharing this "
                "machine's cores\n")
        f.write("\n".join(cluster_lines(nodes, speeds, len(os.sched_getaffinity(0)))) + "\n")
    with open(files["demo.functions"], "w") as f:
        f.write("# Calibrated from isolated runs on the demo's hosts (scripts/sim-to-real)\n")
        f.write("\n".join(function_lines(calibration).values()) + "\n")
    # Both policies' calls follow one schedule: the performance replay's arrivals.
    with open(files["demo-trace.csv"], "w") as f:
        f.write(trace_csv(calls, POLICIES[0]))
    subprocess.run([f"{bin_dir}/tailor-sim", "--trace", files["demo-trace.csv"],
                    "--cluster", files["demo.cluster"], "--functions", files["demo.functions"],
                    "--no-hints", "--processor-sharing", "--policies", ",".join(POLICIES),
                    "--dispatch-ms", f"{dispatch_ms(calibration):.3f}",
                    "--per-function", files["sim.csv"]],
                   check=True, stdout=subprocess.DEVNULL)
    with open(files["sim.csv"]) as f:
        return f.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration-s", type=int, default=60)
    parser.add_argument("--calibration-calls", type=int, default=150)
    parser.add_argument("--out", default="build/sim-to-real")
    parser.add_argument("--no-setup", action="store_true")
    parser.add_argument("--workload", default="functions/demo-workload.toml")
    args = parser.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    os.makedirs(args.out, exist_ok=True)
    bin_dir = os.path.join(os.environ.get("BUILD_DIR", "build"), "bin")
    demo_dir = os.path.abspath("tailor-demo")
    try:
        calls, calibration, nodes = run_real(args, bin_dir, demo_dir)
    finally:
        stop_cluster(demo_dir)
    sim = simulate(args, bin_dir, calls, calibration, nodes)
    functions = sorted({r["function"] for r in calls})
    table = comparison_table(real_figures(calls), sim_figures(sim), functions)
    with open(f"{args.out}/sim-to-real.md", "w") as f:
        f.write(table)
    print(table, end="")


if __name__ == "__main__":
    sys.exit(main())
