// The demo organisation end to end: ledger-demo loads two years of a
// fictional provider into a real ledgerd, and `ledgerctl compliance --json`
// as of the plan's date lists exactly the breaches the generator planted
// (rule and subject), each with the sequences that prove it. A second load
// adds nothing, and the database verifies.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "ledger/entry.h"
#include "ledger/store.h"
#include "projections/projection_runner.h"
#include "gtest/gtest.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::google::protobuf::Struct;
using ::ledger::testing::ExitedWith;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::RunLedgerctl;
using ::ledger::testing::RunLedgerVerify;
using ::ledger::testing::RunProcess;
using ::testing::HasSubstr;

Struct ParseJson(const std::string& text) {
  Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &s).ok()) << text.substr(0, 200);
  return s;
}

const google::protobuf::Value& Field(const Struct& s, const std::string& name) {
  static const google::protobuf::Value kNull;
  auto it = s.fields().find(name);
  return it == s.fields().end() ? kNull : it->second;
}

class DemoTest : public ::ledger::testing::TempDirTest {};

TEST_F(DemoTest, ComplianceListsThePlantedBreaches) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  const std::string plan_path = PathIn("plan.json");
  ASSERT_OK_AND_ASSIGN(ProcessOutput load,
                       RunProcess({LEDGER_DEMO_PATH, "--server", ledgerd->address(),
                                   "--plan-json", plan_path},
                                  kProgramTimeout));
  ASSERT_THAT(load, ExitedWith(0));

  std::ifstream in(plan_path);
  std::stringstream text;
  text << in.rdbuf();
  const Struct plan = ParseJson(text.str());
  const std::string as_of = Field(plan, "as_of").string_value();
  ASSERT_EQ(as_of.size(), 10u);
  std::vector<std::pair<std::string, std::string>> planted;
  for (const auto& b : Field(plan, "breaches").list_value().values()) {
    const Struct& s = b.struct_value();
    planted.emplace_back(Field(s, "kind").string_value(),
                         Field(s, "streams").list_value().values(0).string_value());
  }
  ASSERT_GE(planted.size(), 7u);

  ASSERT_OK_AND_ASSIGN(ProcessOutput compliance,
                       RunLedgerctl({"--server", ledgerd->address(), "compliance", "--as-of",
                                     as_of, "--json"}));
  ASSERT_THAT(compliance, ExitedWith(0));
  const Struct view = ParseJson(compliance.out);
  std::vector<std::pair<std::string, std::string>> found;
  for (const auto& f : Field(view, "findings").list_value().values()) {
    const Struct& s = f.struct_value();
    found.emplace_back(Field(s, "rule").string_value(), Field(s, "subject").string_value());
    EXPECT_GT(Field(s, "sequences").list_value().values_size(), 0)
        << Field(s, "subject").string_value();
  }
  std::sort(planted.begin(), planted.end());
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, planted);
  // Every kind of breach is planted at least once.
  for (const char* rule : {"board_response_overdue", "suag_meeting_gap",
                           "no_service_user_board_member", "feedback_unanswered",
                           "complaint_timescale_missed", "review_action_plan_overdue"}) {
    EXPECT_TRUE(std::any_of(found.begin(), found.end(),
                            [&](const auto& f) { return f.first == rule; }))
        << rule;
  }

  // Loading again is an idempotent retry.
  ASSERT_OK_AND_ASSIGN(ProcessOutput again,
                       RunProcess({LEDGER_DEMO_PATH, "--server", ledgerd->address()},
                                  kProgramTimeout));
  EXPECT_THAT(again, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput views_again,
                       RunLedgerctl({"--server", ledgerd->address(), "compliance", "--as-of",
                                     as_of, "--json"}));
  EXPECT_EQ(views_again.out, compliance.out);
  ASSERT_OK(ledgerd->Stop());
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(PathIn("db")));
  EXPECT_THAT(verify, ExitedWith(0));

  // The state the server saved at stop, a rebuild from scratch, and a fold
  // in uneven pieces are the same bytes.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                       LedgerStore::Open(PathIn("db"), LedgerStore::Mode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(LogHead head, store->ReadHead());
  std::string saved;
  ASSERT_TRUE(store->db()->Get(rocksdb::ReadOptions(), store->projections(),
                               involvement::kStateKey, &saved).ok());
  ASSERT_OK_AND_ASSIGN(involvement::v1::DomainState rebuilt,
                       involvement::ProjectionRunner::Rebuild(*store, head.size));
  involvement::v1::DomainState pieces;
  for (uint64_t end : {uint64_t{1}, uint64_t{97}, uint64_t{500}, uint64_t{501},
                       head.size / 2 + 3, head.size}) {
    ASSERT_OK(involvement::FoldStore(*store, end, pieces));
  }
  auto bytes = [](const involvement::v1::DomainState& s) {
    return SerializeDeterministic(s);
  };
  EXPECT_EQ(rebuilt.position(), head.size);
  EXPECT_EQ(bytes(pieces), bytes(rebuilt));
  EXPECT_EQ(saved, bytes(rebuilt));
}

}  // namespace
}  // namespace ledger
