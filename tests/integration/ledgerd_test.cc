// The ledgerd program: it refuses an unusable database path or a port in
// use with exit 1 and a clear message, and SIGTERM stops it with exit 0,
// nothing half-printed, and every acknowledged append in the database,
// even with appends in flight.
#include <fstream>
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
using ::ledger::testing::kLedgerdPath;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::Lines;
using ::ledger::testing::MakeAppendRequest;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadEntries;
using ::ledger::testing::RunLedgerVerify;
using ::ledger::testing::RunProcess;
using ::testing::Each;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

class LedgerdTest : public ::ledger::testing::TempDirTest {
 protected:
  // Runs ledgerd on `db` to completion; for starts that must fail.
  absl::StatusOr<ProcessOutput> RunLedgerd(const std::string& db,
                                           const std::string& listen) {
    return RunProcess({kLedgerdPath, "--db", db, "--listen", listen},
                      kProgramTimeout);
  }

  void WriteFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
  }
};

TEST_F(LedgerdTest, RefusesADatabasePathThatIsARegularFile) {
  const std::string file = PathIn("not-a-db");
  ASSERT_NO_FATAL_FAILURE(WriteFile(file, "plain text\n"));

  ASSERT_OK_AND_ASSIGN(ProcessOutput r, RunLedgerd(file, "127.0.0.1:0"));

  EXPECT_THAT(r, ExitedWith(1));
  EXPECT_THAT(r.err, HasSubstr(file));
  EXPECT_THAT(r.err, HasSubstr("not a directory"));
  EXPECT_EQ(r.out, "");
}

TEST_F(LedgerdTest, RefusesADatabasePathInsideARegularFile) {
  const std::string file = PathIn("not-a-dir");
  ASSERT_NO_FATAL_FAILURE(WriteFile(file, "plain text\n"));

  ASSERT_OK_AND_ASSIGN(ProcessOutput r,
                       RunLedgerd(absl::StrCat(file, "/db"), "127.0.0.1:0"));

  EXPECT_THAT(r, ExitedWith(1));
  EXPECT_THAT(r.err, HasSubstr(file));
  EXPECT_THAT(r.err, HasSubstr("Not a directory"));
  EXPECT_EQ(r.out, "");
}

TEST_F(LedgerdTest, RefusesAPortAlreadyInUse) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> first,
                       LedgerdProcess::Start(PathIn("first")));

  ASSERT_OK_AND_ASSIGN(ProcessOutput second,
                       RunLedgerd(PathIn("second"), first->address()));

  EXPECT_THAT(second, ExitedWith(1));
  EXPECT_THAT(second.err, HasSubstr(absl::StrCat("cannot listen on ", first->address())));
  EXPECT_THAT(second.err, HasSubstr("in use"));
  EXPECT_EQ(second.out, "");
  {
    // The first server is unaffected.
    LedgerClient client(first->address());
    EXPECT_OK(client.Append(MakeAppendRequest("case/1", {"still-serving"})).status());
  }
  EXPECT_OK(first->Stop());
}

TEST_F(LedgerdTest, UnknownFlagIsAUsageError) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput r,
                       RunProcess({kLedgerdPath, "--frobnicate"}, kProgramTimeout));

  EXPECT_THAT(r, ExitedWith(2));
  EXPECT_THAT(r.err, HasSubstr("unknown argument '--frobnicate'"));
}

TEST_F(LedgerdTest, SigtermExitsZeroAndPrintsNothingHalfDone) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  {
    LedgerClient client(ledgerd->address());
    ASSERT_OK(client.Append(MakeAppendRequest("case/1", "ev", 3)).status());
  }

  ASSERT_OK(ledgerd->Stop());

  EXPECT_EQ(ledgerd->process().out(),
            absl::StrCat("listening on ", ledgerd->address(), "\n"));
  const std::string& err = ledgerd->process().err();
  EXPECT_THAT(err, EndsWith("\n")) << "a line was cut short";
  std::vector<std::string> lines = Lines(err);
  EXPECT_THAT(lines, Each(StartsWith("ledgerd: ")));
  ASSERT_THAT(lines, Not(IsEmpty()));
  EXPECT_EQ(lines.back(), "ledgerd: stopped");
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(PathIn("db")));
  EXPECT_THAT(verify, ExitedWith(0));
  EXPECT_THAT(verify.out, HasSubstr("intact: 3 entries"));
}

TEST_F(LedgerdTest, SigtermDuringConcurrentAppendsKeepsEveryAcknowledgedAppend) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                       LedgerdProcess::Start(PathIn("db")));
  ConcurrentAppenders appenders(ledgerd->address(), /*threads=*/8, "term");
  ASSERT_TRUE(appenders.WaitForAcknowledged(100, kProgramTimeout))
      << "appends did not get going";

  appenders.ExpectServerToStop();
  ASSERT_OK(ledgerd->Stop());
  appenders.Join();

  EXPECT_THAT(appenders.unexpected_errors(), IsEmpty());
  EXPECT_THAT(appenders.acknowledged(), SizeIs(::testing::Ge(100u)));
  EXPECT_THAT(ledgerd->process().err(), EndsWith("ledgerd: stopped\n"));
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(PathIn("db")));
  EXPECT_THAT(verify, ExitedWith(0));

  ASSERT_OK_AND_ASSIGN(ledgerd, LedgerdProcess::Start(PathIn("db")));
  {
    LedgerClient client(ledgerd->address());
    ASSERT_OK_AND_ASSIGN(std::vector<v1::Entry> log, ReadEntries(client));
    ExpectLogKeepsAcknowledgedAppends(log, appenders);
  }
  EXPECT_OK(ledgerd->Stop());
}

}  // namespace
}  // namespace ledger
