#include "projections/involvement_validator.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/status_macros.h"
#include "projections/civil_date.h"
#include "projections/event_codec.h"

namespace involvement {

namespace {

namespace pb = google::protobuf;
using ledger::v1::Entry;

// Field checks for one event; the first failure wins.
class Fields {
 public:
  explicit Fields(std::string prefix) : prefix_(std::move(prefix)) {}

  Fields& Text(const std::string& value, const std::string& name) {
    if (value.empty()) Fail(name, "required");
    return *this;
  }
  Fields& Enum(int value, bool known, const std::string& name) {
    if (value == 0) {
      Fail(name, "required (UNSPECIFIED is not a value)");
    } else if (!known) {
      Fail(name, absl::StrCat("unknown value ", value));
    }
    return *this;
  }
  Fields& Date(bool has, const v1::Date& d, const std::string& name) {
    if (!has) {
      Fail(name, "required");
    } else if (!CivilDate::FromProto(d).has_value()) {
      Fail(name, "not a valid date");
    }
    return *this;
  }
  Fields& OptionalDate(bool has, const v1::Date& d, const std::string& name) {
    if (has) Date(true, d, name);
    return *this;
  }
  Fields& StreamId(const std::string& value, const std::string& id,
                   const std::string& name) {
    Text(value, name);
    if (value != id) Fail(name, absl::StrCat("must be the stream's id '", id, "'"));
    return *this;
  }
  Fields& Check(bool ok, const std::string& name, const std::string& what) {
    if (!ok) Fail(name, what);
    return *this;
  }
  // Each action: an id, a description, a valid due date if given, and an
  // id not agreed before in the stream.
  Fields& Actions(const pb::RepeatedPtrField<v1::Action>& actions,
                  const std::set<std::string>& existing) {
    std::set<std::string> seen;
    for (int j = 0; j < actions.size(); ++j) {
      const v1::Action& a = actions[j];
      const std::string f = absl::StrCat("actions[", j, "]");
      Text(a.action_id(), f + ".action_id");
      Text(a.description(), f + ".description");
      OptionalDate(a.has_due(), a.due(), f + ".due");
      if (existing.count(a.action_id()) > 0 || !seen.insert(a.action_id()).second) {
        Fail(f + ".action_id", absl::StrCat("'", a.action_id(),
                                            "' is already an action of this stream"));
      }
    }
    return *this;
  }

  absl::Status status() const { return status_; }

 private:
  void Fail(const std::string& name, const std::string& what) {
    if (!status_.ok()) return;
    status_ = absl::InvalidArgumentError(absl::StrCat(prefix_, name, ": ", what));
  }

  std::string prefix_;
  absl::Status status_;
};

absl::Status Rule(const std::string& name, const std::string& detail) {
  return absl::FailedPreconditionError(absl::StrCat(name, ": ", detail));
}

// What the rules need to know about one stream, folded from its events.
struct StreamState {
  bool opened = false;  // the stream's opening event has been recorded
  std::map<std::string, v1::MemberCategory> members;  // current members
  std::set<std::string> actions;
  std::set<std::string> completed_actions;
  std::map<std::string, std::string> event_types;  // event_id -> type name
};

// The rule naming the stream's missing opening event, per kind.
std::string MissingOpeningRule(StreamKind kind) {
  switch (kind) {
    case StreamKind::kFeedback:
      return "feedback_must_exist";
    case StreamKind::kRecommendation:
      return "recommendation_must_exist";
    case StreamKind::kComplaint:
      return "complaint_must_exist";
    case StreamKind::kRecruitment:
      return "panel_must_exist";
    case StreamKind::kReview:
      return "review_must_exist";
    case StreamKind::kSurvey:
      return "survey_must_exist";
    default:
      return "stream_must_exist";
  }
}

// Checks one event (when `check`) and folds it into `state`. `prefix` is
// the field path of the event's payload, e.g. "events[2].payload.".
absl::Status Apply(const StreamName& sn, const Entry& entry,
                   const pb::Message& msg, StreamState& state, bool check,
                   const std::string& prefix) {
  const std::string type = msg.GetDescriptor()->name();
  Fields f(prefix);
  absl::Status rule = absl::OkStatus();
  const v1::Body stream_body =
      sn.kind == StreamKind::kBody ? BodyFromName(sn.id) : v1::BODY_UNSPECIFIED;
  auto body_matches = [&](v1::Body body) {
    f.Enum(body, v1::Body_IsValid(body), "body")
        .Check(body == stream_body, "body",
               absl::StrCat("must be the stream's body '", sn.id, "'"));
  };
  auto needs_opening = [&](const std::string& rule_name) {
    if (rule.ok() && !state.opened) {
      rule = Rule(rule_name, absl::StrCat(type, " needs the ", sn.kind_text, " ",
                                          sn.id, " to be recorded first"));
    }
  };
  auto opens = [&](const std::string& rule_name) {
    if (rule.ok() && state.opened) {
      rule = Rule(rule_name, absl::StrCat(sn.kind_text, " ", sn.id, " is already recorded"));
    }
  };
  auto action_exists = [&](const std::string& id) {
    if (rule.ok() && state.actions.count(id) == 0) {
      rule = Rule("action_must_exist",
                  absl::StrCat("no action '", id, "' was agreed in ", entry.stream()));
    }
  };

  if (type == "MemberElected") {
    const auto& e = static_cast<const v1::MemberElected&>(msg);
    body_matches(e.body());
    f.Text(e.person_ref(), "person_ref")
        .Enum(e.category(), v1::MemberCategory_IsValid(e.category()), "category")
        .Date(e.has_term_start(), e.term_start(), "term_start")
        .OptionalDate(e.has_term_end(), e.term_end(), "term_end")
        .Check(v1::Body_IsValid(e.nominated_by()), "nominated_by", "unknown value");
    if (e.has_term_end() && e.has_term_start()) {
      auto start = CivilDate::FromProto(e.term_start());
      auto end = CivilDate::FromProto(e.term_end());
      f.Check(!start || !end || *start <= *end, "term_end", "is before term_start");
    }
    if (state.members.count(e.person_ref()) > 0) {
      rule = Rule("member_already_in_body",
                  absl::StrCat(e.person_ref(), " is already a member of ", sn.id));
    }
    if (f.status().ok() && rule.ok()) state.members[e.person_ref()] = e.category();
  } else if (type == "MemberLeft") {
    const auto& e = static_cast<const v1::MemberLeft&>(msg);
    body_matches(e.body());
    f.Text(e.person_ref(), "person_ref").Date(e.has_left_on(), e.left_on(), "left_on");
    if (state.members.count(e.person_ref()) == 0) {
      rule = Rule("member_must_be_in_body",
                  absl::StrCat(e.person_ref(), " is not a member of ", sn.id));
    }
    state.members.erase(e.person_ref());
  } else if (type == "ChairElected") {
    const auto& e = static_cast<const v1::ChairElected&>(msg);
    body_matches(e.body());
    f.Text(e.person_ref(), "person_ref").Date(e.has_from(), e.from(), "from");
    auto member = state.members.find(e.person_ref());
    if (stream_body == v1::BODY_SUAG) {
      if (member == state.members.end() ||
          member->second != v1::MEMBER_CATEGORY_SERVICE_USER) {
        rule = Rule("chair_must_be_service_user_member",
                    absl::StrCat(e.person_ref(),
                                 " is not a current service-user member of SUAG"));
      }
    } else if (member == state.members.end()) {
      rule = Rule("chair_must_be_member",
                  absl::StrCat(e.person_ref(), " is not a current member of ", sn.id));
    }
  } else if (type == "MeetingHeld") {
    const auto& e = static_cast<const v1::MeetingHeld&>(msg);
    body_matches(e.body());
    f.Date(e.has_date(), e.date(), "date");
  } else if (type == "FeedbackReceived") {
    const auto& e = static_cast<const v1::FeedbackReceived&>(msg);
    f.StreamId(e.feedback_id(), sn.id, "feedback_id")
        .Enum(e.channel(), v1::FeedbackChannel_IsValid(e.channel()), "channel")
        .Date(e.has_received_on(), e.received_on(), "received_on")
        .Text(e.summary(), "summary")
        .Check(!e.anonymous() || e.person_ref().empty(), "person_ref",
               "must be empty for anonymous feedback")
        .Check(v1::Body_IsValid(e.raised_at()), "raised_at", "unknown value");
    opens("feedback_already_received");
    state.opened = true;
  } else if (type == "IssueEscalated") {
    const auto& e = static_cast<const v1::IssueEscalated&>(msg);
    f.StreamId(e.feedback_id(), sn.id, "feedback_id")
        .Enum(e.from_body(), v1::Body_IsValid(e.from_body()), "from_body")
        .Enum(e.to_body(), v1::Body_IsValid(e.to_body()), "to_body")
        .Date(e.has_escalated_on(), e.escalated_on(), "escalated_on");
    needs_opening("feedback_must_exist");
  } else if (type == "FeedbackResponded") {
    const auto& e = static_cast<const v1::FeedbackResponded&>(msg);
    f.StreamId(e.feedback_id(), sn.id, "feedback_id")
        .Date(e.has_responded_on(), e.responded_on(), "responded_on")
        .Text(e.response(), "response");
    needs_opening("feedback_must_exist");
  } else if (type == "OutcomeCommunicated") {
    const auto& e = static_cast<const v1::OutcomeCommunicated&>(msg);
    f.Enum(e.channel(), v1::CommunicationChannel_IsValid(e.channel()), "channel")
        .Date(e.has_communicated_on(), e.communicated_on(), "communicated_on");
    needs_opening(MissingOpeningRule(sn.kind));
  } else if (type == "RecommendationMade") {
    const auto& e = static_cast<const v1::RecommendationMade&>(msg);
    f.StreamId(e.recommendation_id(), sn.id, "recommendation_id")
        .Enum(e.from_body(), v1::Body_IsValid(e.from_body()), "from_body")
        .Enum(e.to(), v1::Addressee_IsValid(e.to()), "to")
        .Text(e.text(), "text")
        .Date(e.has_made_on(), e.made_on(), "made_on")
        .OptionalDate(e.has_response_due(), e.response_due(), "response_due");
    for (int j = 0; j < e.feedback_ids_size(); ++j) {
      f.Text(e.feedback_ids(j), absl::StrCat("feedback_ids[", j, "]"));
    }
    opens("recommendation_already_made");
    state.opened = true;
  } else if (type == "BoardResponseRecorded") {
    const auto& e = static_cast<const v1::BoardResponseRecorded&>(msg);
    f.StreamId(e.recommendation_id(), sn.id, "recommendation_id")
        .Enum(e.decision(), v1::Decision_IsValid(e.decision()), "decision")
        .Date(e.has_decided_on(), e.decided_on(), "decided_on")
        .Actions(e.actions(), state.actions);
    if (!state.opened) {
      rule = Rule("response_needs_recommendation",
                  absl::StrCat("no recommendation ", sn.id, " has been made"));
    }
    for (const v1::Action& a : e.actions()) state.actions.insert(a.action_id());
  } else if (type == "ActionUpdated") {
    const auto& e = static_cast<const v1::ActionUpdated&>(msg);
    f.Text(e.action_id(), "action_id")
        .Date(e.has_updated_on(), e.updated_on(), "updated_on")
        .OptionalDate(e.has_new_due(), e.new_due(), "new_due");
    action_exists(e.action_id());
  } else if (type == "ActionCompleted") {
    const auto& e = static_cast<const v1::ActionCompleted&>(msg);
    f.Text(e.action_id(), "action_id")
        .Date(e.has_completed_on(), e.completed_on(), "completed_on");
    action_exists(e.action_id());
    if (rule.ok() && !state.completed_actions.insert(e.action_id()).second) {
      rule = Rule("action_already_completed",
                  absl::StrCat("action '", e.action_id(), "' is already completed"));
    }
  } else if (type == "ComplaintReceived") {
    const auto& e = static_cast<const v1::ComplaintReceived&>(msg);
    f.StreamId(e.complaint_id(), sn.id, "complaint_id")
        .Date(e.has_received_on(), e.received_on(), "received_on");
    opens("complaint_already_received");
    state.opened = true;
  } else if (type == "ComplaintAcknowledged") {
    const auto& e = static_cast<const v1::ComplaintAcknowledged&>(msg);
    f.Enum(e.stage(), v1::ComplaintStage_IsValid(e.stage()), "stage")
        .Date(e.has_acknowledged_on(), e.acknowledged_on(), "acknowledged_on");
    needs_opening("complaint_must_exist");
  } else if (type == "ComplaintExtended") {
    const auto& e = static_cast<const v1::ComplaintExtended&>(msg);
    f.Enum(e.stage(), v1::ComplaintStage_IsValid(e.stage()), "stage")
        .Check(e.working_days() > 0, "working_days", "must be positive")
        .Text(e.reason(), "reason")
        .Date(e.has_agreed_on(), e.agreed_on(), "agreed_on");
    needs_opening("complaint_must_exist");
  } else if (type == "ComplaintEscalated") {
    const auto& e = static_cast<const v1::ComplaintEscalated&>(msg);
    f.Date(e.has_requested_on(), e.requested_on(), "requested_on");
    needs_opening("complaint_must_exist");
  } else if (type == "ComplaintOutcome") {
    const auto& e = static_cast<const v1::ComplaintOutcome&>(msg);
    f.Enum(e.stage(), v1::ComplaintStage_IsValid(e.stage()), "stage")
        .Enum(e.result(), v1::ComplaintResult_IsValid(e.result()), "result")
        .Date(e.has_responded_on(), e.responded_on(), "responded_on")
        .Actions(e.actions(), state.actions);
    if (!state.opened) {
      rule = Rule("outcome_needs_complaint",
                  absl::StrCat("no complaint ", sn.id, " has been received"));
    }
    for (const v1::Action& a : e.actions()) state.actions.insert(a.action_id());
  } else if (type == "RecruitmentPanelFormed") {
    const auto& e = static_cast<const v1::RecruitmentPanelFormed&>(msg);
    f.StreamId(e.vacancy_id(), sn.id, "vacancy_id")
        .Text(e.role_title(), "role_title")
        .Date(e.has_role_agreed_on(), e.role_agreed_on(), "role_agreed_on");
    for (int j = 0; j < e.user_stages_size(); ++j) {
      f.Enum(e.user_stages(j), v1::RecruitmentStage_IsValid(e.user_stages(j)),
             absl::StrCat("user_stages[", j, "]"));
    }
    opens("panel_already_formed");
    state.opened = true;
  } else if (type == "RecruitmentDecided") {
    const auto& e = static_cast<const v1::RecruitmentDecided&>(msg);
    f.StreamId(e.vacancy_id(), sn.id, "vacancy_id")
        .Date(e.has_decided_on(), e.decided_on(), "decided_on");
    needs_opening("panel_must_exist");
  } else if (type == "SurveyPublished") {
    const auto& e = static_cast<const v1::SurveyPublished&>(msg);
    f.StreamId(e.survey_id(), sn.id, "survey_id")
        .Check(e.year() > 0, "year", "required")
        .Check(e.satisfied_percent() >= 0 && e.satisfied_percent() <= 100,
               "satisfied_percent", "must be 0 to 100")
        .Date(e.has_published_on(), e.published_on(), "published_on")
        .Actions(e.actions(), state.actions);
    opens("survey_already_published");
    state.opened = true;
    for (const v1::Action& a : e.actions()) state.actions.insert(a.action_id());
  } else if (type == "ReviewCompleted") {
    const auto& e = static_cast<const v1::ReviewCompleted&>(msg);
    f.StreamId(e.review_id(), sn.id, "review_id")
        .Enum(e.kind(), v1::ReviewKind_IsValid(e.kind()), "kind")
        .Date(e.has_completed_on(), e.completed_on(), "completed_on")
        .OptionalDate(e.has_action_plan_due(), e.action_plan_due(), "action_plan_due")
        .Check(e.standards_failed().empty() || e.has_action_plan_due(), "action_plan_due",
               "required when a standard failed")
        .Actions(e.actions(), state.actions);
    opens("review_already_completed");
    state.opened = true;
    for (const v1::Action& a : e.actions()) state.actions.insert(a.action_id());
  } else if (type == "AdvocacyReportReceived") {
    const auto& e = static_cast<const v1::AdvocacyReportReceived&>(msg);
    f.StreamId(e.report_id(), sn.id, "report_id")
        .Date(e.has_received_on(), e.received_on(), "received_on")
        .Text(e.provider(), "provider");
  } else if (type == "TrainingDelivered") {
    const auto& e = static_cast<const v1::TrainingDelivered&>(msg);
    f.StreamId(e.training_id(), sn.id, "training_id")
        .Date(e.has_delivered_on(), e.delivered_on(), "delivered_on")
        .Text(e.subject(), "subject");
  } else if (type == "ImpactAssessmentPublished") {
    const auto& e = static_cast<const v1::ImpactAssessmentPublished&>(msg);
    f.StreamId(absl::StrCat(e.year()), sn.id, "year")
        .Date(e.has_published_on(), e.published_on(), "published_on");
  } else if (type == "EntryCorrected") {
    const auto& e = static_cast<const v1::EntryCorrected&>(msg);
    f.Text(e.corrected_event_id(), "corrected_event_id").Text(e.reason(), "reason");
    auto corrected = state.event_types.find(e.corrected_event_id());
    if (corrected == state.event_types.end()) {
      rule = Rule("corrected_event_must_exist",
                  absl::StrCat("no event '", e.corrected_event_id(), "' in ",
                               entry.stream()));
    } else if (e.has_replacement()) {
      f.Check(TypeName(e.replacement()) == corrected->second, "replacement",
              absl::StrCat("must be a ", corrected->second, " like the corrected event"));
      if (f.status().ok() && check) {
        absl::StatusOr<std::unique_ptr<pb::Message>> replacement =
            DecodeEvent(e.replacement());
        f.Check(replacement.ok(), "replacement", "does not decode");
      }
    }
  }
  state.event_types[entry.event_id()] = msg.GetDescriptor()->full_name();
  if (!check) return absl::OkStatus();
  RETURN_IF_ERROR(f.status());
  return rule;
}

}  // namespace

bool InvolvementValidator::NeedsHistory(std::string_view stream) const {
  return ParseStreamName(stream).has_value();
}

absl::Status InvolvementValidator::Validate(const ledger::ProposedAppend& append,
                                            const ledger::StreamHistory& history) {
  std::optional<StreamName> sn = ParseStreamName(append.stream);
  if (!sn.has_value()) {
    // Not a domain stream; but domain events belong only in domain streams.
    for (size_t i = 0; i < append.entries->size(); ++i) {
      const std::string type = TypeName((*append.entries)[i].payload());
      if (type.substr(0, kEventPackage.size()) == kEventPackage) {
        return absl::InvalidArgumentError(absl::StrCat(
            "stream: ", type, " belongs in a domain stream such as "
            "body/SUAG or recommendation/R-2026-014, not '",
            std::string(append.stream), "'"));
      }
    }
    return absl::OkStatus();
  }
  if (sn->kind == StreamKind::kBody && BodyFromName(sn->id) == v1::BODY_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream: '", sn->id, "' is not a body (SUAG, SUF, BOARD, REPAIRS_WG, SLT)"));
  }

  StreamState state;
  RETURN_IF_ERROR(history.ForEach([&](const Entry& e) -> absl::Status {
    absl::StatusOr<std::unique_ptr<pb::Message>> msg = DecodeEvent(e.payload());
    if (!msg.ok()) return absl::OkStatus();  // recorded before; not ours to judge now
    return Apply(*sn, e, **msg, state, /*check=*/false, "");
  }));

  for (size_t i = 0; i < append.entries->size(); ++i) {
    const Entry& e = (*append.entries)[i];
    const std::string field = absl::StrCat("events[", i, "].payload");
    const std::string type = TypeName(e.payload());
    if (!TypeBelongsIn(type, sn->kind)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".type_url: '", type, "' does not belong in a ", sn->kind_text,
          "/ stream"));
    }
    absl::StatusOr<std::unique_ptr<pb::Message>> msg = DecodeEvent(e.payload());
    if (!msg.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "].", msg.status().message()));
    }
    RETURN_IF_ERROR(Apply(*sn, e, **msg, state, /*check=*/true, field + "."));
  }
  return absl::OkStatus();
}

}  // namespace involvement
