#include "scheduler/schedule_expression.h"

#include <array>
#include <cctype>
#include <vector>

#include "common/names.h"

namespace tailor::scheduler {
namespace {

using namespace std::chrono;

constexpr size_t kMaxExpressionBytes = 256;
constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;

Status Bad(std::string message) {
  return InvalidArgumentError("expression: " + std::move(message)).WithField("expression");
}

std::vector<std::string_view> Split(std::string_view s, char by) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(by, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::optional<int> Number(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

struct FieldSpec {
  const char* name;
  int lo, hi;
  const std::array<std::string_view, 12>* names;  // names for lo, lo+1, ... (may be null)
};

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kWeekdays = {"SUN", "MON", "TUE", "WED", "THU", "FRI",
                                                        "SAT", "",    "",    "",    "",    ""};

std::optional<int> Value(std::string_view s, const FieldSpec& f) {
  if (auto n = Number(s)) return *n;
  if (f.names != nullptr) {
    std::string upper(s);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (size_t i = 0; i < f.names->size(); ++i) {
      if (!(*f.names)[i].empty() && (*f.names)[i] == upper) return f.lo + static_cast<int>(i);
    }
  }
  return std::nullopt;
}

// Sets in `bits` (indexed from f.lo, shifted by `offset`) what one cron field allows.
template <size_t N>
Status ParseField(std::string_view text, const FieldSpec& f, std::bitset<N>& bits, int offset) {
  for (std::string_view item : Split(text, ',')) {
    if (item.find_first_of("LW#") != std::string_view::npos) {
      return Bad(std::string(f.name) + ": L, W and # are not supported");
    }
    int step = 1;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      auto s = Number(item.substr(slash + 1));
      if (!s || *s < 1) return Bad(std::string(f.name) + ": a step must be a positive number");
      step = *s;
      item = item.substr(0, slash);
    }
    int from = f.lo, to = f.hi;
    if (item != "*") {
      const size_t dash = item.find('-');
      auto a = Value(item.substr(0, dash), f);
      auto b = dash == std::string_view::npos ? a : Value(item.substr(dash + 1), f);
      if (!a || !b)
        return Bad(std::string(f.name) + ": '" + Excerpt(item, 16) + "' is not a value");
      from = *a;
      to = dash == std::string_view::npos && step > 1 ? f.hi : *b;
    }
    if (from < f.lo || to > f.hi || from > to) {
      return Bad(std::string(f.name) + " must be within " + std::to_string(f.lo) + ".." +
                 std::to_string(f.hi));
    }
    for (int v = from; v <= to; v += step) bits.set(static_cast<size_t>(v - offset));
  }
  return OkStatus();
}

sys_seconds Floor(WallTime t) { return floor<seconds>(t); }

}  // namespace

Result<ScheduleExpression> ScheduleExpression::Parse(std::string_view text) {
  if (text.size() > kMaxExpressionBytes) return Bad("longer than 256 bytes");
  ScheduleExpression e;
  e.text_ = std::string(text);
  if (text.starts_with("rate(") && text.ends_with(")")) {
    const auto parts = Split(text.substr(5, text.size() - 6), ' ');
    auto n = parts.size() == 2 ? Number(parts[0]) : std::nullopt;
    if (!n || *n < 1) return Bad("rate(N unit): N must be a whole number from 1");
    const std::string_view unit = parts[1];
    seconds each{0};
    if (unit == "minute" || unit == "minutes") each = minutes(1);
    if (unit == "hour" || unit == "hours") each = hours(1);
    if (unit == "day" || unit == "days") each = days(1);
    if (each.count() == 0) return Bad("rate(N unit): the unit is minute(s), hour(s) or day(s)");
    e.rate_ = each * *n;
    return e;
  }
  if (!text.starts_with("cron(") || !text.ends_with(")")) {
    return Bad("must be rate(N unit) or cron(minutes hours day-of-month month day-of-week year)");
  }
  const auto f = Split(text.substr(5, text.size() - 6), ' ');
  if (f.size() != 6) return Bad("cron() takes six fields separated by single spaces");
  if ((f[2] == "?") == (f[4] == "?")) {
    return Bad("exactly one of day-of-month and day-of-week must be '?'");
  }
  Cron& c = e.cron_;
  TAILOR_RETURN_IF_ERROR(ParseField(f[0], {"minutes", 0, 59, nullptr}, c.minutes, 0));
  TAILOR_RETURN_IF_ERROR(ParseField(f[1], {"hours", 0, 23, nullptr}, c.hours, 0));
  c.by_day_of_month = f[2] != "?";
  if (c.by_day_of_month) {
    TAILOR_RETURN_IF_ERROR(ParseField(f[2], {"day-of-month", 1, 31, nullptr}, c.days_of_month, 0));
  } else {
    TAILOR_RETURN_IF_ERROR(ParseField(f[4], {"day-of-week", 1, 7, &kWeekdays}, c.days_of_week, 0));
  }
  TAILOR_RETURN_IF_ERROR(ParseField(f[3], {"month", 1, 12, &kMonths}, c.months, 0));
  TAILOR_RETURN_IF_ERROR(
      ParseField(f[5], {"year", kFirstYear, kLastYear, nullptr}, c.years, kFirstYear));
  // Refused now rather than never firing (30 February, a year gone by).
  if (!e.NextCron(system_clock::from_time_t(0), kLastYear - kFirstYear + 1)) {
    return Bad("it never fires");
  }
  return e;
}

WallTime ScheduleExpression::Next(WallTime after, WallTime anchor) const {
  if (rate_.count() > 0) {
    const sys_seconds a = Floor(anchor);
    if (after < a) return a;
    const auto periods = (Floor(after) - a) / rate_ + 1;
    return a + rate_ * periods;
  }
  // Past the last year a schedule allows, it fires no more: far in the future stands for that.
  return NextCron(after, 6).value_or(WallTime::max());
}

std::optional<WallTime> ScheduleExpression::NextCron(WallTime after, int years_ahead) const {
  const Cron& c = cron_;
  sys_time<minutes> t = floor<minutes>(after) + minutes(1);
  const auto limit = t + years(years_ahead);
  while (t < limit) {
    const sys_days day = floor<days>(t);
    const year_month_day ymd(day);
    const int y = static_cast<int>(ymd.year());
    if (y > kLastYear) return std::nullopt;
    if (y < kFirstYear || !c.years.test(static_cast<size_t>(y - kFirstYear))) {
      t = sys_days(year_month_day(ymd.year() + years(1), January, 1d));
      continue;
    }
    const unsigned m = static_cast<unsigned>(ymd.month());
    if (!c.months.test(m)) {
      const year_month next = year_month(ymd.year(), ymd.month()) + months(1);
      t = sys_days(next / 1d);
      continue;
    }
    const bool day_ok = c.by_day_of_month ? c.days_of_month.test(static_cast<unsigned>(ymd.day()))
                                          : c.days_of_week.test(weekday(day).c_encoding() + 1);
    if (!day_ok) {
      t = day + days(1);
      continue;
    }
    const auto minute_of_day = (t - day).count();
    if (!c.hours.test(static_cast<size_t>(minute_of_day / 60))) {
      t = day + hours(minute_of_day / 60 + 1);
      continue;
    }
    if (!c.minutes.test(static_cast<size_t>(minute_of_day % 60))) {
      t += minutes(1);
      continue;
    }
    return WallTime(t);
  }
  return std::nullopt;
}

}  // namespace tailor::scheduler
