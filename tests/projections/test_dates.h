// Shorthand for dates in the involvement tests: D(2026, 3, 2) is the
// involvement.v1.Date of 2 March 2026.
#ifndef TESTS_PROJECTIONS_TEST_DATES_H_
#define TESTS_PROJECTIONS_TEST_DATES_H_

#include "involvement/v1/events.pb.h"

namespace involvement::testing {

inline v1::Date D(int year, int month, int day) {
  v1::Date out;
  out.set_year(year);
  out.set_month(month);
  out.set_day(day);
  return out;
}

}  // namespace involvement::testing

#endif  // TESTS_PROJECTIONS_TEST_DATES_H_
