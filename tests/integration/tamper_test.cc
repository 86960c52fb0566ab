// Tampering found by the ledger-verify program: a log written by a real
// ledgerd is altered directly in RocksDB after the server stops (a changed
// byte, a deleted entry, two entries swapped, a stream-index key pointed
// elsewhere), and ledger-verify exits 1 naming the sequence at fault. The
// read-write open checks the head against the last entry, so these alter
// earlier entries; changing the last one makes ledgerd refuse to start.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/keys.h"
#include "ledger/store.h"
#include "tests/integration/ledgerd_process.h"
#include "tests/integration/programs.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::ExitedWith;
using ::ledger::testing::kLedgerdPath;
using ::ledger::testing::kProgramTimeout;
using ::ledger::testing::LedgerdProcess;
using ::ledger::testing::MakeAppendRequest;
using ::ledger::testing::ProcessOutput;
using ::ledger::testing::RunLedgerVerify;
using ::ledger::testing::RunProcess;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr uint64_t kEntries = 10;

class TamperTest : public ::ledger::testing::TempDirTest {
 protected:
  // Writes a log of kEntries entries with a real ledgerd, alternating
  // between two streams: entry k is event "ev-k" of stream case/a (even k)
  // or case/b (odd k).
  void SetUp() override {
    TempDirTest::SetUp();
    db_ = PathIn("db");
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerdProcess> ledgerd,
                         LedgerdProcess::Start(db_));
    {
      LedgerClient client(ledgerd->address());
      for (uint64_t k = 0; k < kEntries; ++k) {
        ASSERT_OK(client.Append(MakeAppendRequest(k % 2 == 0 ? "case/a" : "case/b",
                                                  {absl::StrCat("ev-", k)}))
                      .status());
      }
    }
    ASSERT_OK(ledgerd->Stop());
  }

  void TearDown() override {
    store_.reset();
    TempDirTest::TearDown();
  }

  // Opens the database read-write, as only a tamperer would beside the
  // server.
  void OpenStore() {
    ASSERT_OK_AND_ASSIGN(store_,
                         LedgerStore::Open(db_, LedgerStore::Mode::kReadWrite));
  }

  void CloseStore() { store_.reset(); }

  std::string EntryBytes(uint64_t sequence) {
    absl::StatusOr<std::string> bytes = store_->GetEntryBytes(sequence);
    EXPECT_OK(bytes);
    return bytes.value_or("");
  }

  void PutEntry(uint64_t sequence, const std::string& bytes) {
    ASSERT_TRUE(store_->db()
                    ->Put(rocksdb::WriteOptions(), store_->entries(),
                          EntryKey(sequence), bytes)
                    .ok());
  }

  // Flips one bit of the payload inside entry `sequence`'s stored bytes;
  // the entry still parses, but no longer hashes to what the next entry
  // recorded.
  void ChangeOneByteOfEntry(uint64_t sequence) {
    std::string bytes = EntryBytes(sequence);
    const std::string payload = absl::StrCat("payload of ev-", sequence);
    const size_t at = bytes.find(payload);
    ASSERT_NE(at, std::string::npos);
    bytes[at + payload.size() - 1] ^= 0x01;
    ASSERT_NO_FATAL_FAILURE(PutEntry(sequence, bytes));
  }

  void DeleteEntry(uint64_t sequence) {
    ASSERT_TRUE(store_->db()
                    ->Delete(rocksdb::WriteOptions(), store_->entries(),
                             EntryKey(sequence))
                    .ok());
  }

  void SwapEntries(uint64_t a, uint64_t b) {
    const std::string bytes_a = EntryBytes(a);
    const std::string bytes_b = EntryBytes(b);
    ASSERT_NO_FATAL_FAILURE(PutEntry(a, bytes_b));
    ASSERT_NO_FATAL_FAILURE(PutEntry(b, bytes_a));
  }

  // Points the stream-index key of entry `sequence` at `other`.
  void PointStreamIndexAt(uint64_t sequence, uint64_t other) {
    ASSERT_OK_AND_ASSIGN(v1::Entry e, ParseStoredEntry(EntryBytes(sequence)));
    ASSERT_TRUE(store_->db()
                    ->Put(rocksdb::WriteOptions(), store_->streams(),
                          StreamIndexKey(e.stream(), e.stream_version()),
                          EncodeBigEndian64(other))
                    .ok());
  }

  // Runs ledger-verify on the database: it must exit 1 and name `sequence`.
  void ExpectVerifyBlames(uint64_t sequence) {
    ASSERT_OK_AND_ASSIGN(ProcessOutput r, RunLedgerVerify(db_));
    EXPECT_THAT(r, ExitedWith(1));
    EXPECT_THAT(r.err, ContainsRegex(absl::StrCat("TAMPERED: sequence ", sequence, ":")));
  }

  std::string db_;
  std::unique_ptr<LedgerStore> store_;
};

TEST_F(TamperTest, UntouchedDatabaseVerifies) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput r, RunLedgerVerify(db_));

  EXPECT_THAT(r, ExitedWith(0));
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("intact: ", kEntries, " entries")));
  EXPECT_EQ(r.err, "");
}

TEST_F(TamperTest, MissingDatabaseIsAnIoError) {
  ASSERT_OK_AND_ASSIGN(ProcessOutput r, RunLedgerVerify(PathIn("no-such-db")));

  EXPECT_THAT(r, ExitedWith(2));
  EXPECT_THAT(r.err, HasSubstr("no-such-db"));
}

TEST_F(TamperTest, ChangedByteInAnEntryNamesItsSequence) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  ASSERT_NO_FATAL_FAILURE(ChangeOneByteOfEntry(3));
  CloseStore();

  ExpectVerifyBlames(3);
}

TEST_F(TamperTest, DeletedEntryNamesItsSequence) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  ASSERT_NO_FATAL_FAILURE(DeleteEntry(4));
  CloseStore();

  ExpectVerifyBlames(4);
}

TEST_F(TamperTest, SwappedEntriesNameTheFirstOfThem) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  ASSERT_NO_FATAL_FAILURE(SwapEntries(2, 6));
  CloseStore();

  ExpectVerifyBlames(2);
}

TEST_F(TamperTest, StreamIndexPointingElsewhereNamesTheEntry) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  ASSERT_NO_FATAL_FAILURE(PointStreamIndexAt(7, 1));
  CloseStore();

  ExpectVerifyBlames(7);
}

TEST_F(TamperTest, LedgerdRefusesToStartWhenTheLastEntryWasChanged) {
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  ASSERT_NO_FATAL_FAILURE(ChangeOneByteOfEntry(kEntries - 1));
  CloseStore();

  ASSERT_OK_AND_ASSIGN(ProcessOutput r,
                       RunProcess({kLedgerdPath, "--db", db_, "--listen", "127.0.0.1:0"},
                                  kProgramTimeout));

  EXPECT_THAT(r, ExitedWith(1));
  EXPECT_THAT(r.err, HasSubstr("disagrees with the recorded head"));
  EXPECT_EQ(r.out, "");
  ExpectVerifyBlames(kEntries - 1);
}

}  // namespace
}  // namespace ledger
