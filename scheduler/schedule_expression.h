// ScheduleExpression: when a schedule fires, written as Amazon EventBridge writes it, in UTC:
//
//   rate(5 minutes)   rate(1 hour)   rate(2 days)        every N units from the schedule's
//                                                        creation (its anchor)
//   cron(Minutes Hours Day-of-month Month Day-of-week Year)
//     cron(0/15 * * * ? *)    every 15 minutes        cron(0 8 ? * MON-FRI *)  08:00 weekdays
//     cron(30 2 1 * ? *)      02:30 on each 1st       cron(0 12 * * ? 2027)    noon, every day of
//     2027
//
// Cron fields take `*`, a value, `a-b`, lists `a,b,c` and steps `*/n`, `a/n`, `a-b/n`; months
// 1-12 or JAN-DEC, days of the week 1-7 (1 is Sunday) or SUN-SAT, years 1970-2199. One of
// day-of-month and day-of-week must be `?` (the other then decides), as in EventBridge. `L`,
// `W` and `#` are refused with a message saying so. An expression that can never fire (30 Feb)
// is refused.
//
// Pure. Thread-safety: immutable after parsing.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace tailor::scheduler {

class ScheduleExpression {
 public:
  // INVALID_ARGUMENT (field "expression") saying what is wrong.
  static Result<ScheduleExpression> Parse(std::string_view text);

  // The first time strictly after `after` that the schedule fires; `anchor` is when a rate
  // schedule started (ignored by cron). Whole seconds (rates) or minutes (cron).
  WallTime Next(WallTime after, WallTime anchor) const;

  const std::string& text() const { return text_; }

 private:
  struct Cron {
    std::bitset<60> minutes;
    std::bitset<24> hours;
    std::bitset<32> days_of_month;  // 1..31
    std::bitset<13> months;         // 1..12
    std::bitset<8> days_of_week;    // 1..7, 1 = Sunday
    std::bitset<230> years;         // 1970..2199 as 0..229
    bool by_day_of_month = true;    // false: day-of-week decides
  };
  std::optional<WallTime> NextCron(WallTime after, int years_ahead) const;

  std::string text_;
  std::chrono::seconds rate_{0};  // > 0 for rate()
  Cron cron_;
};

}  // namespace tailor::scheduler
