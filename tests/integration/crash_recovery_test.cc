// Crash recovery: ledgerd is killed with SIGKILL while eight clients
// append concurrently, several times over on one database. Whatever was
// acknowledged survives, exactly once and at its acknowledged sequence;
// sequences stay dense, requests stay atomic, and ledger-verify passes
// after every crash.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/concurrent_appenders.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/integration/read_entries.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ConcurrentAppenders;
using ::ledger::testing::ExitedWith;
using ::ledger::testing::ExpectLogKeepsAcknowledgedAppends;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadEntries;
using ::ledger::testing::RunLedgerVerify;
using ::testing::IsEmpty;

constexpr int kRounds = 3;
constexpr int kThreads = 8;
// Acknowledged events to wait for before each kill.
constexpr size_t kAcksBeforeKill = 500;

class CrashRecoveryTest : public ::ledger::testing::TempDirTest {
 protected:
  // Starts ledgerd on the test's database, lets the appenders get
  // `kAcksBeforeKill` events acknowledged, and kills it while they go on.
  void RunRoundEndingInKill(int round) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                         LedgerdProcess::Start(PathIn("db")));
    rounds_.push_back(std::make_unique<ConcurrentAppenders>(
        ledgerd->address(), kThreads, absl::StrCat("round", round)));
    ConcurrentAppenders& appenders = *rounds_.back();
    ASSERT_TRUE(appenders.WaitForAcknowledged(kAcksBeforeKill, kProgramTimeout))
        << "appends did not get going; " << appenders.unexpected_errors().size()
        << " errors";

    appenders.ExpectServerToStop();
    ASSERT_OK(ledgerd->Kill());
    appenders.Join();

    EXPECT_THAT(appenders.unexpected_errors(), IsEmpty());
  }

  void TearDown() override {
    rounds_.clear();
    TempDirTest::TearDown();
  }

  std::vector<std::unique_ptr<ConcurrentAppenders>> rounds_;
};

TEST_F(CrashRecoveryTest, KilledServerKeepsEveryAcknowledgedAppend) {
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    ASSERT_NO_FATAL_FAILURE(RunRoundEndingInKill(round));
    // The database as the crash left it, before any restart repairs it.
    ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(PathIn("db")));
    EXPECT_THAT(verify, ExitedWith(0));
  }

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  {
    LedgerClient client(ledgerd->address());
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> log, ReadEntries(client));
    for (int round = 0; round < kRounds; ++round) {
      SCOPED_TRACE(absl::StrCat("round ", round));
      ExpectLogKeepsAcknowledgedAppends(log, *rounds_[round]);
    }
  }
  ASSERT_OK(ledgerd->Stop());
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(PathIn("db")));
  EXPECT_THAT(verify, ExitedWith(0));
}

}  // namespace
}  // namespace ledger
