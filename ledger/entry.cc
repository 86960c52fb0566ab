#include "ledger/entry.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>

#include "absl/strings/str_cat.h"
#include "ledger/keys.h"

namespace ledger {

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
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
  if (!entry.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("entry bytes do not parse as ledger.v1.Entry");
  }
  // Unknown fields survive re-serialization, so the canonical check below
  // would let extra bytes ride along unnoticed.
  if (!entry.GetReflection()->GetUnknownFields(entry).empty()) {
    return absl::DataLossError(
        "entry bytes hold fields that ledger.v1.Entry does not define");
  }
  thread_local std::string canonical;
  SerializeEntryTo(entry, &canonical);
  if (std::string_view(canonical) != bytes) {
    return absl::DataLossError(
        "entry bytes are not the canonical serialization of the entry");
  }
  return entry;
}

namespace {

void AddField(Sha256& h, std::string_view field) {
  std::string len = EncodeBigEndian64(field.size());
  h.Update(len);
  h.Update(field);
}

Hash Digest(std::string_view stream, std::string_view event_id,
            const google::protobuf::Any& payload, bool has_occurred_at,
            const google::protobuf::Timestamp& occurred_at,
            std::string_view correlation_id, std::string_view causation_id) {
  Sha256 h;
  static constexpr std::string_view kDomain = "ledger.v1.EventContent\n";
  h.Update(kDomain);
  AddField(h, stream);
  AddField(h, event_id);
  AddField(h, payload.type_url());
  AddField(h, payload.value());
  std::string when;
  if (has_occurred_at) {
    AppendBigEndian64(&when, static_cast<uint64_t>(occurred_at.seconds()));
    AppendBigEndian64(&when, static_cast<uint64_t>(occurred_at.nanos()));
  }
  AddField(h, when);
  AddField(h, correlation_id);
  AddField(h, causation_id);
  return h.Finish();
}

}  // namespace

Hash EventContentDigest(std::string_view stream,
                        const ledger::v1::EventData& event) {
  return Digest(stream, event.event_id(), event.payload(),
                event.has_occurred_at(), event.occurred_at(),
                event.correlation_id(), event.causation_id());
}

Hash EventContentDigest(const ledger::v1::Entry& entry) {
  return Digest(entry.stream(), entry.event_id(), entry.payload(),
                entry.has_occurred_at(), entry.occurred_at(),
                entry.correlation_id(), entry.causation_id());
}

}  // namespace ledger
