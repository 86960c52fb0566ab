// The demo organisation: a deterministic history of "Riverside Housing &
// Support", an invented housing and support provider, as the appends a
// client would send to the ledger, together with the list of policy
// breaches deliberately planted in it. ledger-demo (demo_generator.cc)
// sends the appends; tests and views can check their findings against the
// plan. No gRPC and no clock here: the history is a pure function of the
// seed, the start date and the number of years.
//
// Every date derives from the start date, and every random choice from
// std::mt19937_64 seeded with the seed (its output is fixed by the C++
// standard; the standard distributions are not, so none is used), so one
// seed gives the same history, byte for byte, on every platform.
//
// Thread safety: the functions are pure; CalendarDay is a value type.
#ifndef TOOLS_DEMO_ORGANISATION_H_
#define TOOLS_DEMO_ORGANISATION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "involvement/v1/events.pb.h"
#include "ledger/v1/ledger.pb.h"

namespace demo {

// A calendar date without a time zone, as a day number (days since
// 1970-01-01), so the scenario can add days and compare dates.
class CalendarDay {
 public:
  CalendarDay() = default;

  // The date, or nullopt unless it exists (years 1 to 9999).
  static std::optional<CalendarDay> FromYmd(int year, int month, int day);
  // Parses YYYY-MM-DD; nullopt otherwise.
  static std::optional<CalendarDay> Parse(std::string_view text);

  int64_t number() const { return days_; }
  int year() const;
  int month() const;
  int day() const;
  // 0 = Monday ... 6 = Sunday.
  int weekday() const;
  bool IsWeekend() const { return weekday() >= 5; }

  CalendarDay AddDays(int64_t n) const { return CalendarDay(days_ + n); }
  // The same day `n` months later, clamped to the month's last day.
  CalendarDay AddMonths(int n) const;
  // The n-th Monday-to-Friday date after this one (this one never counts);
  // bank holidays are not skipped (see DemoHistory on why that is safe).
  CalendarDay AddWeekdays(int n) const;
  // This date when it is Monday to Friday, else the Friday before.
  CalendarDay WeekdayOnOrBefore() const;

  // YYYY-MM-DD.
  std::string ToString() const;
  involvement::v1::Date ToProto() const;

  friend bool operator==(CalendarDay a, CalendarDay b) { return a.days_ == b.days_; }
  friend bool operator!=(CalendarDay a, CalendarDay b) { return a.days_ != b.days_; }
  friend bool operator<(CalendarDay a, CalendarDay b) { return a.days_ < b.days_; }
  friend bool operator<=(CalendarDay a, CalendarDay b) { return a.days_ <= b.days_; }
  friend bool operator>(CalendarDay a, CalendarDay b) { return a.days_ > b.days_; }
  friend bool operator>=(CalendarDay a, CalendarDay b) { return a.days_ >= b.days_; }
  // Days from `a` to `b` (b - a).
  friend int64_t DaysBetween(CalendarDay a, CalendarDay b) { return b.days_ - a.days_; }

 private:
  explicit CalendarDay(int64_t days) : days_(days) {}
  int64_t days_ = 0;
};

struct DemoOptions {
  uint64_t seed = 1;
  CalendarDay start = *CalendarDay::FromYmd(2025, 1, 6);
  // 1 to 10.
  int years = 2;
};

// One planted finding and the entries that show it.
struct PlantedFinding {
  // For breaches one of board_response_overdue, suag_meeting_gap,
  // no_service_user_board_member, feedback_unanswered,
  // complaint_timescale_missed, review_action_plan_overdue; for the
  // informational list, action_overdue.
  std::string kind;
  // The streams that show it, and the ids of the events in them that do.
  std::vector<std::string> streams;
  std::vector<std::string> event_ids;
  // Kind-specific facts as (name, JSON value) pairs, in output order.
  std::vector<std::pair<std::string, std::string>> facts;
  // One line for people, e.g. "recommendation/R-2025-007: never answered,
  // due 2025-06-01".
  std::string summary;
};

// The whole demo: what to send and what was planted.
//
// Complaint deadlines are scheduled by counting Monday to Friday only. A
// bank holiday can only make the Code's due date later, so a deadline met
// on this count is met under any working-day calendar; every planted miss
// is at least 6 weekdays past the Monday-to-Friday due date, more than the
// bank holidays any of the Code's periods can contain, so it is missed
// under the England and Wales calendar too.
struct DemoHistory {
  DemoOptions options;
  // The last day of the period (start + years - 1 day): the date as of
  // which the planted list is exactly the set of breaches.
  CalendarDay end;
  // In submission order: each stream's events in date order, each request
  // with expected_version set to the exact version before it, the events
  // of one stream on one date batched into one request. Event ids are
  // "demo-<seed>-<n>", n counting from 1 in submission order.
  std::vector<ledger::v1::AppendRequest> appends;
  // Every planted breach, and (informational, not a breach kind) every
  // action whose due date passed before it was completed.
  std::vector<PlantedFinding> breaches;
  std::vector<PlantedFinding> overdue_actions;
};

// Builds the demo for `options` (years must be 1 to 10).
DemoHistory BuildDemoHistory(const DemoOptions& options);

// Events planned, by stream kind ("body", "feedback", ...) and by event
// type ("MemberElected", ...), with the number of streams of each kind.
struct EventTotals {
  uint64_t appends = 0;
  uint64_t events = 0;
  std::map<std::string, uint64_t> events_by_kind;
  std::map<std::string, uint64_t> streams_by_kind;
  std::map<std::string, uint64_t> events_by_type;
};
EventTotals CountEvents(const DemoHistory& history);

// The plan as one JSON document: the period, the policy windows used, the
// totals, the planted breaches and the overdue actions.
std::string PlanJson(const DemoHistory& history);

}  // namespace demo

#endif  // TOOLS_DEMO_ORGANISATION_H_
