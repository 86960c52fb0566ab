// WorkingDayCalendar: which dates are working days (Monday to Friday and
// not a bank holiday), and counting in working days, as complaint and
// response deadlines are counted. The England and Wales calendar is built
// from projections/data/bank_holidays_england_wales.txt, embedded into the
// binary at build time, so nothing is read from disk at run time. The file
// format is described in docs/complaint-timescales.md.
//
// Dates outside the years the data covers (see Covers()) are still counted:
// Saturdays and Sundays are never working days, but no holidays are
// assumed there, so a deadline counted through such years may come out
// early. Callers that care check Covers() for the dates they show.
#ifndef PROJECTIONS_WORKING_DAYS_H_
#define PROJECTIONS_WORKING_DAYS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "projections/civil_date.h"

namespace involvement {

// One bank holiday: the day it is taken and its name as written in the data.
struct BankHoliday {
  CivilDate date;
  std::string name;
};

// Thread safety: immutable after construction; all const methods may be
// called from any thread at once.
class WorkingDayCalendar {
 public:
  // The England and Wales calendar from the embedded data file. Built on
  // first use; the embedded data is checked by the tests, so a parse failure
  // here is a broken build and aborts.
  static const WorkingDayCalendar& EnglandAndWales();

  // Parses holiday data: one "YYYY-MM-DD name" per line; blank lines and
  // lines whose first non-blank character is '#' are skipped. Returns
  // INVALID_ARGUMENT naming the line number for a malformed line, an
  // impossible date, a missing name, a date on a Saturday or Sunday (list
  // the substitute weekday instead), a date listed twice, or text with no
  // holidays at all. Lines may be in any order.
  //
  // Example:
  //   auto calendar = WorkingDayCalendar::FromText(
  //       "2026-12-25 Christmas Day\n2026-12-28 Boxing Day (substitute day)\n");
  [[nodiscard]] static absl::StatusOr<WorkingDayCalendar> FromText(
      std::string_view text);

  // The first and last years the data covers: the years of its earliest
  // and latest holidays.
  int first_year() const { return first_year_; }
  int last_year() const { return last_year_; }

  // True when `date`'s year is within [first_year(), last_year()], so its
  // holidays are known.
  bool Covers(CivilDate date) const;

  // True when `date` is listed as a holiday.
  bool IsHoliday(CivilDate date) const;

  // True for Monday to Friday when not a holiday.
  bool IsWorkingDay(CivilDate date) const;

  // The date of the n-th working day after `start`; `start` itself never
  // counts, whether or not it is a working day. n = 0 returns `start`;
  // n must be >= 0 (a negative n is treated as 0).
  //
  // Example (England and Wales): AddWorkingDays(2026-04-02, 1) is
  // 2026-04-07, past Good Friday, the weekend and Easter Monday.
  CivilDate AddWorkingDays(CivilDate start, int n) const;

  // The number of working days d with from < d <= to; 0 when to <= from.
  // For n >= 0, WorkingDaysBetween(s, AddWorkingDays(s, n)) == n.
  int64_t WorkingDaysBetween(CivilDate from, CivilDate to) const;

  // Every holiday, in date order.
  const std::vector<BankHoliday>& holidays() const { return holidays_; }

 private:
  WorkingDayCalendar() = default;

  // Holidays d with from < d <= to.
  int64_t HolidaysBetween(CivilDate from, CivilDate to) const;

  std::vector<BankHoliday> holidays_;
  // holidays_[i].date.days(), sorted, for binary search.
  std::vector<int64_t> holiday_days_;
  int first_year_ = 0;
  int last_year_ = 0;
};

}  // namespace involvement

#endif  // PROJECTIONS_WORKING_DAYS_H_
