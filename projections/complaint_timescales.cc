#include "projections/complaint_timescales.h"

#include <algorithm>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace involvement {

namespace {

// INVALID_ARGUMENT unless `date` (when set) is on or after `earliest`.
absl::Status CheckNotBefore(const std::optional<CivilDate>& date,
                            std::string_view field, CivilDate earliest,
                            std::string_view earliest_field) {
  if (!date.has_value() || *date >= earliest) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(field), " (", date->ToString(), ") is before ",
      std::string(earliest_field), " (", earliest.ToString(), ")"));
}

absl::Status CheckExtension(int working_days, std::string_view field) {
  if (working_days >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(field), " is negative (", working_days, ")"));
}

absl::Status Validate(const ComplaintDates& d) {
  absl::Status status =
      CheckExtension(d.stage1_extension_working_days,
                     "stage1_extension_working_days");
  if (status.ok()) {
    status = CheckExtension(d.stage2_extension_working_days,
                            "stage2_extension_working_days");
  }
  if (status.ok()) {
    status = CheckNotBefore(d.stage1_acknowledged, "stage1_acknowledged",
                            d.received, "received");
  }
  if (status.ok()) {
    status = CheckNotBefore(d.stage1_responded, "stage1_responded",
                            d.received, "received");
  }
  if (status.ok()) {
    status = CheckNotBefore(d.stage2_requested, "stage2_requested",
                            d.received, "received");
  }
  if (!status.ok()) return status;

  if (!d.stage2_requested.has_value()) {
    if (d.stage2_acknowledged.has_value()) {
      return absl::InvalidArgumentError(
          "stage2_acknowledged is set but stage2_requested is not");
    }
    if (d.stage2_responded.has_value()) {
      return absl::InvalidArgumentError(
          "stage2_responded is set but stage2_requested is not");
    }
    if (d.stage2_extension_working_days != 0) {
      return absl::InvalidArgumentError(
          "stage2_extension_working_days is set but stage2_requested is not");
    }
    return absl::OkStatus();
  }
  status = CheckNotBefore(d.stage2_acknowledged, "stage2_acknowledged",
                          *d.stage2_requested, "stage2_requested");
  if (status.ok()) {
    status = CheckNotBefore(d.stage2_responded, "stage2_responded",
                            *d.stage2_requested, "stage2_requested");
  }
  return status;
}

// `date` when it happened by the end of `as_of`, else unset.
std::optional<CivilDate> AsOf(const std::optional<CivilDate>& date,
                              CivilDate as_of) {
  if (date.has_value() && *date <= as_of) return date;
  return std::nullopt;
}

Deadline Judge(CivilDate due, const std::optional<CivilDate>& actual,
               CivilDate as_of) {
  Deadline deadline;
  deadline.due = due;
  deadline.actual = actual;
  if (actual.has_value()) {
    deadline.status =
        *actual <= due ? TimescaleStatus::kMet : TimescaleStatus::kMissed;
  } else {
    deadline.status =
        as_of > due ? TimescaleStatus::kMissed : TimescaleStatus::kNotDueYet;
  }
  return deadline;
}

// One stage: acknowledgement due `kAcknowledgementWorkingDays` after
// `start`; the response due `response_days` plus the extension (capped at
// `max_extension`) after the acknowledgement, or after the acknowledgement's
// due date when there is none yet.
struct StageResult {
  Deadline ack;
  Deadline response;
  bool extension_over_limit = false;
};

StageResult JudgeStage(CivilDate start,
                       const std::optional<CivilDate>& acknowledged,
                       const std::optional<CivilDate>& responded,
                       int extension, int response_days, int max_extension,
                       CivilDate as_of, const WorkingDayCalendar& calendar) {
  StageResult result;
  const CivilDate ack_due =
      calendar.AddWorkingDays(start, kAcknowledgementWorkingDays);
  result.ack = Judge(ack_due, acknowledged, as_of);
  const CivilDate response_from = acknowledged.value_or(ack_due);
  result.extension_over_limit = extension > max_extension;
  const int counted_extension = std::min(extension, max_extension);
  const CivilDate response_due = calendar.AddWorkingDays(
      response_from, response_days + counted_extension);
  result.response = Judge(response_due, responded, as_of);
  return result;
}

}  // namespace

std::string_view TimescaleStatusName(TimescaleStatus status) {
  switch (status) {
    case TimescaleStatus::kNotApplicable:
      return "NOT_APPLICABLE";
    case TimescaleStatus::kNotDueYet:
      return "NOT_DUE_YET";
    case TimescaleStatus::kMet:
      return "MET";
    case TimescaleStatus::kMissed:
      return "MISSED";
  }
  return "UNKNOWN";
}

absl::StatusOr<ComplaintTimeliness> AssessComplaintTimeliness(
    const ComplaintDates& dates, CivilDate as_of,
    const WorkingDayCalendar& calendar) {
  if (absl::Status status = Validate(dates); !status.ok()) return status;

  ComplaintTimeliness out;
  if (dates.received > as_of) return out;

  const StageResult stage1 = JudgeStage(
      dates.received, AsOf(dates.stage1_acknowledged, as_of),
      AsOf(dates.stage1_responded, as_of), dates.stage1_extension_working_days,
      kStage1ResponseWorkingDays, kStage1MaxExtensionWorkingDays, as_of,
      calendar);
  out.ack1 = stage1.ack;
  out.response1 = stage1.response;
  out.extension1_over_limit = stage1.extension_over_limit;
  out.answered_within_timescales =
      out.response1.status == TimescaleStatus::kMet;
  // Coverage is by whole years, so both ends of each count being covered
  // means every day between is.
  out.beyond_calendar = !calendar.Covers(dates.received) ||
                        !calendar.Covers(*out.response1.due);

  const std::optional<CivilDate> requested = AsOf(dates.stage2_requested, as_of);
  if (requested.has_value()) {
    const StageResult stage2 = JudgeStage(
        *requested, AsOf(dates.stage2_acknowledged, as_of),
        AsOf(dates.stage2_responded, as_of),
        dates.stage2_extension_working_days, kStage2ResponseWorkingDays,
        kStage2MaxExtensionWorkingDays, as_of, calendar);
    out.ack2 = stage2.ack;
    out.response2 = stage2.response;
    out.extension2_over_limit = stage2.extension_over_limit;
    out.beyond_calendar = out.beyond_calendar ||
                          !calendar.Covers(*requested) ||
                          !calendar.Covers(*out.response2.due);
  }
  return out;
}

}  // namespace involvement
