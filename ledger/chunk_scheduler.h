// ChunkScheduler: runs the parts of LedgerVerifier's work that need no
// earlier entries on a few threads of its own: the digests of the two
// index families (the longest jobs, so they go first) and the entry chunks
// (ledger/entry_chunk.h) below the head, in log order, at most a window of
// chunks ahead of the caller, who takes their results in order.
//
// Thread safety: one caller; Take and TakeIndexDigest from that thread.
// Destroying the scheduler stops and joins its threads.
#ifndef LEDGER_CHUNK_SCHEDULER_H_
#define LEDGER_CHUNK_SCHEDULER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/entry_chunk.h"
#include "ledger/multiset_digest.h"
#include "ledger/store.h"

namespace ledger {

class ChunkScheduler {
 public:
  // Starts `threads` threads (0: one per hardware thread) checking the
  // chunks of 2^chunk_level positions below `log_size`. `store` and
  // `snapshot` must outlive the scheduler.
  ChunkScheduler(const LedgerStore& store, const rocksdb::Snapshot* snapshot,
                 uint64_t log_size, int chunk_level, unsigned threads);
  ~ChunkScheduler();
  ChunkScheduler(const ChunkScheduler&) = delete;
  ChunkScheduler& operator=(const ChunkScheduler&) = delete;

  // What the chunks read with; for checking chunks beyond the head on the
  // caller's thread.
  const ChunkReadOptions& options() const { return options_; }
  // The number of chunks below the head.
  uint64_t chunks() const { return chunks_; }

  // The result of chunk `k`, waiting for it; chunks are taken in order,
  // each once.
  ChunkResult Take(uint64_t k);

  // The digest of the records of the `streams` family (0) or the
  // `event_ids` family (1), waiting for it.
  absl::StatusOr<MultisetDigest> TakeIndexDigest(int family);

 private:
  void Work();

  const LedgerStore& store_;
  const rocksdb::Snapshot* const snapshot_;
  const int chunk_level_;
  const uint64_t chunks_;
  ChunkReadOptions options_;
  uint64_t window_ = 1;
  std::atomic<bool> cancel_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_job_ = 0;  // guarded by mu_, as below
  uint64_t taken_ = 0;
  std::map<uint64_t, ChunkResult> done_;
  std::optional<absl::StatusOr<MultisetDigest>> index_[2];
  std::vector<std::thread> threads_;  // last: started once the rest exists
};

}  // namespace ledger

#endif  // LEDGER_CHUNK_SCHEDULER_H_
