// Complaint deadlines under the Housing Ombudsman's Complaint Handling Code
// (2024), counted in working days, and whether each was met as of a date.
// A pure function of plain dates: no protobuf and no clock, so the
// complaints view can call it while folding the log. The rules as
// implemented, with examples, are in docs/complaint-timescales.md.
//
// The timescales (every period counts working days after the day it starts
// from, which itself never counts):
//   - stage 1 acknowledgement: 5 after the complaint is received;
//   - stage 1 response: 10 after the acknowledgement (or after the day it
//     was due, when there is none), plus any extension of up to 10 more;
//   - stage 2 acknowledgement: 5 after the escalation request is received;
//   - stage 2 response: 20 after the stage 2 acknowledgement (or after the
//     day it was due), plus any extension of up to 20 more.
// An extension beyond the maximum counts only up to the maximum and is
// flagged.
#ifndef PROJECTIONS_COMPLAINT_TIMESCALES_H_
#define PROJECTIONS_COMPLAINT_TIMESCALES_H_

#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "projections/civil_date.h"
#include "projections/working_days.h"

namespace involvement {

// The Code's periods, in working days.
inline constexpr int kAcknowledgementWorkingDays = 5;
inline constexpr int kStage1ResponseWorkingDays = 10;
inline constexpr int kStage1MaxExtensionWorkingDays = 10;
inline constexpr int kStage2ResponseWorkingDays = 20;
inline constexpr int kStage2MaxExtensionWorkingDays = 20;

// What is known about one complaint: the dates things happened and the
// extensions the landlord gave. Unset optionals have not happened.
struct ComplaintDates {
  // The day the stage 1 complaint was received.
  CivilDate received;
  std::optional<CivilDate> stage1_acknowledged;
  // Total working days the stage 1 response was extended by, over all
  // extensions given.
  int stage1_extension_working_days = 0;
  std::optional<CivilDate> stage1_responded;
  // The day the request to escalate to stage 2 was received.
  std::optional<CivilDate> stage2_requested;
  std::optional<CivilDate> stage2_acknowledged;
  int stage2_extension_working_days = 0;
  std::optional<CivilDate> stage2_responded;
};

enum class TimescaleStatus {
  kNotApplicable,  // the step does not arise (no escalation, or not yet)
  kNotDueYet,      // not done, and its due date is as_of or later
  kMet,            // done on or before its due date
  kMissed,         // done after its due date, or still not done after it
};

// "NOT_APPLICABLE", "NOT_DUE_YET", "MET" or "MISSED".
std::string_view TimescaleStatusName(TimescaleStatus status);

// One step's deadline and what happened.
struct Deadline {
  std::optional<CivilDate> due;     // unset when not applicable
  std::optional<CivilDate> actual;  // when it was done, if by as_of
  TimescaleStatus status = TimescaleStatus::kNotApplicable;
};

struct ComplaintTimeliness {
  Deadline ack1;       // stage 1 acknowledgement
  Deadline response1;  // stage 1 response
  Deadline ack2;       // stage 2 acknowledgement
  Deadline response2;  // stage 2 (final) response
  // The extension given exceeds the Code's maximum (10 working days at
  // stage 1, 20 at stage 2); only the maximum was counted.
  bool extension1_over_limit = false;
  bool extension2_over_limit = false;
  // The stage 1 response was met (response1.status == kMet): the stage 1
  // part of the tenant satisfaction measure CH02. The stage 2 part is
  // response2.status == kMet.
  bool answered_within_timescales = false;
  // Some date counted from or to lies in a year the calendar has no
  // holiday data for, so a due date may be too early (see
  // WorkingDayCalendar::Covers).
  bool beyond_calendar = false;
};

// The complaint's deadlines and their status as of the end of `as_of`.
// Facts dated after `as_of` are treated as not having happened yet, so the
// answer is what was known on that day; a complaint received after `as_of`
// has every step NOT_APPLICABLE.
//
// Returns INVALID_ARGUMENT naming the field when an extension is negative,
// a date is before the date it follows from (anything before `received`;
// a stage 2 date before `stage2_requested`), or a stage 2 acknowledgement,
// response or extension is given without `stage2_requested`.
//
// Example: received Monday 2026-03-02, acknowledged 2026-03-04, not yet
// answered, as of 2026-03-20: ack1 due 2026-03-09, MET; response1 due
// 2026-03-18 (10 working days after 03-04), MISSED.
[[nodiscard]] absl::StatusOr<ComplaintTimeliness> AssessComplaintTimeliness(
    const ComplaintDates& dates, CivilDate as_of,
    const WorkingDayCalendar& calendar = WorkingDayCalendar::EnglandAndWales());

}  // namespace involvement

#endif  // PROJECTIONS_COMPLAINT_TIMESCALES_H_
