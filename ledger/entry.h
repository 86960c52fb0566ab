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

// A protobuf Timestamp as an absl::Time.
absl::Time TimeOf(const google::protobuf::Timestamp& ts);

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

// Digest of what the client said about one event: stream, event id,
// payload type and value, occurred_at, correlation and causation ids. Two
// appends of the "same" event have the same digest. Computable from the
// request and, identically, from the stored Entry.
Hash EventContentDigest(std::string_view stream,
                        const ledger::v1::EventData& event);
Hash EventContentDigest(const ledger::v1::Entry& entry);

}  // namespace ledger

#endif  // LEDGER_ENTRY_H_
