#include "ledger/entry.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"

namespace ledger {

absl::Time TimeOf(int64_t seconds, int32_t nanos) {
  return absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
}

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return TimeOf(ts.seconds(), ts.nanos());
}

std::string SerializeDeterministic(const google::protobuf::MessageLite& message) {
  std::string out;
  out.reserve(message.ByteSizeLong());
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    message.SerializeWithCachedSizes(&cos);
  }
  return out;
}

std::string SerializeEntry(const ledger::v1::Entry& entry) {
  // Entry has no map fields, so deterministic and default serialization
  // agree; asking for it keeps that true if one is ever added.
  return SerializeDeterministic(entry);
}

void SerializeEntryTo(const ledger::v1::Entry& entry, std::string* out) {
  // Entry has no map fields, so its plain serialization is the canonical
  // one: the same bytes as SerializeEntry, without a stream.
  out->resize(entry.ByteSizeLong());
  entry.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out->data()));
}

absl::StatusOr<ledger::v1::Entry> ParseStoredEntry(std::string_view bytes) {
  ledger::v1::Entry entry;
  if (absl::Status s = ParseStoredEntryInto(bytes, &entry); !s.ok()) return s;
  return entry;
}

absl::Status ParseStoredEntryInto(std::string_view bytes, ledger::v1::Entry* entry) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !entry->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("entry bytes do not parse as ledger.v1.Entry");
  }
  // Unknown fields survive re-serialization, so the canonical check below
  // would let extra bytes ride along unnoticed.
  if (!entry->GetReflection()->GetUnknownFields(*entry).empty()) {
    return absl::DataLossError(
        "entry bytes hold fields that ledger.v1.Entry does not define");
  }
  thread_local std::string canonical;
  SerializeEntryTo(*entry, &canonical);
  if (std::string_view(canonical) != bytes) {
    return absl::DataLossError(
        "entry bytes are not the canonical serialization of the entry");
  }
  return absl::OkStatus();
}

namespace {

// Writes `v` big-endian at `p` and moves past it.
void PutBigEndian64(char*& p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
  p += 8;
}

void PutField(char*& p, std::string_view field) {
  PutBigEndian64(p, field.size());
  // An empty view may have no data at all: memcpy must not see its null.
  if (!field.empty()) std::memcpy(p, field.data(), field.size());
  p += field.size();
}

}  // namespace

Hash EventContentDigest(const EventContent& c) {
  static constexpr std::string_view kDomain = "ledger.v1.EventContent\n";
  const std::string_view fields[] = {c.stream, c.event_id, c.payload_type_url,
                                     c.payload_value, c.correlation_id,
                                     c.causation_id};
  size_t size = kDomain.size() + 8 + (c.has_occurred_at ? 16 : 0);
  for (std::string_view f : fields) size += 8 + f.size();
  // The input is gathered and hashed in one update, by one hasher per
  // thread: the verifier digests every entry of the log.
  thread_local Sha256 h;
  thread_local std::string in;
  if (in.size() < size) in.resize(size);
  char* p = in.data();
  std::memcpy(p, kDomain.data(), kDomain.size());
  p += kDomain.size();
  for (int i = 0; i < 4; ++i) PutField(p, fields[i]);
  PutBigEndian64(p, c.has_occurred_at ? 16 : 0);
  if (c.has_occurred_at) {
    PutBigEndian64(p, static_cast<uint64_t>(c.occurred_seconds));
    PutBigEndian64(p, static_cast<uint64_t>(c.occurred_nanos));
  }
  PutField(p, fields[4]);
  PutField(p, fields[5]);
  h.Update(in.data(), size);
  return h.Finish();
}

Hash EventContentDigest(std::string_view stream,
                        const ledger::v1::EventData& event) {
  return EventContentDigest(EventContent{
      stream, event.event_id(), event.payload().type_url(),
      event.payload().value(), event.has_occurred_at(),
      event.occurred_at().seconds(), event.occurred_at().nanos(),
      event.correlation_id(), event.causation_id()});
}

EventContent ContentOf(const ledger::v1::Entry& entry) {
  return EventContent{entry.stream(), entry.event_id(), entry.payload().type_url(),
                      entry.payload().value(), entry.has_occurred_at(),
                      entry.occurred_at().seconds(), entry.occurred_at().nanos(),
                      entry.correlation_id(), entry.causation_id()};
}

Hash EventContentDigest(const ledger::v1::Entry& entry) {
  return EventContentDigest(ContentOf(entry));
}

}  // namespace ledger
