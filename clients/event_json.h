// Conversions between the command line's JSON and the ledger's messages:
// typed payloads from protobuf's JSON mapping, and entries printed as JSON.
// Types are resolved among the messages compiled into the program.
#ifndef CLIENTS_EVENT_JSON_H_
#define CLIENTS_EVENT_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/any.pb.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

// Packs `json` (protobuf's JSON mapping of message `type_name`, e.g.
// "google.protobuf.Struct") into an Any. INVALID_ARGUMENT when the type is
// not compiled in or the JSON does not fit it.
absl::StatusOr<google::protobuf::Any> PackJsonPayload(
    const std::string& type_name, const std::string& json);

// One line of protobuf's JSON mapping for `entry`, with proto field names
// and default values printed (so sequence 0 appears). A payload whose type
// is not compiled in is shown as {"@type": URL, "valueBase64": ...}.
std::string EntryToJsonLine(const ledger::v1::Entry& entry);

// One line of `ledgerctl append --file`: a JSON object with the keys
// stream, type, data (required), event_id, expect, occurred_at,
// correlation_id, causation_id (docs: `ledgerctl help append`). A value
// other than data's may be a whole number from 0 to 2^53 in place of its
// decimal text ("expect": 3).
struct JsonlEvent {
  std::string stream;
  bool has_expect = false;
  ledger::v1::ExpectedVersion expect;
  ledger::v1::EventData event;  // an event without "event_id" gets a new one
};

// Parses one such line. INVALID_ARGUMENT says what is wrong (not a JSON
// object, an unknown or missing key, a payload that does not fit its type).
absl::StatusOr<JsonlEvent> ParseEventJsonLine(const std::string& text);

// Parses "any", "none", "exists" or a version number.
absl::StatusOr<ledger::v1::ExpectedVersion> ParseExpectedVersion(
    const std::string& text);

// Parses an RFC 3339 timestamp such as 2026-03-01T10:00:00Z.
absl::StatusOr<google::protobuf::Timestamp> ParseRfc3339(
    const std::string& text);

// A random RFC 4122 version-4 UUID, for events given no id.
std::string NewEventId();

}  // namespace ledger

#endif  // CLIENTS_EVENT_JSON_H_
