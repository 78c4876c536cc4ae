// Structured logging: an event message plus key=value fields, at a level, to stderr.
//
//   log::Info("node became unhealthy", {{"node", id}, {"silent_ms", 5012}});
//
// Text format:  2026-11-23T08:00:00.123Z INFO node became unhealthy node=n1 silent_ms=5012
// JSON format:  {"ts":"...","level":"info","msg":"node became unhealthy","node":"n1",...}
//
// Backed by spdlog. Init() is called once by each binary's main; before it, logging goes to
// stderr as text at info level. Thread-safety: all functions may be called from any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tailor::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };
enum class Format { kText, kJson };

Result<Level> ParseLevel(std::string_view name);    // debug|info|warn|error|off
Result<Format> ParseFormat(std::string_view name);  // text|json

void Init(Level level, Format format);
bool Enabled(Level level);

// One field of a log line. The value is kept as text plus whether it must be quoted in JSON.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v), is_string(true) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v), is_string(true) {}
  Field(std::string_view k, const char* v) : key(k), value(v), is_string(true) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), is_string(false) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)), is_string(false) {}
  Field(std::string_view k, unsigned v) : key(k), value(std::to_string(v)), is_string(false) {}
  Field(std::string_view k, long v) : key(k), value(std::to_string(v)), is_string(false) {}
  Field(std::string_view k, unsigned long v)
      : key(k), value(std::to_string(v)), is_string(false) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)), is_string(false) {}
  Field(std::string_view k, unsigned long long v)
      : key(k), value(std::to_string(v)), is_string(false) {}
  Field(std::string_view k, double v);
  Field(std::string_view k, const Status& s) : key(k), value(s.ToString()), is_string(true) {}

  std::string_view key;
  std::string value;
  bool is_string;
};

using Fields = std::initializer_list<Field>;

// Renders one line without timestamp and level (exposed for tests).
std::string FormatLine(Format format, std::string_view message, Fields fields);

void Log(Level level, std::string_view message, Fields fields = {});
inline void Debug(std::string_view m, Fields f = {}) { Log(Level::kDebug, m, f); }
inline void Info(std::string_view m, Fields f = {}) { Log(Level::kInfo, m, f); }
inline void Warn(std::string_view m, Fields f = {}) { Log(Level::kWarn, m, f); }
inline void Error(std::string_view m, Fields f = {}) { Log(Level::kError, m, f); }

// Logs at most once per process for each distinct `once_key` (for degraded sources that would
// otherwise repeat the same warning on every run). Returns true if it logged.
bool LogOnce(Level level, std::string_view once_key, std::string_view message, Fields fields = {});

}  // namespace tailor::log
