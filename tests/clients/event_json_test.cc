// Tests of the JSON that `ledgerctl append` turns into events: one --file
// line (ParseEventJsonLine), including the numbers a line may hold.
#include "clients/event_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;

// A line with `extra` keys after a valid stream, type and data.
std::string Line(const std::string& extra) {
  return "{\"stream\":\"survey/S-1\",\"type\":\"google.protobuf.Struct\","
         "\"data\":{\"score\":4}" + extra + "}";
}

TEST(EventJsonLineTest, ParsesEveryKey) {
  absl::StatusOr<JsonlEvent> e = ParseEventJsonLine(Line(
      ",\"event_id\":\"ev-1\",\"expect\":\"exists\","
      "\"occurred_at\":\"2026-03-01T10:00:00Z\",\"correlation_id\":\"c\","
      "\"causation_id\":\"d\""));
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->stream, "survey/S-1");
  EXPECT_TRUE(e->has_expect);
  EXPECT_TRUE(e->expect.has_stream_exists());
  EXPECT_EQ(e->event.event_id(), "ev-1");
  EXPECT_EQ(e->event.payload().type_url(), "type.googleapis.com/google.protobuf.Struct");
  EXPECT_EQ(e->event.occurred_at().seconds(), 1772359200);
  EXPECT_EQ(e->event.correlation_id(), "c");
  EXPECT_EQ(e->event.causation_id(), "d");
}

TEST(EventJsonLineTest, WholeNumbersStandForTheirDecimalText) {
  absl::StatusOr<JsonlEvent> e = ParseEventJsonLine(Line(",\"expect\":3,\"event_id\":42"));
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->expect.exact(), 3u);
  EXPECT_EQ(e->event.event_id(), "42");
  e = ParseEventJsonLine(Line(",\"expect\":9007199254740992"));
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->expect.exact(), 9007199254740992u);
}

// Found by review of the fuzz target's code (tests/fuzz/regressions/
// event_json/): these were cast from double to uint64_t, which is
// undefined behaviour for a negative or huge value.
TEST(EventJsonLineTest, NegativeFractionalOrHugeNumbersAreInvalidArgument) {
  for (const char* bad : {"-1", "-1e300", "1e300", "18446744073709551616", "2.5",
                          "9007199254740994"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseEventJsonLine(Line(absl::StrCat(",\"expect\":", bad))),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("\"expect\" must be a string or a whole number")));
  }
}

TEST(EventJsonLineTest, MalformedLinesAreInvalidArgument) {
  EXPECT_THAT(ParseEventJsonLine("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseEventJsonLine("[1,2]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseEventJsonLine(Line(",\"colour\":\"red\"")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key 'colour'")));
  EXPECT_THAT(ParseEventJsonLine("{\"type\":\"google.protobuf.Struct\",\"data\":{}}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"stream\" is required")));
  EXPECT_THAT(ParseEventJsonLine(Line(",\"expect\":\"later\"")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseEventJsonLine(Line(",\"occurred_at\":\"yesterday\"")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ledger
