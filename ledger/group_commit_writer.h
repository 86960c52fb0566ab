// GroupCommitWriter: the single writer of the log. Callers on any thread
// queue appends; one thread drains whatever is queued as a group, checks
// each append (idempotency, expected version, the domain's validator),
// assigns sequences, chains and hashes the entries, writes the whole group
// as one RocksDB WriteBatch with sync=true, and only then answers every
// caller in the group. Nothing is acknowledged before it is durable.
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

  // Reads the head of `store` and starts the writer thread. `store` must
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
  // UNAVAILABLE when shutting down or after a storage failure.
  [[nodiscard]] absl::StatusOr<ledger::v1::AppendResponse> Append(
      const ledger::v1::AppendRequest& request, std::string_view actor);

  // Stops accepting appends, commits those already queued, and joins the
  // writer thread. Idempotent.
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

  GroupCommitWriter(LedgerStore* store, Options options);
  void Run();
  void CommitGroup(std::deque<Pending*>& group);
  absl::StatusOr<ledger::v1::AppendResponse> Stage(const Pending& p,
                                                   GroupState& state,
                                                   rocksdb::WriteBatch& batch);

  LedgerStore* const store_;
  const Options options_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending*> queue_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  absl::Status SignCheckpoint(const CompactRange& tree, std::string* note) const;
  // Reads the head, the last entry's time and the Merkle tree from the
  // store into head_, last_recorded_ and tree_.
  absl::Status LoadState();
  // After a failed write: asks the store to recover and reloads the state
  // from what it holds (the failed batch may or may not have landed).
  absl::Status Recover();

  // Owned by the writer thread.
  LogHead head_;
  CompactRange tree_;
  absl::Time last_recorded_ = absl::UnixEpoch();
  // Set after a failed write; each later group first tries to recover.
  absl::Status failure_;

  std::atomic<uint64_t> committed_size_{0};
  mutable std::mutex checkpoint_mu_;
  SignedCheckpoint checkpoint_;  // guarded by checkpoint_mu_
  mutable std::mutex growth_mu_;
  mutable std::condition_variable growth_cv_;
};

}  // namespace ledger

#endif  // LEDGER_GROUP_COMMIT_WRITER_H_
