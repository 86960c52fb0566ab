// Functions over the Entry envelope: its stored bytes, and the content
// digest that decides whether a retried event is the same event.
#ifndef LEDGER_ENTRY_H_
#define LEDGER_ENTRY_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/hash.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

// A protobuf Timestamp (or its two fields) as an absl::Time.
absl::Time TimeOf(const google::protobuf::Timestamp& ts);
absl::Time TimeOf(int64_t seconds, int32_t nanos);

// The deterministic serialization of `message` (map fields in key order),
// so equal messages give equal bytes.
std::string SerializeDeterministic(const google::protobuf::MessageLite& message);

// The bytes stored and hashed for `entry`: its deterministic serialization.
std::string SerializeEntry(const ledger::v1::Entry& entry);
// The same bytes into `out`, reusing its buffer.
void SerializeEntryTo(const ledger::v1::Entry& entry, std::string* out);

// Parses stored bytes. Fails with DATA_LOSS if they do not parse, or if
// they are not the canonical serialization of what they parse to (so two
// different byte strings can never claim to be the same entry).
absl::StatusOr<ledger::v1::Entry> ParseStoredEntry(std::string_view bytes);
// The same into `entry`, reusing its strings' storage (a loop over many
// entries allocates far less with one Entry). On an error `entry` holds
// whatever was parsed.
absl::Status ParseStoredEntryInto(std::string_view bytes, ledger::v1::Entry* entry);

// What the client said about one event: stream, event id, payload type
// and value, occurred_at, correlation and causation ids. Views into a
// message or into stored bytes, valid while those live.
struct EventContent {
  std::string_view stream;
  std::string_view event_id;
  std::string_view payload_type_url;
  std::string_view payload_value;
  bool has_occurred_at = false;
  int64_t occurred_seconds = 0;
  int32_t occurred_nanos = 0;
  std::string_view correlation_id;
  std::string_view causation_id;
};

// Digest of an event's content. Two appends of the "same" event have the
// same digest. Computable from the request and, identically, from the
// stored Entry (docs/format.md, "Event content digest", gives the bytes it
// covers).
Hash EventContentDigest(const EventContent& content);
// The content of a stored entry (views into `entry`).
EventContent ContentOf(const ledger::v1::Entry& entry);
Hash EventContentDigest(std::string_view stream,
                        const ledger::v1::EventData& event);
Hash EventContentDigest(const ledger::v1::Entry& entry);

}  // namespace ledger

#endif  // LEDGER_ENTRY_H_
