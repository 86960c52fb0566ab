// Backup and restore end to end: `ledgerctl backup` taken from a real
// ledgerd while concurrent appenders keep writing, then `ledgerctl
// restore` into a new directory. The restored database passes
// ledger-verify, holds every event acknowledged before the backup began,
// and, served with the original signing key, is consistent with the
// checkpoint an auditor recorded before the backup. A damaged backup is
// refused and nothing is restored.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/concurrent_appenders.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ConcurrentAppenders;
using ::ledger::testing::ExitedWith;
using ::ledger::testing::kLedgerVerifyPath;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::ReadFile;
using ::ledger::testing::RunLedgerctl;
using ::ledger::testing::RunLedgerVerify;
using ::ledger::testing::RunProcess;
using ::testing::HasSubstr;

class BackupTest : public ::ledger::testing::TempDirTest {};

TEST_F(BackupTest, BackupUnderLoadRestoresVerifiesAndStaysConsistent) {
  const std::string db = PathIn("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd, LedgerdProcess::Start(db));
  const std::string address = ledgerd->address();
  ASSERT_OK_AND_ASSIGN(ProcessOutput key, RunLedgerctl({"--server", address, "public-key"}));
  ASSERT_THAT(key, ExitedWith(0));
  const std::string vkey(absl::StripSuffix(key.out, "\n"));
  const std::string state = PathIn("audit.state");

  // Some history, and an auditor's checkpoint of it.
  std::map<std::string, uint64_t> before;
  {
    ConcurrentAppenders first(address, 4, "before");
    ASSERT_TRUE(first.WaitForAcknowledged(300, absl::Seconds(60)));
    first.Join();
    before = first.acknowledged();
  }
  ASSERT_OK_AND_ASSIGN(ProcessOutput audit,
                       RunLedgerctl({"--server", address, "audit", "--state", state, "--vkey", vkey}));
  ASSERT_THAT(audit, ExitedWith(0));

  // The backup, taken while appends go on.
  const std::string backup = PathIn("backup");
  ConcurrentAppenders during(address, 4, "during");
  ASSERT_TRUE(during.WaitForAcknowledged(50, absl::Seconds(60)));
  ASSERT_OK_AND_ASSIGN(ProcessOutput taken,
                       RunLedgerctl({"--server", address, "backup", "--out", backup}));
  during.Join();
  ASSERT_THAT(taken, ExitedWith(0));
  EXPECT_FALSE(std::filesystem::exists(backup + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(db + ".backup-in-progress"));
  EXPECT_THAT(ReadFile(std::filesystem::path(backup) / "BACKUP.txt"), HasSubstr("entries: "));
  ASSERT_OK(ledgerd->Stop());

  // Restore into a new directory, verify it, serve it with the same key.
  const std::string restored = PathIn("restored");
  ASSERT_OK_AND_ASSIGN(ProcessOutput restore,
                       RunLedgerctl({"restore", "--from", backup, "--db", restored}));
  ASSERT_THAT(restore, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, RunLedgerVerify(restored));
  EXPECT_THAT(verify, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(
      ProcessOutput verify_against_auditor,
      RunProcess({kLedgerVerifyPath, "--db", restored, "--checkpoint", state, "--vkey", vkey},
                 kProgramTimeout));
  EXPECT_THAT(verify_against_auditor, ExitedWith(0));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> again,
                       LedgerdProcess::Start(restored, {"--signing-key", db + ".key"}));
  // Every event acknowledged before the backup is there at its sequence.
  ASSERT_OK_AND_ASSIGN(ProcessOutput read, RunLedgerctl({"--server", again->address(), "read"}));
  ASSERT_THAT(read, ExitedWith(0));
  std::map<std::string, uint64_t> kept;  // event id -> sequence
  for (absl::string_view line : absl::StrSplit(read.out, '\n', absl::SkipEmpty())) {
    // Each line is a ledger.v1.Entry in protobuf's JSON mapping; its
    // payload is of a type this test does not know, so read the two
    // fields needed by name.
    google::protobuf::Struct e;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &e).ok()) << line;
    uint64_t sequence = 0;
    ASSERT_TRUE(absl::SimpleAtoi(e.fields().at("sequence").string_value(), &sequence)) << line;
    kept[e.fields().at("event_id").string_value()] = sequence;
  }
  for (const auto& [id, sequence] : before) {
    auto it = kept.find(id);
    ASSERT_NE(it, kept.end()) << id;
    EXPECT_EQ(it->second, sequence) << id;
  }
  EXPECT_GT(kept.size(), before.size());  // and some appended during the backup
  // The auditor's earlier checkpoint is a prefix of the restored log.
  ASSERT_OK_AND_ASSIGN(ProcessOutput consistent,
                       RunLedgerctl({"--server", again->address(), "audit", "--state", state,
                                     "--vkey", vkey}));
  EXPECT_THAT(consistent, ExitedWith(0));
  // The restored server takes appends again.
  ASSERT_OK_AND_ASSIGN(ProcessOutput append,
                       RunLedgerctl({"--server", again->address(), "append", "--stream", "misc/after",
                                     "--type", "google.protobuf.Struct", "--data", "{\"n\":1}"}));
  EXPECT_THAT(append, ExitedWith(0));
  ASSERT_OK(again->Stop());
}

TEST_F(BackupTest, DamagedBackupsAreRefusedAndNothingIsRestored) {
  const std::string db = PathIn("db");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd, LedgerdProcess::Start(db));
  {
    ConcurrentAppenders some(ledgerd->address(), 2, "x");
    ASSERT_TRUE(some.WaitForAcknowledged(40, absl::Seconds(60)));
  }
  const std::string backup = PathIn("backup");
  ASSERT_OK_AND_ASSIGN(ProcessOutput taken,
                       RunLedgerctl({"--server", ledgerd->address(), "backup", "--out", backup}));
  ASSERT_THAT(taken, ExitedWith(0));
  // A non-empty DIR is refused.
  ASSERT_OK_AND_ASSIGN(ProcessOutput twice,
                       RunLedgerctl({"--server", ledgerd->address(), "backup", "--out", backup}));
  EXPECT_THAT(twice, ExitedWith(2));
  ASSERT_OK(ledgerd->Stop());

  // checkpoint.txt that is not the stored one.
  const std::filesystem::path note = std::filesystem::path(backup) / "checkpoint.txt";
  const std::string original = ReadFile(note);
  {
    std::ofstream f(note, std::ios::binary | std::ios::trunc);
    f << original.substr(0, original.size() / 2);
  }
  ASSERT_OK_AND_ASSIGN(ProcessOutput bad_note,
                       RunLedgerctl({"restore", "--from", backup, "--db", PathIn("r1")}));
  EXPECT_THAT(bad_note, ExitedWith(1));
  EXPECT_THAT(bad_note.err, HasSubstr("checkpoint.txt"));
  EXPECT_FALSE(std::filesystem::exists(PathIn("r1")));
  {
    std::ofstream f(note, std::ios::binary | std::ios::trunc);
    f << original;
  }

  // A table file missing from db/.
  std::filesystem::path sst;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(backup) / "db")) {
    if (e.path().extension() == ".sst" || e.path().extension() == ".log") sst = e.path();
  }
  ASSERT_FALSE(sst.empty());
  std::filesystem::remove(sst);
  ASSERT_OK_AND_ASSIGN(ProcessOutput missing,
                       RunLedgerctl({"restore", "--from", backup, "--db", PathIn("r2")}));
  EXPECT_THAT(missing, ExitedWith(1));
  EXPECT_FALSE(std::filesystem::exists(PathIn("r2")));
  EXPECT_FALSE(std::filesystem::exists(PathIn("r2.partial")));

  // Not a backup at all; an existing target.
  ASSERT_OK_AND_ASSIGN(ProcessOutput not_backup,
                       RunLedgerctl({"restore", "--from", PathIn("nowhere"), "--db", PathIn("r3")}));
  EXPECT_THAT(not_backup, ExitedWith(2));
  ASSERT_OK_AND_ASSIGN(ProcessOutput exists,
                       RunLedgerctl({"restore", "--from", backup, "--db", db}));
  EXPECT_THAT(exists, ExitedWith(2));
}

}  // namespace
}  // namespace ledger
