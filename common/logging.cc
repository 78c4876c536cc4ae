#include "common/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

namespace tailor::log {
namespace {

struct State {
  std::mutex mu;
  Format format = Format::kText;
  std::shared_ptr<spdlog::logger> logger;
  std::set<std::string, std::less<>> once_keys;
};

State& GetState() {
  static State* state = [] {
    auto* s = new State();
    s->logger = spdlog::stderr_logger_mt("tailor");
    s->logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    s->logger->set_level(spdlog::level::info);
    return s;
  }();
  return *state;
}

spdlog::level::level_enum ToSpd(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\n' || c == '\t') return true;
  }
  return false;
}

}  // namespace

Field::Field(std::string_view k, double v) : key(k), is_string(false) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  value = buf;
}

Result<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn" || name == "warning") return Level::kWarn;
  if (name == "error") return Level::kError;
  if (name == "off") return Level::kOff;
  return InvalidArgumentError("unknown log level '" + std::string(name) +
                              "' (want debug, info, warn, error or off)");
}

Result<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  return InvalidArgumentError("unknown log format '" + std::string(name) + "' (want text or json)");
}

void Init(Level level, Format format) {
  State& s = GetState();
  std::lock_guard lock(s.mu);
  s.format = format;
  s.logger->set_level(ToSpd(level));
  if (format == Format::kJson) {
    s.logger->set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  } else {
    s.logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
}

bool Enabled(Level level) { return GetState().logger->should_log(ToSpd(level)); }

std::string FormatLine(Format format, std::string_view message, Fields fields) {
  if (format == Format::kJson) {
    // The object's braces come from the pattern; emit the members only.
    std::string out = "\"msg\":" + nlohmann::json(std::string(message)).dump();
    for (const Field& f : fields) {
      out += ',';
      out += nlohmann::json(std::string(f.key)).dump();
      out += ':';
      out += f.is_string ? nlohmann::json(f.value).dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace)
                         : f.value;
    }
    return out;
  }
  std::string out(message);
  for (const Field& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    out += NeedsQuotes(f.value) ? nlohmann::json(f.value).dump(
                                      -1, ' ', false, nlohmann::json::error_handler_t::replace)
                                : f.value;
  }
  return out;
}

void Log(Level level, std::string_view message, Fields fields) {
  State& s = GetState();
  auto spd = ToSpd(level);
  if (!s.logger->should_log(spd)) return;
  Format format;
  {
    std::lock_guard lock(s.mu);
    format = s.format;
  }
  s.logger->log(spd, "{}", FormatLine(format, message, fields));
}

bool LogOnce(Level level, std::string_view once_key, std::string_view message, Fields fields) {
  State& s = GetState();
  {
    std::lock_guard lock(s.mu);
    if (!s.once_keys.emplace(once_key).second) return false;
  }
  Log(level, message, fields);
  return true;
}

}  // namespace tailor::log
