// The half of LedgerVerifier's work that needs nothing from other parts of
// the log, done one chunk of consecutive positions at a time so that
// chunks can be checked on several threads: reading and parsing each
// entry, its leaf hash, the index records it implies, the prev_hash links
// inside the chunk, and the stored Merkle tree nodes of the subtrees inside
// the chunk. What links a chunk to the ones
// before it (the first prev_hash, stream versions, recorded_at order, the
// nodes above the chunk) is left to the caller, which walks the results in
// order (ledger/verifier.cc).
//
// Thread safety: CheckEntryChunk may run on many threads at once.
#ifndef LEDGER_ENTRY_CHUNK_H_
#define LEDGER_ENTRY_CHUNK_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/multiset_digest.h"
#include "rocksdb/db.h"

namespace ledger {

// Where and how to read.
struct ChunkReadOptions {
  rocksdb::DB* db = nullptr;
  rocksdb::ColumnFamilyHandle* entries = nullptr;
  rocksdb::ColumnFamilyHandle* nodes = nullptr;
  // Every read sees this snapshot (may be null: the latest state).
  const rocksdb::Snapshot* snapshot = nullptr;
  // The log size the head records: only nodes of complete subtrees of the
  // first `log_size` leaves are expected.
  uint64_t log_size = 0;
  // Set to stop early; the result is then incomplete.
  const std::atomic<bool>* cancel = nullptr;
};

// ReadOptions for a scan that reads each block once: checksums verified,
// blocks not kept in the cache, and `readahead` bytes read ahead (0:
// RocksDB's own, which starts small and grows while reads are sequential;
// right for iterators that seek often).
rocksdb::ReadOptions ScanReadOptions(const rocksdb::Snapshot* snapshot,
                                     size_t readahead);

// The entry at one position, reduced to what the in-order checks need.
struct ChunkEntry {
  uint32_t stream = 0;      // index into ChunkResult::streams
  bool linked = false;      // prev_hash is the previous position's leaf hash
                            // (not decided here for the chunk's first entry)
  uint64_t stream_version = 0;
  absl::Time recorded_at;
};

struct ChunkResult {
  uint64_t begin = 0;
  // Positions [begin, begin + entries.size()) passed every check made here.
  std::vector<ChunkEntry> entries;
  std::vector<Hash> leaves;  // their leaf hashes
  std::string first_prev_hash;  // prev_hash of the entry at `begin`
  std::vector<std::string> streams;

  // What stopped the chunk at position begin + entries.size().
  enum class End {
    kFull,        // the chunk's last position was reached
    kNoEntry,     // the entries family ends here (or cannot be read: status)
    kFault,       // the entry here fails a check: `fault` says which
    kCancelled,
  };
  End end = End::kFull;
  std::string fault;
  absl::Status status;  // a read error, with End::kNoEntry

  // The index records the entries imply (DESIGN.md, "Storage").
  MultisetDigest expected_streams;
  MultisetDigest expected_event_ids;

  // False when a stored node of a subtree inside the chunk differs from the
  // one its leaves give, is missing, or is followed by a key that should
  // not be there.
  bool nodes_match = true;
  // The root of the chunk's subtree when every one of its leaves is inside
  // the log (level `chunk_level`).
  std::optional<Hash> root;
};

// Checks positions [begin, begin + 2^chunk_level) of the log; `begin` is a
// multiple of 2^chunk_level. The reads start right after the key of
// position begin - 1, so a stray key before `begin` is seen here.
ChunkResult CheckEntryChunk(const ChunkReadOptions& options, uint64_t begin,
                            int chunk_level);

// Checks the stored tree nodes above the chunks' subtrees (levels above
// `chunk_level`), which the chunks' roots give: each root is added in log
// order, and the nodes it completes are compared, each with the key that
// follows it, through one iterator per level.
//
// Thread safety: none; one caller.
class UpperNodeChecker {
 public:
  // Reads as `options` says (db, nodes, snapshot, log_size).
  UpperNodeChecker(const ChunkReadOptions& options, int chunk_level);

  void AddChunkRoot(const Hash& root);

  // True when every node was stored as computed and followed by the key
  // that should follow it.
  bool AllMatch();

 private:
  void Check(int level, uint64_t index, const Hash& h);

  const ChunkReadOptions options_;
  const int chunk_level_;
  CompactRange tree_;  // over chunk roots
  std::map<int, std::unique_ptr<rocksdb::Iterator>> levels_;
  bool match_ = true;
};

}  // namespace ledger

#endif  // LEDGER_ENTRY_CHUNK_H_
