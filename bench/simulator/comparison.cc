#include "bench/simulator/comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

#include "common/file_util.h"

namespace tailor::sim {
namespace {

double Quantile(std::vector<float>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<size_t>(std::min<double>(v.size() - 1, q * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// The means over functions of PerFunction's figures, and over the rare functions.
void PerFunctionSlowdowns(const PolicyRun& run, const std::vector<float>& bounds,
                          PolicySummary& s) {
  const auto functions = PerFunction(run, bounds);
  double all = 0, first = 0, rare = 0;
  for (const FunctionSlowdown& f : functions) {
    all += f.mean_slowdown;
    first += f.first_calls_mean_slowdown;
    if (f.calls < kFirstCalls) rare += f.mean_slowdown, ++s.rare_functions;
  }
  if (!functions.empty()) {
    s.function_mean_slowdown = all / functions.size();
    s.first_calls_mean_slowdown = first / functions.size();
  }
  if (s.rare_functions > 0) s.rare_function_mean_slowdown = rare / s.rare_functions;
}

// Float rounding of latency and bound, computed along different paths.
constexpr float kBoundTolerance = 1e-4f;

}  // namespace

std::vector<FunctionSlowdown> PerFunction(const PolicyRun& run, const std::vector<float>& bounds) {
  struct Sums {
    double all = 0, first = 0, run_ms = 0;
    uint64_t all_n = 0, first_n = 0, failed = 0;
    std::vector<float> latencies_ms;  // of the successful calls
  };
  std::map<uint32_t, Sums> by_function;
  const size_t n = std::min({run.latency_ms.size(), bounds.size(), run.function_of.size()});
  for (size_t i = 0; i < n; ++i) {
    const float mine = run.latency_ms[i], best = bounds[i];
    if (!(best > 0)) continue;
    Sums& f = by_function[run.function_of[i]];
    const bool failed = std::isnan(mine);
    const double slowdown = failed ? kFailedSlowdown : std::max(1.0, double(mine) / best);
    f.failed += failed;
    f.all += slowdown;
    if (!failed) {
      f.latencies_ms.push_back(mine);
      if (i < run.run_ms.size()) f.run_ms += run.run_ms[i];
    }
    if (f.all_n++ < kFirstCalls) {
      f.first += slowdown;
      ++f.first_n;
    }
  }
  std::vector<FunctionSlowdown> out;
  out.reserve(by_function.size());
  for (auto& [function, f] : by_function) {
    FunctionSlowdown fs{function, f.all_n, f.failed, f.all / f.all_n, f.first / f.first_n};
    if (const size_t ok = f.latencies_ms.size(); ok > 0) {
      double sum = 0;
      for (float ms : f.latencies_ms) sum += ms;
      fs.mean_latency_ms = sum / ok;
      fs.mean_run_ms = f.run_ms / ok;
      fs.median_latency_ms = Quantile(f.latencies_ms, 0.5);
    }
    out.push_back(fs);
  }
  return out;
}

uint64_t BoundViolations(const PolicyRun& run, const std::vector<float>& bounds) {
  uint64_t violations = 0;
  for (size_t i = 0; i < run.latency_ms.size() && i < bounds.size(); ++i) {
    if (run.latency_ms[i] < bounds[i] * (1 - kBoundTolerance)) ++violations;
  }
  return violations;
}

PolicySummary Summarize(const PolicyRun& run, const std::vector<float>& bounds) {
  PolicySummary s;
  s.policy = run.policy;
  s.invocations = run.latency_ms.size();
  std::vector<float> slowdowns, latencies;
  slowdowns.reserve(run.latency_ms.size());
  latencies.reserve(run.latency_ms.size());
  double slowdown_sum = 0, latency_sum = 0;
  uint64_t within = 0;
  for (size_t i = 0; i < run.latency_ms.size() && i < bounds.size(); ++i) {
    const float mine = run.latency_ms[i], best = bounds[i];
    if (std::isnan(mine)) continue;
    latencies.push_back(mine);
    latency_sum += mine;
    if (!(best > 0)) continue;
    const float slowdown = std::max(1.0f, mine / best);
    slowdowns.push_back(slowdown);
    slowdown_sum += slowdown;
    if (slowdown <= 2.0f) ++within;
  }
  PerFunctionSlowdowns(run, bounds, s);
  if (!run.latency_ms.empty()) {
    s.within_target_share_with_failures = double(within) / run.latency_ms.size();
  }
  if (!slowdowns.empty()) {
    s.mean_slowdown = slowdown_sum / slowdowns.size();
    s.within_target_share = double(within) / slowdowns.size();
    s.p50_slowdown = Quantile(slowdowns, 0.50);
    s.p99_slowdown = Quantile(slowdowns, 0.99);
  }
  if (!latencies.empty()) {
    s.mean_latency_ms = latency_sum / latencies.size();
    s.p99_latency_ms = Quantile(latencies, 0.99);
  }
  s.host_hours = run.host_hours;
  s.utilization = run.active_core_hours > 0 ? run.busy_core_hours / run.active_core_hours : 0;
  s.memory_allocated_gib_hours = run.memory_allocated_gib_hours;
  s.memory_used_gib_hours = run.memory_used_gib_hours;
  s.oom_kills = run.oom_kills;
  s.lost_runs = run.lost_runs;
  s.cold_starts = run.cold_starts;
  s.failed = run.failed;
  s.waited = run.waited;
  s.explored_share = run.decisions > 0 ? double(run.explored) / run.decisions : 0;
  s.decisions_per_second = run.decide_seconds > 0 ? run.decisions / run.decide_seconds : 0;
  s.wall_seconds = run.wall_seconds;
  s.runs_by_class = run.runs_by_class;
  s.host_hours_by_class = run.host_hours_by_class;
  return s;
}

std::string FormatTable(const std::vector<PolicySummary>& summaries) {
  // Each column after the first: a space, then the value right-aligned in its width less one, so
  // that a value wider than its column (a slowdown in the thousands under overload) still stands
  // apart from its neighbours instead of running into them.
  struct Column {
    const char* header;
    int width;
    int precision;
    double (*value)(const PolicySummary&);
  };
  static constexpr Column kColumns[] = {
      {"mean-sd", 9, 3, [](const PolicySummary& s) { return s.mean_slowdown; }},
      {"p50-sd", 8, 3, [](const PolicySummary& s) { return s.p50_slowdown; }},
      {"p99-sd", 8, 3, [](const PolicySummary& s) { return s.p99_slowdown; }},
      {"fn-sd", 8, 3, [](const PolicySummary& s) { return s.function_mean_slowdown; }},
      {"first-sd", 9, 3, [](const PolicySummary& s) { return s.first_calls_mean_slowdown; }},
      {"rare-sd", 8, 3, [](const PolicySummary& s) { return s.rare_function_mean_slowdown; }},
      {"in-2x%", 9, 2, [](const PolicySummary& s) { return 100 * s.within_target_share; }},
      {"mean-ms", 11, 1, [](const PolicySummary& s) { return s.mean_latency_ms; }},
      {"p99-ms", 11, 1, [](const PolicySummary& s) { return s.p99_latency_ms; }},
      {"host-h", 9, 1, [](const PolicySummary& s) { return s.host_hours; }},
      {"util%", 7, 1, [](const PolicySummary& s) { return 100 * s.utilization; }},
      {"mem-a/u", 9, 2,
       [](const PolicySummary& s) {
         return s.memory_used_gib_hours > 0 ? s.memory_allocated_gib_hours / s.memory_used_gib_hours
                                            : 0.0;
       }},
      {"ooms", 7, 0, [](const PolicySummary& s) { return double(s.oom_kills); }},
      {"failed", 7, 0, [](const PolicySummary& s) { return double(s.failed); }},
      {"waited", 8, 0, [](const PolicySummary& s) { return double(s.waited); }},
      {"decide/s", 11, 0, [](const PolicySummary& s) { return s.decisions_per_second; }},
  };
  static constexpr Column kCold = {"cold", 9, 0,
                                   [](const PolicySummary& s) { return double(s.cold_starts); }};
  std::vector<Column> columns(std::begin(kColumns), std::end(kColumns));
  if (std::any_of(summaries.begin(), summaries.end(),
                  [](const PolicySummary& s) { return s.cold_starts > 0; })) {
    columns.push_back(kCold);
  }
  std::ostringstream out;
  out << std::fixed << std::left << std::setw(22) << "policy" << std::right;
  for (const Column& c : columns) out << ' ' << std::setw(c.width - 1) << c.header;
  out << '\n';
  for (const auto& s : summaries) {
    out << std::left << std::setw(22) << s.policy << std::right;
    for (const Column& c : columns) {
      out << ' ' << std::setw(c.width - 1) << std::setprecision(c.precision) << c.value(s);
    }
    out << '\n';
  }
  out << "sd: slowdown against the lower bound (best class, alone, never queued), of the\n"
         "invocations that succeeded; fn-sd: each function counted once, a failure as 10; "
         "first-sd:\n"
         "the same over each function's first 10 calls; rare-sd: over functions with fewer than "
         "10\n"
         "calls; in-2x%: successes within twice the bound; mem-a/u: memory allocated over used\n"
         "(GiB-hours); waited: queued for room.\n";
  return out.str();
}

Interval MeanInterval(const std::vector<double>& values) {
  Interval out;
  const size_t n = values.size();
  if (n == 0) return out;
  for (double v : values) out.mean += v;
  out.mean /= double(n);
  if (n < 2) return out;
  double ss = 0;
  for (double v : values) ss += (v - out.mean) * (v - out.mean);
  // Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond.
  static constexpr double kT[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                                  2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                                  2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                                  2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  const size_t df = n - 1;
  const double t = df <= std::size(kT) ? kT[df - 1] : 1.96;
  out.half_width = t * std::sqrt(ss / double(n - 1) / double(n));
  return out;
}

std::vector<SeedSummary> AcrossSeeds(const std::vector<std::vector<PolicySummary>>& per_seed) {
  std::vector<SeedSummary> out;
  if (per_seed.empty()) return out;
  for (size_t p = 0; p < per_seed[0].size(); ++p) {
    SeedSummary s;
    s.policy = per_seed[0][p].policy;
    s.seeds = per_seed.size();
    auto over = [&](auto field) {
      std::vector<double> values;
      for (const auto& seed : per_seed) {
        if (p < seed.size()) values.push_back(double(seed[p].*field));
      }
      return MeanInterval(values);
    };
    s.mean_slowdown = over(&PolicySummary::mean_slowdown);
    s.p99_slowdown = over(&PolicySummary::p99_slowdown);
    s.function_mean_slowdown = over(&PolicySummary::function_mean_slowdown);
    s.first_calls_mean_slowdown = over(&PolicySummary::first_calls_mean_slowdown);
    s.rare_function_mean_slowdown = over(&PolicySummary::rare_function_mean_slowdown);
    s.within_target_share_with_failures = over(&PolicySummary::within_target_share_with_failures);
    s.host_hours = over(&PolicySummary::host_hours);
    s.failed = over(&PolicySummary::failed);
    out.push_back(std::move(s));
  }
  return out;
}

std::string FormatSeedTable(const std::vector<SeedSummary>& summaries) {
  constexpr int kSeedColumnWidth = 16;
  std::ostringstream out;
  out << std::fixed;
  auto cell = [&](const Interval& i, int precision, double scale = 1) {
    std::ostringstream c;
    c << std::fixed << std::setprecision(precision) << scale * i.mean << "±"
      << scale * i.half_width;
    out << ' ' << std::setw(kSeedColumnWidth - 1) << c.str();  // apart however wide (FormatTable)
  };
  const size_t seeds = summaries.empty() ? 0 : summaries.front().seeds;
  out << "across " << seeds << " seeds (mean ± 95% CI half-width):\n";
  out << std::left << std::setw(22) << "policy" << std::right;
  for (const char* h :
       {"fn-sd", "first-sd", "rare-sd", "mean-sd", "p99-sd", "in-2x%+fail", "host-h", "failed"}) {
    out << ' ' << std::setw(kSeedColumnWidth - 1) << h;
  }
  out << '\n';
  for (const auto& s : summaries) {
    out << std::left << std::setw(22) << s.policy << std::right;
    cell(s.function_mean_slowdown, 3);
    cell(s.first_calls_mean_slowdown, 3);
    cell(s.rare_function_mean_slowdown, 3);
    cell(s.mean_slowdown, 3);
    cell(s.p99_slowdown, 2);
    cell(s.within_target_share_with_failures, 2, 100);
    cell(s.host_hours, 1);
    cell(s.failed, 0);
    out << '\n';
  }
  return out.str();
}

nlohmann::json ToJson(const std::vector<SeedSummary>& summaries) {
  auto interval = [](const Interval& i) {
    return nlohmann::json{{"mean", i.mean}, {"ci95_half_width", i.half_width}};
  };
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : summaries) {
    out.push_back(
        {{"policy", s.policy},
         {"seeds", s.seeds},
         {"slowdown",
          {{"function_mean", interval(s.function_mean_slowdown)},
           {"first_calls_mean", interval(s.first_calls_mean_slowdown)},
           {"rare_function_mean", interval(s.rare_function_mean_slowdown)},
           {"mean", interval(s.mean_slowdown)},
           {"p99", interval(s.p99_slowdown)}}},
         {"within_2x_bound_share_with_failures", interval(s.within_target_share_with_failures)},
         {"host_hours", interval(s.host_hours)},
         {"failed", interval(s.failed)}});
  }
  return out;
}

nlohmann::json ToJson(const std::vector<PolicySummary>& summaries,
                      const std::vector<std::string>& class_names) {
  nlohmann::json policies = nlohmann::json::array();
  for (const auto& s : summaries) {
    nlohmann::json by_class = nlohmann::json::object();
    for (size_t c = 0; c < s.runs_by_class.size() && c < class_names.size(); ++c) {
      by_class[class_names[c]] = s.runs_by_class[c];
    }
    nlohmann::json hh_class = nlohmann::json::object();
    for (size_t c = 0; c < s.host_hours_by_class.size() && c < class_names.size(); ++c) {
      hh_class[class_names[c]] = s.host_hours_by_class[c];
    }
    policies.push_back(
        {{"policy", s.policy},
         {"invocations", s.invocations},
         {"slowdown",
          {{"mean", s.mean_slowdown},
           {"p50", s.p50_slowdown},
           {"p99", s.p99_slowdown},
           {"function_mean", s.function_mean_slowdown},
           {"first_calls_mean", s.first_calls_mean_slowdown},
           {"rare_function_mean", s.rare_function_mean_slowdown}}},
         {"rare_functions", s.rare_functions},
         {"within_2x_bound_share", s.within_target_share},
         {"within_2x_bound_share_with_failures", s.within_target_share_with_failures},
         {"latency_ms", {{"mean", s.mean_latency_ms}, {"p99", s.p99_latency_ms}}},
         {"host_hours", s.host_hours},
         {"mean_utilization", s.utilization},
         {"memory_gib_hours",
          {{"allocated", s.memory_allocated_gib_hours}, {"used", s.memory_used_gib_hours}}},
         {"oom_kills", s.oom_kills},
         {"lost_runs", s.lost_runs},
         {"cold_starts", s.cold_starts},
         {"failed", s.failed},
         {"waited_for_room", s.waited},
         {"explored_share", s.explored_share},
         {"decisions_per_second", s.decisions_per_second},
         {"simulation_seconds", s.wall_seconds},
         {"runs_by_class", by_class},
         {"host_hours_by_class", hh_class}});
  }
  return policies;
}

Status WritePlots(const std::vector<PolicySummary>& summaries, const std::string& directory,
                  const std::string& title) {
  if (Status s = MakeDirectories(directory); !s.ok()) return s;
  std::ostringstream data;
  data << "# policy mean_slowdown p99_slowdown within_2x_percent host_hours alloc_over_used\n";
  for (const auto& s : summaries) {
    data << '"' << s.policy << "\" " << s.mean_slowdown << ' ' << s.p99_slowdown << ' '
         << 100 * s.within_target_share << ' ' << s.host_hours << ' '
         << (s.memory_used_gib_hours > 0 ? s.memory_allocated_gib_hours / s.memory_used_gib_hours
                                         : 0)
         << '\n';
  }
  const std::string dat = JoinPath(directory, "comparison.dat");
  const std::string gp = JoinPath(directory, "comparison.gp");
  const std::string svg = JoinPath(directory, "comparison.svg");
  const std::string png = JoinPath(directory, "comparison.png");
  if (directory.find('\'') != std::string::npos) {
    return InvalidArgumentError("the plot directory's name must not contain a quote");
  }
  if (Status s = WriteFile(dat, data.str()); !s.ok()) return s;
  std::string escaped_title;
  for (char c : title) {
    if (c != '"' && c != '\\') escaped_title += c;
  }
  std::ostringstream body;
  body << "set multiplot layout 2,2 title \"" << escaped_title << "\"\n"
       << "set style data histograms\nset style histogram clustered gap 1\n"
       << "set style fill solid 0.8 border -1\nset boxwidth 0.9\nset grid ytics\n"
       << "set xtics rotate by -35 scale 0 noenhanced\nset key top right noenhanced\n"
       << "set title 'Slowdown against the lower bound (log scale; lower is better)'\n"
       << "set logscale y\nset yrange [0.9:*]\n"
       << "plot '" << dat << "' using 2:xtic(1) title 'mean', '' using 3 title 'p99'\n"
       << "unset logscale y\nset yrange [0:105]\n"
       << "set title 'Invocations within 2x the lower bound (%)'\n"
       << "plot '" << dat << "' using 4:xtic(1) notitle lc rgb '#2a9d8f'\n"
       << "set yrange [0:*]\nset title 'Host-hours used (lower is better)'\n"
       << "plot '" << dat << "' using 5:xtic(1) notitle lc rgb '#e76f51'\n"
       << "set title 'Memory allocated / memory used'\n"
       << "plot '" << dat << "' using 6:xtic(1) notitle lc rgb '#264653'\n"
       << "unset multiplot\n";
  std::ostringstream script;
  script << "set terminal svg size 1200,800 dynamic font 'sans,11'\n"
         << "set output '" << svg << "'\n"
         << body.str() << "reset\nset terminal pngcairo size 1200,800 font 'sans,10'\n"
         << "set output '" << png << "'\n"
         << body.str();
  if (Status s = WriteFile(gp, script.str()); !s.ok()) return s;
  const std::string command = "gnuplot '" + gp + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return FailedPreconditionError("cannot run gnuplot");
  std::string output;
  char buffer[512];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int rc = pclose(pipe);
  if (rc != 0) {
    return FailedPreconditionError(
        "gnuplot failed (is gnuplot-nox installed? scripts/bootstrap "
        "installs it): " +
        output);
  }
  return OkStatus();
}

}  // namespace tailor::sim
