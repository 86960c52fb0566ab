// Complaint timescales under the Complaint Handling Code with the England
// and Wales calendar: met, late, overdue and not yet due; a missing
// acknowledgement; extensions within and over the limit; stage 2 over
// Christmas; facts after as_of; dates beyond the holiday data; bad input.
// Every expected date was worked out by hand from a printed calendar; the
// comments list the working days counted.
#include "projections/complaint_timescales.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/civil_date.h"
#include "tests/ledger/test_util.h"

namespace involvement {
namespace {

using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;

CivilDate Date(std::string_view text) {
  const std::optional<CivilDate> date = CivilDate::Parse(text);
  EXPECT_TRUE(date.has_value()) << "bad date in test: " << text;
  return date.value_or(CivilDate());
}

// YYYY-MM-DD, or "unset".
std::string Text(const std::optional<CivilDate>& date) {
  return date.has_value() ? date->ToString() : "unset";
}

std::string Text(TimescaleStatus status) {
  return std::string(TimescaleStatusName(status));
}

class ComplaintTimescalesTest : public ::testing::Test {
 protected:
  // The assessment of `dates_` as of `as_of`; a failed assessment fails the
  // test and yields an empty result.
  ComplaintTimeliness Assess(std::string_view as_of) {
    absl::StatusOr<ComplaintTimeliness> result =
        AssessComplaintTimeliness(dates_, Date(as_of));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ComplaintTimeliness();
  }

  // Expects `deadline` to be due on `due`, done on `actual` ("unset" for
  // neither) with `status`.
  static void ExpectDeadline(const Deadline& deadline, std::string_view due,
                             std::string_view actual, std::string_view status) {
    EXPECT_EQ(Text(deadline.due), due);
    EXPECT_EQ(Text(deadline.actual), actual);
    EXPECT_EQ(Text(deadline.status), status);
  }

  // A stage 1 complaint received Monday 2 March 2026 and acknowledged on
  // Wednesday 4 March: acknowledgement due 3, 4, 5, 6, 9 -> 9 March;
  // response due 5, 6, 9, 10, 11, 12, 13, 16, 17, 18 -> 18 March.
  void ReceiveMarchComplaint() {
    dates_.received = Date("2026-03-02");
    dates_.stage1_acknowledged = Date("2026-03-04");
  }

  ComplaintDates dates_;
};

TEST_F(ComplaintTimescalesTest, StageOneMet) {
  ReceiveMarchComplaint();
  dates_.stage1_responded = Date("2026-03-16");
  const ComplaintTimeliness t = Assess("2026-03-31");
  ExpectDeadline(t.ack1, "2026-03-09", "2026-03-04", "MET");
  ExpectDeadline(t.response1, "2026-03-18", "2026-03-16", "MET");
  ExpectDeadline(t.ack2, "unset", "unset", "NOT_APPLICABLE");
  ExpectDeadline(t.response2, "unset", "unset", "NOT_APPLICABLE");
  EXPECT_TRUE(t.answered_within_timescales);
  EXPECT_FALSE(t.extension1_over_limit);
  EXPECT_FALSE(t.extension2_over_limit);
  EXPECT_FALSE(t.beyond_calendar);
}

TEST_F(ComplaintTimescalesTest, ResponseOnTheDueDateIsMet) {
  ReceiveMarchComplaint();
  dates_.stage1_responded = Date("2026-03-18");
  const ComplaintTimeliness t = Assess("2026-03-18");
  ExpectDeadline(t.response1, "2026-03-18", "2026-03-18", "MET");
  EXPECT_TRUE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, LateResponseIsMissed) {
  ReceiveMarchComplaint();
  dates_.stage1_responded = Date("2026-03-19");
  const ComplaintTimeliness t = Assess("2026-03-31");
  ExpectDeadline(t.response1, "2026-03-18", "2026-03-19", "MISSED");
  EXPECT_FALSE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, OpenComplaintIsOverdueTheDayAfterItsDueDate) {
  ReceiveMarchComplaint();
  ExpectDeadline(Assess("2026-03-18").response1, "2026-03-18", "unset",
                 "NOT_DUE_YET");
  const ComplaintTimeliness t = Assess("2026-03-19");
  ExpectDeadline(t.ack1, "2026-03-09", "2026-03-04", "MET");
  ExpectDeadline(t.response1, "2026-03-18", "unset", "MISSED");
  EXPECT_FALSE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, NotDueYetCountsFromTheAcknowledgementDeadline) {
  dates_.received = Date("2026-03-02");
  const ComplaintTimeliness t = Assess("2026-03-05");
  ExpectDeadline(t.ack1, "2026-03-09", "unset", "NOT_DUE_YET");
  // 10, 11, 12, 13, 16, 17, 18, 19, 20, 23.
  ExpectDeadline(t.response1, "2026-03-23", "unset", "NOT_DUE_YET");
  EXPECT_FALSE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, MissingAcknowledgementIsMissedButResponseCanBeMet) {
  dates_.received = Date("2026-03-02");
  dates_.stage1_responded = Date("2026-03-20");
  const ComplaintTimeliness t = Assess("2026-03-31");
  ExpectDeadline(t.ack1, "2026-03-09", "unset", "MISSED");
  // Counted from the acknowledgement deadline, 9 March.
  ExpectDeadline(t.response1, "2026-03-23", "2026-03-20", "MET");
  EXPECT_TRUE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, LateAcknowledgementMovesTheResponseDeadline) {
  dates_.received = Date("2026-03-02");
  dates_.stage1_acknowledged = Date("2026-03-11");
  const ComplaintTimeliness t = Assess("2026-03-24");
  ExpectDeadline(t.ack1, "2026-03-09", "2026-03-11", "MISSED");
  // 12, 13, 16, 17, 18, 19, 20, 23, 24, 25.
  ExpectDeadline(t.response1, "2026-03-25", "unset", "NOT_DUE_YET");
}

TEST_F(ComplaintTimescalesTest, ReceivedAtAWeekendCountsFromTheMonday) {
  dates_.received = Date("2026-03-07");  // Saturday
  const ComplaintTimeliness t = Assess("2026-03-07");
  // 9, 10, 11, 12, 13.
  ExpectDeadline(t.ack1, "2026-03-13", "unset", "NOT_DUE_YET");
}

TEST_F(ComplaintTimescalesTest, StageOneOverEaster) {
  dates_.received = Date("2026-03-30");
  dates_.stage1_acknowledged = Date("2026-04-01");
  dates_.stage1_responded = Date("2026-04-17");
  const ComplaintTimeliness t = Assess("2026-04-30");
  // 31, 1, 2, 7, 8 (Good Friday 3 and Easter Monday 6 April).
  ExpectDeadline(t.ack1, "2026-04-08", "2026-04-01", "MET");
  // 2, 7, 8, 9, 10, 13, 14, 15, 16, 17.
  ExpectDeadline(t.response1, "2026-04-17", "2026-04-17", "MET");
}

TEST_F(ComplaintTimescalesTest, ExtensionWithinTheLimitIsCounted) {
  ReceiveMarchComplaint();
  dates_.stage1_extension_working_days = 10;
  dates_.stage1_responded = Date("2026-03-31");
  const ComplaintTimeliness t = Assess("2026-04-30");
  // 20 after 4 March: ... 18 (10th), 19, 20, 23, 24, 25, 26, 27, 30, 31,
  // 1 April (20th).
  ExpectDeadline(t.response1, "2026-04-01", "2026-03-31", "MET");
  EXPECT_FALSE(t.extension1_over_limit);
  EXPECT_TRUE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, ExtensionOverTheLimitCountsOnlyTheMaximum) {
  ReceiveMarchComplaint();
  dates_.stage1_extension_working_days = 15;
  // Within the 15 days given (2, 7 April would be the 21st and 22nd), but
  // after the 10 the Code allows.
  dates_.stage1_responded = Date("2026-04-07");
  const ComplaintTimeliness t = Assess("2026-04-30");
  ExpectDeadline(t.response1, "2026-04-01", "2026-04-07", "MISSED");
  EXPECT_TRUE(t.extension1_over_limit);
  EXPECT_FALSE(t.extension2_over_limit);
  EXPECT_FALSE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, StageTwoOverChristmasMet) {
  dates_.received = Date("2026-11-02");
  dates_.stage1_acknowledged = Date("2026-11-04");
  dates_.stage1_responded = Date("2026-11-13");
  dates_.stage2_requested = Date("2026-12-21");
  dates_.stage2_acknowledged = Date("2026-12-23");
  dates_.stage2_responded = Date("2027-01-25");
  const ComplaintTimeliness t = Assess("2027-02-01");
  // 3, 4, 5, 6, 9 November.
  ExpectDeadline(t.ack1, "2026-11-09", "2026-11-04", "MET");
  // 5, 6, 9, 10, 11, 12, 13, 16, 17, 18.
  ExpectDeadline(t.response1, "2026-11-18", "2026-11-13", "MET");
  // 22, 23, 24, 29, 30 (25 and 28 December are holidays).
  ExpectDeadline(t.ack2, "2026-12-30", "2026-12-23", "MET");
  // 24, 29, 30, 31, 4-8, 11-15, 18-22, 25 January (1 January a holiday).
  ExpectDeadline(t.response2, "2027-01-25", "2027-01-25", "MET");
  EXPECT_TRUE(t.answered_within_timescales);
  EXPECT_FALSE(t.extension2_over_limit);
}

TEST_F(ComplaintTimescalesTest, StageTwoUnacknowledgedWithOverLimitExtension) {
  dates_.received = Date("2026-11-02");
  dates_.stage1_acknowledged = Date("2026-11-04");
  dates_.stage1_responded = Date("2026-11-13");
  dates_.stage2_requested = Date("2026-12-21");
  dates_.stage2_extension_working_days = 25;
  // 20 + 20 after the acknowledgement deadline, 30 December: 31, 4-8,
  // 11-15, 18-22, 25-29 January, 1-5, 8-12, 15-19, 22, 23, 24, 25 February.
  const ComplaintTimeliness due_day = Assess("2027-02-25");
  ExpectDeadline(due_day.ack2, "2026-12-30", "unset", "MISSED");
  ExpectDeadline(due_day.response2, "2027-02-25", "unset", "NOT_DUE_YET");
  EXPECT_TRUE(due_day.extension2_over_limit);
  EXPECT_FALSE(due_day.extension1_over_limit);

  const ComplaintTimeliness after = Assess("2027-02-26");
  ExpectDeadline(after.response2, "2027-02-25", "unset", "MISSED");
  // Stage 1 was answered in time whatever happens at stage 2.
  EXPECT_TRUE(after.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, FactsAfterAsOfHaveNotHappenedYet) {
  ReceiveMarchComplaint();
  dates_.stage1_responded = Date("2026-03-16");
  dates_.stage2_requested = Date("2026-03-20");
  const ComplaintTimeliness t = Assess("2026-03-10");
  ExpectDeadline(t.ack1, "2026-03-09", "2026-03-04", "MET");
  ExpectDeadline(t.response1, "2026-03-18", "unset", "NOT_DUE_YET");
  ExpectDeadline(t.ack2, "unset", "unset", "NOT_APPLICABLE");
  EXPECT_FALSE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, ComplaintReceivedAfterAsOfIsNotApplicable) {
  ReceiveMarchComplaint();
  const ComplaintTimeliness t = Assess("2026-03-01");
  ExpectDeadline(t.ack1, "unset", "unset", "NOT_APPLICABLE");
  ExpectDeadline(t.response1, "unset", "unset", "NOT_APPLICABLE");
  EXPECT_FALSE(t.answered_within_timescales);
}

TEST_F(ComplaintTimescalesTest, DeadlineBeyondTheHolidayDataIsFlagged) {
  dates_.received = Date("2030-12-20");
  const ComplaintTimeliness t = Assess("2030-12-20");
  // 23, 24, 27, 30, 31 (25 and 26 December 2030 are holidays).
  ExpectDeadline(t.ack1, "2030-12-31", "unset", "NOT_DUE_YET");
  // 2031 has no holiday data, so 1 January counts: 1, 2, 3, 6-10, 13, 14.
  ExpectDeadline(t.response1, "2031-01-14", "unset", "NOT_DUE_YET");
  EXPECT_TRUE(t.beyond_calendar);
}

TEST_F(ComplaintTimescalesTest, InconsistentDatesAreInvalid) {
  struct Case {
    const char* name;
    ComplaintDates dates;
    const char* message;
  };
  ComplaintDates base;
  base.received = Date("2026-03-02");

  std::vector<Case> cases;
  cases.push_back({"negative stage 1 extension", base,
                   "stage1_extension_working_days is negative"});
  cases.back().dates.stage1_extension_working_days = -1;
  cases.push_back({"acknowledged before received", base,
                   "stage1_acknowledged (2026-03-01) is before received"});
  cases.back().dates.stage1_acknowledged = Date("2026-03-01");
  cases.push_back({"responded before received", base, "stage1_responded"});
  cases.back().dates.stage1_responded = Date("2026-02-27");
  cases.push_back({"stage 2 acknowledged without a request", base,
                   "stage2_acknowledged is set but stage2_requested is not"});
  cases.back().dates.stage2_acknowledged = Date("2026-03-20");
  cases.push_back({"stage 2 extension without a request", base,
                   "stage2_extension_working_days"});
  cases.back().dates.stage2_extension_working_days = 5;
  cases.push_back({"stage 2 response before the request", base,
                   "stage2_responded (2026-03-19) is before stage2_requested"});
  cases.back().dates.stage2_requested = Date("2026-03-20");
  cases.back().dates.stage2_responded = Date("2026-03-19");
  cases.push_back({"negative stage 2 extension", base,
                   "stage2_extension_working_days is negative"});
  cases.back().dates.stage2_requested = Date("2026-03-20");
  cases.back().dates.stage2_extension_working_days = -2;

  for (const Case& c : cases) {
    EXPECT_THAT(AssessComplaintTimeliness(c.dates, Date("2026-04-30")),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.message)))
        << c.name;
  }
}

TEST(TimescaleStatusNameTest, NamesEveryStatus) {
  EXPECT_EQ(TimescaleStatusName(TimescaleStatus::kNotApplicable),
            "NOT_APPLICABLE");
  EXPECT_EQ(TimescaleStatusName(TimescaleStatus::kNotDueYet), "NOT_DUE_YET");
  EXPECT_EQ(TimescaleStatusName(TimescaleStatus::kMet), "MET");
  EXPECT_EQ(TimescaleStatusName(TimescaleStatus::kMissed), "MISSED");
}

}  // namespace
}  // namespace involvement
