#include "cli/replay_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "cli/table.h"

namespace tailor::cli {
namespace {

using nlohmann::json;

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double sum = 0;
  for (double x : v) sum += x;
  return sum / double(v.size());
}

uint32_t PhaseOf(double at_ms, double duration_ms, uint32_t phases) {
  if (!(duration_ms > 0)) return 0;
  const auto p = static_cast<uint32_t>(at_ms / duration_ms * phases);
  return std::min(p, phases - 1);
}

json FunctionJson(const ReplayDescription& d, const std::vector<const CallRecord*>& calls,
                  const std::vector<std::string>& nodes) {
  json f;
  std::vector<double> latency, wall, predicted, measured, error_pct, memory_limit, peak,
      cpu_quota, cpu_used;
  std::vector<std::map<std::string, uint64_t>> per_phase(d.phases);
  std::vector<uint64_t> explored(d.phases, 0), phase_calls(d.phases, 0);
  uint64_t failed = 0;
  for (const CallRecord* r : calls) {
    const uint32_t phase = PhaseOf(r->scheduled_ms, d.duration_ms, d.phases);
    if (!r->node_id.empty()) {
      ++per_phase[phase][r->node_id];
      ++phase_calls[phase];
      if (r->explored) ++explored[phase];
    }
    if (!r->ok) {
      ++failed;
      continue;
    }
    latency.push_back(r->latency_ms);
    wall.push_back(r->wall_ms);
    memory_limit.push_back(double(r->memory_limit_bytes));
    peak.push_back(double(r->peak_memory_bytes));
    cpu_quota.push_back(r->cpu_millicores);
    if (r->wall_ms > 0) cpu_used.push_back(r->cpu_ms / r->wall_ms * 1000.0);
    if (phase > 0 && r->predicted_ms > 0 && r->wall_ms > 0) {
      predicted.push_back(r->predicted_ms);
      measured.push_back(r->wall_ms);
      error_pct.push_back(std::abs(r->predicted_ms - r->wall_ms) / r->wall_ms * 100.0);
    }
  }
  f["calls"] = calls.size();
  f["failed"] = failed;
  f["latency_mean_ms"] = Mean(latency);
  f["latency_p50_ms"] = Percentile(latency, 50);
  f["latency_p95_ms"] = Percentile(latency, 95);
  f["run_wall_mean_ms"] = Mean(wall);
  json placement = json::array();
  for (uint32_t p = 0; p < d.phases; ++p) {
    json phase;
    phase["phase"] = p + 1;
    phase["calls"] = phase_calls[p];
    phase["explored"] = explored[p];
    json by_node = json::object();
    for (const auto& n : nodes) by_node[n] = per_phase[p].count(n) ? per_phase[p].at(n) : 0;
    phase["nodes"] = by_node;
    placement.push_back(phase);
  }
  f["placement"] = placement;
  f["prediction"] = {{"calls", predicted.size()},
                     {"predicted_p50_ms", Percentile(predicted, 50)},
                     {"measured_p50_ms", Percentile(measured, 50)},
                     {"abs_error_p50_pct", Percentile(error_pct, 50)}};
  f["allocation"] = {{"memory_limit_p50_bytes", Percentile(memory_limit, 50)},
                     {"peak_memory_p95_bytes", Percentile(peak, 95)},
                     {"peak_memory_max_bytes", Percentile(peak, 100)},
                     {"cpu_quota_p50_millicores", Percentile(cpu_quota, 50)},
                     {"cpu_used_p95_millicores", Percentile(cpu_used, 95)}};
  return f;
}

}  // namespace

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * double(values.size()));
  const auto index = static_cast<size_t>(std::clamp(rank, 1.0, double(values.size()))) - 1;
  return values[index];
}

json ReplayReportJson(const ReplayDescription& description,
                      const std::vector<WorkloadFunction>& workload, const Schedule& schedule,
                      const std::vector<PolicyRun>& runs) {
  json report;
  report["trace"] = description.trace_source;
  report["trace_minutes"] = description.trace_minutes;
  report["duration_s"] = description.duration_ms / 1000.0;
  report["phases"] = description.phases;
  std::vector<uint64_t> scheduled(workload.size(), 0);
  for (const auto& c : schedule.calls) ++scheduled[c.function];
  json functions = json::array();
  for (size_t i = 0; i < workload.size(); ++i) {
    functions.push_back({{"function", workload[i].name},
                         {"trace_function", schedule.trace_function.at(i)},
                         {"trace_calls", schedule.trace_calls.at(i)},
                         {"calls", scheduled[i]}});
  }
  report["workload"] = functions;

  json out_runs = json::array();
  for (const PolicyRun& run : runs) {
    std::set<std::string> node_set;
    for (const auto& r : run.records) {
      if (!r.node_id.empty()) node_set.insert(r.node_id);
    }
    const std::vector<std::string> nodes(node_set.begin(), node_set.end());
    json jr;
    jr["policy"] = run.policy;
    jr["elapsed_s"] = run.elapsed_ms / 1000.0;
    jr["nodes"] = nodes;
    json per_function = json::array();
    std::vector<double> all_latency;
    uint64_t failed = 0;
    for (uint32_t i = 0; i < workload.size(); ++i) {
      std::vector<const CallRecord*> calls;
      for (const auto& r : run.records) {
        if (r.function != i) continue;
        calls.push_back(&r);
        if (r.ok) {
          all_latency.push_back(r.latency_ms);
        } else {
          ++failed;
        }
      }
      json f = FunctionJson(description, calls, nodes);
      f["function"] = workload[i].name;
      per_function.push_back(std::move(f));
    }
    jr["functions"] = per_function;
    jr["overall"] = {{"calls", run.records.size()},
                     {"failed", failed},
                     {"latency_mean_ms", Mean(all_latency)},
                     {"latency_p50_ms", Percentile(all_latency, 50)},
                     {"latency_p95_ms", Percentile(all_latency, 95)}};
    out_runs.push_back(std::move(jr));
  }
  report["runs"] = out_runs;

  if (runs.size() == 2) {
    json cmp = json::array();
    auto add = [&](const std::string& name, const json& a, const json& b) {
      const double am = a["latency_mean_ms"], bm = b["latency_mean_ms"];
      cmp.push_back({{"function", name},
                     {"speedup_mean", am > 0 ? bm / am : 0.0},
                     {"speedup_p95", double(a["latency_p95_ms"]) > 0
                                         ? double(b["latency_p95_ms"]) /
                                               double(a["latency_p95_ms"])
                                         : 0.0}});
    };
    for (size_t i = 0; i < workload.size(); ++i) {
      add(workload[i].name, out_runs[0]["functions"][i], out_runs[1]["functions"][i]);
    }
    add("all", out_runs[0]["overall"], out_runs[1]["overall"]);
    report["comparison"] = {{"policies", {runs[0].policy, runs[1].policy}}, {"functions", cmp}};
  }
  return report;
}

void PrintReplayReport(const json& report, std::ostream& out) {
  const auto& runs = report["runs"];
  out << "Workload: " << report["workload"].size() << " functions over "
      << FormatFixed(report["duration_s"], 0) << " s, shaped by the first "
      << report["trace_minutes"].get<uint32_t>() << " minutes of "
      << report["trace"].get<std::string>() << "\n";
  Table workload({"FUNCTION", "FOLLOWS TRACE FUNCTION", "ITS CALLS IN THE TRACE", "CALLS HERE"});
  for (const auto& f : report["workload"]) {
    workload.AddRow({f["function"], f["trace_function"],
                     std::to_string(f["trace_calls"].get<uint64_t>()),
                     std::to_string(f["calls"].get<uint64_t>())});
  }
  workload.Print(out);

  if (runs.empty()) return;
  const auto& first = runs[0];
  const uint32_t phases = report["phases"];
  out << "\nWhere '" << first["policy"].get<std::string>()
      << "' ran each function, by " << phases
      << " equal spans of the replay (share of the span's calls per node)\n";
  std::vector<std::string> headers = {"FUNCTION", "NODE"};
  for (uint32_t p = 1; p <= phases; ++p) headers.push_back(std::to_string(p));
  Table placement(headers);
  for (const auto& f : first["functions"]) {
    bool named = false;
    for (const auto& node : first["nodes"]) {
      std::vector<std::string> row = {named ? "" : f["function"].get<std::string>(),
                                      node.get<std::string>()};
      named = true;
      for (const auto& ph : f["placement"]) {
        const uint64_t calls = ph["calls"], here = ph["nodes"][node.get<std::string>()];
        row.push_back(calls == 0 ? "-" : std::to_string((here * 100 + calls / 2) / calls) + "%");
      }
      placement.AddRow(std::move(row));
    }
    std::vector<std::string> row = {"", "(explored)"};
    for (const auto& ph : f["placement"]) {
      row.push_back(std::to_string(ph["explored"].get<uint64_t>()) + "/" +
                    std::to_string(ph["calls"].get<uint64_t>()));
    }
    placement.AddRow(std::move(row));
  }
  placement.Print(out);

  out << "\nWhat '" << first["policy"].get<std::string>()
      << "' predicted and allocated (prediction: calls after the first span)\n";
  Table learned({"FUNCTION", "PREDICTED p50", "MEASURED p50", "|ERROR| p50", "MEMORY LIMIT",
                 "PEAK MEMORY max", "CPU QUOTA", "CPU USED p95"});
  for (const auto& f : first["functions"]) {
    const auto& p = f["prediction"];
    const auto& a = f["allocation"];
    const bool predicted = p["calls"].get<uint64_t>() > 0;
    learned.AddRow({f["function"], predicted ? FormatMillis(p["predicted_p50_ms"]) + " ms" : "-",
                    predicted ? FormatMillis(p["measured_p50_ms"]) + " ms" : "-",
                    predicted ? FormatFixed(p["abs_error_p50_pct"], 0) + "%" : "-",
                    FormatBytes(static_cast<uint64_t>(a["memory_limit_p50_bytes"].get<double>())),
                    FormatBytes(static_cast<uint64_t>(a["peak_memory_max_bytes"].get<double>())),
                    FormatFixed(a["cpu_quota_p50_millicores"], 0) + "m",
                    FormatFixed(a["cpu_used_p95_millicores"], 0) + "m"});
  }
  learned.Print(out);

  out << "\nLatency (gateway round trip, ms)";
  if (runs.size() == 2) {
    out << ": '" << runs[0]["policy"].get<std::string>() << "' against '"
        << runs[1]["policy"].get<std::string>() << "' on the same calls";
  }
  out << "\n";
  std::vector<std::string> lh = {"FUNCTION", "CALLS"};
  for (const auto& r : runs) {
    const std::string name = r["policy"];
    lh.push_back(name + " mean");
    lh.push_back("p95");
    lh.push_back("failed");
  }
  if (runs.size() == 2) lh.push_back("SPEED-UP (mean)");
  Table latency(lh);
  const size_t n = runs[0]["functions"].size();
  for (size_t i = 0; i <= n; ++i) {
    const bool overall = i == n;
    std::vector<std::string> row = {
        overall ? "all" : runs[0]["functions"][i]["function"].get<std::string>(),
        std::to_string((overall ? runs[0]["overall"] : runs[0]["functions"][i])["calls"]
                           .get<uint64_t>())};
    for (const auto& r : runs) {
      const auto& s = overall ? r["overall"] : r["functions"][i];
      row.push_back(FormatMillis(s["latency_mean_ms"]));
      row.push_back(FormatMillis(s["latency_p95_ms"]));
      row.push_back(std::to_string(s["failed"].get<uint64_t>()));
    }
    if (runs.size() == 2) {
      row.push_back(FormatFixed(report["comparison"]["functions"][i]["speedup_mean"], 2) + "x");
    }
    latency.AddRow(std::move(row));
  }
  latency.Print(out);
}

}  // namespace tailor::cli
