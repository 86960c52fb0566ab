// Tests of the stored Entry bytes (round trip, rejection of garbage and of
// non-canonical encodings) and of EventContentDigest.
#include "ledger/entry.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/keys.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::MakePayload;
using ::ledger::testing::StatusIs;
using ::ledger::v1::Entry;
using ::ledger::v1::EventData;

EventData SampleEvent() {
  EventData e;
  e.set_event_id("rec-2026-014-made");
  *e.mutable_payload() = MakePayload("\x0a\x0bR-2026-014\x12\x04SUAG");
  e.mutable_occurred_at()->set_seconds(1767225600);
  e.mutable_occurred_at()->set_nanos(500);
  e.set_correlation_id("corr-1");
  e.set_causation_id("cause-1");
  return e;
}

// The Entry the writer would build from SampleEvent, with every field set.
Entry SampleEntry() {
  const EventData in = SampleEvent();
  Entry e;
  e.set_sequence(7);
  e.set_stream("recommendation/R-2026-014");
  e.set_stream_version(2);
  e.set_event_id(in.event_id());
  *e.mutable_payload() = in.payload();
  *e.mutable_occurred_at() = in.occurred_at();
  e.mutable_recorded_at()->set_seconds(1767225601);
  e.mutable_recorded_at()->set_nanos(250000000);
  e.set_actor("alice");
  e.set_prev_hash(std::string(AsBytes(LeafHash("entry 6"))));
  e.set_correlation_id(in.correlation_id());
  e.set_causation_id(in.causation_id());
  return e;
}

// One length-delimited field: tag byte for `field_number` (< 16), length
// (< 128), bytes.
std::string LengthDelimitedField(int field_number, const std::string& value) {
  std::string out;
  out.push_back(static_cast<char>((field_number << 3) | 2));
  out.push_back(static_cast<char>(value.size()));
  out += value;
  return out;
}

TEST(SerializeEntryTest, RoundTripsThroughParseStoredEntry) {
  const Entry original = SampleEntry();
  const std::string bytes = SerializeEntry(original);
  ASSERT_FALSE(bytes.empty());
  absl::StatusOr<Entry> parsed = ParseStoredEntry(bytes);
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->DebugString(), original.DebugString());
  EXPECT_EQ(SerializeEntry(*parsed), bytes);
}

TEST(SerializeEntryTest, IsDeterministicAndMatchesStandardSerialization) {
  const Entry e = SampleEntry();
  const std::string bytes = SerializeEntry(e);
  EXPECT_EQ(SerializeEntry(e), bytes);
  EXPECT_EQ(SerializeEntry(SampleEntry()), bytes);
  EXPECT_EQ(e.SerializeAsString(), bytes);
}

TEST(SerializeEntryTest, DifferentEntriesHaveDifferentBytes) {
  Entry a = SampleEntry();
  Entry b = SampleEntry();
  b.set_sequence(8);
  EXPECT_NE(SerializeEntry(a), SerializeEntry(b));
  EXPECT_NE(LeafHash(SerializeEntry(a)), LeafHash(SerializeEntry(b)));
}

TEST(ParseStoredEntryTest, IntoAReusedEntryLeavesNothingOfTheOneBefore) {
  // A full entry, then one with the optional fields unset: parsing into
  // the same Entry must give exactly what a fresh parse gives.
  const Entry full = SampleEntry();
  Entry sparse = SampleEntry();
  sparse.clear_correlation_id();
  sparse.clear_causation_id();
  sparse.clear_occurred_at();
  sparse.set_stream("s");
  Entry reused;
  for (const Entry* want : std::vector<const Entry*>{&full, &sparse, &full}) {
    ASSERT_OK(ParseStoredEntryInto(SerializeEntry(*want), &reused));
    EXPECT_EQ(reused.DebugString(), want->DebugString());
  }
  // A failure, then a success: the success is whole.
  EXPECT_THAT(ParseStoredEntryInto("\xff\xff\xff\xff", &reused),
              StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_OK(ParseStoredEntryInto(SerializeEntry(sparse), &reused));
  EXPECT_EQ(reused.DebugString(), sparse.DebugString());
}

TEST(ParseStoredEntryTest, RejectsGarbage) {
  EXPECT_THAT(ParseStoredEntry("\xff\xff\xff\xff"),
              StatusIs(absl::StatusCode::kDataLoss));
  // A length prefix running past the end.
  EXPECT_THAT(ParseStoredEntry("\x12\x05" "ab"),
              StatusIs(absl::StatusCode::kDataLoss));
  // Wire type 7 does not exist.
  EXPECT_THAT(ParseStoredEntry("\x0f\x01"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ParseStoredEntryTest, RejectsTruncatedEntry) {
  const std::string bytes = SerializeEntry(SampleEntry());
  // The last field (causation_id) is length-delimited, so dropping its last
  // byte leaves a length that runs past the end.
  EXPECT_THAT(ParseStoredEntry(bytes.substr(0, bytes.size() - 1)),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(ParseStoredEntry(bytes.substr(0, bytes.size() / 2)),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ParseStoredEntryTest, RejectsInvalidUtf8InStringField) {
  // proto3 string fields must be UTF-8.
  EXPECT_THAT(ParseStoredEntry(LengthDelimitedField(2, "\xff\xfe")),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ParseStoredEntryTest, RejectsFieldRepeatedAfterTheOthers) {
  const Entry e = SampleEntry();
  const std::string bytes = SerializeEntry(e);
  // The same stream value again, after field 11: parses to the same Entry,
  // but these are not the bytes that Entry serializes to.
  const std::string repeated = bytes + LengthDelimitedField(2, e.stream());
  Entry parsed_leniently;
  ASSERT_TRUE(parsed_leniently.ParseFromString(repeated));
  EXPECT_THAT(ParseStoredEntry(repeated), StatusIs(absl::StatusCode::kDataLoss));
  // A different value for an earlier field (last one wins when parsing).
  EXPECT_THAT(ParseStoredEntry(bytes + LengthDelimitedField(2, "other")),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ParseStoredEntryTest, RejectsFieldsOutOfOrder) {
  Entry e;
  e.set_stream("s");
  e.set_event_id("e");
  const std::string canonical = SerializeEntry(e);
  ASSERT_EQ(canonical, LengthDelimitedField(2, "s") + LengthDelimitedField(4, "e"));
  ASSERT_OK(ParseStoredEntry(canonical));
  const std::string reordered =
      LengthDelimitedField(4, "e") + LengthDelimitedField(2, "s");
  EXPECT_THAT(ParseStoredEntry(reordered), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ParseStoredEntryTest, RejectsExplicitDefaultValue) {
  Entry e = SampleEntry();
  e.set_sequence(0);
  const std::string bytes = SerializeEntry(e);
  ASSERT_OK(ParseStoredEntry(bytes));
  // sequence = 0 written out explicitly; proto3 omits it.
  EXPECT_THAT(ParseStoredEntry(std::string("\x08\x00", 2) + bytes),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ParseStoredEntryTest, RejectsOverlongVarint) {
  Entry e;
  e.set_sequence(1);
  ASSERT_EQ(SerializeEntry(e), "\x08\x01");
  EXPECT_THAT(ParseStoredEntry(std::string("\x08\x81\x00", 3)),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ParseStoredEntryTest, RejectsUnknownFieldAppended) {
  // The contract (entry.h): "two different byte strings can never claim to
  // be the same entry". Appending an unknown field (number 31, varint 1)
  // gives bytes that differ from the entry's while every Entry field is
  // unchanged; they must not be accepted as a stored entry.
  const Entry e = SampleEntry();
  const std::string bytes = SerializeEntry(e);
  const std::string with_unknown = bytes + std::string("\xf8\x01\x01", 3);
  Entry lenient;
  ASSERT_TRUE(lenient.ParseFromString(with_unknown));
  lenient.DiscardUnknownFields();
  ASSERT_EQ(SerializeEntry(lenient), bytes);
  EXPECT_THAT(ParseStoredEntry(with_unknown),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(EventContentDigestTest, RequestAndStoredEntryAgree) {
  const Entry entry = SampleEntry();
  EXPECT_EQ(EventContentDigest(entry.stream(), SampleEvent()),
            EventContentDigest(entry));
}

TEST(EventContentDigestTest, AgreeWhenOptionalFieldsUnset) {
  EventData in;
  in.set_event_id("id");
  *in.mutable_payload() = MakePayload("v");
  Entry entry;
  entry.set_stream("s");
  entry.set_event_id("id");
  *entry.mutable_payload() = in.payload();
  EXPECT_EQ(EventContentDigest("s", in), EventContentDigest(entry));
}

TEST(EventContentDigestTest, IgnoresFieldsTheLedgerAdds) {
  const Hash base = EventContentDigest(SampleEntry());
  Entry e = SampleEntry();
  e.set_sequence(99);
  e.set_stream_version(50);
  e.mutable_recorded_at()->set_seconds(1);
  e.set_actor("bob");
  e.set_prev_hash(std::string(32, '\0'));
  EXPECT_EQ(EventContentDigest(e), base);
}

TEST(EventContentDigestTest, ChangesWithEachClientField) {
  const std::string stream = "recommendation/R-2026-014";
  const Hash base = EventContentDigest(stream, SampleEvent());

  EXPECT_NE(EventContentDigest("recommendation/R-2026-015", SampleEvent()), base);

  EventData e = SampleEvent();
  e.set_event_id("rec-2026-014-made2");
  EXPECT_NE(EventContentDigest(stream, e), base) << "event_id";

  e = SampleEvent();
  e.mutable_payload()->set_value(e.payload().value() + "x");
  EXPECT_NE(EventContentDigest(stream, e), base) << "payload value";

  e = SampleEvent();
  e.mutable_payload()->set_type_url("type.googleapis.com/other.Event");
  EXPECT_NE(EventContentDigest(stream, e), base) << "payload type_url";

  e = SampleEvent();
  e.mutable_occurred_at()->set_seconds(e.occurred_at().seconds() + 1);
  EXPECT_NE(EventContentDigest(stream, e), base) << "occurred_at seconds";

  e = SampleEvent();
  e.mutable_occurred_at()->set_nanos(e.occurred_at().nanos() + 1);
  EXPECT_NE(EventContentDigest(stream, e), base) << "occurred_at nanos";

  e = SampleEvent();
  e.clear_occurred_at();
  EXPECT_NE(EventContentDigest(stream, e), base) << "occurred_at unset";

  e = SampleEvent();
  e.set_correlation_id("corr-2");
  EXPECT_NE(EventContentDigest(stream, e), base) << "correlation_id";

  e = SampleEvent();
  e.set_causation_id("");
  EXPECT_NE(EventContentDigest(stream, e), base) << "causation_id";
}

TEST(EventContentDigestTest, UnsetOccurredAtDiffersFromEpoch) {
  EventData unset;
  unset.set_event_id("id");
  *unset.mutable_payload() = MakePayload("v");
  EventData epoch = unset;
  epoch.mutable_occurred_at();  // present, 1970-01-01T00:00:00Z
  ASSERT_TRUE(epoch.has_occurred_at());
  EXPECT_NE(EventContentDigest("s", unset), EventContentDigest("s", epoch));
}

TEST(EventContentDigestTest, FieldBoundariesAreUnambiguous) {
  // Moving bytes from one field to the next must change the digest.
  EventData a;
  a.set_event_id("id");
  *a.mutable_payload() = MakePayload("v");
  a.set_correlation_id("ab");
  EventData b = a;
  b.set_correlation_id("a");
  b.set_causation_id("b");
  EXPECT_NE(EventContentDigest("s", a), EventContentDigest("s", b));

  // Stream "sd" with id "i" against stream "s" with id "di".
  EventData c = a;
  c.set_event_id("i");
  EventData d = a;
  d.set_event_id("di");
  EXPECT_NE(EventContentDigest("sd", c), EventContentDigest("s", d));
}

}  // namespace
}  // namespace ledger
