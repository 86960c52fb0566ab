#include "projections/involvement_roles.h"

#include <google/protobuf/descriptor.h>

#include <initializer_list>
#include <set>
#include <string>

#include "involvement/v1/events.pb.h"

namespace involvement {

namespace {

namespace pb = google::protobuf;

// Names taken from the generated descriptors, so a renamed message is a
// compile error here rather than a silently dead permission.
std::set<std::string> Names(std::initializer_list<const pb::Descriptor*> types) {
  std::set<std::string> names;
  for (const pb::Descriptor* d : types) names.insert(d->full_name());
  return names;
}

}  // namespace

ledger::RoleTable InvolvementRoles() {
  ledger::RoleTable roles;
  roles["recorder"] = {
      /*read=*/true, /*append_any=*/false,
      Names({v1::MemberElected::descriptor(), v1::MemberLeft::descriptor(),
             v1::ChairElected::descriptor(), v1::MeetingHeld::descriptor(),
             v1::FeedbackReceived::descriptor(), v1::IssueEscalated::descriptor(),
             v1::FeedbackResponded::descriptor(), v1::RecommendationMade::descriptor(),
             v1::OutcomeCommunicated::descriptor(), v1::RecruitmentPanelFormed::descriptor(),
             v1::RecruitmentDecided::descriptor(), v1::SurveyPublished::descriptor(),
             v1::ReviewCompleted::descriptor(), v1::AdvocacyReportReceived::descriptor(),
             v1::TrainingDelivered::descriptor(),
             v1::ImpactAssessmentPublished::descriptor()})};
  roles["secretary"] = {
      /*read=*/true, /*append_any=*/false,
      Names({v1::BoardResponseRecorded::descriptor(), v1::ActionUpdated::descriptor(),
             v1::ActionCompleted::descriptor()})};
  roles["complaints"] = {
      /*read=*/true, /*append_any=*/false,
      Names({v1::ComplaintReceived::descriptor(), v1::ComplaintAcknowledged::descriptor(),
             v1::ComplaintExtended::descriptor(), v1::ComplaintEscalated::descriptor(),
             v1::ComplaintOutcome::descriptor()})};
  roles["auditor"] = {/*read=*/true, /*append_any=*/false, {}};
  // Corrections (EntryCorrected) and payloads outside the domain are the
  // administrator's alone: they can touch any kind of record.
  roles["admin"] = {/*read=*/true, /*append_any=*/true, {}, /*administer=*/true};
  return roles;
}

}  // namespace involvement
