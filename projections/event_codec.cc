#include "projections/event_codec.h"

#include <google/protobuf/descriptor.h>

#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "ledger/status_macros.h"

namespace involvement {

namespace pb = google::protobuf;

std::optional<StreamName> ParseStreamName(std::string_view stream) {
  static const std::map<std::string, StreamKind, std::less<>> kKinds = {
      {"body", StreamKind::kBody},
      {"feedback", StreamKind::kFeedback},
      {"recommendation", StreamKind::kRecommendation},
      {"complaint", StreamKind::kComplaint},
      {"recruitment", StreamKind::kRecruitment},
      {"review", StreamKind::kReview},
      {"survey", StreamKind::kSurvey},
      {"advocacy", StreamKind::kAdvocacy},
      {"training", StreamKind::kTraining},
      {"impact", StreamKind::kImpact},
  };
  const size_t slash = stream.find('/');
  if (slash == std::string_view::npos || slash + 1 >= stream.size()) {
    return std::nullopt;
  }
  auto it = kKinds.find(stream.substr(0, slash));
  if (it == kKinds.end()) return std::nullopt;
  return StreamName{it->second, it->first, std::string(stream.substr(slash + 1))};
}

v1::Body BodyFromName(std::string_view name) {
  v1::Body body = v1::BODY_UNSPECIFIED;
  if (!v1::Body_Parse(absl::StrCat("BODY_", std::string(name)), &body)) {
    return v1::BODY_UNSPECIFIED;
  }
  return body;
}

std::string BodyName(v1::Body body) {
  const std::string& full = v1::Body_Name(body);
  return full.size() > 5 ? full.substr(5) : full;
}

std::string TypeName(const pb::Any& any) {
  const std::string& url = any.type_url();
  const size_t slash = url.rfind('/');
  return slash == std::string::npos ? std::string() : url.substr(slash + 1);
}

bool TypeBelongsIn(std::string_view type_name, StreamKind kind) {
  static const std::map<StreamKind, std::set<std::string, std::less<>>> kTypes = {
      {StreamKind::kBody, {"MemberElected", "MemberLeft", "ChairElected", "MeetingHeld"}},
      {StreamKind::kFeedback,
       {"FeedbackReceived", "IssueEscalated", "FeedbackResponded", "OutcomeCommunicated"}},
      {StreamKind::kRecommendation,
       {"RecommendationMade", "BoardResponseRecorded", "ActionUpdated", "ActionCompleted",
        "OutcomeCommunicated"}},
      {StreamKind::kComplaint,
       {"ComplaintReceived", "ComplaintAcknowledged", "ComplaintExtended",
        "ComplaintEscalated", "ComplaintOutcome", "ActionUpdated", "ActionCompleted"}},
      {StreamKind::kRecruitment, {"RecruitmentPanelFormed", "RecruitmentDecided"}},
      {StreamKind::kReview, {"ReviewCompleted", "ActionUpdated", "ActionCompleted"}},
      {StreamKind::kSurvey,
       {"SurveyPublished", "ActionUpdated", "ActionCompleted", "OutcomeCommunicated"}},
      {StreamKind::kAdvocacy, {"AdvocacyReportReceived"}},
      {StreamKind::kTraining, {"TrainingDelivered"}},
      {StreamKind::kImpact, {"ImpactAssessmentPublished"}},
  };
  if (type_name.substr(0, kEventPackage.size()) != kEventPackage) return false;
  type_name.remove_prefix(kEventPackage.size());
  if (type_name == "EntryCorrected") return true;
  auto it = kTypes.find(kind);
  return it != kTypes.end() && it->second.count(type_name) > 0;
}

namespace {

// Every event type of events.proto by full name, with its prototype: the
// descriptor pool's lookup by name and the factory's by descriptor cost
// more than parsing a typical event.
// Keys view the descriptors' own names, which live as long as the program.
const std::unordered_map<std::string_view, const pb::Message*>& EventPrototypes() {
  static const auto* prototypes = [] {
    auto* m = new std::unordered_map<std::string_view, const pb::Message*>();
    const pb::FileDescriptor* file = v1::Date::descriptor()->file();
    for (int i = 0; i < file->message_type_count(); ++i) {
      const pb::Descriptor* desc = file->message_type(i);
      if (desc == v1::Date::descriptor() || desc == v1::Action::descriptor()) continue;
      (*m)[desc->full_name()] = pb::MessageFactory::generated_factory()->GetPrototype(desc);
    }
    return m;
  }();
  return *prototypes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<pb::Message>> DecodeEvent(const pb::Any& payload) {
  ASSIGN_OR_RETURN(pb::Message * msg, DecodeEvent(payload, nullptr));
  return std::unique_ptr<pb::Message>(msg);
}

absl::StatusOr<pb::Message*> DecodeEvent(const pb::Any& payload, pb::Arena* arena) {
  // TypeName's text, without a copy.
  std::string_view type_name = payload.type_url();
  const size_t slash = type_name.rfind('/');
  type_name = slash == std::string_view::npos ? std::string_view() : type_name.substr(slash + 1);
  if (type_name.substr(0, kEventPackage.size()) != kEventPackage) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload.type_url: '", payload.type_url(),
                     "' is not an involvement.v1 event"));
  }
  const auto& prototypes = EventPrototypes();
  auto it = prototypes.find(type_name);
  if (it == prototypes.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload.type_url: '", std::string(type_name), "' is not an involvement.v1 event type"));
  }
  // Owned here until returned (nothing to own when on an arena).
  pb::Message* msg = it->second->New(arena);
  std::unique_ptr<pb::Message> owned(arena == nullptr ? msg : nullptr);
  if (!msg->ParseFromString(payload.value())) {
    return absl::InvalidArgumentError(
        absl::StrCat("payload.value: does not parse as ", std::string(type_name)));
  }
  owned.release();
  return msg;
}

}  // namespace involvement
