#include "ledger/append_limits.h"

#include <unordered_set>

#include "absl/strings/str_cat.h"

namespace ledger {

bool IsPrintableName(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

namespace {

absl::Status CheckOptionalId(std::string_view value, const std::string& field,
                             const AppendLimits& limits) {
  if (value.empty() || IsPrintableName(value, limits.max_id_bytes)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": must be at most ", limits.max_id_bytes,
                   " bytes of printable ASCII without spaces"));
}

}  // namespace

absl::Status CheckAppendRequest(const ledger::v1::AppendRequest& request,
                                const AppendLimits& limits) {
  if (request.stream().empty()) {
    return absl::InvalidArgumentError("stream: required");
  }
  if (!IsPrintableName(request.stream(), limits.max_stream_bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream: must be at most ", limits.max_stream_bytes,
                     " bytes of printable ASCII without spaces"));
  }
  if (request.events_size() == 0) {
    return absl::InvalidArgumentError("events: at least one event required");
  }
  if (static_cast<size_t>(request.events_size()) >
      limits.max_events_per_request) {
    return absl::ResourceExhaustedError(
        absl::StrCat("events: ", request.events_size(),
                     " events in one request; the limit is ",
                     limits.max_events_per_request));
  }
  size_t request_bytes = request.ByteSizeLong();
  if (request_bytes > limits.max_request_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("request is ", request_bytes, " bytes; the limit is ",
                     limits.max_request_bytes));
  }
  std::unordered_set<std::string_view> ids;
  for (int i = 0; i < request.events_size(); ++i) {
    const ledger::v1::EventData& e = request.events(i);
    const std::string field = absl::StrCat("events[", i, "]");
    if (e.event_id().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".event_id: required"));
    }
    if (!IsPrintableName(e.event_id(), limits.max_id_bytes)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".event_id: must be at most ", limits.max_id_bytes,
                       " bytes of printable ASCII without spaces"));
    }
    if (!ids.insert(e.event_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".event_id: '", e.event_id(), "' appears twice in the request"));
    }
    if (!e.has_payload() || e.payload().type_url().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".payload.type_url: required"));
    }
    if (e.payload().type_url().size() > limits.max_type_url_bytes ||
        !IsPrintableName(e.payload().type_url(), limits.max_type_url_bytes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".payload.type_url: must be at most ",
          limits.max_type_url_bytes, " bytes of printable ASCII"));
    }
    if (e.payload().type_url().find('/') == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".payload.type_url: must look like "
                              "type.googleapis.com/package.Message"));
    }
    if (e.payload().value().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".payload.value: required (an empty event records nothing)"));
    }
    if (e.has_occurred_at()) {
      const auto& t = e.occurred_at();
      // RFC 3339 range: 0001-01-01 to 9999-12-31.
      if (t.seconds() < -62135596800LL || t.seconds() > 253402300799LL ||
          t.nanos() < 0 || t.nanos() > 999999999) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".occurred_at: not a valid timestamp"));
      }
    }
    if (absl::Status s = CheckOptionalId(e.correlation_id(),
                                         field + ".correlation_id", limits);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            CheckOptionalId(e.causation_id(), field + ".causation_id", limits);
        !s.ok()) {
      return s;
    }
    size_t event_bytes = e.ByteSizeLong();
    if (event_bytes > limits.max_event_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": event is ", event_bytes, " bytes; the limit is ",
          limits.max_event_bytes));
    }
  }
  return absl::OkStatus();
}

}  // namespace ledger
