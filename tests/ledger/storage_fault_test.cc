// Storage faults: the writer over a real RocksDB whose file system the
// test can make fail, as a full disk does (every write and sync of a file,
// and every new file, fails with "no space left"). An append during the
// fault fails with a clear UNAVAILABLE error and nothing is acknowledged;
// once space returns the writer recovers by itself and appends go on; every
// acknowledged event is present exactly once, the signed checkpoints stay
// consistent, and the database verifies, also after a reopen from disk.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/group_commit_writer.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/signed_note.h"
#include "ledger/store.h"
#include "ledger/verifier.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::MakeAppendRequest;
using ::testing::HasSubstr;

// A file system whose writes fail while `full` is set: like a full disk.
class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FullDiskFileSystem(std::shared_ptr<rocksdb::FileSystem> target)
      : rocksdb::FileSystemWrapper(std::move(target)) {}

  const char* Name() const override { return "FullDiskFileSystem"; }

  void SetFull(bool full) { full_.store(full); }
  int failures() const { return failures_.load(); }

  rocksdb::IOStatus Refuse() {
    failures_.fetch_add(1);
    return rocksdb::IOStatus::NoSpace("injected: no space left on device");
  }

  // RocksDB's recovery from a full disk polls the free space before it
  // tries again, as it would on a real disk.
  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 uint64_t* space, rocksdb::IODebugContext* dbg) override {
    if (full_.load()) {
      *space = 0;
      return rocksdb::IOStatus::OK();
    }
    return target()->GetFreeSpace(path, options, space, dbg);
  }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (full_.load()) return Refuse();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(file), this);
    return s;
  }

  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    if (full_.load()) return Refuse();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, &file, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(file), this);
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> target, FullDiskFileSystem* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(target)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->full_.load()) return fs_->Refuse();
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->full_.load()) return fs_->Refuse();
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (fs_->full_.load()) return fs_->Refuse();
      return FSWritableFileOwnerWrapper::Flush(options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (fs_->full_.load()) return fs_->Refuse();
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (fs_->full_.load()) return fs_->Refuse();
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    FullDiskFileSystem* fs_;
  };

  std::atomic<bool> full_{false};
  std::atomic<int> failures_{0};
};

class StorageFaultTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    fs_ = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
    env_ = rocksdb::NewCompositeEnv(fs_);
    ASSERT_OK_AND_ASSIGN(signer_, NoteSigner::Generate("test.example/log"));
  }
  void TearDown() override {
    writer_.reset();
    store_.reset();
    TempDirTest::TearDown();
  }

  void Open(rocksdb::Env* env) {
    ASSERT_OK_AND_ASSIGN(store_,
                         LedgerStore::Open(PathIn("db"), LedgerStore::Mode::kReadWrite, env));
    // As ledgerd does: the origin and verifier key are recorded, so that
    // the verifier checks the stored checkpoint's signature.
    rocksdb::WriteBatch batch;
    batch.Put(store_->meta(), std::string(kMetaOriginKey), "test.example/log");
    batch.Put(store_->meta(), std::string(kMetaVerifierKeyKey),
              FormatVerifierKey(signer_->verifier_key()));
    ASSERT_OK(store_->Write(&batch, /*sync=*/true));
    GroupCommitWriter::Options options;
    options.signer = signer_.get();
    options.origin = "test.example/log";
    ASSERT_OK_AND_ASSIGN(writer_, GroupCommitWriter::Start(store_.get(), options));
  }

  Checkpoint Latest() {
    absl::StatusOr<Checkpoint> c =
        VerifyCheckpoint(writer_->LatestCheckpoint().note, signer_->verifier_key());
    EXPECT_OK(c);
    return c.value_or(Checkpoint{});
  }

  // Appends event `id` to stream s/ID_MOD_3; records it when acknowledged.
  absl::Status AppendEvent(const std::string& id) {
    absl::StatusOr<v1::AppendResponse> r =
        writer_->Append(MakeAppendRequest(absl::StrCat("s/", id.size() % 3), {id}), "tester");
    if (r.ok()) acknowledged_[id] = r->events(0).sequence();
    return r.status();
  }

  // Appends `id`, retrying while the writer reports UNAVAILABLE (RocksDB
  // recovers from a full disk in the background, polling for space every
  // few seconds), as a client would; gives up after a minute.
  absl::Status AppendWithRetry(const std::string& id) {
    const absl::Time deadline = absl::Now() + absl::Minutes(1);
    for (;;) {
      absl::Status s = AppendEvent(id);
      if (s.code() != absl::StatusCode::kUnavailable || absl::Now() > deadline) return s;
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // Every acknowledged event is stored once, at its sequence.
  void ExpectAcknowledgedPresentOnce() {
    std::map<std::string, int> seen;
    for (uint64_t s = 0; s < writer_->CommittedSize(); ++s) {
      ASSERT_OK_AND_ASSIGN(std::string bytes, store_->GetEntryBytes(s));
      ASSERT_OK_AND_ASSIGN(v1::Entry e, ParseStoredEntry(bytes));
      ++seen[e.event_id()];
      auto it = acknowledged_.find(e.event_id());
      if (it != acknowledged_.end()) {
        EXPECT_EQ(it->second, s) << e.event_id();
      }
    }
    for (const auto& [id, sequence] : acknowledged_) EXPECT_EQ(seen[id], 1) << id;
  }

  void ExpectIntact() {
    LedgerVerifier verifier(store_.get());
    ASSERT_OK_AND_ASSIGN(VerifyReport report, verifier.Run());
    EXPECT_TRUE(report.intact) << report.reason;
  }

  std::shared_ptr<FullDiskFileSystem> fs_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<NoteSigner> signer_;
  std::unique_ptr<LedgerStore> store_;
  std::unique_ptr<GroupCommitWriter> writer_;
  std::map<std::string, uint64_t> acknowledged_;
};

TEST_F(StorageFaultTest, FullDiskFailsAppendsClearlyAndTheWriterRecoversWhenSpaceReturns) {
  Open(env_.get());
  for (int i = 0; i < 20; ++i) ASSERT_OK(AppendEvent(absl::StrCat("before-", i)));
  const Checkpoint before = Latest();
  ASSERT_EQ(before.size, 20u);

  fs_->SetFull(true);
  for (int i = 0; i < 5; ++i) {
    absl::Status s = AppendEvent(absl::StrCat("during-", i));
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("no space left on device")) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("with the same event ids")) << s;
  }
  EXPECT_GT(fs_->failures(), 0);
  // Nothing new is published while the disk is full.
  EXPECT_EQ(writer_->CommittedSize(), 20u);
  EXPECT_EQ(Latest().size, 20u);

  fs_->SetFull(false);
  for (int i = 0; i < 20; ++i) ASSERT_OK(AppendWithRetry(absl::StrCat("after-", i)));
  // A retry of an event refused during the fault is recorded once.
  ASSERT_OK(AppendWithRetry("during-0"));
  const Checkpoint after = Latest();
  EXPECT_GE(after.size, 41u);
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof,
                       ConsistencyProof(before.size, after.size, [this](int level, uint64_t index) {
                         return store_->GetNode(level, index);
                       }));
  EXPECT_OK(VerifyConsistency(before.size, after.size, AsBytes(before.root), AsBytes(after.root),
                              ProofBytes(proof)));
  ExpectAcknowledgedPresentOnce();
  ExpectIntact();

  // From disk, with the ordinary file system: the same log.
  const uint64_t size = writer_->CommittedSize();
  writer_.reset();
  store_.reset();
  Open(nullptr);
  EXPECT_EQ(writer_->CommittedSize(), size);
  EXPECT_EQ(Latest().size, size);
  ExpectAcknowledgedPresentOnce();
  ExpectIntact();
  ASSERT_OK(AppendEvent("after-reopen"));
}

TEST_F(StorageFaultTest, RepeatedFaultsUnderConcurrentAppendsLoseNothingAcknowledged) {
  Open(env_.get());
  std::mutex mu;
  std::vector<std::thread> threads;
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = absl::StrCat("t", t, "-", i);
        absl::StatusOr<v1::AppendResponse> r =
            writer_->Append(MakeAppendRequest(absl::StrCat("s/", t), {id}), "tester");
        if (r.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged_[id] = r->events(0).sequence();
        } else {
          EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
          refused.fetch_add(1);
          absl::SleepFor(absl::Milliseconds(2));  // as a client backs off
        }
      }
    });
  }
  // Waits (up to a minute) for `n` acknowledged events.
  auto wait_for = [&](size_t n) {
    const absl::Time deadline = absl::Now() + absl::Minutes(1);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (acknowledged_.size() >= n) return true;
      }
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(5));
    }
  };
  for (int round = 1; round <= 3; ++round) {
    ASSERT_TRUE(wait_for(static_cast<size_t>(round) * 100)) << "round " << round;
    // Full until a few appends have been refused (or a minute passes).
    fs_->SetFull(true);
    const int before = refused.load();
    const absl::Time deadline = absl::Now() + absl::Minutes(1);
    while (refused.load() < before + 3 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    fs_->SetFull(false);
  }
  const bool reached = wait_for(400);
  stop.store(true);
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(reached);
  EXPECT_GT(refused.load(), 0);
  ExpectAcknowledgedPresentOnce();
  ExpectIntact();
  writer_.reset();
  store_.reset();
  Open(nullptr);
  ExpectAcknowledgedPresentOnce();
  ExpectIntact();
}

}  // namespace
}  // namespace ledger
