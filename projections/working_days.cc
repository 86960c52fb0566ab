#include "projections/working_days.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace involvement {

namespace internal {
// projections/data/bank_holidays_england_wales.txt, defined in a source file
// that projections/CMakeLists.txt generates from it.
extern const char kBankHolidaysEnglandWalesText[];
}  // namespace internal

namespace {

// Floor division for a positive divisor.
int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// The number of Mondays to Fridays on or before `date`, counted from
// Monday 1969-12-29 (negative before it); only differences matter.
int64_t WeekdaysUpTo(CivilDate date) {
  const int64_t k = date.days() + 3;  // 0 on Monday 1969-12-29
  const int64_t weeks = FloorDiv(k, 7);
  const int64_t day_of_week = k - weeks * 7;  // 0 = Monday
  return weeks * 5 + std::min<int64_t>(day_of_week + 1, 5);
}

// The n-th Monday-to-Friday date after `start` (n >= 1).
CivilDate AddWeekdays(CivilDate start, int64_t n) {
  // The n-th weekday after a Saturday or Sunday is the n-th after Friday.
  const int weekday = start.weekday();
  if (weekday >= 5) start = start.AddDays(4 - weekday);
  const int64_t rest = n % 5;
  CivilDate date = start.AddDays(n / 5 * 7 + rest);
  if (start.weekday() + rest > 4) date = date.AddDays(2);  // over a weekend
  return date;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (IsBlank(text.front()) || text.front() == '\r')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (IsBlank(text.back()) || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

absl::Status LineError(int line_number, std::string_view line,
                       std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("bank holiday data line ", line_number, " \"",
                   std::string(line), "\": ", std::string(problem)));
}

}  // namespace

const WorkingDayCalendar& WorkingDayCalendar::EnglandAndWales() {
  static const WorkingDayCalendar* const calendar = [] {
    absl::StatusOr<WorkingDayCalendar> parsed =
        FromText(internal::kBankHolidaysEnglandWalesText);
    if (!parsed.ok()) {
      std::fprintf(stderr, "embedded England and Wales bank holidays: %s\n",
                   parsed.status().ToString().c_str());
      std::abort();
    }
    return new WorkingDayCalendar(*std::move(parsed));
  }();
  return *calendar;
}

absl::StatusOr<WorkingDayCalendar> WorkingDayCalendar::FromText(
    std::string_view text) {
  struct ParsedLine {
    BankHoliday holiday;
    int line_number;
  };
  std::vector<ParsedLine> parsed;
  int line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;

    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::optional<CivilDate> date = CivilDate::Parse(line.substr(0, 10));
    if (!date.has_value()) {
      return LineError(line_number, line, "expected a date YYYY-MM-DD");
    }
    if (line.size() == 10 || !IsBlank(line[10])) {
      return LineError(line_number, line,
                       "expected a space and the holiday's name after the date");
    }
    const std::string_view name = Trim(line.substr(11));
    if (name.empty()) {
      return LineError(line_number, line, "the holiday has no name");
    }
    if (date->weekday() >= 5) {
      return LineError(line_number, line,
                       "falls on a weekend; list the substitute weekday");
    }
    parsed.push_back({BankHoliday{*date, std::string(name)}, line_number});
  }
  if (parsed.empty()) {
    return absl::InvalidArgumentError("bank holiday data lists no holidays");
  }

  std::stable_sort(parsed.begin(), parsed.end(),
                   [](const ParsedLine& a, const ParsedLine& b) {
                     return a.holiday.date < b.holiday.date;
                   });
  WorkingDayCalendar calendar;
  calendar.holidays_.reserve(parsed.size());
  calendar.holiday_days_.reserve(parsed.size());
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (i > 0 && parsed[i].holiday.date == parsed[i - 1].holiday.date) {
      const auto [first, second] =
          std::minmax(parsed[i - 1].line_number, parsed[i].line_number);
      return absl::InvalidArgumentError(absl::StrCat(
          "bank holiday data line ", second, ": ",
          parsed[i].holiday.date.ToString(), " is already listed on line ",
          first));
    }
    calendar.holiday_days_.push_back(parsed[i].holiday.date.days());
    calendar.holidays_.push_back(std::move(parsed[i].holiday));
  }
  calendar.first_year_ = calendar.holidays_.front().date.year();
  calendar.last_year_ = calendar.holidays_.back().date.year();
  return calendar;
}

bool WorkingDayCalendar::Covers(CivilDate date) const {
  const int year = date.year();
  return year >= first_year_ && year <= last_year_;
}

bool WorkingDayCalendar::IsHoliday(CivilDate date) const {
  return std::binary_search(holiday_days_.begin(), holiday_days_.end(),
                            date.days());
}

bool WorkingDayCalendar::IsWorkingDay(CivilDate date) const {
  return date.weekday() < 5 && !IsHoliday(date);
}

int64_t WorkingDayCalendar::HolidaysBetween(CivilDate from, CivilDate to) const {
  if (to <= from) return 0;
  const auto first = std::upper_bound(holiday_days_.begin(),
                                      holiday_days_.end(), from.days());
  const auto past = std::upper_bound(first, holiday_days_.end(), to.days());
  return past - first;
}

CivilDate WorkingDayCalendar::AddWorkingDays(CivilDate start, int n) const {
  if (n <= 0) return start;
  // Step over n weekdays, then over one more weekday for each holiday
  // stepped over, until a step crosses no holiday. Every holiday is a
  // weekday (FromText refuses others), so the count comes out exact and the
  // date reached is itself a working day.
  CivilDate from = start;
  CivilDate date = AddWeekdays(from, n);
  int64_t holidays = HolidaysBetween(from, date);
  while (holidays > 0) {
    from = date;
    date = AddWeekdays(from, holidays);
    holidays = HolidaysBetween(from, date);
  }
  return date;
}

int64_t WorkingDayCalendar::WorkingDaysBetween(CivilDate from,
                                               CivilDate to) const {
  if (to <= from) return 0;
  return WeekdaysUpTo(to) - WeekdaysUpTo(from) - HolidaysBetween(from, to);
}

}  // namespace involvement
