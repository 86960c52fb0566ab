// Tests of StoredEntryView: it reads canonical entry bytes in place, hands
// everything else to ParseStoredEntry, and so accepts, rejects and reads
// exactly what the parser does.
#include "ledger/entry_view.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::MakePayload;
using ::ledger::v1::Entry;

// An entry with every field set, as the writer stores it.
Entry FullEntry() {
  Entry e;
  e.set_sequence(300);
  e.set_stream("recommendation/R-2026-014");
  e.set_stream_version(2);
  e.set_event_id("rec-2026-014-made");
  *e.mutable_payload() = MakePayload("\x0a\x0bR-2026-014\x12\x04SUAG");
  e.mutable_occurred_at()->set_seconds(1767225600);
  e.mutable_occurred_at()->set_nanos(500);
  e.mutable_recorded_at()->set_seconds(1767225601);
  e.mutable_recorded_at()->set_nanos(999999999);
  e.set_actor("local");
  e.set_prev_hash(std::string(32, '\x5a'));
  e.set_correlation_id("corr-1");
  e.set_causation_id("cause-1");
  return e;
}

// Reads `bytes` both ways and expects the same verdict, message and fields.
void ExpectSameAsParser(const std::string& bytes) {
  absl::StatusOr<Entry> parsed = ParseStoredEntry(bytes);
  StoredEntryView view;
  const absl::Status status = view.Read(bytes);
  ASSERT_EQ(status, parsed.status());
  if (!parsed.ok()) return;
  EXPECT_EQ(view.sequence(), parsed->sequence());
  EXPECT_EQ(view.stream(), parsed->stream());
  EXPECT_EQ(view.stream_version(), parsed->stream_version());
  EXPECT_EQ(view.event_id(), parsed->event_id());
  EXPECT_EQ(view.prev_hash(), parsed->prev_hash());
  EXPECT_EQ(view.recorded_at(), TimeOf(parsed->recorded_at()));
  EXPECT_EQ(EventContentDigest(view.content()), EventContentDigest(*parsed));
}

TEST(StoredEntryViewTest, FullEntryIsReadInPlace) {
  const std::string bytes = SerializeEntry(FullEntry());
  StoredEntryView view;
  ASSERT_OK(view.Read(bytes));
  EXPECT_TRUE(view.read_in_place());
  EXPECT_EQ(view.sequence(), 300u);
  EXPECT_EQ(view.stream(), "recommendation/R-2026-014");
  EXPECT_EQ(view.stream_version(), 2u);
  EXPECT_EQ(view.event_id(), "rec-2026-014-made");
  EXPECT_EQ(view.prev_hash(), std::string(32, '\x5a'));
  EXPECT_EQ(view.recorded_at(),
            absl::FromUnixSeconds(1767225601) + absl::Nanoseconds(999999999));
  EXPECT_EQ(EventContentDigest(view.content()), EventContentDigest(FullEntry()));
  ExpectSameAsParser(bytes);
}

TEST(StoredEntryViewTest, DefaultFieldsAreReadInPlace) {
  // Entry 0 has sequence 0, which is never written; nothing optional is set.
  Entry e;
  e.set_stream("s");
  e.set_stream_version(1);
  e.set_event_id("e");
  e.set_prev_hash(std::string(32, '\0'));
  e.mutable_recorded_at();  // set, but all zero: written as an empty message
  e.mutable_payload();
  const std::string bytes = SerializeEntry(e);
  StoredEntryView view;
  ASSERT_OK(view.Read(bytes));
  EXPECT_TRUE(view.read_in_place());
  EXPECT_EQ(view.sequence(), 0u);
  EXPECT_FALSE(view.content().has_occurred_at);
  EXPECT_EQ(view.recorded_at(), absl::UnixEpoch());
  ExpectSameAsParser(bytes);
}

TEST(StoredEntryViewTest, NegativeTimesAreReadInPlace) {
  Entry e = FullEntry();
  e.mutable_occurred_at()->set_seconds(-62135596800);
  e.mutable_occurred_at()->set_nanos(-1);
  e.mutable_recorded_at()->set_nanos(-7);
  const std::string bytes = SerializeEntry(e);
  StoredEntryView view;
  ASSERT_OK(view.Read(bytes));
  EXPECT_TRUE(view.read_in_place());
  ExpectSameAsParser(bytes);
}

TEST(StoredEntryViewTest, NonAsciiTextGoesToTheParser) {
  Entry e = FullEntry();
  e.set_actor("CN=Zo\xc3\xab");
  const std::string bytes = SerializeEntry(e);
  StoredEntryView view;
  ASSERT_OK(view.Read(bytes));
  EXPECT_FALSE(view.read_in_place());
  ExpectSameAsParser(bytes);
}

TEST(StoredEntryViewTest, NonCanonicalBytesAreRejectedAsTheParserRejectsThem) {
  const std::string bytes = SerializeEntry(FullEntry());
  const std::vector<std::string> cases = {
      bytes + bytes.substr(0, 3),             // field 1 again, at the end
      std::string("\x18\x02", 2) + bytes,     // field 3 before field 1
      std::string("\x08\xac\x82\x00", 4) + bytes.substr(3),  // padded varint
      bytes + std::string("\x78\x01", 2),     // unknown field 15
      bytes.substr(0, bytes.size() - 1),      // cut short
      std::string("\x12\x02\xff\xfe", 4),     // stream is not UTF-8
      std::string("\x18\x00", 2),             // zero written out
  };
  for (const std::string& c : cases) {
    SCOPED_TRACE(HexEncode(c));
    StoredEntryView view;
    EXPECT_FALSE(view.Read(c).ok());
    ExpectSameAsParser(c);
  }
}

TEST(StoredEntryViewTest, EveryOneByteChangeIsJudgedAsTheParserJudgesIt) {
  const std::string bytes = SerializeEntry(FullEntry());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int mask : {0x01, 0x02, 0x08, 0x40, 0x80, 0xff}) {
      std::string changed = bytes;
      changed[i] = static_cast<char>(changed[i] ^ mask);
      SCOPED_TRACE(::testing::Message() << "byte " << i << " ^ " << mask);
      ExpectSameAsParser(changed);
    }
    SCOPED_TRACE(::testing::Message() << "first " << i << " bytes");
    ExpectSameAsParser(bytes.substr(0, i));
  }
}

}  // namespace
}  // namespace ledger
