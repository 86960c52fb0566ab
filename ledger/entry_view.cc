#include "ledger/entry_view.h"

namespace ledger {

namespace {

// Wire types of the protobuf encoding.
constexpr uint8_t kVarint = 0;
constexpr uint8_t kLengthDelimited = 2;

// Reads the protobuf wire format, accepting only what protobuf's
// deterministic serializer writes for a proto3 message without unknown
// fields: fields in number order, each at most once, none holding its
// default value, every varint in its shortest form. Strings must be ASCII
// (so valid UTF-8 by construction); others go to the parser.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return p_ == end_; }

  // The next field's number, if it has `wire_type` and a one-byte tag and
  // comes after `*last` (then updated); 0 otherwise.
  int NextField(uint8_t wire_type, int* last) {
    if (p_ == end_) return 0;
    const uint8_t tag = static_cast<uint8_t>(*p_);
    const int field = tag >> 3;
    if (tag >= 0x80 || (tag & 7) != wire_type || field <= *last) return 0;
    ++p_;
    *last = field;
    return field;
  }

  // The field number of the next tag if it has a one-byte tag, else 0.
  int PeekField() const {
    if (p_ == end_ || static_cast<uint8_t>(*p_) >= 0x80) return 0;
    return static_cast<uint8_t>(*p_) >> 3;
  }

  // A shortest-form varint that is not zero (zero is the default, never
  // written).
  bool NonZeroVarint(uint64_t* out) {
    uint64_t v = 0;
    for (int i = 0; i < 10 && p_ != end_; ++i) {
      const uint8_t b = static_cast<uint8_t>(*p_++);
      if (i == 9 && b > 1) return false;  // more than 64 bits
      v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        if (b == 0 && i > 0) return false;  // not the shortest form
        *out = v;
        return v != 0;
      }
    }
    return false;
  }

  // A length-delimited field's bytes. `allow_empty` for a submessage, which
  // is written when set even if it is empty; strings and bytes never are.
  bool Bytes(std::string_view* out, bool allow_empty) {
    uint64_t len = 0;
    if (p_ != end_ && *p_ == 0) {
      if (!allow_empty) return false;
      ++p_;
    } else if (!NonZeroVarint(&len) || len > static_cast<uint64_t>(end_ - p_)) {
      return false;
    }
    *out = std::string_view(p_, len);
    p_ += len;
    return true;
  }

  bool AsciiString(std::string_view* out) {
    if (!Bytes(out, false)) return false;
    for (char c : *out) {
      if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

// google.protobuf.Timestamp: seconds (1, int64), nanos (2, int32).
bool ReadTimestamp(std::string_view bytes, int64_t* seconds, int32_t* nanos) {
  CanonicalReader r(bytes);
  int last = 0;
  *seconds = 0;
  *nanos = 0;
  uint64_t v;
  if (r.PeekField() == 1) {
    if (r.NextField(kVarint, &last) != 1 || !r.NonZeroVarint(&v)) return false;
    *seconds = static_cast<int64_t>(v);
  }
  if (r.PeekField() == 2) {
    if (r.NextField(kVarint, &last) != 2 || !r.NonZeroVarint(&v)) return false;
    // An int32 is written sign-extended to 64 bits; anything else would
    // be truncated by the parser and written differently.
    const int32_t n = static_cast<int32_t>(static_cast<uint32_t>(v));
    if (static_cast<uint64_t>(static_cast<int64_t>(n)) != v) return false;
    *nanos = n;
  }
  return r.done();
}

// google.protobuf.Any: type_url (1, string), value (2, bytes).
bool ReadAny(std::string_view bytes, std::string_view* type_url,
             std::string_view* value) {
  CanonicalReader r(bytes);
  int last = 0;
  *type_url = {};
  *value = {};
  if (r.PeekField() == 1) {
    if (r.NextField(kLengthDelimited, &last) != 1 || !r.AsciiString(type_url)) {
      return false;
    }
  }
  if (r.PeekField() == 2) {
    if (r.NextField(kLengthDelimited, &last) != 2 || !r.Bytes(value, false)) {
      return false;
    }
  }
  return r.done();
}

}  // namespace

void StoredEntryView::Clear() {
  sequence_ = 0;
  stream_ = {};
  stream_version_ = 0;
  event_id_ = {};
  prev_hash_ = {};
  recorded_seconds_ = 0;
  recorded_nanos_ = 0;
  content_ = EventContent();
}

bool StoredEntryView::ReadCanonical(std::string_view bytes) {
  Clear();
  CanonicalReader r(bytes);
  int last = 0;
  std::string_view sub;
  std::string_view unused_actor;
  while (!r.done()) {
    const int field = r.PeekField();
    // ledger.v1.Entry's field numbers and types (proto/ledger/v1/ledger.proto).
    const bool varint = field == 1 || field == 3;
    if (field < 1 || field > 11 ||
        r.NextField(varint ? kVarint : kLengthDelimited, &last) != field) {
      return false;
    }
    bool ok = false;
    switch (field) {
      case 1: ok = r.NonZeroVarint(&sequence_); break;
      case 2: ok = r.AsciiString(&stream_); break;
      case 3: ok = r.NonZeroVarint(&stream_version_); break;
      case 4: ok = r.AsciiString(&event_id_); break;
      case 5:
        ok = r.Bytes(&sub, true) &&
             ReadAny(sub, &content_.payload_type_url, &content_.payload_value);
        break;
      case 6:
        content_.has_occurred_at = true;
        ok = r.Bytes(&sub, true) &&
             ReadTimestamp(sub, &content_.occurred_seconds, &content_.occurred_nanos);
        break;
      case 7:
        ok = r.Bytes(&sub, true) &&
             ReadTimestamp(sub, &recorded_seconds_, &recorded_nanos_);
        break;
      case 8: ok = r.AsciiString(&unused_actor); break;
      case 9: ok = r.Bytes(&prev_hash_, false); break;
      case 10: ok = r.AsciiString(&content_.correlation_id); break;
      case 11: ok = r.AsciiString(&content_.causation_id); break;
    }
    if (!ok) return false;
  }
  content_.stream = stream_;
  content_.event_id = event_id_;
  return true;
}

absl::Status StoredEntryView::Read(std::string_view bytes) {
  parsed_.reset();
  in_place_ = ReadCanonical(bytes);
  if (in_place_) return absl::OkStatus();
  absl::StatusOr<ledger::v1::Entry> e = ParseStoredEntry(bytes);
  if (!e.ok()) return e.status();
  const ledger::v1::Entry& m = parsed_.emplace(*std::move(e));
  sequence_ = m.sequence();
  stream_ = m.stream();
  stream_version_ = m.stream_version();
  event_id_ = m.event_id();
  prev_hash_ = m.prev_hash();
  recorded_seconds_ = m.recorded_at().seconds();
  recorded_nanos_ = m.recorded_at().nanos();
  content_ = ContentOf(m);
  return absl::OkStatus();
}

absl::Time StoredEntryView::recorded_at() const {
  return TimeOf(recorded_seconds_, recorded_nanos_);
}

}  // namespace ledger
