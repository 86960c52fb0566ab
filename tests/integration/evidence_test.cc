// Evidence bundles end to end: typed events in a real ledgerd, `ledgerctl
// evidence` writing a bundle for a recommendation, a complaint and a
// feedback item, and `ledgerctl verify-bundle` checking each offline and
// recomputing the row the server shows. Then the bundle is tampered with
// (an entry byte, a proof element, the checkpoint signature, a dropped
// entry, an entry spliced in from another log): every case exits 1.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "involvement/v1/events.pb.h"
#include "involvement/v1/views.pb.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"
#include "tests/projections/test_dates.h"

namespace ledger {
namespace {

namespace pb = google::protobuf;
namespace iv1 = involvement::v1;
using ::ledger::testing::ExitedWith;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::RunLedgerctl;
using ::testing::HasSubstr;

constexpr char kAsOf[] = "2026-06-30";

using ::involvement::testing::D;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

pb::Struct ParseJson(const std::string& text) {
  pb::Struct s;
  EXPECT_TRUE(pb::util::JsonStringToMessage(text, &s).ok()) << text;
  return s;
}

std::string ToJson(const pb::Message& m) {
  std::string out;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  EXPECT_TRUE(pb::util::MessageToJsonString(m, &out, options).ok());
  return out;
}

// The bundle's entry objects (mutable), stream by stream.
pb::Struct* EntryAt(pb::Struct& bundle, int stream, int entry) {
  pb::Value& streams = (*bundle.mutable_fields())["streams"];
  pb::Struct* s = streams.mutable_list_value()->mutable_values(stream)->mutable_struct_value();
  return (*s->mutable_fields())["entries"]
      .mutable_list_value()
      ->mutable_values(entry)
      ->mutable_struct_value();
}

class EvidenceTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(PathIn("db")));
    ASSERT_OK_AND_ASSIGN(ProcessOutput key, Ctl({"public-key"}));
    ASSERT_THAT(key, ExitedWith(0));
    vkey_ = key.out.substr(0, key.out.find('\n'));
    ASSERT_NO_FATAL_FAILURE(Record());
  }
  void TearDown() override {
    ledgerd_.reset();
    TempDirTest::TearDown();
  }

  absl::StatusOr<ProcessOutput> Ctl(std::vector<std::string> args,
                                    const LedgerdProcess* server = nullptr) {
    args.insert(args.begin(),
                {"--server", (server != nullptr ? server : ledgerd_.get())->address()});
    return RunLedgerctl(args);
  }

  void Append(const std::string& stream, const pb::Message& event,
              const LedgerdProcess* server = nullptr) {
    LedgerClient client((server != nullptr ? server : ledgerd_.get())->address());
    v1::AppendRequest req;
    req.set_stream(stream);
    req.add_events()->set_event_id(absl::StrCat("ev-", stream, "-", next_++));
    req.mutable_events(0)->mutable_payload()->PackFrom(event);
    ASSERT_OK(client.Append(req).status());
  }

  // Two feedback items, a recommendation citing both with the Board's
  // response and an action, an unrelated stream in between, a complaint.
  void Record(const LedgerdProcess* server = nullptr) {
    for (const char* fid : {"F-1", "F-2"}) {
      iv1::FeedbackReceived f;
      f.set_feedback_id(fid);
      f.set_channel(iv1::FEEDBACK_CHANNEL_SUGGESTION_BOX);
      *f.mutable_received_on() = D(2026, 1, 10);
      f.set_summary(absl::StrCat("Repairs are slow (", fid, ")"));
      f.set_topic("repairs");
      ASSERT_NO_FATAL_FAILURE(Append(absl::StrCat("feedback/", fid), f, server));
    }
    iv1::MeetingHeld m;
    m.set_body(iv1::BODY_SUAG);
    *m.mutable_date() = D(2026, 1, 20);
    ASSERT_NO_FATAL_FAILURE(Append("body/SUAG", m, server));
    iv1::RecommendationMade r;
    r.set_recommendation_id("R-1");
    r.set_from_body(iv1::BODY_SUAG);
    r.set_to(iv1::ADDRESSEE_BOARD);
    r.set_text("Publish repair times");
    r.add_feedback_ids("F-1");
    r.add_feedback_ids("F-2");
    *r.mutable_made_on() = D(2026, 2, 2);
    *r.mutable_response_due() = D(2026, 3, 2);
    ASSERT_NO_FATAL_FAILURE(Append("recommendation/R-1", r, server));
    iv1::ComplaintReceived c;
    c.set_complaint_id("C-1");
    *c.mutable_received_on() = D(2026, 2, 3);
    c.set_formal(true);
    c.set_topic("repairs");
    ASSERT_NO_FATAL_FAILURE(Append("complaint/C-1", c, server));
    iv1::BoardResponseRecorded resp;
    resp.set_recommendation_id("R-1");
    resp.set_decision(iv1::DECISION_ACCEPTED);
    resp.set_reasons("Agreed");
    *resp.mutable_decided_on() = D(2026, 3, 10);
    iv1::Action* a = resp.add_actions();
    a->set_action_id("A-1");
    a->set_description("Publish times monthly");
    a->set_owner("Head of Repairs");
    *a->mutable_due() = D(2026, 5, 1);
    ASSERT_NO_FATAL_FAILURE(Append("recommendation/R-1", resp, server));
    iv1::ComplaintAcknowledged ack;
    ack.set_stage(iv1::COMPLAINT_STAGE_ONE);
    *ack.mutable_acknowledged_on() = D(2026, 2, 5);
    ASSERT_NO_FATAL_FAILURE(Append("complaint/C-1", ack, server));
  }

  // Writes the bundle for `subject` flags to a file in the test directory.
  std::string Bundle(const std::vector<std::string>& subject, const std::string& name,
                     const LedgerdProcess* server = nullptr) {
    std::vector<std::string> args = {"evidence"};
    args.insert(args.end(), subject.begin(), subject.end());
    const std::string path = PathIn(name);
    args.insert(args.end(), {"--out", path});
    absl::StatusOr<ProcessOutput> out = Ctl(args, server);
    EXPECT_TRUE(out.ok());
    if (out.ok()) {
      EXPECT_THAT(*out, ExitedWith(0));
    }
    return path;
  }

  absl::StatusOr<ProcessOutput> Verify(const std::string& path) {
    return RunLedgerctl({"verify-bundle", path, "--vkey", vkey_, "--as-of", kAsOf});
  }

  // verify-bundle of a tampered copy of `path` exits 1 naming `reason`.
  void ExpectInvalid(const pb::Struct& bundle, const std::string& name, const std::string& reason) {
    const std::string path = PathIn(name);
    WriteFile(path, ToJson(bundle));
    ASSERT_OK_AND_ASSIGN(ProcessOutput out, Verify(path));
    EXPECT_THAT(out, ExitedWith(1)) << name;
    EXPECT_THAT(out.err, HasSubstr("INVALID")) << name;
    EXPECT_THAT(out.err, HasSubstr(reason)) << name;
  }

  std::string vkey_;
  std::unique_ptr<LedgerdProcess> ledgerd_;
  int next_ = 0;
};

// The server's row (first row of `view --id ID --json`) and the row
// verify-bundle recomputed, compared as protos.
template <typename View, typename Row>
void ExpectSameRow(const ProcessOutput& server_view, const ProcessOutput& verified) {
  View view;
  ASSERT_TRUE(pb::util::JsonStringToMessage(server_view.out, &view).ok()) << server_view.out;
  ASSERT_EQ(view.rows_size(), 1) << server_view.out;
  Row row;
  ASSERT_TRUE(pb::util::JsonStringToMessage(verified.out, &row).ok()) << verified.out;
  EXPECT_TRUE(pb::util::MessageDifferencer::Equals(view.rows(0), row))
      << "server: " << view.rows(0).DebugString() << "\nbundle: " << row.DebugString();
}

TEST_F(EvidenceTest, RecommendationBundleVerifiesAndGivesTheServersRow) {
  const std::string path = Bundle({"--recommendation", "R-1"}, "r1.json");
  const pb::Struct bundle = ParseJson(ReadFile(path));
  EXPECT_EQ(bundle.fields().at("format").string_value(), "involvement-ledger/evidence/1");
  // Its stream and both cited feedback streams.
  EXPECT_EQ(bundle.fields().at("streams").list_value().values_size(), 3);
  ASSERT_OK_AND_ASSIGN(ProcessOutput verified, Verify(path));
  ASSERT_THAT(verified, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput server,
                       Ctl({"recommendations", "--id", "R-1", "--json", "--as-of", kAsOf}));
  ASSERT_THAT(server, ExitedWith(0));
  ExpectSameRow<iv1::RecommendationsView, iv1::RecommendationRow>(server, verified);
  iv1::RecommendationRow row;
  ASSERT_TRUE(pb::util::JsonStringToMessage(verified.out, &row).ok());
  EXPECT_EQ(row.status(), iv1::RECOMMENDATION_STATUS_ACTIONS_OPEN);
  EXPECT_TRUE(row.answered_late());
  // A positional stream gives the same bundle.
  EXPECT_EQ(ReadFile(Bundle({"recommendation/R-1"}, "r1-stream.json")), ReadFile(path));
}

TEST_F(EvidenceTest, ComplaintBundleVerifiesAndGivesTheServersRow) {
  const std::string path = Bundle({"--complaint", "C-1"}, "c1.json");
  ASSERT_OK_AND_ASSIGN(ProcessOutput verified, Verify(path));
  ASSERT_THAT(verified, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput server,
                       Ctl({"complaints", "--id", "C-1", "--json", "--as-of", kAsOf}));
  ASSERT_THAT(server, ExitedWith(0));
  ExpectSameRow<iv1::ComplaintsView, iv1::ComplaintRow>(server, verified);
}

TEST_F(EvidenceTest, FeedbackBundleVerifiesAndGivesTheServersRow) {
  const std::string path = Bundle({"--feedback", "F-2"}, "f2.json");
  ASSERT_OK_AND_ASSIGN(ProcessOutput verified, Verify(path));
  ASSERT_THAT(verified, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput server,
                       Ctl({"you-said-we-did", "--id", "F-2", "--json", "--as-of", kAsOf}));
  ASSERT_THAT(server, ExitedWith(0));
  ExpectSameRow<iv1::YouSaidWeDidView, iv1::YouSaidWeDidRow>(server, verified);
  iv1::YouSaidWeDidRow row;
  ASSERT_TRUE(pb::util::JsonStringToMessage(verified.out, &row).ok());
  EXPECT_THAT(row.recommendation_ids(), ::testing::ElementsAre("R-1"));
}

TEST_F(EvidenceTest, SameCheckpointGivesByteIdenticalBundles) {
  const std::string first = ReadFile(Bundle({"--recommendation", "R-1"}, "a.json"));
  // Two runs with no append between them see the same checkpoint.
  const std::string second = ReadFile(Bundle({"--recommendation", "R-1"}, "b.json"));
  EXPECT_EQ(first, second);
  ASSERT_OK_AND_ASSIGN(ProcessOutput stdout_run, Ctl({"evidence", "--recommendation", "R-1"}));
  ASSERT_THAT(stdout_run, ExitedWith(0));
  EXPECT_EQ(stdout_run.out, first);
}

TEST_F(EvidenceTest, TamperedBundlesAreInvalid) {
  const std::string path = Bundle({"--recommendation", "R-1"}, "r1.json");
  const pb::Struct good = ParseJson(ReadFile(path));
  {
    // Re-serialised, unchanged: still valid (the tampering helpers below
    // write the same way).
    WriteFile(PathIn("same.json"), ToJson(good));
    ASSERT_OK_AND_ASSIGN(ProcessOutput out, Verify(PathIn("same.json")));
    ASSERT_THAT(out, ExitedWith(0));
  }
  {
    // One byte in the middle of an entry changed: it no longer parses
    // canonically, or its leaf hash no longer matches its proof.
    pb::Struct b = good;
    pb::Struct* e = EntryAt(b, 0, 1);
    std::string bytes;
    ASSERT_TRUE(absl::Base64Unescape(e->fields().at("entry").string_value(), &bytes));
    bytes[bytes.size() / 2] ^= 0x01;
    (*e->mutable_fields())["entry"].set_string_value(absl::Base64Escape(bytes));
    ExpectInvalid(b, "byte.json", "sequence");
  }
  {
    // One proof element changed.
    pb::Struct b = good;
    pb::Struct* e = EntryAt(b, 0, 0);
    pb::Value* h = (*e->mutable_fields())["proof"].mutable_list_value()->mutable_values(0);
    std::string hex = h->string_value();
    hex[0] = hex[0] == '0' ? '1' : '0';
    h->set_string_value(hex);
    ExpectInvalid(b, "proof.json", "inclusion proof does not verify");
  }
  {
    // The checkpoint's signature changed.
    pb::Struct b = good;
    std::string note = b.fields().at("checkpoint").string_value();
    const size_t sig = note.rfind(' ') + 5;
    note[sig] = note[sig] == 'A' ? 'B' : 'A';
    (*b.mutable_fields())["checkpoint"].set_string_value(note);
    ExpectInvalid(b, "signature.json", "checkpoint");
  }
  {
    // An entry removed: the Board's response, version 1 of 2 left.
    pb::Struct b = good;
    pb::Value& streams = (*b.mutable_fields())["streams"];
    pb::Struct* s = streams.mutable_list_value()->mutable_values(0)->mutable_struct_value();
    (*s->mutable_fields())["entries"].mutable_list_value()->mutable_values()->DeleteSubrange(0, 1);
    ExpectInvalid(b, "dropped.json", "stream version 2 where 1 was due");
  }
  {
    // A whole cited feedback stream removed.
    pb::Struct b = good;
    (*b.mutable_fields())["streams"].mutable_list_value()->mutable_values()->DeleteSubrange(2, 1);
    ExpectInvalid(b, "dropped-stream.json", "feedback/F-2");
  }
  {
    // An entry from another log: a second ledgerd with the same events has
    // its own key and tree; its entry with its own proof is spliced in.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> other,
                         LedgerdProcess::Start(PathIn("other-db")));
    iv1::FeedbackReceived f;
    f.set_feedback_id("F-0");
    f.set_channel(iv1::FEEDBACK_CHANNEL_SURVEY);
    f.set_summary("Earlier");
    *f.mutable_received_on() = D(2026, 1, 1);
    ASSERT_NO_FATAL_FAILURE(Append("feedback/F-0", f, other.get()));  // shifts sequences
    ASSERT_NO_FATAL_FAILURE(Record(other.get()));
    pb::Struct foreign = ParseJson(
        ReadFile(Bundle({"--recommendation", "R-1"}, "other.json", other.get())));
    pb::Struct b = good;
    *EntryAt(b, 0, 1) = *EntryAt(foreign, 0, 1);
    ExpectInvalid(b, "spliced.json", "inclusion proof does not verify");
    ASSERT_OK(other->Stop());
  }
}

TEST_F(EvidenceTest, UsageErrors) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput none, Ctl({"evidence"}));
  EXPECT_THAT(none, ExitedWith(2));
  ASSERT_OK_AND_ASSIGN(ProcessOutput two, Ctl({"evidence", "--complaint", "C-1",
                                               "--feedback", "F-1"}));
  EXPECT_THAT(two, ExitedWith(2));
  ASSERT_OK_AND_ASSIGN(ProcessOutput nokey, RunLedgerctl({"verify-bundle", PathIn("x.json")}));
  EXPECT_THAT(nokey, ExitedWith(2));
}

}  // namespace
}  // namespace ledger
