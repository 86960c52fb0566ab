#include "projections/civil_date.h"

#include <algorithm>
#include <cstdio>

namespace involvement {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Ymd {
  int year;
  int month;
  int day;
};

Ymd CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::optional<CivilDate> CivilDate::FromYmd(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > DaysInMonth(year, month)) {
    return std::nullopt;
  }
  return CivilDate(DaysFromCivil(year, static_cast<unsigned>(month),
                                 static_cast<unsigned>(day)));
}

std::optional<CivilDate> CivilDate::FromProto(const v1::Date& date) {
  return FromYmd(date.year(), date.month(), date.day());
}

std::optional<CivilDate> CivilDate::Parse(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8};
  const size_t lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (size_t i = 0; i < lengths[p]; ++i) {
      const char c = text[starts[p] + i];
      if (c < '0' || c > '9') return std::nullopt;
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  return FromYmd(parts[0], parts[1], parts[2]);
}

int CivilDate::year() const { return CivilFromDays(days_).year; }
int CivilDate::month() const { return CivilFromDays(days_).month; }
int CivilDate::day() const { return CivilFromDays(days_).day; }

int CivilDate::weekday() const {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  const int64_t w = (days_ + 3) % 7;
  return static_cast<int>(w < 0 ? w + 7 : w);
}

CivilDate CivilDate::AddMonths(int n) const {
  const Ymd d = CivilFromDays(days_);
  const int total = d.year * 12 + (d.month - 1) + n;
  const int year = total / 12;
  const int month = total % 12 + 1;
  const int day = std::min(d.day, DaysInMonth(year, month));
  return CivilDate(DaysFromCivil(year, static_cast<unsigned>(month),
                                 static_cast<unsigned>(day)));
}

v1::Date CivilDate::ToProto() const {
  const Ymd d = CivilFromDays(days_);
  v1::Date out;
  out.set_year(d.year);
  out.set_month(d.month);
  out.set_day(d.day);
  return out;
}

std::string CivilDate::ToString() const {
  const Ymd d = CivilFromDays(days_);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

}  // namespace involvement
