// The auditor's view end to end: a real ledgerd, `ledgerctl audit` keeping
// a verified checkpoint in a state file, and `ledger-verify --checkpoint`.
// The log grows and audits pass, across a restart too; then the database is
// truncated, or an entry rewritten and the log re-hashed, directly in
// RocksDB, and the server restarted: both checks exit 1 and the state file
// is left as it was.
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/store.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ExitedWith;
using ::ledger::testing::kLedgerVerifyPath;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::MakeAppendRequest;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::RunLedgerctl;
using ::ledger::testing::RunProcess;
using ::testing::HasSubstr;

class AuditTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    db_ = PathIn("db");
    state_ = PathIn("audit.state");
    ASSERT_NO_FATAL_FAILURE(StartServer());
    ASSERT_OK_AND_ASSIGN(ProcessOutput key, Ctl({"public-key"}));
    ASSERT_THAT(key, ExitedWith(0));
    vkey_ = key.out.substr(0, key.out.find('\n'));
  }

  void TearDown() override {
    ledgerd_.reset();
    TempDirTest::TearDown();
  }

  void StartServer() {
    ASSERT_OK_AND_ASSIGN(ledgerd_, LedgerdProcess::Start(db_));
  }
  void StopServer() {
    ASSERT_OK(ledgerd_->Stop());
    ledgerd_.reset();
  }

  absl::StatusOr<ProcessOutput> Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", ledgerd_->address()});
    return RunLedgerctl(args);
  }

  void Append(int n) {
    LedgerClient client(ledgerd_->address());
    ASSERT_OK(client.Append(MakeAppendRequest("audit/s", absl::StrCat("ev", next_++), n))
                  .status());
  }

  absl::StatusOr<ProcessOutput> Audit() { return Ctl({"audit", "--state", state_, "--vkey", vkey_}); }

  absl::StatusOr<ProcessOutput> VerifyWithCheckpoint() {
    return RunProcess({kLedgerVerifyPath, "--db", db_, "--checkpoint", state_, "--vkey", vkey_},
                      kProgramTimeout);
  }

  std::string ReadState() {
    std::ifstream in(state_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Grows the log to 30 entries with audits at 20 and 30, both passing.
  void AuditedLogOfThirty() {
    ASSERT_NO_FATAL_FAILURE(Append(20));
    ASSERT_OK_AND_ASSIGN(ProcessOutput first, Audit());
    ASSERT_THAT(first, ExitedWith(0));
    EXPECT_THAT(first.out, HasSubstr("first audit"));
    ASSERT_NO_FATAL_FAILURE(Append(10));
    ASSERT_OK_AND_ASSIGN(ProcessOutput second, Audit());
    ASSERT_THAT(second, ExitedWith(0));
    EXPECT_THAT(second.out, HasSubstr("20 -> 30"));
    ASSERT_OK_AND_ASSIGN(ProcessOutput verify, VerifyWithCheckpoint());
    ASSERT_THAT(verify, ExitedWith(0));
  }

  std::string db_;
  std::string state_;
  std::string vkey_;
  std::unique_ptr<LedgerdProcess> ledgerd_;
  int next_ = 0;
};

TEST_F(AuditTest, RestartKeepsTreeAndKeySoAuditsStayConsistent) {
  ASSERT_NO_FATAL_FAILURE(AuditedLogOfThirty());
  ASSERT_NO_FATAL_FAILURE(StopServer());
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_OK_AND_ASSIGN(ProcessOutput key, Ctl({"public-key"}));
  EXPECT_EQ(key.out, vkey_ + "\n");
  ASSERT_NO_FATAL_FAILURE(Append(5));
  ASSERT_OK_AND_ASSIGN(ProcessOutput audit, Audit());
  EXPECT_THAT(audit, ExitedWith(0));
  EXPECT_THAT(audit.out, HasSubstr("30 -> 35"));
}

TEST_F(AuditTest, TruncatedLogFailsAuditAndVerify) {
  ASSERT_NO_FATAL_FAILURE(AuditedLogOfThirty());
  const std::string saved = ReadState();
  ASSERT_NO_FATAL_FAILURE(StopServer());
  {
    // Drop the last five entries and roll the head back. Left alone, the
    // stored checkpoint makes ledgerd refuse to start, so a tamperer
    // removes it too.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                         LedgerStore::Open(db_, LedgerStore::Mode::kReadWrite));
    ASSERT_OK_AND_ASSIGN(std::string last_kept, store->GetEntryBytes(24));
    rocksdb::WriteBatch batch;
    for (uint64_t s = 25; s < 30; ++s) batch.Delete(store->entries(), EntryKey(s));
    batch.Put(store->meta(), std::string(kMetaHeadKey), EncodeLogHead({25, LeafHash(last_kept)}));
    ASSERT_OK(store->Write(&batch, true));
  }
  ASSERT_OK_AND_ASSIGN(ProcessOutput refused,
                       RunProcess({::ledger::testing::kLedgerdPath, "--db", db_, "--listen",
                                   "127.0.0.1:0"},
                                  kProgramTimeout));
  EXPECT_THAT(refused, ExitedWith(1));
  EXPECT_THAT(refused.err, HasSubstr("truncated"));
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                         LedgerStore::Open(db_, LedgerStore::Mode::kReadWrite));
    rocksdb::WriteBatch batch;
    batch.Delete(store->meta(), std::string(kMetaCheckpointKey));
    ASSERT_OK(store->Write(&batch, true));
  }
  ASSERT_NO_FATAL_FAILURE(StartServer());

  ASSERT_OK_AND_ASSIGN(ProcessOutput audit, Audit());
  EXPECT_THAT(audit, ExitedWith(1));
  EXPECT_THAT(audit.err, HasSubstr("shrank from 30 to 25"));
  EXPECT_EQ(ReadState(), saved);
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, VerifyWithCheckpoint());
  EXPECT_THAT(verify, ExitedWith(1));
}

TEST_F(AuditTest, RewrittenAndRehashedLogFailsAuditAndVerify) {
  ASSERT_NO_FATAL_FAILURE(AuditedLogOfThirty());
  const std::string saved = ReadState();
  ASSERT_NO_FATAL_FAILURE(StopServer());
  {
    // Change entry 5's payload, then re-chain every later entry, rebuild
    // the tree and the head, and remove the stored checkpoint: a rewrite
    // that leaves a self-consistent log for the server to sign anew.
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                         LedgerStore::Open(db_, LedgerStore::Mode::kReadWrite));
    rocksdb::WriteBatch batch;
    CompactRange tree;
    Hash prev = kZeroHash;
    for (uint64_t s = 0; s < 30; ++s) {
      ASSERT_OK_AND_ASSIGN(std::string bytes, store->GetEntryBytes(s));
      ASSERT_OK_AND_ASSIGN(v1::Entry e, ParseStoredEntry(bytes));
      if (s == 5) e.mutable_payload()->set_value("a quietly different decision");
      e.set_prev_hash(std::string(AsBytes(prev)));
      const std::string rewritten = SerializeEntry(e);
      batch.Put(store->entries(), EntryKey(s), rewritten);
      prev = LeafHash(rewritten);
      tree.Append(prev, [&](int level, uint64_t index, const Hash& h) {
        store->PutNode(&batch, level, index, h);
      });
    }
    batch.Put(store->meta(), std::string(kMetaHeadKey), EncodeLogHead({30, prev}));
    batch.Delete(store->meta(), std::string(kMetaCheckpointKey));
    ASSERT_OK(store->Write(&batch, true));
  }
  ASSERT_NO_FATAL_FAILURE(StartServer());

  ASSERT_OK_AND_ASSIGN(ProcessOutput audit, Audit());
  EXPECT_THAT(audit, ExitedWith(1));
  EXPECT_THAT(audit.err, HasSubstr("INVALID"));
  EXPECT_EQ(ReadState(), saved);
  ASSERT_OK_AND_ASSIGN(ProcessOutput verify, VerifyWithCheckpoint());
  EXPECT_THAT(verify, ExitedWith(1));
  EXPECT_THAT(verify.err, HasSubstr("TAMPERED"));
}

TEST_F(AuditTest, CheckpointFromAnotherKeyIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Append(3));
  // A verifier key with the same name but another public key.
  ASSERT_OK_AND_ASSIGN(ProcessOutput other,
                       RunProcess({::ledger::testing::kLedgerctlPath, "verify-checkpoint",
                                   "--vkey", "involvement-ledger+00000000+AQ=="},
                                  kProgramTimeout));
  EXPECT_THAT(other, ExitedWith(2));  // malformed key: a usage error
  ASSERT_OK_AND_ASSIGN(ProcessOutput note, Ctl({"checkpoint"}));
  ASSERT_THAT(note, ExitedWith(0));
  ASSERT_OK_AND_ASSIGN(ProcessOutput good, Ctl({"audit", "--state", state_, "--vkey", vkey_}));
  EXPECT_THAT(good, ExitedWith(0));
  // The right name, a different key: signature lines of other keys do not
  // count, so nothing verifies.
  const std::string wrong_key =
      "involvement-ledger+9b104ff9+AXBKSIgS60cPO/YDJSBLYpGsfZaoYf3rr44/5x8p+H20";
  ASSERT_OK_AND_ASSIGN(ProcessOutput bad,
                       Ctl({"audit", "--state", PathIn("other.state"), "--vkey", wrong_key}));
  EXPECT_THAT(bad, ExitedWith(1));
}

}  // namespace
}  // namespace ledger
