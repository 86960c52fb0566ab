// Crash recovery: ledgerd is killed with SIGKILL while eight clients
// append concurrently, several times over on one database, at moments
// drawn at random (the seed is printed). Whatever was acknowledged
// survives, exactly once and at its acknowledged sequence, checked after
// every restart; sequences stay dense, requests stay atomic; every
// checkpoint an auditor saw before a crash is consistent with the log after
// it; and ledger-verify passes after every crash.
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
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
using ::ledger::testing::RunLedgerctl;
using ::ledger::testing::RunLedgerVerify;
using ::testing::IsEmpty;

constexpr int kRounds = 5;
constexpr int kThreads = 8;

class CrashRecoveryTest : public ::ledger::testing::TempDirTest {
 protected:
  void TearDown() override {
    rounds_.clear();
    TempDirTest::TearDown();
  }

  // ledgerctl audit against `address` with the test's state file.
  absl::StatusOr<ProcessOutput> Audit(const std::string& address) {
    return RunLedgerctl(
        {"--server", address, "audit", "--state", PathIn("audit.state"), "--vkey", vkey_});
  }

  // Every round so far kept all it had acknowledged, exactly once.
  void ExpectEveryRoundKept(const std::string& address) {
    LedgerClient client(address);
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> log, ReadEntries(client));
    for (size_t round = 0; round < rounds_.size(); ++round) {
      SCOPED_TRACE(absl::StrCat("round ", round));
      ExpectLogKeepsAcknowledgedAppends(log, *rounds_[round]);
    }
  }

  std::string vkey_;
  std::vector<std::unique_ptr<ConcurrentAppenders>> rounds_;
};

TEST_F(CrashRecoveryTest, KilledAtRandomMomentsKeepsEveryAcknowledgedAppend) {
  const uint32_t seed = static_cast<uint32_t>(absl::ToUnixNanos(absl::Now()));
  std::cerr << "crash recovery: seed " << seed << "\n";
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937 random(seed);
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                         LedgerdProcess::Start(PathIn("db")));
    if (round == 0) {
      ASSERT_OK_AND_ASSIGN(ProcessOutput key,
                           RunLedgerctl({"--server", ledgerd->address(), "public-key"}));
      ASSERT_THAT(key, ExitedWith(0));
      vkey_ = std::string(absl::StripSuffix(key.out, "\n"));
    } else {
      // After the restart: nothing acknowledged before any crash is lost,
      // and the log extends every checkpoint the auditor saw.
      ASSERT_NO_FATAL_FAILURE(ExpectEveryRoundKept(ledgerd->address()));
      ASSERT_OK_AND_ASSIGN(ProcessOutput audit, Audit(ledgerd->address()));
      EXPECT_THAT(audit, ExitedWith(0)) << audit.err;
    }

    rounds_.push_back(std::make_unique<ConcurrentAppenders>(
        ledgerd->address(), kThreads, absl::StrCat("round", round)));
    ConcurrentAppenders& appenders = *rounds_.back();
    // A random moment: after 20 to 600 acknowledged events, an audit of the
    // checkpoint of that moment, then up to 30 ms more of appends.
    const size_t acks = std::uniform_int_distribution<size_t>(20, 600)(random);
    ASSERT_TRUE(appenders.WaitForAcknowledged(acks, kProgramTimeout))
        << "appends did not get going; " << appenders.unexpected_errors().size() << " errors";
    ASSERT_OK_AND_ASSIGN(ProcessOutput audit, Audit(ledgerd->address()));
    EXPECT_THAT(audit, ExitedWith(0)) << audit.err;
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 30)(random)));

    appenders.ExpectServerToStop();
    ASSERT_OK(ledgerd->Kill());
    appenders.Join();
    EXPECT_THAT(appenders.unexpected_errors(), IsEmpty());

    // The database as the crash left it, before any restart repairs it.
    ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(PathIn("db")));
    EXPECT_THAT(verify, ExitedWith(0));
  }

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  ASSERT_NO_FATAL_FAILURE(ExpectEveryRoundKept(ledgerd->address()));
  ASSERT_OK_AND_ASSIGN(ProcessOutput audit, Audit(ledgerd->address()));
  EXPECT_THAT(audit, ExitedWith(0)) << audit.err;
  ASSERT_OK(ledgerd->Stop());
  // Once serving, it read the tree's upper levels into memory (every
  // stored level, for a log this small) and said so.
  EXPECT_THAT(ledgerd->process().err(),
              ::testing::ContainsRegex(
                  "ledgerd: tree cache: [1-9][0-9]* nodes of levels 3 and up read in"));
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(PathIn("db")));
  EXPECT_THAT(verify, ExitedWith(0));
}

}  // namespace
}  // namespace ledger
