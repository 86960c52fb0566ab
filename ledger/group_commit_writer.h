// GroupCommitWriter: the single writer of the log. Callers on any thread
// queue appends. Two threads share the work as a two-stage pipeline:
//
//   - the stager drains whatever is queued as a group, checks each append
//     (idempotency, expected version, the domain's validator), assigns
//     sequences, chains and hashes the entries, extends the Merkle tree,
//     signs a checkpoint of the result and builds one RocksDB WriteBatch;
//   - the committer writes that batch with sync=true and only then
//     publishes the new size and checkpoint and answers every caller in the
//     group. Nothing is acknowledged before it is durable.
//
// While the committer writes group N the stager may stage group N+1 on top
// of it (N's event ids, stream versions and entries are visible to N+1's
// checks), so large loads keep both cores busy. If N's write fails, N+1 is
// refused whole and the stager reloads its state from the store before the
// next group.
//
// Group size follows the load: the stager takes a group once as many
// requests are queued as its previous group held, or a short wait
// (kGroupFillWait) after the first of them arrived, so steady concurrent
// callers share one signature and one fdatasync per group.
//
// Thread safety: Append, CommittedSize and WaitForSizeAbove may be called
// from any thread; Shutdown from one.
#ifndef LEDGER_GROUP_COMMIT_WRITER_H_
#define LEDGER_GROUP_COMMIT_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <optional>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/append_limits.h"
#include "ledger/append_validator.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/signed_note.h"
#include "ledger/store.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

class GroupCommitWriter {
 public:
  struct Options {
    AppendLimits limits;
    // Domain rules; may be null. Must outlive the writer.
    AppendValidator* validator = nullptr;
    // Source of recorded_at; injected by tests.
    std::function<absl::Time()> clock = [] { return absl::Now(); };
    // Signs a checkpoint of the tree after every group commit, written in
    // the same batch as the entries it covers; may be null (no
    // checkpoints). Must outlive the writer.
    const NoteSigner* signer = nullptr;
    // The checkpoints' origin line.
    std::string origin = "involvement-ledger";
  };

  // Reads the head of `store` and starts the stager and committer threads. `store` must
  // outlive the writer.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GroupCommitWriter>>
  Start(LedgerStore* store, Options options);

  // Calls Shutdown.
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Appends `request` as `actor`; blocks until it is durable or rejected.
  // Errors: INVALID_ARGUMENT / RESOURCE_EXHAUSTED for malformed or oversized
  // requests (see CheckAppendRequest); ALREADY_EXISTS when an event id was
  // recorded with other content; FAILED_PRECONDITION for a wrong expected
  // version (the message names the current version) or a validator's rule;
  // UNAVAILABLE when shutting down or after a storage failure; DATA_LOSS
  // when a repeated event id's index record or entry is damaged.
  [[nodiscard]] absl::StatusOr<ledger::v1::AppendResponse> Append(
      const ledger::v1::AppendRequest& request, std::string_view actor);

  // The same without blocking: `done` is called once with what Append
  // would return, on the writer's threads (or on this one for a request
  // refused at once). `request` must stay valid until then. `done` must
  // not block or call into the writer.
  using AppendDone = std::function<void(absl::StatusOr<ledger::v1::AppendResponse>)>;
  void AppendAsync(const ledger::v1::AppendRequest& request, std::string_view actor,
                   AppendDone done);

  // Stops accepting appends, commits those already queued, and joins the
  // stager and committer threads. Idempotent.
  void Shutdown();

  // Number of durable entries. Every tree node of a tree this size is
  // stored.
  uint64_t CommittedSize() const { return committed_size_.load(); }

  // The latest signed checkpoint note and the tree size it covers (an
  // empty note without a signer). Always for a tree the store holds
  // durably; at least as new as any CommittedSize() read before the call.
  struct SignedCheckpoint {
    uint64_t size = 0;
    std::string note;
  };
  SignedCheckpoint LatestCheckpoint() const;

  // Blocks until the log holds more than `size` entries, the timeout
  // passes, or Shutdown starts; returns the committed size.
  uint64_t WaitForSizeAbove(uint64_t size, absl::Duration timeout) const;

  bool stopping() const { return stopping_.load(); }

 private:
  struct Pending;
  struct GroupState;
  struct StagedGroup;

  GroupCommitWriter(LedgerStore* store, Options options);
  // The stager's loop (thread_) and the committer's (commit_thread_).
  void Run();
  void RunCommitter();
  // Waits for the next group: see "Group size follows the load" above.
  // Returns false when stopping and nothing is queued.
  bool TakeGroup(std::deque<Pending*>& group);
  void StageGroup(std::deque<Pending*>& group);
  // The stager's write batch for the next group, emptied.
  rocksdb::WriteBatch* NextBatch();
  absl::StatusOr<ledger::v1::AppendResponse> Stage(const Pending& p,
                                                   GroupState& state,
                                                   rocksdb::WriteBatch& batch);
  // Blocks until the committer has finished every group handed to it;
  // returns the status of the last write (OK if none failed since the
  // last call).
  absl::Status WaitForCommitterIdle();
  // Writes a staged group, publishes and answers (the committer's work).
  absl::Status CommitStaged(StagedGroup& staged);

  LedgerStore* const store_;
  const Options options_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending*> queue_;
  // Requests the stager waits for before taking a group (guarded by
  // queue_mu_): the size of the group it took last.
  size_t fill_target_ = 1;
  size_t queued_events_ = 0;  // in queue_
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // The hand-off between stager and committer: at most one group waits
  // while at most one is written.
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::shared_ptr<StagedGroup> handed_;  // guarded by commit_mu_
  bool committing_ = false;              // guarded by commit_mu_
  bool committer_stop_ = false;          // guarded by commit_mu_
  absl::Status commit_failure_;          // guarded by commit_mu_
  std::thread commit_thread_;

  absl::Status SignCheckpoint(const CompactRange& tree, std::string* note) const;
  // Reads the head, the last entry's time and the Merkle tree from the
  // store into head_, last_recorded_ and tree_.
  absl::Status LoadState();
  // After a failed write: asks the store to recover and reloads the state
  // from what it holds (the failed batch may or may not have landed).
  absl::Status Recover();

  // Owned by the stager: the log as staged (ahead of the durable log by
  // at most the group being written).
  LogHead head_;
  CompactRange tree_;
  absl::Time last_recorded_ = absl::UnixEpoch();
  // Set after a failed write; each later group first tries to recover.
  absl::Status failure_;
  // The group handed to the committer last, whose writes the next group's
  // checks must see; null once known to be durable.
  std::shared_ptr<StagedGroup> in_flight_;
  // Stream versions as staged, for streams appended to recently (bounded;
  // cleared after a failure). Saves a RocksDB seek per request.
  std::unordered_map<std::string, uint64_t> stream_version_cache_;
  // Stage's working space, reused from request to request (with the
  // buffers of its entries and their bytes).
  std::vector<ledger::v1::Entry> entries_scratch_;
  std::vector<std::string> bytes_scratch_;
  std::vector<std::optional<EventIdRecord>> records_scratch_;
  std::vector<std::optional<EventIdRecord>> stored_scratch_;
  std::vector<std::optional<Hash>> digests_scratch_;
  // The groups' write batches, used by turns (NextBatch): a large group's
  // is several MiB, which would otherwise be allocated, faulted in and
  // freed for every group. Their buffers are kept between groups (so an
  // idle writer holds up to two); one grown past kBatchBufferKeep is let
  // go when its turn comes again.
  static constexpr size_t kBatchBufferKeep = 32u << 20;
  rocksdb::WriteBatch batches_[2];
  int next_batch_ = 0;
  std::vector<std::string_view> ids_scratch_;
  std::vector<int> index_scratch_;
  std::string stream_key_scratch_;
  std::string value_scratch_;

  std::atomic<uint64_t> committed_size_{0};
  mutable std::mutex checkpoint_mu_;
  SignedCheckpoint checkpoint_;  // guarded by checkpoint_mu_
  mutable std::mutex growth_mu_;
  mutable std::condition_variable growth_cv_;
};

}  // namespace ledger

#endif  // LEDGER_GROUP_COMMIT_WRITER_H_
