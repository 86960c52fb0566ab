// LedgerStore: the RocksDB database behind the ledger, its column families
// and the lookups the writer, the service and the verifier need. It knows
// the key layout (ledger/keys.h) but not the append rules.
//
// Thread safety: all methods may be called from any thread; RocksDB
// serialises writes. Only GroupCommitWriter writes entries.
#ifndef LEDGER_STORE_H_
#define LEDGER_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/keys.h"
#include "ledger/tree_top_cache.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace ledger {

class LedgerStore {
 public:
  enum class Mode {
    kReadWrite,  // creates the database if missing; one process at a time
    kReadOnly,   // never writes; may run beside a read-write process
    // Read-only, for reading families whole and in order (the offline
    // verifier): the tables are read past the system's file cache
    // (O_DIRECT) where the file system allows it, and otherwise through
    // it with the system reading ahead (not told that access is random,
    // as for point lookups). See reads_direct().
    kReadOnlyScan,
  };

  // Opens (or, read-write, creates) the database at `path`. Errors:
  // NOT_FOUND when read-only and there is no database, UNAVAILABLE when
  // another process holds it, FAILED_PRECONDITION for a directory that is
  // not a ledger, DATA_LOSS when the stored head disagrees with the last
  // entry, INTERNAL for other I/O failures. Messages name the path.
  // `env`, if set, is the RocksDB environment to use (tests inject
  // storage faults through it); it must outlive the store.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LedgerStore>> Open(
      const std::string& path, Mode mode, rocksdb::Env* env = nullptr);

  ~LedgerStore();
  LedgerStore(const LedgerStore&) = delete;
  LedgerStore& operator=(const LedgerStore&) = delete;

  // Whether tables are read with O_DIRECT: kReadOnlyScan on a file system
  // that allows it. Each such read waits for the disk, so a reader that
  // wants the cores busy runs more threads than there are cores.
  bool reads_direct() const { return reads_direct_; }

  // The head recorded by the last committed batch (size 0 for a new log).
  [[nodiscard]] absl::StatusOr<LogHead> ReadHead() const;

  // Stored bytes of entry `sequence`; NOT_FOUND when absent.
  [[nodiscard]] absl::StatusOr<std::string> GetEntryBytes(
      uint64_t sequence) const;

  // Current version of `stream` (its number of events; 0 if it has none).
  [[nodiscard]] absl::StatusOr<uint64_t> StreamVersion(
      std::string_view stream) const;

  // Sequence of version `version` of `stream`; NOT_FOUND when absent.
  [[nodiscard]] absl::StatusOr<uint64_t> StreamSequence(
      std::string_view stream, uint64_t version) const;

  // The record of `event_id`, or nullopt if it was never appended.
  [[nodiscard]] absl::StatusOr<std::optional<EventIdRecord>> LookupEventId(
      std::string_view event_id) const;
  // The same for many ids at once (one RocksDB MultiGet): out[i] is the
  // record of ids[i].
  [[nodiscard]] absl::Status LookupEventIds(const std::vector<std::string_view>& ids,
                                            std::vector<std::optional<EventIdRecord>>* out) const;
  // The content digest (EventContentDigest) of the entry `rec`, the record
  // of `event_id`, points to: what a retry of the event must match.
  // DATA_LOSS naming the record when that entry is absent, does not parse,
  // or is another event (another id or stream version).
  [[nodiscard]] absl::StatusOr<Hash> RecordedContentDigest(std::string_view event_id,
                                                           const EventIdRecord& rec) const;
  // The same for many at once, the entries read in one RocksDB MultiGet:
  // (*out)[i] is RecordedContentDigest(ids[i], recs[i]), an error of its
  // own for each that fails. `ids` and `recs` have the same size.
  void RecordedContentDigests(const std::vector<std::string_view>& ids,
                              const std::vector<EventIdRecord>& recs,
                              std::vector<absl::StatusOr<Hash>>* out) const;

  // Hash of complete subtree (level, index) of the Merkle tree
  // (ledger/merkle.h): stored from kLowestStoredNodeLevel up, below it
  // computed from the entries the subtree covers. NOT_FOUND when absent (a
  // low node: when one of its entries is), DATA_LOSS when malformed. Always
  // reads the database (the verifier checks what is stored).
  [[nodiscard]] absl::StatusOr<Hash> GetNode(int level, uint64_t index) const;

  // Hashes of the subtrees `ids`, in the same order, in one RocksDB
  // MultiGet over two families: the stored ones from `nodes`, the low ones
  // hashed from the entries they cover. What one proof needs. The upper
  // levels, once read, are kept in memory (ledger/tree_top_cache.h) and not
  // read again, so a node removed from the database after that is missed
  // until the store is opened again (ledger-verify reads through GetNode).
  // Errors: INVALID_ARGUMENT for a level outside 0 to 63, then as
  // GetNode's, for the first node that has one.
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> GetNodes(
      const std::vector<NodeKeyParts>& ids) const;

  // What WarmTreeTopCache read.
  struct TreeWarmUp {
    uint64_t tree_size = 0;  // the log's size when it began
    int lowest_level = 64;   // the lowest level read: kept for that size, and stored
    uint64_t nodes = 0;      // nodes read into the cache
  };
  // Reads every stored node of the levels GetNodes' cache keeps for the
  // log's current size (ledger/tree_top_cache.h) into that cache in one
  // pass over the `nodes` family, so that proofs need not each read them
  // first: at 10,000,000 entries, levels 6 and up, 312,000 nodes, from a
  // scan of the tiles that also leaves them in the file cache. The scan
  // bypasses RocksDB's block cache. ledgerd runs it on a thread of its own
  // once it serves. Returns CANCELLED as soon as `stop` is set (what was
  // read by then stays), DATA_LOSS naming the first malformed key or value
  // met (the nodes before it stay).
  [[nodiscard]] absl::StatusOr<TreeWarmUp> WarmTreeTopCache(
      const std::atomic<bool>& stop) const;

  // Offers tree nodes just made durable to GetNodes' cache (the writer
  // calls it after each group's write): those of the levels it keeps stay,
  // so a running server's cache holds the new nodes as well as those
  // WarmTreeTopCache read.
  void KeepTreeNodes(const std::vector<TreeTopCache::Node>& nodes) const;

  // Empties GetNodes' cache and bounds it anew: its lowest level kept may
  // hold at most `lowest_level_nodes` nodes (ledger/tree_top_cache.h; the
  // default is TreeTopCache::kDefaultLowestLevelNodes). For tests and
  // tools; not to be called while other threads use the store.
  void ResetTreeTopCache(uint64_t lowest_level_nodes);

  // Adds node (level, index) with hash `h` to `batch` if its level is
  // stored (kLowestStoredNodeLevel and up); a lower one is left out, as the
  // format says. What every writer of tree nodes calls.
  void PutNode(rocksdb::WriteBatch* batch, int level, uint64_t index, const Hash& h) const;

  // A value of the `meta` family; nullopt when absent.
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> GetMeta(
      std::string_view key) const;

  // Writes `batch` atomically; with `sync`, returns only once it is on disk.
  [[nodiscard]] absl::Status Write(rocksdb::WriteBatch* batch, bool sync);

  // Writes a consistent copy of the whole database into the new directory
  // `dir` (a RocksDB checkpoint: table files hard-linked when `dir` is on
  // the same file system, the rest copied), while writes go on. Every
  // family is written in one batch per group commit, so the copy holds
  // whole groups only. `dir` must not exist.
  [[nodiscard]] absl::Status CreateCheckpoint(const std::string& dir) const;

  // After a failed write RocksDB refuses further writes; this asks it to
  // recover (it flushes the memtables, so it fails while the disk is still
  // full). OK when it accepts writes again.
  [[nodiscard]] absl::Status Resume();

  // Iterator over one family; the caller owns it and must destroy it
  // before the store.
  std::unique_ptr<rocksdb::Iterator> NewIterator(
      rocksdb::ColumnFamilyHandle* family) const;

  rocksdb::ColumnFamilyHandle* entries() const { return entries_; }
  // The nodes family holds levels kLowestStoredNodeLevel and up only.
  rocksdb::ColumnFamilyHandle* nodes() const { return nodes_; }
  rocksdb::ColumnFamilyHandle* streams() const { return streams_; }
  rocksdb::ColumnFamilyHandle* event_ids() const { return event_ids_; }
  rocksdb::ColumnFamilyHandle* meta() const { return meta_; }
  rocksdb::ColumnFamilyHandle* projections() const { return projections_; }
  rocksdb::DB* db() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  LedgerStore() = default;
  absl::Status CheckHead() const;

  std::string path_;
  Mode mode_ = Mode::kReadOnly;
  bool reads_direct_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* entries_ = nullptr;
  rocksdb::ColumnFamilyHandle* nodes_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* event_ids_ = nullptr;
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  rocksdb::ColumnFamilyHandle* projections_ = nullptr;
  // The tree's upper levels, filled by GetNodes: state a const method
  // changes, behind a pointer (the cache is thread-safe).
  std::unique_ptr<TreeTopCache> top_nodes_ = std::make_unique<TreeTopCache>();
};

// Converts a RocksDB status, prefixing `context` to the message.
absl::Status FromRocksStatus(const rocksdb::Status& s, std::string_view context);

}  // namespace ledger

#endif  // LEDGER_STORE_H_
