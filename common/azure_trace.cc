#include "common/azure_trace.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <unordered_map>

#include "common/file_util.h"

namespace tailor {
namespace {

struct CsvFile {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string_view>> rows;
  // Rows point into it; held by pointer so that moving the file keeps them valid (a short
  // string's characters move with it).
  std::unique_ptr<const std::string> text;
};

// `path` names the file in messages; `text` is its contents.
Result<CsvFile> ParseCsv(const std::string& path, std::string_view contents) {
  std::string text(contents);
  CsvFile f;
  f.path = path;
  f.text = std::make_unique<const std::string>(std::move(text));
  bool first = true;
  for (std::string_view line : SplitString(*f.text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto fields = SplitString(line, ',');
    if (first) {
      for (auto field : fields) f.header.emplace_back(TrimWhitespace(field));
      first = false;
      continue;
    }
    f.rows.push_back(std::move(fields));
  }
  if (f.header.empty()) return InvalidArgumentError(path + ": empty file (a header is expected)");
  return f;
}

Status RowError(const CsvFile& f, size_t row, const std::string& what) {
  return InvalidArgumentError(f.path + ":" + std::to_string(row + 2) + ": " + what);
}

Result<size_t> Column(const CsvFile& f, const std::string& name) {
  for (size_t i = 0; i < f.header.size(); ++i) {
    if (f.header[i] == name) return i;
  }
  return InvalidArgumentError(f.path + ": no column '" + name + "'");
}

// Far beyond any duration (ms), timestamp (s) or memory size (MiB) a trace holds.
constexpr double kLargestNumber = 1e12;
// The longest span of time a trace may cover.
constexpr uint32_t kMaxTraceMinutes = 366 * 24 * 60;

Result<double> Number(const CsvFile& f, size_t row, size_t column) {
  if (column >= f.rows[row].size()) return RowError(f, row, "too few fields");
  auto v = ParseDouble(TrimWhitespace(f.rows[row][column]));
  if (!v.ok() || !(*v >= 0 && *v <= kLargestNumber)) {
    return RowError(f, row, "field '" + f.header[column] + "' is not a number in 0..1e12");
  }
  return *v;
}

std::string ShortName(std::string_view hash) {
  return "fn-" + std::string(hash.substr(0, std::min<size_t>(12, hash.size())));
}

// Short names, made unique by a suffix when two hashes share a prefix or two apps a function.
class UniqueNames {
 public:
  std::string Next(std::string_view hash) {
    std::string name = ShortName(hash);
    if (int uses = uses_[name]++; uses > 0) name += "-" + std::to_string(uses + 1);
    return name;
  }

 private:
  std::unordered_map<std::string, int> uses_;
};

// Functions are keyed by (app, function): the same function hash can appear in two apps.
class FunctionKey {
 public:
  static Result<FunctionKey> Of(const CsvFile& f, const std::string& app_column,
                                const std::string& function_column) {
    TAILOR_ASSIGN_OR_RETURN(const size_t app, Column(f, app_column));
    TAILOR_ASSIGN_OR_RETURN(const size_t function, Column(f, function_column));
    return FunctionKey(app, function);
  }
  // For files of one function per app that name only the app (the 2022 sample's memory file,
  // whose HashApp is the function's hash).
  static Result<FunctionKey> OfAppOnly(const CsvFile& f, const std::string& app_column) {
    TAILOR_ASSIGN_OR_RETURN(const size_t app, Column(f, app_column));
    return FunctionKey(app, app);
  }
  Result<std::string> For(const CsvFile& f, size_t row) const {
    if (std::max(app_, function_) >= f.rows[row].size()) return RowError(f, row, "too few fields");
    return std::string(f.rows[row][app_]) + "/" + std::string(f.rows[row][function_]);
  }
  std::string_view Function(const CsvFile& f, size_t row) const { return f.rows[row][function_]; }

 private:
  FunctionKey(size_t app, size_t function) : app_(app), function_(function) {}
  size_t app_, function_;
};

// For every row of `f` that names a function of `index_of`, the numbers in `columns`.
template <size_t N, typename Store>
Status ReadFunctionNumbers(const CsvFile& f, const std::unordered_map<std::string, uint32_t>& index_of,
                           const std::array<size_t, N>& columns, Store&& store) {
  TAILOR_ASSIGN_OR_RETURN(const FunctionKey key, std::find(f.header.begin(), f.header.end(),
                                                           "HashFunction") != f.header.end()
                                                     ? FunctionKey::Of(f, "HashApp", "HashFunction")
                                                     : FunctionKey::OfAppOnly(f, "HashApp"));
  for (size_t r = 0; r < f.rows.size(); ++r) {
    TAILOR_ASSIGN_OR_RETURN(const std::string k, key.For(f, r));
    auto it = index_of.find(k);
    if (it == index_of.end()) continue;  // statistics of a function never invoked here
    std::array<double, N> values{};
    for (size_t i = 0; i < N; ++i) {
      TAILOR_ASSIGN_OR_RETURN(values[i], Number(f, r, columns[i]));
    }
    store(it->second, values);
  }
  return OkStatus();
}

template <size_t N>
Result<std::array<size_t, N>> Columns(const CsvFile& f, const std::string& prefix,
                                      const std::array<double, N>& percentiles) {
  std::array<size_t, N> out{};
  for (size_t i = 0; i < N; ++i) {
    TAILOR_ASSIGN_OR_RETURN(out[i], Column(f, prefix + std::to_string(int(percentiles[i]))));
  }
  return out;
}

}  // namespace

Result<Trace> LoadAzure2019(const std::string& directory) {
  Azure2019Files files;
  files.directory = directory;
  // The 2022 full-day sample names its files <N>_inv.csv, <N>_run.csv and <N>_mem.csv.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 8 && name.ends_with("_inv.csv")) {
      const std::string stem = name.substr(0, name.size() - 8);
      files.invocations_name = name;
      files.durations_name = stem + "_run.csv";
      files.memory_name = stem + "_mem.csv";
      break;
    }
  }
  TAILOR_ASSIGN_OR_RETURN(files.invocations, ReadFile(JoinPath(directory, files.invocations_name)));
  TAILOR_ASSIGN_OR_RETURN(files.durations, ReadFile(JoinPath(directory, files.durations_name)));
  TAILOR_ASSIGN_OR_RETURN(files.memory, ReadFile(JoinPath(directory, files.memory_name)));
  return ParseAzure2019(files);
}

Result<Trace> ParseAzure2019(const Azure2019Files& files) {
  TAILOR_ASSIGN_OR_RETURN(
      const CsvFile invocations,
      ParseCsv(JoinPath(files.directory, files.invocations_name), files.invocations));
  TAILOR_ASSIGN_OR_RETURN(
      const CsvFile durations,
      ParseCsv(JoinPath(files.directory, files.durations_name), files.durations));
  TAILOR_ASSIGN_OR_RETURN(const CsvFile memory,
                          ParseCsv(JoinPath(files.directory, files.memory_name), files.memory));

  Trace trace;
  trace.source = "azure2019:" + files.directory;
  TAILOR_ASSIGN_OR_RETURN(const FunctionKey key,
                          FunctionKey::Of(invocations, "HashApp", "HashFunction"));
  // The minutes follow 'Trigger' (2019 sample) or start at 'minute_1' (2022 sample, which has
  // no trigger).
  const auto trigger_it =
      std::find(invocations.header.begin(), invocations.header.end(), "Trigger");
  const bool has_trigger = trigger_it != invocations.header.end();
  size_t first_minute = 0;
  if (has_trigger) {
    first_minute = static_cast<size_t>(trigger_it - invocations.header.begin()) + 1;
  } else {
    TAILOR_ASSIGN_OR_RETURN(first_minute, Column(invocations, "minute_1"));
  }
  if (invocations.header.size() <= first_minute) {
    return InvalidArgumentError(invocations.path + ": no minute columns after 'Trigger'");
  }
  trace.minutes = static_cast<uint32_t>(invocations.header.size() - first_minute);
  std::unordered_map<std::string, uint32_t> index_of;
  UniqueNames names;
  for (size_t r = 0; r < invocations.rows.size(); ++r) {
    const auto& row = invocations.rows[r];
    if (row.size() != invocations.header.size()) {
      return RowError(invocations, r,
                      "has " + std::to_string(row.size()) + " fields, the header has " +
                          std::to_string(invocations.header.size()));
    }
    TraceFunction fn;
    fn.name = names.Next(key.Function(invocations, r));
    if (has_trigger) fn.trigger = std::string(row[first_minute - 1]);
    fn.per_minute.reserve(trace.minutes);
    for (size_t c = first_minute; c < row.size(); ++c) {
      auto n = ParseUint64(TrimWhitespace(row[c]));
      if (!n.ok() || *n > UINT32_MAX) {
        return RowError(invocations, r, "minute '" + invocations.header[c] + "' is not a count");
      }
      fn.per_minute.push_back(static_cast<uint32_t>(*n));
      fn.invocations += *n;
    }
    TAILOR_ASSIGN_OR_RETURN(const std::string k, key.For(invocations, r));
    index_of[k] = static_cast<uint32_t>(trace.functions.size());
    trace.functions.push_back(std::move(fn));
  }

  TAILOR_ASSIGN_OR_RETURN(const size_t average_col, Column(durations, "Average"));
  TAILOR_ASSIGN_OR_RETURN(const auto duration_cols,
                          Columns(durations, "percentile_Average_", kDurationPercentiles));
  // The percentiles, then the average.
  std::array<size_t, kDurationPercentiles.size() + 1> duration_and_average{};
  std::copy(duration_cols.begin(), duration_cols.end(), duration_and_average.begin());
  duration_and_average.back() = average_col;
  TAILOR_RETURN_IF_ERROR(ReadFunctionNumbers(
      durations, index_of, duration_and_average, [&](uint32_t f, const auto& v) {
        TraceFunction& fn = trace.functions[f];
        std::copy_n(v.begin(), fn.duration_percentiles_ms.size(), fn.duration_percentiles_ms.begin());
        fn.average_ms = v.back();
        fn.has_duration = true;
      }));
  TAILOR_ASSIGN_OR_RETURN(const auto memory_cols,
                          Columns(memory, "AverageAllocatedMb_pct", kMemoryPercentiles));
  TAILOR_RETURN_IF_ERROR(ReadFunctionNumbers(
      memory, index_of, memory_cols, [&](uint32_t f, const auto& v) {
        trace.functions[f].memory_percentiles_mib = v;
        trace.functions[f].has_memory = true;
      }));
  if (trace.functions.empty()) return InvalidArgumentError(invocations.path + ": no functions");
  return trace;
}

Result<Trace> LoadAzure2021(const std::string& csv_path) {
  TAILOR_ASSIGN_OR_RETURN(const std::string text, ReadFile(csv_path));
  return ParseAzure2021(csv_path, text);
}

Result<Trace> ParseAzure2021(const std::string& csv_path, std::string_view text) {
  TAILOR_ASSIGN_OR_RETURN(const CsvFile csv, ParseCsv(csv_path, text));
  TAILOR_ASSIGN_OR_RETURN(const FunctionKey key, FunctionKey::Of(csv, "app", "func"));
  TAILOR_ASSIGN_OR_RETURN(const size_t end_col, Column(csv, "end_timestamp"));
  TAILOR_ASSIGN_OR_RETURN(const size_t duration_col, Column(csv, "duration"));
  Trace trace;
  trace.source = "azure2021:" + csv_path;
  std::unordered_map<std::string, uint32_t> index_of;
  UniqueNames names;
  std::vector<std::vector<double>> samples;
  double last_ms = 0;
  for (size_t r = 0; r < csv.rows.size(); ++r) {
    TAILOR_ASSIGN_OR_RETURN(const double end_s, Number(csv, r, end_col));
    TAILOR_ASSIGN_OR_RETURN(const double duration_s, Number(csv, r, duration_col));
    TAILOR_ASSIGN_OR_RETURN(const std::string k, key.For(csv, r));
    auto [it, added] = index_of.try_emplace(k, static_cast<uint32_t>(trace.functions.size()));
    if (added) {
      TraceFunction fn;
      fn.name = names.Next(key.Function(csv, r));
      trace.functions.push_back(std::move(fn));
      samples.emplace_back();
    }
    const double start_ms = std::max(0.0, (end_s - duration_s) * 1000.0);
    trace.exact_arrivals.push_back({start_ms, it->second});
    samples[it->second].push_back(duration_s * 1000.0);
    trace.functions[it->second].invocations++;
    last_ms = std::max(last_ms, start_ms);
  }
  if (trace.functions.empty()) return InvalidArgumentError(csv_path + ": no invocations");
  for (size_t i = 0; i < trace.functions.size(); ++i) {
    auto& s = samples[i];
    std::sort(s.begin(), s.end());
    TraceFunction& fn = trace.functions[i];
    double sum = 0;
    for (double v : s) sum += v;
    fn.average_ms = sum / s.size();
    for (size_t p = 0; p < kDurationPercentiles.size(); ++p) {
      fn.duration_percentiles_ms[p] =
          s[static_cast<size_t>(kDurationPercentiles[p] / 100.0 * (s.size() - 1) + 0.5)];
    }
    fn.has_duration = true;
  }
  if (last_ms / 60000.0 >= kMaxTraceMinutes) {
    return InvalidArgumentError(csv_path + ": an invocation starts " +
                                std::to_string(static_cast<int64_t>(last_ms / 60000.0)) +
                                " minutes in; a trace may span at most " +
                                std::to_string(kMaxTraceMinutes) + " minutes (a year)");
  }
  std::stable_sort(trace.exact_arrivals.begin(), trace.exact_arrivals.end(),
                   [](const Arrival& a, const Arrival& b) { return a.time_ms < b.time_ms; });
  trace.minutes = static_cast<uint32_t>(last_ms / 60000.0) + 1;
  return trace;
}

Result<Trace> LoadTrace(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return LoadAzure2019(path);
  if (std::filesystem::is_regular_file(path, ec)) return LoadAzure2021(path);
  return NotFoundError("trace '" + path +
                       "' is neither a directory of Azure 2019 CSVs nor an Azure 2021 CSV file");
}

std::vector<Arrival> DrawArrivals(const Trace& trace, uint64_t seed, uint32_t max_minutes) {
  const double limit_ms =
      max_minutes == 0 ? 1e300 : static_cast<double>(max_minutes) * 60000.0;
  std::vector<Arrival> out;
  if (!trace.exact_arrivals.empty()) {
    for (const auto& a : trace.exact_arrivals) {
      if (a.time_ms < limit_ms) out.push_back(a);
    }
    return out;
  }
  uint64_t total = 0;
  for (const auto& fn : trace.functions) total += fn.invocations;
  out.reserve(total);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> within(0.0, 60000.0);
  for (uint32_t f = 0; f < trace.functions.size(); ++f) {
    const auto& counts = trace.functions[f].per_minute;
    for (uint32_t m = 0; m < counts.size(); ++m) {
      if (max_minutes != 0 && m >= max_minutes) break;
      for (uint32_t k = 0; k < counts[m]; ++k) out.push_back({m * 60000.0 + within(rng), f});
    }
  }
  std::sort(out.begin(), out.end(), [](const Arrival& a, const Arrival& b) {
    return a.time_ms < b.time_ms || (a.time_ms == b.time_ms && a.function < b.function);
  });
  return out;
}

}  // namespace tailor
