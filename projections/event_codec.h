// Decoding the involvement domain's events from ledger entries, and the
// stream naming rules: streams are <kind>/<id>, and each kind holds a fixed
// set of event types.
#ifndef PROJECTIONS_EVENT_CODEC_H_
#define PROJECTIONS_EVENT_CODEC_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/any.pb.h>
#include <google/protobuf/arena.h>
#include <google/protobuf/message.h>

#include "absl/status/statusor.h"
#include "involvement/v1/events.pb.h"

namespace involvement {

// The package every domain event type lives in.
inline constexpr std::string_view kEventPackage = "involvement.v1.";

// The kinds of domain stream.
enum class StreamKind {
  kBody,
  kFeedback,
  kRecommendation,
  kComplaint,
  kRecruitment,
  kReview,
  kSurvey,
  kAdvocacy,
  kTraining,
  kImpact,
};

// A stream name split into its kind and id ("recommendation/R-2026-014").
struct StreamName {
  StreamKind kind;
  std::string kind_text;  // "recommendation"
  std::string id;         // "R-2026-014"
};

// Splits `stream`; nullopt when it is not a domain stream (no known kind
// before the first '/', or an empty id).
std::optional<StreamName> ParseStreamName(std::string_view stream);

// The body named by a body/<BODY> stream id ("SUAG" -> BODY_SUAG), or
// BODY_UNSPECIFIED.
v1::Body BodyFromName(std::string_view name);
// "SUAG" for BODY_SUAG.
std::string BodyName(v1::Body body);

// The full message name of an Any's type ("involvement.v1.MeetingHeld"),
// or the empty string when the type URL has no '/'.
std::string TypeName(const google::protobuf::Any& any);

// True when the domain event type `type_name` may be appended to a stream
// of `kind` (EntryCorrected may go anywhere).
bool TypeBelongsIn(std::string_view type_name, StreamKind kind);

// Decodes a domain event. INVALID_ARGUMENT when the type is not an
// involvement.v1 message or the bytes do not parse as it.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> DecodeEvent(
    const google::protobuf::Any& payload);
// The same, the message allocated on `arena`, which owns it: for loops
// that decode many events (the fold), where allocation was a large share
// of the time.
absl::StatusOr<google::protobuf::Message*> DecodeEvent(const google::protobuf::Any& payload,
                                                       google::protobuf::Arena* arena);

}  // namespace involvement

#endif  // PROJECTIONS_EVENT_CODEC_H_
