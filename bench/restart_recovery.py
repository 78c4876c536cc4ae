#!/usr/bin/env python3
"""How long a restarted scheduler takes to have every node healthy again.

Starts a scheduler and AGENTS agents on loopback, waits until all are healthy, then ROUNDS
times: kills the scheduler (SIGKILL, as a crash would), leaves it down for OUTAGE seconds (the
agents back off meanwhile), starts it again on the same port and
measures, from the moment the new scheduler answers, how long until every node is listed
healthy, and whether any node was ever listed unhealthy meanwhile. Prints each round and the
median and worst.

usage: restart_recovery.py BIN_DIR [--agents N] [--rounds N] [--lease-ms MS] [--outage-s S]
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time


def wait_for_file(path, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if os.path.exists(path) and open(path).read().strip():
            return open(path).read().strip()
        time.sleep(0.005)
    raise RuntimeError("no address in " + path)


def nodes(bin_dir, address):
    out = subprocess.run([os.path.join(bin_dir, "tailorctl"), "--insecure", "--scheduler", address,
                          "--timeout-ms", "1000", "nodes", "-o", "json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return {n["node_id"]: n["health"] for n in json.loads(out.stdout)["nodes"]}


def start_scheduler(bin_dir, work, listen, lease_ms):
    addr_file = os.path.join(work, "s.addr")
    if os.path.exists(addr_file):
        os.unlink(addr_file)
    proc = subprocess.Popen(
        [os.path.join(bin_dir, "tailor-scheduler"), "--insecure-allow-anyone", "--listen", listen, "--data-dir",
         os.path.join(work, "data"), "--address-file", addr_file, "--lease-timeout-ms",
         str(lease_ms), "--heartbeat-interval-ms", str(max(10, lease_ms // 5)),
         "--metrics-listen", "", "--http-listen", ""],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "scheduler.log"), "a"))
    return proc, wait_for_file(addr_file)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--lease-ms", type=int, default=5000)
    parser.add_argument("--outage-s", type=float, default=5.0,
                        help="how long the scheduler stays down before it is started again")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="tailor-restart-")
    scheduler, address = start_scheduler(args.bin_dir, work, "127.0.0.1:0", args.lease_ms)
    agents = []
    for i in range(args.agents):
        agents.append(subprocess.Popen(
            [os.path.join(args.bin_dir, "tailor-agent"), "run", "--insecure-allow-anyone", "--scheduler", address,
             "--node-id", "n%d" % i, "--data-dir", os.path.join(work, "n%d" % i)],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "agents.log"), "a")))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            listed = nodes(args.bin_dir, address) or {}
            if len(listed) == args.agents and all(h == "healthy" for h in listed.values()):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the agents never all registered")
        seconds, unhealthy_rounds = [], 0
        for r in range(args.rounds):
            scheduler.send_signal(signal.SIGKILL)
            scheduler.wait()
            time.sleep(args.outage_s)  # the outage: agents notice and back off
            scheduler, _ = start_scheduler(args.bin_dir, work, address, args.lease_ms)
            started = time.monotonic()
            saw_unhealthy = False
            while True:
                listed = nodes(args.bin_dir, address)
                now = time.monotonic() - started
                if listed is not None:
                    saw_unhealthy |= any(h != "healthy" for h in listed.values())
                    # Healthy by the lease, and heard from since the restart.
                    fresh = all(h == "healthy" for h in listed.values())
                    if fresh and now > 0 and heartbeats_since(args.bin_dir, address, started):
                        break
                if now > 60:
                    raise RuntimeError("nodes not healthy 60 s after a restart")
                time.sleep(0.02)
            seconds.append(now)
            unhealthy_rounds += saw_unhealthy
            print("round %d: all %d nodes healthy and heard from %.2f s after the restart%s"
                  % (r + 1, args.agents, now, " (some listed unhealthy meanwhile)"
                     if saw_unhealthy else ""))
        print("median %.2f s, worst %.2f s; rounds with a node listed unhealthy: %d of %d"
              % (statistics.median(seconds), max(seconds), unhealthy_rounds, args.rounds))
    finally:
        for a in agents:
            a.send_signal(signal.SIGKILL)
        scheduler.send_signal(signal.SIGKILL)


def heartbeats_since(bin_dir, address, started_monotonic):
    """Whether every node's last heartbeat is newer than the restart."""
    out = subprocess.run([os.path.join(bin_dir, "tailorctl"), "--insecure", "--scheduler", address,
                          "--timeout-ms", "1000", "nodes", "-o", "json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return False
    restart_wall_ms = (time.time() - (time.monotonic() - started_monotonic)) * 1000
    return all(n["last_heartbeat_unix_ms"] >= restart_wall_ms
               for n in json.loads(out.stdout)["nodes"])


if __name__ == "__main__":
    main()
