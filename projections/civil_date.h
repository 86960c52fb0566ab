// CivilDate: a calendar date without a time zone, as the involvement
// domain counts deadlines. Converts to and from involvement.v1.Date and a
// day number, so views can add days and compare dates without a clock.
#ifndef PROJECTIONS_CIVIL_DATE_H_
#define PROJECTIONS_CIVIL_DATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "involvement/v1/events.pb.h"

namespace involvement {

class CivilDate {
 public:
  // 1970-01-01.
  CivilDate() = default;

  // The date with that year, month and day; nullopt unless it exists
  // (years 1 to 9999).
  static std::optional<CivilDate> FromYmd(int year, int month, int day);
  // From the wire type; nullopt for an unset or impossible date.
  static std::optional<CivilDate> FromProto(const v1::Date& date);
  // Parses YYYY-MM-DD; nullopt otherwise.
  static std::optional<CivilDate> Parse(std::string_view text);
  // The date `days` after 1970-01-01 (negative: before).
  static CivilDate FromDays(int64_t days) { return CivilDate(days); }

  int year() const;
  int month() const;
  int day() const;
  // Days since 1970-01-01.
  int64_t days() const { return days_; }
  // 0 = Monday ... 6 = Sunday.
  int weekday() const;

  CivilDate AddDays(int64_t n) const { return CivilDate(days_ + n); }
  // The same day `n` months later, clamped to the month's last day.
  CivilDate AddMonths(int n) const;

  v1::Date ToProto() const;
  // YYYY-MM-DD.
  std::string ToString() const;

  friend bool operator==(CivilDate a, CivilDate b) { return a.days_ == b.days_; }
  friend bool operator!=(CivilDate a, CivilDate b) { return a.days_ != b.days_; }
  friend bool operator<(CivilDate a, CivilDate b) { return a.days_ < b.days_; }
  friend bool operator<=(CivilDate a, CivilDate b) { return a.days_ <= b.days_; }
  friend bool operator>(CivilDate a, CivilDate b) { return a.days_ > b.days_; }
  friend bool operator>=(CivilDate a, CivilDate b) { return a.days_ >= b.days_; }
  // Days from `a` to `b` (b - a).
  friend int64_t DaysBetween(CivilDate a, CivilDate b) { return b.days_ - a.days_; }

 private:
  explicit CivilDate(int64_t days) : days_(days) {}
  int64_t days_ = 0;
};

}  // namespace involvement

#endif  // PROJECTIONS_CIVIL_DATE_H_
