// Storage faults: the writer over a real RocksDB whose file system the
// test can make fail, as a full disk does (every write and sync of a file,
// and every new file, fails with "no space left"). An append during the
// fault fails with a clear UNAVAILABLE error and nothing is acknowledged;
// once space returns the writer recovers by itself and appends go on; every
// acknowledged event is present exactly once, the signed checkpoints stay
// consistent, and the database verifies, also after a reopen from disk.
//
// The same file system can hold the write-ahead log's sync, keeping the
// writer's committer inside a group's write: the tests of the pipeline
// (the next group staged on top of the one being written) use it.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
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
#include "ledger/append_validator.h"
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

  // While held, a sync of a write-ahead log file waits for Release.
  void HoldLogSyncs() {
    std::lock_guard<std::mutex> lock(hold_mu_);
    hold_ = true;
    held_ = false;
  }
  void WaitUntilLogSyncHeld() {
    std::unique_lock<std::mutex> lock(hold_mu_);
    hold_cv_.wait(lock, [this] { return held_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(hold_mu_);
    hold_ = false;
    hold_cv_.notify_all();
  }
  void MaybeHold(const std::string& name) {
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".log") != 0) return;
    std::unique_lock<std::mutex> lock(hold_mu_);
    if (!hold_) return;
    held_ = true;
    hold_cv_.notify_all();
    hold_cv_.wait(lock, [this] { return !hold_; });
  }

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
    if (s.ok()) *result = std::make_unique<File>(std::move(file), this, name);
    return s;
  }

  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    if (full_.load()) return Refuse();
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, &file, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(file), this, name);
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> target, FullDiskFileSystem* fs,
         std::string name)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(target)), fs_(fs), name_(std::move(name)) {}
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
      fs_->MaybeHold(name_);
      if (fs_->full_.load()) return fs_->Refuse();
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      fs_->MaybeHold(name_);
      if (fs_->full_.load()) return fs_->Refuse();
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    FullDiskFileSystem* fs_;
    const std::string name_;
  };

  std::atomic<bool> full_{false};
  std::atomic<int> failures_{0};
  std::mutex hold_mu_;
  std::condition_variable hold_cv_;
  bool hold_ = false;
  bool held_ = false;
};

// Records, per append to a stream, the event ids of the history the writer
// showed; calls `on_validate` (on the writer's thread) after each.
class HistoryRecorder : public AppendValidator {
 public:
  absl::Status Validate(const ProposedAppend& append, const StreamHistory& history) override {
    std::vector<std::string> ids;
    absl::Status read = history.ForEach([&](const v1::Entry& e) {
      ids.push_back(e.event_id());
      return absl::OkStatus();
    });
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_[(*append.entries)[0].event_id()] = ids;
    }
    if (on_validate) on_validate(*append.entries);
    return read;
  }
  std::vector<std::string> HistorySeenBy(const std::string& first_event_id) {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_[first_event_id];
  }
  std::function<void(const std::vector<v1::Entry>&)> on_validate;

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> seen_;
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

  void Open(rocksdb::Env* env, AppendValidator* validator = nullptr) {
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
    options.validator = validator;
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

namespace ledger {
namespace {

// Event ids ID-0 .. ID-(N-1).
std::vector<std::string> Ids(const std::string& id, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(absl::StrCat(id, "-", i));
  return ids;
}

// Enough events that the writer stages a group while the one before it is
// being written (the pipeline only overlaps large groups).
constexpr int kLargeAppend = 300;

class PipelineTest : public StorageFaultTest {
 protected:
  // Appends A (kLargeAppend events to stream "s", ids a-*). While the
  // writer is validating A, starts `next` on another thread and gives its
  // appends time to queue; then lets A go on to its write, whose log sync
  // is held, and waits until the writer has validated the append whose
  // first event id is `staged_id`: staged on top of A, not yet durable.
  void StartWithAHeld(const std::function<void()>& next, const std::string& staged_id) {
    recorder_.on_validate = [this, staged_id](const std::vector<v1::Entry>& entries) {
      std::unique_lock<std::mutex> lock(mu_);
      if (entries[0].event_id() == "a-0" && !a_validated_) {
        a_validated_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return a_may_go_; });
      }
      if (entries[0].event_id() == staged_id) {
        staged_ = true;
        cv_.notify_all();
      }
    };
    Open(env_.get(), &recorder_);
    ASSERT_OK(AppendEvent("first"));
    fs_->HoldLogSyncs();
    a_ = std::async(std::launch::async, [this] {
      return writer_->Append(MakeAppendRequest("s", Ids("a", kLargeAppend)), "tester");
    });
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return a_validated_; });
    }
    next_ = std::thread(next);
    absl::SleepFor(absl::Milliseconds(300));  // next's appends queue behind A
    {
      std::lock_guard<std::mutex> lock(mu_);
      a_may_go_ = true;
    }
    cv_.notify_all();
    fs_->WaitUntilLogSyncHeld();
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(60), [this] { return staged_; }))
        << staged_id << " was not staged while A was being written";
  }

  void TearDown() override {
    fs_->Release();
    if (next_.joinable()) next_.join();
    if (a_.valid()) a_.wait();
    StorageFaultTest::TearDown();
  }

  HistoryRecorder recorder_;
  std::future<absl::StatusOr<v1::AppendResponse>> a_;
  std::thread next_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool a_validated_ = false;
  bool a_may_go_ = false;
  bool staged_ = false;
};

TEST_F(PipelineTest, AGroupStagedWhileTheOneBeforeIsWrittenSeesIt) {
  absl::StatusOr<v1::AppendResponse> b = absl::UnknownError("not run");
  absl::StatusOr<v1::AppendResponse> retry = absl::UnknownError("not run");
  StartWithAHeld(
      [&] {
        // B expects A's version; a retry of A (usually in B's group) rides
        // along.
        std::thread again([&] {
          retry = writer_->Append(MakeAppendRequest("s", Ids("a", kLargeAppend)), "tester");
        });
        v1::AppendRequest req = MakeAppendRequest("s", Ids("b", kLargeAppend));
        req.mutable_expected_version()->set_exact(kLargeAppend);
        b = writer_->Append(req, "tester");
        again.join();
      },
      "b-0");
  if (HasFatalFailure()) return;
  // B was checked while A's write was still held: nothing of either is
  // durable yet.
  EXPECT_EQ(writer_->CommittedSize(), 1u);
  fs_->Release();
  next_.join();
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse a, a_.get());
  ASSERT_OK(b);
  EXPECT_EQ(a.events(0).sequence(), 1u);
  EXPECT_EQ(b->events(0).sequence(), 1u + kLargeAppend);
  EXPECT_EQ(b->events(0).stream_version(), kLargeAppend + 1u);
  // The validator saw A's entries as B's history, before they were
  // durable.
  EXPECT_EQ(recorder_.HistorySeenBy("b-0"), Ids("a", kLargeAppend));
  // The retry of A, in whichever group, is A's positions again.
  ASSERT_OK(retry);
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->events(0).sequence(), 1u);
  EXPECT_EQ(writer_->CommittedSize(), 1u + 2 * kLargeAppend);
  EXPECT_EQ(Latest().size, 1u + 2 * kLargeAppend);
  ExpectIntact();
}

TEST_F(PipelineTest, AFailedWriteRefusesTheGroupStagedOnItAndTheWriterRecovers) {
  absl::StatusOr<v1::AppendResponse> b = absl::UnknownError("not run");
  StartWithAHeld([&] {
    b = writer_->Append(MakeAppendRequest("s", Ids("b", kLargeAppend)), "tester");
  }, "b-0");
  if (HasFatalFailure()) return;
  fs_->SetFull(true);
  fs_->Release();
  next_.join();
  absl::StatusOr<v1::AppendResponse> a = a_.get();
  EXPECT_EQ(a.status().code(), absl::StatusCode::kUnavailable) << a.status();
  // B was built on A: it is refused whole, and says to retry.
  EXPECT_EQ(b.status().code(), absl::StatusCode::kUnavailable) << b.status();
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("retry"));
  EXPECT_EQ(writer_->CommittedSize(), 1u);

  fs_->SetFull(false);
  // Retried, both land once, in order, whatever became of A's failed write.
  const absl::Time deadline = absl::Now() + absl::Minutes(1);
  absl::StatusOr<v1::AppendResponse> a2 = absl::UnknownError("not run");
  do {
    a2 = writer_->Append(MakeAppendRequest("s", Ids("a", kLargeAppend)), "tester");
    if (a2.status().code() == absl::StatusCode::kUnavailable) absl::SleepFor(absl::Milliseconds(50));
  } while (a2.status().code() == absl::StatusCode::kUnavailable && absl::Now() < deadline);
  ASSERT_OK(a2);
  ASSERT_OK_AND_ASSIGN(v1::AppendResponse b2,
                       writer_->Append(MakeAppendRequest("s", Ids("b", kLargeAppend)), "tester"));
  EXPECT_EQ(a2->events(0).sequence(), 1u);
  EXPECT_EQ(b2.events(0).sequence(), 1u + kLargeAppend);
  EXPECT_FALSE(b2.duplicate());
  EXPECT_EQ(writer_->CommittedSize(), 1u + 2 * kLargeAppend);
  ExpectIntact();
}

}  // namespace
}  // namespace ledger
