// Policy: the numbers the views measure against (response windows, meeting
// cadence, homes for CH01), from a documented configuration file with
// defaults. docs/policy.md describes the file.
#ifndef PROJECTIONS_POLICY_H_
#define PROJECTIONS_POLICY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace involvement {

struct Policy {
  // Days the Board (or SLT) has to respond to a recommendation that gives
  // no response_due of its own.
  int board_response_days = 60;
  // Days within which feedback gets its first response.
  int feedback_response_days = 28;
  // The most months allowed between two SUAG meetings.
  int max_meeting_gap_months = 3;
  // A member's term counts as ending when it ends within this many days.
  int term_ending_notice_days = 90;
  // Homes owned or managed, for CH01 (complaints per 1,000 homes).
  int homes = 1000;
  // Seats on SUAG, for vacancies (0: not configured).
  int suag_seats = 0;
};

// Parses `key = value` lines (# comments, blank lines allowed) over the
// defaults. INVALID_ARGUMENT names the line of an unknown key or a value
// that is not a positive whole number.
[[nodiscard]] absl::StatusOr<Policy> ParsePolicy(std::string_view text);

// Reads and parses the file at `path`; NOT_FOUND when it cannot be read.
[[nodiscard]] absl::StatusOr<Policy> LoadPolicy(const std::string& path);

}  // namespace involvement

#endif  // PROJECTIONS_POLICY_H_
