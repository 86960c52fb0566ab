// InvolvementValidator: the involvement domain's rules, checked on append
// through the ledger's AppendValidator hook. Two kinds of check:
//
// - Field checks (INVALID_ARGUMENT naming the field, e.g.
//   "events[0].payload.person_ref: required"): the event type belongs in
//   the stream's kind, required fields are set, enums are not UNSPECIFIED,
//   dates exist, ids match the stream.
// - Stream rules (FAILED_PRECONDITION whose message starts with the rule's
//   name, e.g. "response_needs_recommendation: ..."), over the one stream
//   appended to, so `expected_version` closes races without domain locks:
//     response_needs_recommendation  a Board response needs the recommendation
//     recommendation_must_exist      updates to a recommendation need it
//     recommendation_already_made    one RecommendationMade per stream
//     feedback_must_exist            escalation, response, telling back need it
//     feedback_already_received      one FeedbackReceived per stream
//     complaint_must_exist           acknowledgement, extension, escalation
//     outcome_needs_complaint        a complaint outcome needs the complaint
//     complaint_already_received     one ComplaintReceived per stream
//     member_already_in_body         no second election of a current member
//     member_must_be_in_body         a member cannot leave a body they are not in
//     chair_must_be_service_user_member  SUAG's chair is a current service-user member
//     chair_must_be_member           other bodies' chairs are current members
//     action_must_exist              action updates need an agreed action
//     action_already_completed       an action completes once
//     panel_must_exist               a recruitment decision needs its panel
//     corrected_event_must_exist     a correction names an event of this stream
// Policy deadlines are not rules: views compute them as of a date.
//
// Streams whose name has no domain kind (see ParseStreamName) are not
// checked, so the ledger can carry other payloads beside the domain.
//
// Thread safety: Validate is called from the ledger's single writer
// thread; the validator keeps no state between calls.
#ifndef PROJECTIONS_INVOLVEMENT_VALIDATOR_H_
#define PROJECTIONS_INVOLVEMENT_VALIDATOR_H_

#include "ledger/append_validator.h"

namespace involvement {

class InvolvementValidator : public ledger::AppendValidator {
 public:
  absl::Status Validate(const ledger::ProposedAppend& append,
                        const ledger::StreamHistory& history) override;
  // Only domain streams' histories are read.
  bool NeedsHistory(std::string_view stream) const override;
};

}  // namespace involvement

#endif  // PROJECTIONS_INVOLVEMENT_VALIDATOR_H_
