// StoredEntryView: the fields of stored entry bytes, read in place. The
// verifier reads every entry of the log; building a ledger.v1.Entry message
// and serializing it again to prove the bytes canonical (ParseStoredEntry)
// costs more than hashing them. A view reads the wire format directly and
// accepts only bytes that are, by construction, the deterministic
// serialization of what they hold; anything else it hands to
// ParseStoredEntry, so the two accept and reject exactly the same bytes.
// docs/format.md, "entries", describes the encoding.
//
// Thread safety: a value type; one per thread.
#ifndef LEDGER_ENTRY_VIEW_H_
#define LEDGER_ENTRY_VIEW_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ledger/entry.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

class StoredEntryView {
 public:
  StoredEntryView() = default;
  StoredEntryView(const StoredEntryView&) = delete;
  StoredEntryView& operator=(const StoredEntryView&) = delete;

  // Reads `bytes`, which must stay alive and unchanged while the view's
  // fields are used. Accepts and rejects what ParseStoredEntry does, with
  // its DATA_LOSS messages.
  [[nodiscard]] absl::Status Read(std::string_view bytes);

  // True when the last Read took the wire-format path rather than the
  // message parser (for tests).
  bool read_in_place() const { return in_place_; }

  uint64_t sequence() const { return sequence_; }
  std::string_view stream() const { return stream_; }
  uint64_t stream_version() const { return stream_version_; }
  std::string_view event_id() const { return event_id_; }
  std::string_view prev_hash() const { return prev_hash_; }
  // recorded_at as TimeOf gives it (the Unix epoch when unset).
  absl::Time recorded_at() const;
  // The fields EventContentDigest covers.
  const EventContent& content() const { return content_; }

 private:
  // The wire-format path; false when the bytes need the message parser
  // (they may still be valid).
  bool ReadCanonical(std::string_view bytes);
  void Clear();

  bool in_place_ = false;
  uint64_t sequence_ = 0;
  std::string_view stream_;
  uint64_t stream_version_ = 0;
  std::string_view event_id_;
  std::string_view prev_hash_;
  int64_t recorded_seconds_ = 0;
  int32_t recorded_nanos_ = 0;
  EventContent content_;
  // Holds the parsed message when the bytes took the parser's path; the
  // views then point into it.
  std::optional<ledger::v1::Entry> parsed_;
};

}  // namespace ledger

#endif  // LEDGER_ENTRY_VIEW_H_
