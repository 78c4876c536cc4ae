// tailor-sim: replays an Azure Functions trace on a simulated cluster under each placement
// policy (Tailor's own, from models/, and the baselines real systems use) and compares them
// against an oracle. docs/simulator.md explains the inputs and the figures.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "common/azure_trace.h"
#include "bench/simulator/baseline_policies.h"
#include "bench/simulator/cluster_spec.h"
#include "bench/simulator/comparison.h"
#include "bench/simulator/function_truth.h"
#include "bench/simulator/simulation.h"
#include "common/command_line.h"
#include "common/file_util.h"
#include "common/version.h"
#include "models/policy_table.h"

namespace {

using namespace tailor;
using namespace tailor::sim;

struct Options {
  std::string trace = "bench/traces/azure2019";
  std::string cluster = "bench/clusters/mixed.cluster";
  std::string functions;
  std::string write_functions;
  std::string json;
  std::string plot_dir;
  std::string policies =
      "random,round-robin,openwhisk,least-loaded,static-rules,performance,efficiency,balanced,"
      "oracle";
  uint64_t seed = 1;
  uint32_t minutes = 0;
  uint32_t hosts = 0;
  double exploration = 1.0;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
};

int Fail(const Status& s) {
  std::cerr << "tailor-sim: " << s.message() << '\n';
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound ? 2 : 1;
}

Result<std::unique_ptr<models::PlacementPolicy>> MakeAnyPolicy(
    const std::string& name, const std::vector<FunctionTruth>& truth, const Options& o) {
  const auto baselines = BaselineNames();
  if (std::find(baselines.begin(), baselines.end(), name) != baselines.end()) {
    return MakeBaseline(name, truth, o.seed);
  }
  auto p = models::MakePolicy(name, {o.exploration, o.seed});
  if (!p.ok()) {
    std::string known;
    for (const auto& b : baselines) known += b + ", ";
    for (const auto& t : models::PolicyNames()) {
      if (std::find(baselines.begin(), baselines.end(), t) == baselines.end()) known += t + ", ";
    }
    known.resize(known.size() - 2);
    return InvalidArgumentError("unknown policy '" + name + "' (known: " + known + ")");
  }
  return p;
}

int Run(const Options& o) {
  auto trace = LoadTrace(o.trace);
  if (!trace.ok()) return Fail(trace.status());
  auto cluster = LoadClusterSpec(o.cluster);
  if (!cluster.ok()) return Fail(cluster.status());
  ClusterSpec spec = *cluster;
  if (o.hosts > 0) spec = ScaleCluster(spec, double(o.hosts) / double(spec.hosts()));
  std::vector<FunctionTruth> truth = GenerateTruth(*trace, o.seed);
  if (!o.functions.empty()) {
    auto text = ReadFile(o.functions);
    if (!text.ok()) return Fail(text.status());
    auto overrides = ParseFunctionFile(*text);
    if (!overrides.ok()) return Fail(overrides.status().WithContext(o.functions));
    auto applied = ApplyOverrides(std::move(truth), *overrides);
    if (!applied.ok()) return Fail(applied.status().WithContext(o.functions));
    truth = std::move(applied).value();
  }
  if (!o.write_functions.empty()) {
    if (Status s = WriteFile(o.write_functions, FormatFunctionFile(truth)); !s.ok()) return Fail(s);
  }
  std::vector<std::string> names;
  for (auto n : SplitString(o.policies, ',')) {
    n = TrimWhitespace(n);
    if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.emplace_back(n);
  }
  if (std::find(names.begin(), names.end(), "oracle") == names.end()) names.push_back("oracle");
  for (const auto& n : names) {  // every name checked before any simulation starts
    if (auto p = MakeAnyPolicy(n, truth, o); !p.ok()) return Fail(p.status());
  }
  // Output locations are checked before minutes of simulation, not after.
  if (!o.plot_dir.empty()) {
    if (Status s = MakeDirectories(o.plot_dir); !s.ok()) return Fail(s);
  }
  if (!o.json.empty()) {
    if (Status s = WriteFile(o.json, ""); !s.ok()) return Fail(s);
  }
  const std::vector<Arrival> arrivals = DrawArrivals(*trace, o.seed, o.minutes);
  std::cerr << "tailor-sim: " << trace->source << ": " << trace->functions.size() << " functions, "
            << arrivals.size() << " invocations over "
            << (o.minutes ? std::min(o.minutes, trace->minutes) : trace->minutes)
            << " minutes; cluster " << o.cluster << ": " << spec.hosts() << " hosts, "
            << spec.cores() << " cores, " << spec.classes.size() << " classes; " << names.size()
            << " policies on " << o.threads << " threads\n";

  SimulationInput input;
  input.cluster = &spec;
  input.truth = &truth;
  input.arrivals = &arrivals;
  input.seed = o.seed;
  std::vector<PolicyRun> runs(names.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < std::min<size_t>(o.threads, names.size()); ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < names.size(); i = next++) {
        auto policy = MakeAnyPolicy(names[i], truth, o);
        runs[i] = Simulate(input, **policy);
        std::cerr << "tailor-sim: " << names[i] << " done in " << runs[i].wall_seconds << " s\n";
      }
    });
  }
  for (auto& w : workers) w.join();

  const auto oracle = std::find(names.begin(), names.end(), "oracle") - names.begin();
  std::vector<PolicySummary> summaries;
  for (const auto& r : runs) summaries.push_back(Summarize(r, runs[oracle]));
  std::cout << FormatTable(summaries);

  std::vector<std::string> class_names;
  for (const auto& c : spec.classes) class_names.push_back(c.info.name);
  if (!o.json.empty()) {
    nlohmann::json doc = {{"trace", trace->source},
                          {"cluster", o.cluster},
                          {"hosts", spec.hosts()},
                          {"cores", spec.cores()},
                          {"functions", truth.size()},
                          {"invocations", arrivals.size()},
                          {"seed", o.seed},
                          {"policies", ToJson(summaries, class_names)}};
    if (Status s = WriteFile(o.json, doc.dump(2) + "\n"); !s.ok()) return Fail(s);
  }
  if (!o.plot_dir.empty()) {
    const std::string title = std::to_string(arrivals.size()) + " invocations of " +
                              std::to_string(truth.size()) + " functions on " +
                              std::to_string(spec.hosts()) + " hosts";
    if (Status s = WritePlots(summaries, o.plot_dir, title); !s.ok()) return Fail(s);
    std::cerr << "tailor-sim: charts in " << JoinPath(o.plot_dir, "comparison.{svg,png}") << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tailor-sim: compare placement policies on an Azure Functions trace"};
  app.set_version_flag("--version", tailor::kTailorVersion);
  tailor::CommonOptions common;
  common.log_level = "warn";
  tailor::SetUpCommandLine(app, common);
  Options o;
  app.add_option("--trace", o.trace,
                 "Azure 2019 trace directory (invocations/durations/memory.csv) or Azure 2021 CSV");
  app.add_option("--cluster", o.cluster, "Cluster file (docs/simulator.md)");
  app.add_option("--functions", o.functions,
                 "Function file whose lines replace the generated ground truth of those functions");
  app.add_option("--write-functions", o.write_functions,
                 "Write the ground truth used (generated plus --functions) to this file");
  app.add_option("--policies", o.policies, "Comma-separated policies (the oracle always runs)");
  app.add_option("--seed", o.seed, "Seed of arrivals, generated functions, noise and policies");
  app.add_option("--minutes", o.minutes, "Simulate only the trace's first N minutes (0: all)");
  app.add_option("--hosts", o.hosts, "Scale the cluster's class counts to about N hosts");
  app.add_option("--exploration", o.exploration, "Exploration scale of Tailor's policies")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--json", o.json, "Write the comparison as JSON to this file");
  app.add_option("--plot-dir", o.plot_dir, "Write comparison.svg (gnuplot) and its data here");
  app.add_option("--threads", o.threads, "Policies simulated at once")->check(CLI::Range(1u, 256u));
  if (auto exit_code = tailor::ParseCommandLine(app, common, argc, argv)) return *exit_code;
  return Run(o);
}
