#!/usr/bin/env python3
"""Summarizes scripts/sim-suite's JSON results as the table in docs/benchmarks.md.

For each scenario: Tailor's `performance` against the strongest simple baseline on each
headline figure (the baseline best on that figure, so each comparison is against the hardest
opponent for it), and `efficiency`'s host-hours against first-fit-fastest at their SLO
attainment (within 2x the bound, failures counted as misses). Means over the seeds with 95%
confidence half-widths.
"""
import json
import sys

TAILOR = {"performance", "efficiency", "balanced"}


def figure(policy, path):
    node = policy
    for key in path:
        node = node[key]
    return node["mean"], node["ci95_half_width"]


def fmt(value):
    mean, half = value
    return f"{mean:.3f}±{half:.3f}"


def main(out_dir, names):
    header = ("| scenario | fn-sd perf | best baseline | first-10 perf | best baseline "
              "| mean-sd perf | best baseline | eff host-h / ffit | SLO eff / ffit | goals |")
    lines = [header, "|" + "---|" * 10]
    for name in names:
        with open(f"{out_dir}/{name}.json") as f:
            doc = json.load(f)
        policies = {p["policy"]: p for p in doc["across_seeds"]}
        baselines = {n: p for n, p in policies.items() if n not in TAILOR and "+static" not in n}
        perf = policies["performance"]
        row, goals = [name], []
        for path, slack in ((("slowdown", "function_mean"), 1.0),
                            (("slowdown", "first_calls_mean"), 1.0),
                            (("slowdown", "mean"), 1.02)):
            best = min(baselines, key=lambda n: figure(baselines[n], path)[0])
            mine, theirs = figure(perf, path), figure(baselines[best], path)
            row += [fmt(mine), f"{best} {fmt(theirs)}"]
            ok = mine[0] < theirs[0] if slack == 1.0 else mine[0] <= theirs[0] * slack
            goals.append("✓" if ok else "✗")
        eff, ffit = policies.get("efficiency"), policies.get("first-fit-fastest")
        if eff and ffit:
            hh = (figure(eff, ("host_hours",))[0], figure(ffit, ("host_hours",))[0])
            slo = (figure(eff, ("within_2x_bound_share_with_failures",))[0],
                   figure(ffit, ("within_2x_bound_share_with_failures",))[0])
            row += [f"{hh[0]:.1f} / {hh[1]:.1f}", f"{100 * slo[0]:.1f}% / {100 * slo[1]:.1f}%"]
            goals.append("✓" if hh[0] <= hh[1] and slo[0] >= slo[1] else "✗")
        else:
            row += ["-", "-"]
        row.append(" ".join(goals))
        lines.append("| " + " | ".join(row) + " |")
    print("\n".join(lines))
    print("\ngoals, in order: performance beats the best baseline on function-weighted and on "
          "first-10-calls slowdown, is within 2% of it invocation-weighted; efficiency uses no "
          "more host-hours than first-fit-fastest at equal or better SLO attainment. "
          "static-rules chooses its rules by the functions' manifest hints, as Tailor's "
          "policies are given them.")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
