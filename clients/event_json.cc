#include "clients/event_json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "involvement/v1/events.pb.h"

namespace ledger {

namespace pb = google::protobuf;

namespace {

// Static linking drops object files nothing refers to; referring to one
// message of events.proto keeps the domain's types in the descriptor pool,
// so --type and printed payloads can name them.
void LinkDomainTypes() { (void)involvement::v1::Date::descriptor(); }

// 2^53: every whole number up to it is exactly a double.
constexpr double kMaxExactDouble = 9007199254740992.0;

}  // namespace

absl::StatusOr<pb::Any> PackJsonPayload(const std::string& type_name,
                                        const std::string& json) {
  LinkDomainTypes();
  const pb::Descriptor* desc =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type_name);
  if (desc == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--type: unknown message type '", type_name,
        "' (give a full name such as google.protobuf.Struct)"));
  }
  const pb::Message* prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(desc);
  std::unique_ptr<pb::Message> msg(prototype->New());
  pb::util::JsonParseOptions options;
  pb::util::Status s = pb::util::JsonStringToMessage(json, msg.get(), options);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--data: not valid JSON for ", type_name, ": ",
        std::string(s.message())));
  }
  // Deterministic bytes, so the same JSON always gives the same payload and
  // a retried event is recognised as the same event (map fields, as in
  // Struct, otherwise serialize in any order).
  pb::Any any;
  any.set_type_url(absl::StrCat("type.googleapis.com/", desc->full_name()));
  {
    pb::io::StringOutputStream sos(any.mutable_value());
    pb::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    msg->SerializeToCodedStream(&cos);
  }
  return any;
}

std::string EntryToJsonLine(const ledger::v1::Entry& entry) {
  LinkDomainTypes();
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  if (pb::util::MessageToJsonString(entry, &out, options).ok()) return out;
  // The payload's type is not compiled in: print the envelope and the raw
  // payload.
  ledger::v1::Entry envelope = entry;
  envelope.clear_payload();
  out.clear();
  if (!pb::util::MessageToJsonString(envelope, &out, options).ok() ||
      out.size() < 2) {
    return "{}";
  }
  out.pop_back();  // the closing brace
  absl::StrAppend(&out, ",\"payload\":{\"@type\":\"",
                  absl::CEscape(entry.payload().type_url()),
                  "\",\"valueBase64\":\"",
                  absl::Base64Escape(entry.payload().value()), "\"}}");
  return out;
}

absl::StatusOr<ledger::v1::ExpectedVersion> ParseExpectedVersion(
    const std::string& text) {
  ledger::v1::ExpectedVersion ev;
  uint64_t n = 0;
  if (text == "any") {
    ev.mutable_any();
  } else if (text == "none") {
    ev.mutable_no_stream();
  } else if (text == "exists") {
    ev.mutable_stream_exists();
  } else if (absl::SimpleAtoi(text, &n)) {
    ev.set_exact(n);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--expect: '", text, "' is not any, none, exists or a version number"));
  }
  return ev;
}

absl::StatusOr<pb::Timestamp> ParseRfc3339(const std::string& text) {
  pb::Timestamp ts;
  if (!pb::util::TimeUtil::FromString(text, &ts)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--occurred-at: '", text,
        "' is not an RFC 3339 time such as 2026-03-01T10:00:00Z"));
  }
  return ts;
}

absl::StatusOr<JsonlEvent> ParseEventJsonLine(const std::string& text) {
  pb::Struct obj;
  pb::util::JsonParseOptions opts;
  if (!pb::util::JsonStringToMessage(text, &obj, opts).ok()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  const auto& f = obj.fields();
  auto str = [&](const std::string& key) -> std::optional<std::string> {
    auto it = f.find(key);
    if (it == f.end()) return std::nullopt;
    if (it->second.has_number_value()) {
      return absl::StrCat(static_cast<uint64_t>(it->second.number_value()));
    }
    return it->second.string_value();
  };
  for (const auto& [key, value] : f) {
    static const std::set<std::string> kKnown = {
        "stream", "type", "data", "event_id", "expect", "occurred_at",
        "correlation_id", "causation_id"};
    if (kKnown.count(key) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("unknown key '", key, "'"));
    }
    // A number stands for its decimal text ("expect": 3). Only a whole
    // number that a double holds exactly can: converting a negative, huge
    // or fractional one to an integer is undefined or silently wrong.
    if (key != "data" && value.has_number_value()) {
      const double n = value.number_value();
      if (!(n >= 0 && n <= kMaxExactDouble && n == std::floor(n))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "\"", key, "\" must be a string or a whole number from 0 to 2^53"));
      }
    }
  }
  JsonlEvent out;
  std::optional<std::string> stream = str("stream");
  std::optional<std::string> type = str("type");
  if (!stream || stream->empty()) return absl::InvalidArgumentError("\"stream\" is required");
  if (!type || type->empty()) return absl::InvalidArgumentError("\"type\" is required");
  auto data = f.find("data");
  if (data == f.end()) return absl::InvalidArgumentError("\"data\" is required");
  std::string data_json;
  if (!pb::util::MessageToJsonString(data->second, &data_json).ok()) {
    return absl::InvalidArgumentError("\"data\" is not valid JSON");
  }
  out.stream = *stream;
  absl::StatusOr<pb::Any> payload = PackJsonPayload(*type, data_json);
  if (!payload.ok()) return payload.status();
  *out.event.mutable_payload() = *payload;
  out.event.set_event_id(str("event_id").value_or(NewEventId()));
  if (auto e = str("expect")) {
    absl::StatusOr<ledger::v1::ExpectedVersion> ev = ParseExpectedVersion(*e);
    if (!ev.ok()) return ev.status();
    out.has_expect = true;
    out.expect = *ev;
  }
  if (auto t = str("occurred_at")) {
    absl::StatusOr<pb::Timestamp> ts = ParseRfc3339(*t);
    if (!ts.ok()) return ts.status();
    *out.event.mutable_occurred_at() = *ts;
  }
  if (auto c = str("correlation_id")) out.event.set_correlation_id(*c);
  if (auto c = str("causation_id")) out.event.set_causation_id(*c);
  return out;
}

std::string NewEventId() {
  std::random_device rd;
  uint8_t b[16];
  for (int i = 0; i < 16; i += 4) {
    uint32_t r = rd();
    for (int j = 0; j < 4; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

}  // namespace ledger
