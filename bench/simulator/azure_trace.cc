#include "bench/simulator/azure_trace.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <unordered_map>

#include "common/file_util.h"

namespace tailor::sim {
namespace {

struct CsvFile {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string_view>> rows;
  std::string text;  // rows point into it
};

Result<CsvFile> ReadCsv(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  CsvFile f;
  f.path = path;
  f.text = std::move(text).value();
  bool first = true;
  for (std::string_view line : SplitString(f.text, '\n')) {
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

Result<double> Number(const CsvFile& f, size_t row, size_t column) {
  if (column >= f.rows[row].size()) return RowError(f, row, "too few fields");
  auto v = ParseDouble(TrimWhitespace(f.rows[row][column]));
  if (!v.ok() || !(*v >= 0)) {
    return RowError(f, row, "field '" + f.header[column] + "' is not a non-negative number");
  }
  return *v;
}

std::string ShortName(std::string_view hash) {
  return "fn-" + std::string(hash.substr(0, std::min<size_t>(12, hash.size())));
}

}  // namespace

Result<Trace> LoadAzure2019(const std::string& directory) {
  auto invocations = ReadCsv(JoinPath(directory, "invocations.csv"));
  if (!invocations.ok()) return invocations.status();
  auto durations = ReadCsv(JoinPath(directory, "durations.csv"));
  if (!durations.ok()) return durations.status();
  auto memory = ReadCsv(JoinPath(directory, "memory.csv"));
  if (!memory.ok()) return memory.status();

  Trace trace;
  trace.source = "azure2019:" + directory;
  auto fn_col = Column(*invocations, "HashFunction");
  auto app_col = Column(*invocations, "HashApp");
  auto trigger_col = Column(*invocations, "Trigger");
  if (!fn_col.ok()) return fn_col.status();
  if (!app_col.ok()) return app_col.status();
  if (!trigger_col.ok()) return trigger_col.status();
  const size_t first_minute = *trigger_col + 1;
  if (invocations->header.size() <= first_minute) {
    return InvalidArgumentError(invocations->path + ": no minute columns after 'Trigger'");
  }
  trace.minutes = static_cast<uint32_t>(invocations->header.size() - first_minute);
  // Functions are keyed by (app, function): the same function hash can appear in two apps.
  std::unordered_map<std::string, uint32_t> index_of;
  std::unordered_map<std::string, int> name_uses;
  for (size_t r = 0; r < invocations->rows.size(); ++r) {
    const auto& row = invocations->rows[r];
    if (row.size() != invocations->header.size()) {
      return RowError(*invocations, r,
                      "has " + std::to_string(row.size()) + " fields, the header has " +
                          std::to_string(invocations->header.size()));
    }
    TraceFunction fn;
    std::string name = ShortName(row[*fn_col]);
    if (int uses = name_uses[name]++; uses > 0) name += "-" + std::to_string(uses + 1);
    fn.name = std::move(name);
    fn.trigger = std::string(row[*trigger_col]);
    fn.per_minute.reserve(trace.minutes);
    for (size_t c = first_minute; c < row.size(); ++c) {
      auto n = ParseUint64(TrimWhitespace(row[c]));
      if (!n.ok() || *n > UINT32_MAX) {
        return RowError(*invocations, r, "minute '" + invocations->header[c] + "' is not a count");
      }
      fn.per_minute.push_back(static_cast<uint32_t>(*n));
      fn.invocations += *n;
    }
    index_of[std::string(row[*app_col]) + "/" + std::string(row[*fn_col])] =
        static_cast<uint32_t>(trace.functions.size());
    trace.functions.push_back(std::move(fn));
  }

  auto key_of = [](const CsvFile& f, size_t r) -> Result<std::string> {
    auto app = Column(f, "HashApp");
    auto fn = Column(f, "HashFunction");
    if (!app.ok()) return app.status();
    if (!fn.ok()) return fn.status();
    if (std::max(*app, *fn) >= f.rows[r].size()) return RowError(f, r, "too few fields");
    return std::string(f.rows[r][*app]) + "/" + std::string(f.rows[r][*fn]);
  };
  auto average_col = Column(*durations, "Average");
  if (!average_col.ok()) return average_col.status();
  std::array<size_t, 7> duration_cols{};
  for (size_t i = 0; i < kDurationPercentiles.size(); ++i) {
    auto c = Column(*durations,
                    "percentile_Average_" + std::to_string(int(kDurationPercentiles[i])));
    if (!c.ok()) return c.status();
    duration_cols[i] = *c;
  }
  for (size_t r = 0; r < durations->rows.size(); ++r) {
    auto key = key_of(*durations, r);
    if (!key.ok()) return key.status();
    auto it = index_of.find(*key);
    if (it == index_of.end()) continue;  // statistics of a function never invoked here
    TraceFunction& fn = trace.functions[it->second];
    auto average = Number(*durations, r, *average_col);
    if (!average.ok()) return average.status();
    fn.average_ms = *average;
    for (size_t i = 0; i < duration_cols.size(); ++i) {
      auto v = Number(*durations, r, duration_cols[i]);
      if (!v.ok()) return v.status();
      fn.duration_percentiles_ms[i] = *v;
    }
    fn.has_duration = true;
  }
  std::array<size_t, 8> memory_cols{};
  for (size_t i = 0; i < kMemoryPercentiles.size(); ++i) {
    auto c = Column(*memory, "AverageAllocatedMb_pct" + std::to_string(int(kMemoryPercentiles[i])));
    if (!c.ok()) return c.status();
    memory_cols[i] = *c;
  }
  for (size_t r = 0; r < memory->rows.size(); ++r) {
    auto key = key_of(*memory, r);
    if (!key.ok()) return key.status();
    auto it = index_of.find(*key);
    if (it == index_of.end()) continue;
    TraceFunction& fn = trace.functions[it->second];
    for (size_t i = 0; i < memory_cols.size(); ++i) {
      auto v = Number(*memory, r, memory_cols[i]);
      if (!v.ok()) return v.status();
      fn.memory_percentiles_mib[i] = *v;
    }
    fn.has_memory = true;
  }
  if (trace.functions.empty()) return InvalidArgumentError(invocations->path + ": no functions");
  return trace;
}

Result<Trace> LoadAzure2021(const std::string& csv_path) {
  auto csv = ReadCsv(csv_path);
  if (!csv.ok()) return csv.status();
  auto app_col = Column(*csv, "app");
  auto fn_col = Column(*csv, "func");
  auto end_col = Column(*csv, "end_timestamp");
  auto duration_col = Column(*csv, "duration");
  for (const Status* s : {&internal::GetStatus(app_col), &internal::GetStatus(fn_col), &internal::GetStatus(end_col),
                          &internal::GetStatus(duration_col)}) {
    if (!s->ok()) return *s;
  }
  Trace trace;
  trace.source = "azure2021:" + csv_path;
  std::unordered_map<std::string, uint32_t> index_of;
  std::vector<std::vector<double>> samples;
  double last_ms = 0;
  for (size_t r = 0; r < csv->rows.size(); ++r) {
    auto end_s = Number(*csv, r, *end_col);
    if (!end_s.ok()) return end_s.status();
    auto duration_s = Number(*csv, r, *duration_col);
    if (!duration_s.ok()) return duration_s.status();
    const std::string key =
        std::string(csv->rows[r][*app_col]) + "/" + std::string(csv->rows[r][*fn_col]);
    auto [it, added] = index_of.try_emplace(key, static_cast<uint32_t>(trace.functions.size()));
    if (added) {
      TraceFunction fn;
      fn.name = ShortName(csv->rows[r][*fn_col]);
      for (const auto& other : trace.functions) {
        if (other.name == fn.name) fn.name += "-" + std::to_string(it->second);
      }
      trace.functions.push_back(std::move(fn));
      samples.emplace_back();
    }
    const double start_ms = std::max(0.0, (*end_s - *duration_s) * 1000.0);
    trace.exact_arrivals.push_back({start_ms, it->second});
    samples[it->second].push_back(*duration_s * 1000.0);
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

}  // namespace tailor::sim
