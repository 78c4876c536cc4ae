// tailor-sim: replays an Azure Functions trace on a simulated cluster under each placement
// policy (Tailor's own, from models/, and the baselines real systems use) and compares them
// against a true lower bound. docs/simulator.md explains the inputs and the figures.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "bench/simulator/baseline_policies.h"
#include "bench/simulator/cluster_spec.h"
#include "bench/simulator/comparison.h"
#include "bench/simulator/function_truth.h"
#include "bench/simulator/keep_alive_sim.h"
#include "bench/simulator/simulation.h"
#include "common/azure_trace.h"
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
  std::string per_function;
  std::string plot_dir;
  std::string policies =
      "random,round-robin,openwhisk,least-loaded,most-allocated,static-rules,fastest-first,"
      "first-fit-fastest,performance,efficiency,balanced";
  uint64_t seed = 1;
  uint32_t seeds = 1;
  uint32_t minutes = 0;
  uint32_t hosts = 0;
  double exploration = 1.0;
  std::string kinds;
  std::string stragglers;  // "share:factor"
  std::string degrade;     // "class:minute:factor,..."
  std::string fail;        // "class:minute,..."
  bool processor_sharing = false;
  bool no_hints = false;
  TruthOptions truth;
  bool keep_alive = false;
  double cold_start_ms = 500;
  double warm_cold_start_ms = 0;  // > 0: warm instances in the placement simulation
  double report_lag_ms = 0;
  double dispatch_ms = 0;
  models::KeepAliveOptions keep_alive_options;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
};

int Fail(const Status& s);

// --keep-alive: warm instances under no keep-alive, a fixed window and the learned one
// (keep_alive_sim.h), on the trace's arrivals.
int RunKeepAlive(const Options& o) {
  auto trace = LoadTrace(o.trace);
  if (!trace.ok()) {
    std::cerr << "tailor-sim: " << trace.status().message() << '\n';
    return 2;
  }
  const std::vector<Arrival> arrivals = DrawArrivals(*trace, o.seed, o.minutes);
  nlohmann::json out = nlohmann::json::array();
  std::printf("%-10s %12s %11s %10s %14s %16s\n", "KEEP-ALIVE", "INVOCATIONS", "COLD", "COLD RATE",
              "FN COLD SHARE", "IDLE GiB-HOURS");
  for (const auto& [name, policy] : std::vector<std::pair<std::string, KeepAlivePolicy>>{
           {"none", KeepAlivePolicy::kNone},
           {"fixed-10m", KeepAlivePolicy::kFixed},
           {"learned", KeepAlivePolicy::kLearned}}) {
    KeepAliveSimOptions options;
    options.policy = policy;
    options.cold_start_ms = o.cold_start_ms;
    options.keep_alive = o.keep_alive_options;
    const KeepAliveSimResult r = SimulateKeepAlive(*trace, arrivals, options);
    std::printf("%-10s %12llu %11llu %9.2f%% %13.2f%% %16.2f\n", name.c_str(),
                static_cast<unsigned long long>(r.invocations),
                static_cast<unsigned long long>(r.cold_starts), 100 * r.cold_start_rate(),
                100 * r.functions_cold_share, r.idle_gib_hours);
    out.push_back({{"policy", name},
                   {"invocations", r.invocations},
                   {"cold_starts", r.cold_starts},
                   {"cold_start_rate", r.cold_start_rate()},
                   {"function_cold_share", r.functions_cold_share},
                   {"idle_gib_hours", r.idle_gib_hours},
                   {"mean_latency_ms", r.mean_latency_ms}});
  }
  if (!o.json.empty()) {
    if (Status s = WriteFile(o.json, out.dump(2) + "\n"); !s.ok()) return Fail(s);
  }
  return 0;
}

int Fail(const Status& s) {
  std::cerr << "tailor-sim: " << s.message() << '\n';
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound ? 2 : 1;
}

Result<std::unique_ptr<models::PlacementPolicy>> MakeAnyPolicy(const std::string& name,
                                                               const ClusterSpec& spec,
                                                               const Options& o, uint64_t seed) {
  if (IsBaseline(name)) return MakeBaseline(name, spec, seed);
  auto p = models::MakePolicy(name, {o.exploration});
  if (!p.ok()) {
    std::string known;
    for (const auto& b : BaselineNames()) known += b + ", ";
    for (const auto& t : models::PolicyNames()) {
      if (!IsBaseline(t)) known += t + ", ";
    }
    return InvalidArgumentError("unknown policy '" + name + "' (known: " + known +
                                "and any baseline with +static)");
  }
  return p;
}

// The inputs every seed shares.
struct Inputs {
  Trace trace;
  ClusterSpec spec;
  std::vector<FunctionTruth> overrides;
  std::vector<std::string> names;
  double straggler_share = 0, straggler_factor = 1;
  std::vector<ClassDegradation> degradations;
  std::vector<ClassFailure> failures;
};

Result<std::pair<double, double>> ParseStragglers(const std::string& text) {
  const auto colon = text.find(':');
  auto share = ParseDouble(text.substr(0, colon));
  auto factor = colon == std::string::npos ? Result<double>(InvalidArgumentError(""))
                                           : ParseDouble(text.substr(colon + 1));
  if (!share.ok() || !factor.ok() || *share < 0 || *share > 1 || !(*factor >= 1) || *factor > 100) {
    return InvalidArgumentError(
        "--stragglers: expected share:factor with share in [0, 1] and "
        "factor in [1, 100], got '" +
        text + "'");
  }
  return std::pair<double, double>(*share, *factor);
}

Result<Inputs> LoadInputs(Options& o) {
  Inputs in;
  TAILOR_ASSIGN_OR_RETURN(in.trace, LoadTrace(o.trace));
  TAILOR_ASSIGN_OR_RETURN(in.spec, LoadClusterSpec(o.cluster));
  if (!in.spec.pools.empty() && !o.processor_sharing) {
    // Sharing a pool's cores is processor sharing across hosts: without it the pools would be
    // silently ignored.
    return InvalidArgumentError(o.cluster +
                                ": a cluster with core pools needs --processor-sharing");
  }
  if (o.hosts > 0) in.spec = ScaleCluster(in.spec, double(o.hosts) / double(in.spec.hosts()));
  if (!o.functions.empty()) {
    TAILOR_ASSIGN_OR_RETURN(const std::string text, ReadFile(o.functions));
    auto overrides = ParseFunctionFile(text);
    if (!overrides.ok()) return overrides.status().WithContext(o.functions);
    in.overrides = std::move(overrides).value();
  }
  if (!o.kinds.empty()) {
    TAILOR_ASSIGN_OR_RETURN(o.truth.kind_weights, ParseKindWeights(o.kinds));
  }
  if (!o.stragglers.empty()) {
    TAILOR_ASSIGN_OR_RETURN(const auto s, ParseStragglers(o.stragglers));
    in.straggler_share = s.first;
    in.straggler_factor = s.second;
  }
  TAILOR_ASSIGN_OR_RETURN(in.degradations, ParseDegradations(o.degrade, in.spec));
  TAILOR_ASSIGN_OR_RETURN(in.failures, ParseFailures(o.fail, in.spec));
  for (auto n : SplitString(o.policies, ',')) {
    n = TrimWhitespace(n);
    if (!n.empty() && std::find(in.names.begin(), in.names.end(), n) == in.names.end()) {
      in.names.emplace_back(n);
    }
  }
  if (in.names.empty()) return InvalidArgumentError("--policies names no policy");
  for (const auto& n : in.names) {  // every name checked before any simulation starts
    auto policy = MakeAnyPolicy(n, in.spec, o, o.seed);
    if (!policy.ok()) return policy.status();
  }
  return in;
}

struct SeedResult {
  std::vector<FunctionTruth> truth;
  size_t invocations = 0;
  std::vector<PolicySummary> summaries;
  std::vector<std::vector<FunctionSlowdown>> per_function;  // per policy, like summaries
};

// One seed: its own generated truth, arrivals, noise and stragglers; every policy over them.
Result<SeedResult> RunSeed(const Options& o, const Inputs& in, uint64_t seed) {
  SeedResult out;
  out.truth = GenerateTruth(in.trace, seed, o.truth);
  if (!in.overrides.empty()) {
    auto applied = ApplyOverrides(std::move(out.truth), in.overrides);
    if (!applied.ok()) return applied.status().WithContext(o.functions);
    out.truth = std::move(applied).value();
  }
  const std::vector<Arrival> arrivals = DrawArrivals(in.trace, seed, o.minutes);
  out.invocations = arrivals.size();
  SimulationInput input;
  input.cluster = &in.spec;
  input.truth = &out.truth;
  input.arrivals = &arrivals;
  input.seed = seed;
  input.hints = !o.no_hints;
  input.cold_start_ms = o.warm_cold_start_ms;
  input.report_lag_ms = o.report_lag_ms;
  input.dispatch_ms = o.dispatch_ms;
  input.keep_alive_s = o.keep_alive_options.fixed_window_s;
  input.degradations = in.degradations;
  input.failures = in.failures;
  input.processor_sharing = o.processor_sharing;
  if (in.straggler_share > 0) {
    input.node_slowness = StragglerSlowness(in.spec, in.straggler_share, in.straggler_factor, seed);
  }
  std::cerr << "tailor-sim: seed " << seed << ": " << in.trace.functions.size() << " functions, "
            << arrivals.size() << " invocations over "
            << (o.minutes ? std::min(o.minutes, in.trace.minutes) : in.trace.minutes)
            << " minutes; " << in.spec.hosts() << " hosts, " << in.spec.cores() << " cores, "
            << in.spec.classes.size() << " classes; " << in.names.size() << " policies on "
            << o.threads << " threads\n";
  const std::vector<float> bounds = LowerBounds(input);
  std::vector<PolicyRun> runs(in.names.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < std::min<size_t>(o.threads, in.names.size()); ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < in.names.size(); i = next++) {
        auto policy = MakeAnyPolicy(in.names[i], in.spec, o, seed);
        runs[i] = Simulate(input, **policy);
        std::cerr << "tailor-sim: " << in.names[i] << " done in " << runs[i].wall_seconds << " s\n";
      }
    });
  }
  for (auto& w : workers) w.join();
  for (const auto& r : runs) {
    // The bound is a bound: a policy under it means the simulator or the bound is wrong.
    if (const uint64_t v = BoundViolations(r, bounds); v > 0) {
      return InternalError(r.policy + " beat the lower bound on " + std::to_string(v) +
                           " invocations (seed " + std::to_string(seed) + ")");
    }
    out.summaries.push_back(Summarize(r, bounds));
    out.per_function.push_back(PerFunction(r, bounds));
  }
  return out;
}

// One CSV row per seed, policy and function: where each policy loses, function by function.
std::string PerFunctionCsv(const std::vector<SeedResult>& results, uint64_t first_seed) {
  std::ostringstream out;
  out << "seed,policy,function,kind,calls,failed,mean_slowdown,first_calls_slowdown,"
         "mean_latency_ms,median_latency_ms,mean_run_ms\n";
  for (size_t k = 0; k < results.size(); ++k) {
    const SeedResult& r = results[k];
    for (size_t p = 0; p < r.summaries.size(); ++p) {
      for (const FunctionSlowdown& f : r.per_function[p]) {
        const FunctionTruth& t = r.truth[f.function];
        out << first_seed + k << ',' << r.summaries[p].policy << ',' << t.name << ','
            << KindName(t.kind) << ',' << f.calls << ',' << f.failed << ',' << f.mean_slowdown
            << ',' << f.first_calls_mean_slowdown << ',' << f.mean_latency_ms << ','
            << f.median_latency_ms << ',' << f.mean_run_ms << '\n';
      }
    }
  }
  return out.str();
}

int Run(Options& o) {
  auto loaded = LoadInputs(o);
  if (!loaded.ok()) return Fail(loaded.status());
  const Inputs& in = *loaded;
  // Output locations are checked before minutes of simulation, not after.
  if (!o.plot_dir.empty()) {
    if (Status s = MakeDirectories(o.plot_dir); !s.ok()) return Fail(s);
  }
  for (const std::string* path : {&o.json, &o.per_function}) {
    if (path->empty()) continue;
    if (Status s = WriteFile(*path, ""); !s.ok()) return Fail(s);
  }
  std::vector<SeedResult> results;
  for (uint32_t k = 0; k < o.seeds; ++k) {
    auto r = RunSeed(o, in, o.seed + k);
    if (!r.ok()) return Fail(r.status());
    if (k == 0 && !o.write_functions.empty()) {
      if (Status s = WriteFile(o.write_functions, FormatFunctionFile(r->truth)); !s.ok()) {
        return Fail(s);
      }
    }
    if (o.seeds > 1) std::cout << "seed " << o.seed + k << ":\n";
    std::cout << FormatTable(r->summaries);
    results.push_back(std::move(r).value());
  }
  std::vector<std::vector<PolicySummary>> per_seed;
  for (const auto& r : results) per_seed.push_back(r.summaries);
  if (o.seeds > 1) std::cout << "\n" << FormatSeedTable(AcrossSeeds(per_seed));

  std::vector<std::string> class_names;
  for (const auto& c : in.spec.classes) class_names.push_back(c.info.name);
  if (!o.json.empty()) {
    nlohmann::json seeds = nlohmann::json::array();
    for (size_t k = 0; k < results.size(); ++k) {
      seeds.push_back({{"seed", o.seed + k},
                       {"invocations", results[k].invocations},
                       {"policies", ToJson(results[k].summaries, class_names)}});
    }
    nlohmann::json doc = {{"trace", in.trace.source},
                          {"cluster", o.cluster},
                          {"hosts", in.spec.hosts()},
                          {"cores", in.spec.cores()},
                          {"functions", results[0].truth.size()},
                          {"invocations", results[0].invocations},
                          {"seed", o.seed},
                          {"policies", ToJson(results[0].summaries, class_names)},
                          {"seeds", seeds},
                          {"across_seeds", ToJson(AcrossSeeds(per_seed))}};
    if (Status s = WriteFile(o.json, doc.dump(2) + "\n"); !s.ok()) return Fail(s);
  }
  if (!o.per_function.empty()) {
    if (Status s = WriteFile(o.per_function, PerFunctionCsv(results, o.seed)); !s.ok()) {
      return Fail(s);
    }
  }
  if (!o.plot_dir.empty()) {
    const std::string title = std::to_string(results[0].invocations) + " invocations of " +
                              std::to_string(results[0].truth.size()) + " functions on " +
                              std::to_string(in.spec.hosts()) + " hosts";
    if (Status s = WritePlots(results[0].summaries, o.plot_dir, title); !s.ok()) return Fail(s);
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
  app.add_option("--policies", o.policies,
                 "Comma-separated policies; a baseline with +static allocates statically");
  app.add_option("--seed", o.seed, "Seed of arrivals, generated functions, noise and policies");
  app.add_option("--seeds", o.seeds, "Run seeds seed..seed+N-1 and report means with 95% CIs")
      ->check(CLI::Range(1u, 100u));
  app.add_option("--kinds", o.kinds,
                 "Kind shares of generated functions, e.g. crypto:50,io:10 (default "
                 "crypto:15,hashing:15,vector:15,cache:15,memory:15,io:25)");
  app.add_option("--max-noise", o.truth.max_noise_sd,
                 "Clamp of the trace-derived noise (sd of log duration)")
      ->check(CLI::Range(0.05, 3.0));
  app.add_option("--multicore-share", o.truth.multicore_share,
                 "Share of CPU-bound functions that use 2 or 4 cores")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--payload-share", o.truth.payload_share,
                 "Share of functions whose duration grows with their payload (elasticity 0.8; "
                 "payloads of 1 KiB-1 MiB median, spread sd 1.0)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--interactions", o.truth.interactions,
               "Hardware effects that are not a product of per-feature factors");
  app.add_flag("--no-hints", o.no_hints,
               "Give functions no manifest hints (preferred features from each "
               "function's kind): neither Tailor's policies nor static-rules' rules see them");
  app.add_option("--stragglers", o.stragglers,
                 "share:factor: that share of hosts runs everything factor times slower");
  app.add_flag("--processor-sharing", o.processor_sharing,
               "Co-runners' interference follows the CPU they hold from moment to moment (runs "
               "stretch as others start) instead of being fixed when a run starts");
  app.add_option("--degrade", o.degrade,
                 "class:minute:factor,...: from that minute on, runs on the class's hosts take "
                 "factor (>= 1) times as long; no policy is told");
  app.add_option("--fail", o.fail,
                 "class:minute,...: from that minute on, the class's hosts are gone (runs in "
                 "flight on them lost and placed again; the scheduler sees them unhealthy)");
  app.add_option("--minutes", o.minutes, "Simulate only the trace's first N minutes (0: all)");
  app.add_option("--hosts", o.hosts, "Scale the cluster's class counts to about N hosts");
  app.add_option("--exploration", o.exploration,
                 "Exploration scale of Tailor's policies (efficiency decides on the means "
                 "whatever it is)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--json", o.json, "Write the comparison as JSON to this file");
  app.add_option("--per-function", o.per_function,
                 "Write each function's slowdown under each policy and seed to this CSV file");
  app.add_option("--plot-dir", o.plot_dir, "Write comparison.svg (gnuplot) and its data here");
  app.add_option("--threads", o.threads, "Policies simulated at once")->check(CLI::Range(1u, 256u));
  app.add_option("--warm-instances", o.warm_cold_start_ms,
                 "Model warm instances in the placement simulation: a run without an idle "
                 "instance of its function on its node starts cold, this many ms longer; idle "
                 "instances are kept --keep-alive-fixed-s (0: not modelled)")
      ->check(CLI::Range(0.0, 600000.0));
  app.add_option("--dispatch-ms", o.dispatch_ms,
                 "What every call pays besides its run and its wait (placement, forwarding, "
                 "process start), added to each latency and each bound (0: not modelled)")
      ->check(CLI::Range(0.0, 600000.0));
  app.add_option("--report-lag-ms", o.report_lag_ms,
                 "Runs' reports reach the policies this long after the runs end (0: at once)")
      ->check(CLI::Range(0.0, 86'400'000.0));
  app.add_flag("--keep-alive", o.keep_alive,
               "Compare keep-alive policies for warm instances (none, a fixed 10-minute window, "
               "the learned one) on the trace instead of placement policies");
  app.add_option("--cold-start-ms", o.cold_start_ms, "What a cold start adds, with --keep-alive")
      ->check(CLI::Range(0.0, 600000.0));
  app.add_option("--keep-alive-fixed-s", o.keep_alive_options.fixed_window_s,
                 "The fixed window, and the learned policy's until it knows 5 gaps")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--keep-alive-cold-start-cost-s", o.keep_alive_options.cold_start_cost_s,
                 "What the learned policy counts one cold start as, in seconds of an idle instance")
      ->check(CLI::Range(0.0, 86400.0));
  if (auto exit_code = tailor::ParseCommandLine(app, common, argc, argv)) return *exit_code;
  return o.keep_alive ? RunKeepAlive(o) : Run(o);
}
