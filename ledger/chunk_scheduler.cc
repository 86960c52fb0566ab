#include "ledger/chunk_scheduler.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "ledger/status_macros.h"

namespace ledger {

namespace {

// Read ahead in a whole-family scan. Larger is slower here: RocksDB
// allocates the buffer afresh.
constexpr size_t kScanReadahead = 256 << 10;

// Sums the records of one index family.
absl::StatusOr<MultisetDigest> DigestFamily(const LedgerStore& store,
                                            rocksdb::ColumnFamilyHandle* family,
                                            const rocksdb::Snapshot* snapshot,
                                            const std::atomic<bool>& cancel,
                                            const std::string& what) {
  MultisetDigest digest;
  std::unique_ptr<rocksdb::Iterator> it(
      store.db()->NewIterator(ScanReadOptions(snapshot, kScanReadahead), family));
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (++n % 4096 == 0 && cancel.load(std::memory_order_relaxed)) break;
    digest.Add(it->key().ToStringView(), it->value().ToStringView());
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "cannot read " + what));
  return digest;
}

}  // namespace

ChunkScheduler::ChunkScheduler(const LedgerStore& store,
                               const rocksdb::Snapshot* snapshot, uint64_t log_size,
                               int chunk_level, unsigned threads)
    : store_(store),
      snapshot_(snapshot),
      chunk_level_(chunk_level),
      chunks_((log_size + (uint64_t{1} << chunk_level) - 1) >> chunk_level) {
  options_.db = store.db();
  options_.entries = store.entries();
  options_.nodes = store.nodes();
  options_.snapshot = snapshot;
  options_.log_size = log_size;
  options_.cancel = &cancel_;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  window_ = 2 * threads + 1;
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

ChunkScheduler::~ChunkScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancel_.store(true);
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

ChunkResult ChunkScheduler::Take(uint64_t k) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_.count(k) > 0; });
  ChunkResult r = std::move(done_[k]);
  done_.erase(k);
  taken_ = k + 1;
  cv_.notify_all();
  return r;
}

absl::StatusOr<MultisetDigest> ChunkScheduler::TakeIndexDigest(int family) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return index_[family].has_value(); });
  return *index_[family];
}

// Jobs 0 and 1 digest the index families: the longest jobs go first, so
// that the short chunk jobs even out the threads' finishing times. Then
// job 2 + k checks chunk k.
void ChunkScheduler::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cancel_.load()) {
    const uint64_t job = next_job_;
    if (job < 2) {
      ++next_job_;
      lock.unlock();
      absl::StatusOr<MultisetDigest> d =
          job == 0 ? DigestFamily(store_, store_.streams(), snapshot_, cancel_,
                                  "stream index")
                   : DigestFamily(store_, store_.event_ids(), snapshot_, cancel_,
                                  "event-id index");
      lock.lock();
      index_[job] = std::move(d);
    } else if (job < chunks_ + 2) {
      const uint64_t k = job - 2;
      if (k >= taken_ + window_) {
        cv_.wait(lock);
        continue;
      }
      ++next_job_;
      lock.unlock();
      ChunkResult r = CheckEntryChunk(options_, k << chunk_level_, chunk_level_);
      lock.lock();
      done_.emplace(k, std::move(r));
    } else {
      return;
    }
    cv_.notify_all();
  }
}

}  // namespace ledger
