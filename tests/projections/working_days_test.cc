// WorkingDayCalendar: the embedded England and Wales data, counting over
// weekends, Christmas with substitute days, Easter and the one-off holidays
// of 2020, 2022 and 2023, the edges of AddWorkingDays and
// WorkingDaysBetween, dates beyond the data, and malformed data. Every
// expected date was worked out by hand from a printed calendar.
#include "projections/working_days.h"

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/civil_date.h"
#include "tests/ledger/test_util.h"

namespace involvement {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;

CivilDate Date(std::string_view text) {
  const std::optional<CivilDate> date = CivilDate::Parse(text);
  EXPECT_TRUE(date.has_value()) << "bad date in test: " << text;
  return date.value_or(CivilDate());
}

class WorkingDayCalendarTest : public ::testing::Test {
 protected:
  // The n-th working day after `start`, as YYYY-MM-DD.
  std::string Add(std::string_view start, int n) const {
    return calendar_.AddWorkingDays(Date(start), n).ToString();
  }
  int64_t Between(std::string_view from, std::string_view to) const {
    return calendar_.WorkingDaysBetween(Date(from), Date(to));
  }
  bool Working(std::string_view date) const {
    return calendar_.IsWorkingDay(Date(date));
  }

  const WorkingDayCalendar& calendar_ = WorkingDayCalendar::EnglandAndWales();
};

TEST_F(WorkingDayCalendarTest, EmbeddedDataCoversTwentyTwentyToTwentyThirty) {
  EXPECT_EQ(calendar_.first_year(), 2020);
  EXPECT_EQ(calendar_.last_year(), 2030);
  EXPECT_TRUE(calendar_.Covers(Date("2020-01-01")));
  EXPECT_TRUE(calendar_.Covers(Date("2030-12-31")));
  EXPECT_FALSE(calendar_.Covers(Date("2019-12-31")));
  EXPECT_FALSE(calendar_.Covers(Date("2031-01-01")));
}

TEST_F(WorkingDayCalendarTest, EmbeddedDataHasEightHolidaysInOrdinaryYears) {
  std::map<int, int> per_year;
  for (const BankHoliday& holiday : calendar_.holidays()) {
    ++per_year[holiday.date.year()];
    EXPECT_LT(holiday.date.weekday(), 5) << holiday.date.ToString();
    EXPECT_FALSE(holiday.name.empty()) << holiday.date.ToString();
  }
  const std::map<int, int> expected = {
      {2020, 8},   // early May moved to VE Day, still 8
      {2021, 8},  {2022, 10},  // Platinum Jubilee and the State Funeral
      {2023, 9},               // the Coronation
      {2024, 8},  {2025, 8},  {2026, 8}, {2027, 8},
      {2028, 8},  {2029, 8},  {2030, 8}};
  EXPECT_EQ(per_year, expected);
  EXPECT_EQ(calendar_.holidays().size(), 91u);
}

TEST_F(WorkingDayCalendarTest, HolidaysAreInDateOrderWithTheirNames) {
  const std::vector<BankHoliday>& holidays = calendar_.holidays();
  for (size_t i = 1; i < holidays.size(); ++i) {
    EXPECT_LT(holidays[i - 1].date, holidays[i].date);
  }
  ASSERT_FALSE(holidays.empty());
  EXPECT_EQ(holidays.front().date.ToString(), "2020-01-01");
  EXPECT_EQ(holidays.front().name, "New Year's Day");
  EXPECT_EQ(holidays.back().date.ToString(), "2030-12-26");
  EXPECT_EQ(holidays.back().name, "Boxing Day");
}

TEST_F(WorkingDayCalendarTest, WeekendsAreNotWorkingDays) {
  EXPECT_TRUE(Working("2026-03-06"));   // Friday
  EXPECT_FALSE(Working("2026-03-07"));  // Saturday
  EXPECT_FALSE(Working("2026-03-08"));  // Sunday
  EXPECT_TRUE(Working("2026-03-09"));   // Monday
  EXPECT_FALSE(calendar_.IsHoliday(Date("2026-03-07")));

  EXPECT_EQ(Add("2026-03-06", 1), "2026-03-09");   // Fri -> Mon
  EXPECT_EQ(Add("2026-03-07", 1), "2026-03-09");   // Sat -> Mon
  EXPECT_EQ(Add("2026-03-08", 5), "2026-03-13");   // Sun -> Fri
  EXPECT_EQ(Add("2026-03-02", 5), "2026-03-09");   // Mon -> Mon
  EXPECT_EQ(Add("2026-03-04", 10), "2026-03-18");  // Wed -> Wed, two weekends
  EXPECT_EQ(Add("2026-03-05", 2), "2026-03-09");   // Thu -> Mon
}

TEST_F(WorkingDayCalendarTest, ChristmasTwentyTwentySixWithBoxingDaySubstitute) {
  // Christmas Day is Friday 25 December; Boxing Day (Saturday) is taken on
  // Monday 28 December; New Year's Day is Friday 1 January 2027.
  EXPECT_FALSE(Working("2026-12-25"));
  EXPECT_FALSE(Working("2026-12-28"));
  EXPECT_TRUE(Working("2026-12-29"));
  EXPECT_FALSE(Working("2027-01-01"));

  // 22, 23, 24, 29, 30.
  EXPECT_EQ(Add("2026-12-21", 5), "2026-12-30");
  // ... 31, 4, 5, 6, 7 January.
  EXPECT_EQ(Add("2026-12-21", 10), "2027-01-07");
  EXPECT_EQ(Between("2026-12-24", "2026-12-29"), 1);
  EXPECT_EQ(Between("2026-12-21", "2027-01-07"), 10);
}

TEST_F(WorkingDayCalendarTest, ChristmasTwentyTwentySevenWithBothSubstitutes) {
  // Christmas and Boxing Day fall on Saturday and Sunday 2027; both are
  // taken on Monday 27 and Tuesday 28 December; New Year's Day 2028 is a
  // Saturday, taken on Monday 3 January.
  EXPECT_TRUE(Working("2027-12-24"));
  EXPECT_FALSE(Working("2027-12-27"));
  EXPECT_FALSE(Working("2027-12-28"));
  EXPECT_FALSE(Working("2028-01-03"));

  // 23, 24, 29, 30, 31.
  EXPECT_EQ(Add("2027-12-22", 5), "2027-12-31");
  // ... then 4 January 2028.
  EXPECT_EQ(Add("2027-12-22", 6), "2028-01-04");
  EXPECT_EQ(Between("2027-12-24", "2028-01-04"), 4);  // 29, 30, 31, 4
}

TEST_F(WorkingDayCalendarTest, EasterTwentyTwentySix) {
  EXPECT_TRUE(calendar_.IsHoliday(Date("2026-04-03")));  // Good Friday
  EXPECT_TRUE(calendar_.IsHoliday(Date("2026-04-06")));  // Easter Monday
  EXPECT_FALSE(Working("2026-04-03"));
  EXPECT_FALSE(Working("2026-04-06"));
  EXPECT_TRUE(Working("2026-04-07"));

  EXPECT_EQ(Add("2026-04-02", 1), "2026-04-07");
  // 2, 7, 8, 9, 10.
  EXPECT_EQ(Add("2026-04-01", 5), "2026-04-10");
  EXPECT_EQ(Between("2026-04-02", "2026-04-07"), 1);
  EXPECT_EQ(Between("2026-04-02", "2026-04-06"), 0);
}

TEST_F(WorkingDayCalendarTest, PlatinumJubileeAndStateFuneralTwentyTwentyTwo) {
  // The spring bank holiday moved from Monday 30 May to Thursday 2 June,
  // with an extra holiday on Friday 3 June.
  EXPECT_TRUE(Working("2022-05-30"));
  EXPECT_FALSE(Working("2022-06-02"));
  EXPECT_FALSE(Working("2022-06-03"));
  EXPECT_EQ(Add("2022-06-01", 1), "2022-06-06");
  // 30, 31, 1, 6, 7.
  EXPECT_EQ(Add("2022-05-27", 5), "2022-06-07");

  EXPECT_FALSE(Working("2022-09-19"));  // State Funeral, a Monday
  EXPECT_EQ(Add("2022-09-16", 1), "2022-09-20");
}

TEST_F(WorkingDayCalendarTest, CoronationAndVeDayOneOffs) {
  // May 2023: 23 weekdays, less 1 May, 8 May (Coronation) and 29 May.
  EXPECT_FALSE(Working("2023-05-08"));
  EXPECT_EQ(Between("2023-04-30", "2023-05-31"), 20);
  // 2, 3, 4, 5, 9 May.
  EXPECT_EQ(Add("2023-04-28", 5), "2023-05-09");

  // 2020's early May bank holiday was Friday 8 May, not Monday 4 May.
  EXPECT_TRUE(Working("2020-05-04"));
  EXPECT_FALSE(Working("2020-05-08"));
  EXPECT_EQ(Add("2020-05-07", 1), "2020-05-11");
}

TEST_F(WorkingDayCalendarTest, AddWorkingDaysEdges) {
  // n = 0 returns the start, even on a holiday or a weekend.
  EXPECT_EQ(Add("2026-12-25", 0), "2026-12-25");
  EXPECT_EQ(Add("2026-03-07", 0), "2026-03-07");
  // A negative n is treated as 0.
  EXPECT_EQ(Add("2026-03-04", -3), "2026-03-04");
  // Starting on a holiday: the holiday is not counted.
  EXPECT_EQ(Add("2026-12-25", 1), "2026-12-29");
  // A whole year of weekdays beyond the data: 52 weeks, no holidays.
  EXPECT_EQ(Add("2035-01-01", 260), "2035-12-31");
}

TEST_F(WorkingDayCalendarTest, WorkingDaysBetweenEdges) {
  EXPECT_EQ(Between("2026-03-09", "2026-03-09"), 0);
  EXPECT_EQ(Between("2026-03-10", "2026-03-09"), 0);  // backwards
  EXPECT_EQ(Between("2026-03-06", "2026-03-08"), 0);  // Fri -> Sun
  EXPECT_EQ(Between("2026-03-06", "2026-03-09"), 1);  // Fri -> Mon
  EXPECT_EQ(Between("2026-03-07", "2026-03-13"), 5);  // Sat -> Fri
  EXPECT_EQ(Between("2026-12-25", "2026-12-29"), 1);  // from a holiday
  // 2026: 261 weekdays less 8 holidays.
  EXPECT_EQ(Between("2025-12-31", "2026-12-31"), 253);
}

TEST_F(WorkingDayCalendarTest, DatesBeyondTheDataCountWeekendsOnly) {
  EXPECT_FALSE(calendar_.Covers(Date("2035-12-25")));
  EXPECT_TRUE(Working("2035-12-25"));  // a Tuesday; no holidays assumed
  EXPECT_FALSE(Working("2035-12-29"));  // a Saturday
  // 24, 25, 26 December 2019 are Tue-Thu: no holidays known before 2020.
  EXPECT_EQ(Between("2019-12-23", "2019-12-27"), 4);
  // 25 and 26 December 2030 are known; 1 January 2031 is not.
  EXPECT_EQ(Add("2030-12-24", 3), "2030-12-31");
  EXPECT_EQ(Add("2030-12-31", 1), "2031-01-01");
}

TEST_F(WorkingDayCalendarTest, AddAndBetweenAgreeWithDayByDayCounting) {
  // AddWorkingDays jumps over weeks; check it against stepping one day at a
  // time with IsWorkingDay, from every day of a span crossing the data's
  // end.
  for (CivilDate start = Date("2029-11-01"); start <= Date("2031-02-01");
       start = start.AddDays(1)) {
    CivilDate stepped = start;
    for (int n = 1; n <= 45; ++n) {
      do {
        stepped = stepped.AddDays(1);
      } while (!calendar_.IsWorkingDay(stepped));
      const CivilDate added = calendar_.AddWorkingDays(start, n);
      ASSERT_EQ(added, stepped) << start.ToString() << " + " << n << " gave "
                                << added.ToString() << ", expected "
                                << stepped.ToString();
      ASSERT_EQ(calendar_.WorkingDaysBetween(start, added), n)
          << start.ToString() << " to " << added.ToString();
    }
  }
}

TEST(WorkingDayCalendarFromTextTest, ParsesCommentsBlankLinesAndAnyOrder) {
  ASSERT_OK_AND_ASSIGN(const WorkingDayCalendar calendar,
                       WorkingDayCalendar::FromText(
                           "# test data\n"
                           "\n"
                           "  2027-01-01 New Year's Day  \r\n"
                           "2026-12-25\tChristmas Day\n"
                           "   # indented comment\n"
                           "2026-12-28 Boxing Day (substitute day)"));
  EXPECT_EQ(calendar.first_year(), 2026);
  EXPECT_EQ(calendar.last_year(), 2027);
  ASSERT_EQ(calendar.holidays().size(), 3u);
  EXPECT_EQ(calendar.holidays()[0].date.ToString(), "2026-12-25");
  EXPECT_EQ(calendar.holidays()[0].name, "Christmas Day");
  EXPECT_EQ(calendar.holidays()[2].name, "New Year's Day");
  EXPECT_EQ(calendar.AddWorkingDays(Date("2026-12-24"), 1).ToString(),
            "2026-12-29");
  EXPECT_FALSE(calendar.Covers(Date("2028-01-03")));
}

TEST(WorkingDayCalendarFromTextTest, MalformedLinesAreNamed) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"2026-13-01 Nonsense\n", "line 1 "},
      {"# header\n\n2026-02-30 No such day\n", "line 3 "},
      {"Christmas 2026-12-25\n", "expected a date"},
      {"2026-12-25\n", "name after the date"},
      {"2026-12-25Christmas Day\n", "name after the date"},
      {"2026-12-25    \n", "name after the date"},
      {"2026-12-25 Christmas Day\n2026-12-26 Boxing Day\n", "line 2 "},
      {"2026-12-26 Boxing Day\n", "falls on a weekend"},  // a Saturday
      {"26-12-25 Christmas Day\n", "expected a date"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(WorkingDayCalendar::FromText(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)))
        << c.text;
  }
}

TEST(WorkingDayCalendarFromTextTest, DuplicateDateNamesBothLines) {
  EXPECT_THAT(WorkingDayCalendar::FromText("2026-12-25 Christmas Day\n"
                                           "2026-12-28 Boxing Day\n"
                                           "2026-12-25 Christmas again\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 3: 2026-12-25 is already listed on line 1")));
}

TEST(WorkingDayCalendarFromTextTest, NoHolidaysIsAnError) {
  EXPECT_THAT(WorkingDayCalendar::FromText(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(WorkingDayCalendar::FromText("# only a comment\n\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no holidays")));
}

}  // namespace
}  // namespace involvement
