// Fuzz target: stored entry bytes, as ledger-verify, the server and an
// evidence bundle's checker read them (ledger::ParseStoredEntry and
// ledger::StoredEntryView). Whatever the bytes, parsing must not crash, and
// what it accepts must be canonical: re-serializing gives the same bytes,
// so equal entries have equal leaf hashes. The view must accept and reject
// exactly what the parser does, and read the same fields.
#include <string>
#include <string_view>

#include "ledger/entry.h"
#include "ledger/entry_view.h"
#include "ledger/hash.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  QuietProtobufLogs();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ledger::v1::Entry> entry = ledger::ParseStoredEntry(bytes);
  ledger::StoredEntryView view;
  const absl::Status view_status = view.Read(bytes);
  FUZZ_CHECK(view_status == entry.status());
  if (!entry.ok()) {
    FUZZ_CHECK(entry.status().code() == absl::StatusCode::kDataLoss);
    return 0;
  }
  FUZZ_CHECK(view.sequence() == entry->sequence());
  FUZZ_CHECK(view.stream() == entry->stream());
  FUZZ_CHECK(view.stream_version() == entry->stream_version());
  FUZZ_CHECK(view.event_id() == entry->event_id());
  FUZZ_CHECK(view.prev_hash() == entry->prev_hash());
  FUZZ_CHECK(view.recorded_at() == ledger::TimeOf(entry->recorded_at()));
  FUZZ_CHECK(ledger::EventContentDigest(view.content()) ==
             ledger::EventContentDigest(*entry));
  FUZZ_CHECK(ledger::SerializeEntry(*entry) == bytes);
  // What the verifier and the writer compute from a parsed entry.
  (void)ledger::LeafHash(bytes);
  (void)ledger::EventContentDigest(*entry);
  (void)ledger::TimeOf(entry->recorded_at());
  (void)ledger::TimeOf(entry->occurred_at());
  return 0;
}
