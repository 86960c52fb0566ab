// The involvement views end to end: typed events appended to a real
// ledgerd, views read through QueryService and ledgerctl, the folded state
// saved at stop and picked up at restart with the same answers, and the
// same answers again from a database whose saved state was removed
// (rebuilt from scratch).
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "clients/query_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "involvement/v1/events.pb.h"
#include "ledger/store.h"
#include "projections/projection_runner.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"
#include "tests/projections/test_dates.h"

namespace ledger {
namespace {

namespace iv1 = involvement::v1;
using ::ledger::testing::ExitedWith;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::RunLedgerctl;
using ::testing::HasSubstr;

using ::involvement::testing::D;

class ViewsEndToEndTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    db_ = PathIn("db");
    ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(db_));
  }
  void TearDown() override {
    ledgerd_.reset();
    TempDirTest::TearDown();
  }

  void Append(const std::string& stream, const google::protobuf::Message& event) {
    LedgerClient client(ledgerd_->address());
    v1::AppendRequest req;
    req.set_stream(stream);
    req.add_events()->set_event_id(absl::StrCat("e2e-", next_++));
    req.mutable_events(0)->mutable_payload()->PackFrom(event);
    ASSERT_OK(client.Append(req).status());
  }

  // A small organisation: one overdue recommendation, one answered on
  // time, a SUAG meeting gap.
  void Record() {
    iv1::RecommendationMade late;
    late.set_recommendation_id("R-1");
    late.set_from_body(iv1::BODY_SUAG);
    late.set_to(iv1::ADDRESSEE_BOARD);
    late.set_text("Publish repair times");
    *late.mutable_made_on() = D(2026, 2, 2);
    *late.mutable_response_due() = D(2026, 3, 2);
    ASSERT_NO_FATAL_FAILURE(Append("recommendation/R-1", late));
    iv1::RecommendationMade ok = late;
    ok.set_recommendation_id("R-2");
    ASSERT_NO_FATAL_FAILURE(Append("recommendation/R-2", ok));
    iv1::BoardResponseRecorded response;
    response.set_recommendation_id("R-2");
    response.set_decision(iv1::DECISION_REJECTED);
    response.set_reasons("Costs");
    *response.mutable_decided_on() = D(2026, 2, 20);
    ASSERT_NO_FATAL_FAILURE(Append("recommendation/R-2", response));
    for (const iv1::Date& d : {D(2026, 1, 12), D(2026, 6, 1)}) {
      iv1::MeetingHeld m;
      m.set_body(iv1::BODY_SUAG);
      *m.mutable_date() = d;
      ASSERT_NO_FATAL_FAILURE(Append("body/SUAG", m));
    }
  }

  iv1::ViewRequest AsOf(int y, int m, int d) {
    iv1::ViewRequest r;
    *r.mutable_as_of() = D(y, m, d);
    return r;
  }

  std::string db_;
  std::unique_ptr<LedgerdProcess> ledgerd_;
  int next_ = 0;
};

TEST_F(ViewsEndToEndTest, ViewsAnswerAndSurviveARestartAndARebuild) {
  ASSERT_NO_FATAL_FAILURE(Record());
  std::string before;
  {
    QueryClient q(ledgerd_->address());
    ASSERT_OK_AND_ASSIGN(iv1::RecommendationsView recs, q.Recommendations(AsOf(2026, 4, 1)));
    ASSERT_EQ(recs.rows_size(), 2);
    EXPECT_EQ(recs.rows(0).recommendation_id(), "R-1");  // overdue first
    EXPECT_TRUE(recs.rows(0).overdue());
    EXPECT_EQ(recs.rows(0).days_late(), 30);  // 2026-03-02 to 2026-04-01
    EXPECT_EQ(recs.rows(1).status(), iv1::RECOMMENDATION_STATUS_ANSWERED);
    ASSERT_OK_AND_ASSIGN(iv1::ComplianceView compliance, q.Compliance(AsOf(2026, 7, 1)));
    ASSERT_EQ(compliance.findings_size(), 2);
    EXPECT_EQ(compliance.findings(0).rule(), "board_response_overdue");
    EXPECT_EQ(compliance.findings(1).rule(), "suag_meeting_gap");
    before = compliance.SerializeAsString();
  }
  ASSERT_OK_AND_ASSIGN(ProcessOutput cli, RunLedgerctl({"--server", ledgerd_->address(),
                                                        "compliance", "--as-of", "2026-07-01"}));
  EXPECT_THAT(cli, ExitedWith(0));
  EXPECT_THAT(cli.out, HasSubstr("board_response_overdue"));
  EXPECT_THAT(cli.out, HasSubstr("suag_meeting_gap"));
  ASSERT_OK_AND_ASSIGN(ProcessOutput one_rule,
                       RunLedgerctl({"--server", ledgerd_->address(), "compliance", "--as-of",
                                     "2026-07-01", "--rule", "suag_meeting_gap"}));
  EXPECT_THAT(one_rule, ExitedWith(0));
  EXPECT_THAT(one_rule.out, HasSubstr("1 findings"));
  EXPECT_THAT(one_rule.out, ::testing::Not(HasSubstr("board_response_overdue")));

  // Stop: the folded state is saved with its position.
  ASSERT_OK(ledgerd_->Stop());
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                         LedgerStore::Open(db_, LedgerStore::Mode::kReadOnly));
    std::string saved;
    ASSERT_TRUE(store->db()->Get(rocksdb::ReadOptions(), store->projections(),
                                 involvement::kStateKey, &saved).ok());
    iv1::DomainState state;
    ASSERT_TRUE(state.ParseFromString(saved));
    EXPECT_EQ(state.position(), 5u);
  }
  ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(db_));
  {
    QueryClient q(ledgerd_->address());
    ASSERT_OK_AND_ASSIGN(iv1::ComplianceView again, q.Compliance(AsOf(2026, 7, 1)));
    EXPECT_EQ(again.SerializeAsString(), before);
  }
  ASSERT_OK(ledgerd_->Stop());

  // Remove the saved state: the views are rebuilt from the log alone.
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                         LedgerStore::Open(db_, LedgerStore::Mode::kReadWrite));
    ASSERT_TRUE(store->db()->Delete(rocksdb::WriteOptions(), store->projections(),
                                    involvement::kStateKey).ok());
  }
  ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(db_));
  QueryClient q(ledgerd_->address());
  ASSERT_OK_AND_ASSIGN(iv1::ComplianceView rebuilt, q.Compliance(AsOf(2026, 7, 1)));
  EXPECT_EQ(rebuilt.SerializeAsString(), before);
}

TEST_F(ViewsEndToEndTest, BadViewRequestsAreRefused) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput bad_date,
                       RunLedgerctl({"--server", ledgerd_->address(), "recommendations",
                                     "--as-of", "2026-02-30"}));
  EXPECT_THAT(bad_date, ExitedWith(1));
  EXPECT_THAT(bad_date.err, HasSubstr("INVALID_ARGUMENT"));
  ASSERT_OK_AND_ASSIGN(ProcessOutput usage,
                       RunLedgerctl({"--server", ledgerd_->address(), "bodies", "--body", "NOPE"}));
  EXPECT_THAT(usage, ExitedWith(2));
}

}  // namespace
}  // namespace ledger
