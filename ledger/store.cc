#include "ledger/store.h"

#include <malloc.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/entry.h"
#include "ledger/entry_view.h"
#include "ledger/status_macros.h"
#include "rocksdb/cache.h"
#include "rocksdb/listener.h"
#include "rocksdb/options.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"

namespace ledger {

namespace {

// Column families, in the order Open creates handles for them.
constexpr const char* kFamilies[] = {
    "default", "entries", "nodes", "streams", "event_ids", "meta", "projections"};

// The stream part of a `streams` key (the stream bytes and their 0x00):
// the keys one stream's appends add are consecutive after it.
class StreamPartOfKey : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "ledger.StreamPartOfKey"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* zero = std::memchr(key.data(), 0, key.size());
    return rocksdb::Slice(key.data(),
                          static_cast<const char*>(zero) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), 0, key.size()) != nullptr;
  }
};

// The server's memory budget. RocksDB's block cache holds the tables'
// index and filter blocks as well as data blocks: left in each table's
// reader (as they were) those grew with the log, about 3.7 MiB per
// million entries, and so did the server. Half of the cache is kept for
// index and filter blocks, ahead of data blocks. All families share one
// cache: with a second one of 32 MiB for `nodes` (so that proofs' reads
// of `entries` blocks would not push the upper tree levels out), that
// cache filled only as compactions left the index and filter blocks of
// deleted tables in it, 17 MiB by 30M entries, and the server's memory
// rose with the log that long. Shared, the cache is full from about 5M
// entries (docs/performance.md, item 21).
constexpr size_t kBlockCacheBytes = 64u << 20;
// The memtables of all families together. Each family's own limit is
// RocksDB's default (64 MiB); past this total the largest is flushed
// early. With 64 MiB appends slowed by a fifth; with 128 MiB they did not.
constexpr size_t kAllMemtablesBytes = 128u << 20;

// Table files open at once, each with its reader (about 1.7 KiB of
// memory besides the block cache) and a file descriptor. Unbounded (RocksDB's
// default), both grew with the log: about 11 tables per million entries,
// so a server under Debian's usual limit of 1,024 descriptors would have
// failed its flushes somewhere near 90M entries. Past this many, the least
// recently used table is closed and opened again when read. The bound is
// reached near 370M entries; its readers hold about 7 MiB.
constexpr int kMaxOpenTables = 4096;

// How many tables to keep open: kMaxOpenTables, or fewer when the process
// may not open that many files. The descriptor limit's soft value is
// raised first (up to its hard value) so that half of it covers the
// tables; the other half is left for the write-ahead log, the manifest,
// client connections and the rest.
int OpenTablesBound() {
  constexpr rlim_t kWanted = 2 * static_cast<rlim_t>(kMaxOpenTables);
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 512;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < kWanted) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? kWanted : std::min(lim.rlim_max, kWanted);
    if (raised.rlim_cur > lim.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= kWanted) return kMaxOpenTables;
  // RocksDB keeps at least 20 open whatever it is told.
  return std::max(20, static_cast<int>(lim.rlim_cur / 2));
}

std::shared_ptr<rocksdb::Cache> NewBlockCache(size_t bytes) {
  rocksdb::LRUCacheOptions c;
  c.capacity = bytes;
  c.high_pri_pool_ratio = 0.5;
  return rocksdb::NewLRUCache(c);
}

// Heap pages freed inside glibc's arenas stay resident until trimmed.
// Block-cache churn leaves free holes in the heap (and so would a flushed
// memtable's 1 MiB blocks, were they not mapped on their own: ledgerd
// sets glibc's mmap threshold): with a trim after each flush the server's
// RSS peaks at 10M entries were 22 MiB lower.
class TrimHeapAfterFlush : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) override {
    malloc_trim(0);
  }
};

rocksdb::ColumnFamilyOptions FamilyOptions(
    const std::string& name, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.block_size = 16 * 1024;
  t.block_cache = cache;
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  // Nothing pinned here grows with the log. RocksDB decides at a table's
  // first open whether to pin its index and filter blocks (for level 0,
  // say), and a table moved down to another level unchanged (every
  // `entries` table, whose keys only ascend; any family whose keys ascend,
  // such as time-ordered event ids) kept them pinned for good: in
  // `entries` about 0.6 MiB per million entries, 21 MiB at 30M. So only
  // the small families pin their index blocks.
  if (name == "meta" || name == "projections" || name == "default") {
    // A handful of keys each.
    t.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;
  } else {
    // The others' index and filter blocks are cached like data blocks (at
    // high priority), so they must be cheap to load again: partitioned
    // into 4 KiB pieces, a lookup loads only the pieces on its way.
    // Whole, an `entries` table's index block is about 80 KiB and a
    // `nodes` table's about 340 KiB; at 30M entries they no longer all
    // stayed in the cache, and in-process proofs took 266 us at p50
    // against 118 partitioned (docs/performance.md, item 21). In
    // `streams` and `event_ids` the Bloom filters are most of the
    // metadata (10 bits a key), and partitioned with the index. The top
    // levels (one entry per piece) are cached too, unpinned.
    t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
    t.partition_filters = name != "entries";  // `entries` has no filter
    t.metadata_block_size = 4096;
    t.metadata_cache_options.top_level_index_pinning = rocksdb::PinningTier::kNone;
  }
  // Memtable insert hints. One group's keys in `nodes` interleave the
  // tiles' levels and the upper levels (leaf 511 closes nodes at levels 3
  // to 9), and in `streams` the streams of its requests. Tile keys (first
  // byte 0x00) are written close to the one before (a tile's nodes in
  // in-order positions, tile after tile), and within one upper level, or
  // one stream, keys only ascend. A hint per key's first byte and per
  // stream lets each insert start near where the last one of its kind
  // ended instead of searching the skip list from the top: at 1,000 events
  // per request that was a large share of the writer thread's time.
  if (name == "nodes") {
    // A proof reads O(log n) scattered 41-byte nodes: smaller blocks mean
    // less to read and checksum per node (at 1M leaves, inclusion proofs
    // 53.7 -> 40.8 us), for an index four times larger (about 4 MB at 10M
    // entries).
    t.block_size = 4 * 1024;
    // Every flush writes nodes of all levels, so each table's key range
    // spans the family and a lookup would read a data block of every
    // table on its way down; a Bloom filter answers "not here" instead.
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // Except in the last level, which holds most of the nodes: a lookup
    // that gets there finds its node (or is for a node that does not
    // exist, which only a damaged database asks for), so a filter would
    // never save a read. Its filters were most of `nodes`'s metadata:
    // about 0.3 MiB per million entries.
    o.optimize_filters_for_hits = true;
    o.memtable_insert_with_hint_prefix_extractor.reset(
        rocksdb::NewFixedPrefixTransform(1));
  } else if (name == "streams") {
    o.memtable_insert_with_hint_prefix_extractor =
        std::make_shared<StreamPartOfKey>();
  }
  if (name == "streams" || name == "event_ids") {
    // Point lookups dominate on these families.
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // Every append looks up each new event id, and almost all are absent:
    // a bloom filter in the memtable too answers those without a search.
    o.memtable_prefix_bloom_size_ratio = 0.02;
    o.memtable_whole_key_filtering = true;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.compression = rocksdb::kNoCompression;
  return o;
}

}  // namespace

absl::Status FromRocksStatus(const rocksdb::Status& s,
                             std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(std::string(context), ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsInvalidArgument()) return absl::FailedPreconditionError(msg);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::UnavailableError(
        absl::StrCat(msg, " (is another ledgerd using this database?)"));
  }
  return absl::InternalError(msg);
}

namespace {

// The node (level, index) from the status and value of its read.
absl::StatusOr<Hash> NodeFromRead(const rocksdb::Status& s, std::string_view value,
                                  int level, uint64_t index) {
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("no tree node at level ", level, " index ", index));
  }
  RETURN_IF_ERROR(FromRocksStatus(s, "cannot read tree node"));
  std::optional<Hash> h = HashFromBytes(value);
  if (!h.has_value()) {
    return absl::DataLossError(absl::StrCat("tree node at level ", level,
                                            " index ", index, " is malformed"));
  }
  return *h;
}

}  // namespace

namespace {

// What an upgrade writes to one family: batches written without the
// write-ahead log, the family flushed at the end (before the caller writes,
// synced, the marker that makes them count), and a line on stderr every
// million records.
class UnloggedRewriter {
 public:
  // `what`: the records and what happens to them, for the progress lines.
  UnloggedRewriter(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                   const std::string& path, std::string what)
      : db_(db), family_(family), path_(path), what_(std::move(what)) {
    no_wal_.disableWAL = true;
  }

  absl::Status Put(const rocksdb::Slice& key, const rocksdb::Slice& value) {
    batch_.Put(family_, key, value);
    if (++count_ % kBatchRecords == 0) {
      RETURN_IF_ERROR(FromRocksStatus(db_->Write(no_wal_, &batch_), "cannot upgrade the database"));
      batch_.Clear();
    }
    if (count_ % kReportEvery == 0) {
      std::fprintf(stderr, "upgrading %s: %llu %s\n", path_.c_str(),
                   static_cast<unsigned long long>(count_), what_.c_str());
    }
    return absl::OkStatus();
  }

  // Writes what is left and flushes the family.
  absl::Status Finish() {
    RETURN_IF_ERROR(FromRocksStatus(db_->Write(no_wal_, &batch_), "cannot upgrade the database"));
    batch_.Clear();
    rocksdb::FlushOptions flush;
    flush.wait = true;
    return FromRocksStatus(db_->Flush(flush, family_), "cannot upgrade the database");
  }

  uint64_t count() const { return count_; }

 private:
  static constexpr uint64_t kBatchRecords = 65536;
  static constexpr uint64_t kReportEvery = 1000000;

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const family_;
  const std::string& path_;
  const std::string what_;
  rocksdb::WriteOptions no_wal_;
  rocksdb::WriteBatch batch_;
  uint64_t count_ = 0;
};

// Format 2 -> 3: each `event_ids` value loses the content digest after its
// first 16 bytes. The digest is the only record of the event's content
// outside its entry, so a first pass compares every one with the entry
// the record points to, and a record of any other length, or one that
// disagrees with its entry, stops the upgrade before anything is
// written. The second pass rewrites them, skipping the write-ahead log,
// and is flushed before the new marker is written (synced), so a crash at
// any point leaves a format-2 database whose records are old or already
// rewritten; the next read-write open finishes the job.
absl::Status UpgradeEventIdRecords(const LedgerStore& store, const std::string& path) {
  rocksdb::DB* db = store.db();
  rocksdb::ColumnFamilyHandle* event_ids = store.event_ids();
  const auto refuse = [&path](const std::string& why) {
    return absl::DataLossError(absl::StrCat("cannot upgrade ", path, ": ", why,
                                            "; the database is left in format 2, with "
                                            "nothing lost"));
  };
  constexpr uint64_t kReportEvery = 1000000;
  uint64_t checked = 0;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), event_ids));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view id = it->key().ToStringView();
    const std::string_view value = it->value().ToStringView();
    if (value.size() == kEventIdRecordSize) continue;  // an earlier try's
    if (value.size() != kEventIdRecordV2Size) {
      return refuse(absl::StrCat("the event-id index record for '",
                                 absl::CHexEscape(absl::string_view(id.data(), id.size())),
                                 "' is malformed (", value.size(), " bytes)"));
    }
    const EventIdRecord rec = *DecodeEventIdRecord(value.substr(0, kEventIdRecordSize));
    absl::StatusOr<Hash> recorded = store.RecordedContentDigest(id, rec);
    if (absl::IsDataLoss(recorded.status())) {
      return refuse(std::string(recorded.status().message()));
    }
    RETURN_IF_ERROR(recorded.status());
    if (AsBytes(*recorded) != value.substr(kEventIdRecordSize)) {
      return refuse(absl::StrCat("the event-id index record for '",
                                 absl::CHexEscape(absl::string_view(id.data(), id.size())),
                                 "' does not match the entry at sequence ", rec.sequence,
                                 " (run ledger-verify from a release before format 3 on a "
                                 "copy)"));
    }
    if (++checked % kReportEvery == 0) {
      std::fprintf(stderr, "upgrading %s: %llu event-id records checked\n", path.c_str(),
                   static_cast<unsigned long long>(checked));
    }
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "cannot upgrade the database"));

  UnloggedRewriter rewriter(db, event_ids, path, "event-id records rewritten");
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice value = it->value();
    if (value.size() == kEventIdRecordSize) continue;
    RETURN_IF_ERROR(rewriter.Put(it->key(), rocksdb::Slice(value.data(), kEventIdRecordSize)));
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "cannot upgrade the database"));
  RETURN_IF_ERROR(rewriter.Finish());
  rocksdb::WriteOptions synced;
  synced.sync = true;
  RETURN_IF_ERROR(FromRocksStatus(
      db->Put(synced, store.meta(), std::string(kMetaFormatKey), std::string(kFormatVersion3)),
      "cannot upgrade the database"));
  std::fprintf(stderr,
               "upgraded %s from format '%s' to '%s': %llu event-id records checked against "
               "their entries and rewritten without a content digest (a retried event is "
               "compared with its stored entry)\n",
               path.c_str(), std::string(kFormatVersion2).c_str(),
               std::string(kFormatVersion3).c_str(),
               static_cast<unsigned long long>(rewriter.count()));
  return absl::OkStatus();
}

// Format 3 -> 4: the nodes of levels 3 to 8 move to tile keys (NodeKey;
// the values and the upper levels' keys stay). The new keys are written
// skipping the write-ahead log and flushed; then one synced batch removes
// the old keys and writes the new marker. A crash at any point before it
// leaves a format-3 database with its old keys whole (and perhaps some new
// ones, which the next read-write open writes again); after it, format 4.
absl::Status UpgradeNodeKeys(const LedgerStore& store, const std::string& path) {
  rocksdb::DB* db = store.db();
  rocksdb::ColumnFamilyHandle* nodes = store.nodes();
  const std::string old_begin = Format3NodeKey(kLowestStoredNodeLevel, 0);
  const std::string old_end = Format3NodeKey(kTileLevel, 0);
  const rocksdb::Slice old_end_slice(old_end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &old_end_slice;
  ro.fill_cache = false;
  rocksdb::FlushOptions flush;
  flush.wait = true;
  // Tile keys start with 0x00, as format 1's level-0 keys did. RocksDB 7.8
  // keeps one memtable insert hint per key prefix for a memtable's point
  // keys and its range deletions alike, so a tile key written into the
  // memtable that holds the format 1 -> 2 upgrade's range deletion (from
  // level 0's first key) would be inserted at a position taken from the
  // other list, and fail RocksDB's own assertion. Flushed first, the
  // memtable is a new one.
  RETURN_IF_ERROR(FromRocksStatus(db->Flush(flush, nodes), "cannot upgrade the database"));
  UnloggedRewriter rewriter(db, nodes, path, "tree nodes moved to tile keys");
  std::string key;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, nodes));
  for (it->Seek(old_begin); it->Valid(); it->Next()) {
    const std::string_view old_key = it->key().ToStringView();
    if (old_key.size() != 9 || it->value().size() != sizeof(Hash)) {
      return absl::DataLossError(absl::StrCat(
          "cannot upgrade ", path, ": the nodes family holds a malformed record (key ",
          HexEncode(old_key),
          "); the database is left in format 3, with nothing lost; run ledger-verify "
          "from a release before format 4 on a copy"));
    }
    key.clear();
    AppendNodeKey(&key, static_cast<uint8_t>(old_key[0]),
                  *DecodeBigEndian64(old_key.substr(1)));
    RETURN_IF_ERROR(rewriter.Put(key, it->value()));
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "cannot upgrade the database"));
  it.reset();
  RETURN_IF_ERROR(rewriter.Finish());
  rocksdb::WriteBatch last;
  last.DeleteRange(nodes, old_begin, old_end);
  last.Put(store.meta(), std::string(kMetaFormatKey), std::string(kFormatVersion));
  rocksdb::WriteOptions synced;
  synced.sync = true;
  RETURN_IF_ERROR(FromRocksStatus(db->Write(synced, &last), "cannot upgrade the database"));
  // The range deletion leaves the memtable (nothing written later shares
  // its first byte, 0x03, but see above), and the old keys' space comes
  // back now rather than at some later compaction. The upgrade is done
  // already if either fails.
  (void)db->Flush(flush, nodes);
  const rocksdb::Slice begin_slice(old_begin);
  (void)db->CompactRange(rocksdb::CompactRangeOptions(), nodes, &begin_slice, &old_end_slice);
  std::fprintf(stderr,
               "upgraded %s from format '%s' to '%s': %llu tree nodes of levels 3 to 8 "
               "moved to tile keys (a proof reads them from one or two blocks)\n",
               path.c_str(), std::string(kFormatVersion3).c_str(),
               std::string(kFormatVersion).c_str(),
               static_cast<unsigned long long>(rewriter.count()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<LedgerStore>> LedgerStore::Open(
    const std::string& path, Mode mode, rocksdb::Env* env) {
  std::unique_ptr<LedgerStore> store(new LedgerStore());
  store->path_ = path;
  store->mode_ = mode;

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = mode == Mode::kReadWrite;
  db_options.create_missing_column_families = mode == Mode::kReadWrite;
  db_options.max_background_jobs = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 2;
  // A family written rarely (projections, meta) would otherwise keep every
  // write-ahead log file alive until its own memtable fills: gigabytes to
  // replay at the next start. Past this total RocksDB flushes the families
  // holding the oldest log, bounding both the disk and the restart.
  db_options.max_total_wal_size = 256ull << 20;
  if (env != nullptr) db_options.env = env;
  // A scan reads each table once, in order (docs/performance.md, items 18
  // and 20). Through the file cache, ledger-verify's time from the disk
  // depended on what the kernel was doing (9.4-11.9 s for 10M entries, up
  // to 7 s of it the kernel's), and it pushed out everything else cached.
  // Read directly, with more threads than cores, it took 8.3-8.9 s. If
  // the file system refuses O_DIRECT the open is tried again without it;
  // RocksDB is then not told that reads are random, which would turn off
  // the kernel's read-ahead (ledger-verify waited on each 256 KiB read in
  // turn: about 370 MB/s, against 1.1-1.6 GB/s for the disk).
  const bool scan = mode == Mode::kReadOnlyScan;
  db_options.advise_random_on_open = !scan;
  db_options.use_direct_reads = scan;

  db_options.db_write_buffer_size = kAllMemtablesBytes;
  db_options.max_open_files = OpenTablesBound();
  if (mode == Mode::kReadWrite) {
    db_options.listeners.push_back(std::make_shared<TrimHeapAfterFlush>());
  }
  const std::shared_ptr<rocksdb::Cache> block_cache = NewBlockCache(kBlockCacheBytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const char* name : kFamilies) {
    families.emplace_back(name, FamilyOptions(name, block_cache));
  }

  if (mode != Mode::kReadWrite) {
    struct stat st;
    std::string current = path + "/CURRENT";
    if (stat(current.c_str(), &st) != 0) {
      return absl::NotFoundError(
          absl::StrCat("no ledger database at ", path));
    }
  } else {
    // RocksDB creates only the last path component; say so plainly.
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " exists and is not a directory"));
    }
    // An existing RocksDB database without our `meta` family holds someone
    // else's data: refuse it rather than add ledger families to it. (One
    // with `meta` but no format marker is ours, cut off while being
    // created; the open below finishes it.)
    std::string current = path + "/CURRENT";
    if (stat(current.c_str(), &st) == 0) {
      std::vector<std::string> existing;
      rocksdb::Status ls =
          rocksdb::DB::ListColumnFamilies(db_options, path, &existing);
      if (!ls.ok()) {
        return FromRocksStatus(ls, absl::StrCat("cannot open database at ", path));
      }
      if (std::find(existing.begin(), existing.end(), "meta") == existing.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat(path, " is a RocksDB database but not a ledger"));
      }
    }
  }

  rocksdb::DB* raw = nullptr;
  rocksdb::Status s =
      mode != Mode::kReadWrite
          ? rocksdb::DB::OpenForReadOnly(db_options, path, families,
                                         &store->handles_, &raw)
          : rocksdb::DB::Open(db_options, path, families, &store->handles_,
                              &raw);
  if (!s.ok() && db_options.use_direct_reads) {
    // Some file systems refuse O_DIRECT.
    db_options.use_direct_reads = false;
    store->handles_.clear();
    s = rocksdb::DB::OpenForReadOnly(db_options, path, families, &store->handles_, &raw);
  }
  store->reads_direct_ = s.ok() && db_options.use_direct_reads;
  if (!s.ok()) {
    return FromRocksStatus(s, absl::StrCat("cannot open database at ", path));
  }
  store->db_.reset(raw);
  store->entries_ = store->handles_[1];
  store->nodes_ = store->handles_[2];
  store->streams_ = store->handles_[3];
  store->event_ids_ = store->handles_[4];
  store->meta_ = store->handles_[5];
  store->projections_ = store->handles_[6];

  std::string format;
  s = raw->Get(rocksdb::ReadOptions(), store->meta_,
               std::string(kMetaFormatKey), &format);
  if (s.IsNotFound()) {
    if (mode != Mode::kReadWrite) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is a RocksDB database but not a ledger"));
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = raw->Put(wo, store->meta_, std::string(kMetaFormatKey),
                 std::string(kFormatVersion));
    RETURN_IF_ERROR(FromRocksStatus(s, "cannot initialise database"));
  } else if (!s.ok()) {
    return FromRocksStatus(s, "cannot read database format");
  } else if ((format == kFormatVersion1 || format == kFormatVersion2 ||
              format == kFormatVersion3) &&
             mode == Mode::kReadWrite) {
    // A damaged log is refused before anything of it is changed.
    RETURN_IF_ERROR(store->CheckHead());
    if (format == kFormatVersion1) {
      // Format 1 stored tree levels 0 to 2 too; they are the entries' own
      // hashes, so dropping them loses nothing. One synced batch removes
      // them and writes the format-2 marker: after a crash it is either
      // done or not.
      rocksdb::WriteBatch upgrade;
      const std::string low_begin = Format3NodeKey(0, 0);
      const std::string low_end = Format3NodeKey(kLowestStoredNodeLevel, 0);
      upgrade.DeleteRange(store->nodes_, low_begin, low_end);
      upgrade.Put(store->meta_, std::string(kMetaFormatKey), std::string(kFormatVersion2));
      rocksdb::WriteOptions wo;
      wo.sync = true;
      RETURN_IF_ERROR(
          FromRocksStatus(raw->Write(wo, &upgrade), "cannot upgrade the database"));
      std::fprintf(stderr,
                   "upgraded %s from format '%s' to '%s': stored tree nodes of levels 0 "
                   "to 2 removed (they are hashed from the entries now)\n",
                   path.c_str(), std::string(kFormatVersion1).c_str(),
                   std::string(kFormatVersion2).c_str());
    }
    if (format != kFormatVersion3) RETURN_IF_ERROR(UpgradeEventIdRecords(*store, path));
    RETURN_IF_ERROR(UpgradeNodeKeys(*store, path));
  } else if (format != kFormatVersion) {
    const bool upgradable = format == kFormatVersion1 || format == kFormatVersion2 ||
                            format == kFormatVersion3;
    return absl::FailedPreconditionError(absl::StrCat(
        path, " holds format '", format, "', expected '", std::string(kFormatVersion), "'",
        upgradable ? "; start ledgerd on it (or on a copy) once to upgrade it in place" : ""));
  }
  if (mode == Mode::kReadWrite) RETURN_IF_ERROR(store->CheckHead());
  return store;
}

LedgerStore::~LedgerStore() {
  if (db_ != nullptr) {
    if (mode_ == Mode::kReadWrite) {
      // Flushed at a clean stop, the next start has no log to replay. A
      // failure (a full disk) loses nothing: the log is still there.
      (void)db_->Flush(rocksdb::FlushOptions(), handles_);
    }
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
  }
}

absl::Status LedgerStore::CheckHead() const {
  ASSIGN_OR_RETURN(LogHead head, ReadHead());
  std::unique_ptr<rocksdb::Iterator> it(NewIterator(entries_));
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "cannot read last entry"));
  if (!it->Valid()) {
    if (head.size == 0) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat(
        "database records ", head.size, " entries but holds none; run ledger-verify"));
  }
  auto last = DecodeBigEndian64(it->key().ToStringView());
  if (!last.has_value() || *last + 1 != head.size ||
      LeafHash(it->value().ToStringView()) != head.last_leaf_hash) {
    return absl::DataLossError(
        absl::StrCat("last stored entry disagrees with the recorded head (",
                     head.size, " entries); run ledger-verify"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LogHead> LedgerStore::ReadHead() const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_,
                               std::string(kMetaHeadKey), &value);
  if (s.IsNotFound()) return LogHead{};
  RETURN_IF_ERROR(FromRocksStatus(s, "cannot read log head"));
  auto head = DecodeLogHead(value);
  if (!head.has_value()) return absl::DataLossError("log head is malformed");
  return *head;
}

absl::StatusOr<std::string> LedgerStore::GetEntryBytes(
    uint64_t sequence) const {
  std::string value;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), entries_, EntryKey(sequence), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("no entry at sequence ", sequence));
  }
  RETURN_IF_ERROR(
      FromRocksStatus(s, absl::StrCat("cannot read entry ", sequence)));
  return value;
}

absl::StatusOr<uint64_t> LedgerStore::StreamVersion(
    std::string_view stream) const {
  std::unique_ptr<rocksdb::Iterator> it(NewIterator(streams_));
  std::string upper = StreamIndexKey(stream, UINT64_MAX);
  it->SeekForPrev(upper);
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "cannot read stream index"));
  if (!it->Valid()) return 0;
  auto parts = ParseStreamIndexKey(it->key().ToStringView());
  if (!parts.has_value() || parts->stream != stream) return 0;
  return parts->version;
}

absl::StatusOr<uint64_t> LedgerStore::StreamSequence(std::string_view stream,
                                                     uint64_t version) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), streams_,
                               StreamIndexKey(stream, version), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("stream ", std::string(stream), " has no version ", version));
  }
  RETURN_IF_ERROR(FromRocksStatus(s, "cannot read stream index"));
  auto seq = DecodeBigEndian64(value);
  if (!seq.has_value()) {
    return absl::DataLossError(absl::StrCat("stream index value for ", std::string(stream),
                                            " version ", version,
                                            " is malformed"));
  }
  return *seq;
}

namespace {

// The record of `event_id` from the status and value of its read.
absl::StatusOr<std::optional<EventIdRecord>> EventIdFromRead(const rocksdb::Status& s,
                                                             std::string_view value,
                                                             std::string_view event_id) {
  if (s.IsNotFound()) return std::optional<EventIdRecord>();
  RETURN_IF_ERROR(FromRocksStatus(s, "cannot read event-id index"));
  std::optional<EventIdRecord> rec = DecodeEventIdRecord(value);
  if (!rec.has_value()) {
    return absl::DataLossError(
        absl::StrCat("event-id index value for ", std::string(event_id), " is malformed"));
  }
  return rec;
}

}  // namespace

absl::StatusOr<std::optional<EventIdRecord>> LedgerStore::LookupEventId(
    std::string_view event_id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), event_ids_,
                               rocksdb::Slice(event_id.data(), event_id.size()),
                               &value);
  return EventIdFromRead(s, value, event_id);
}

absl::Status LedgerStore::LookupEventIds(const std::vector<std::string_view>& ids,
                                         std::vector<std::optional<EventIdRecord>>* out) const {
  const size_t n = ids.size();
  std::vector<rocksdb::Slice> keys;
  keys.reserve(n);
  for (std::string_view id : ids) keys.emplace_back(id.data(), id.size());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->MultiGet(rocksdb::ReadOptions(), event_ids_, n, keys.data(), values.data(),
                statuses.data());
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN((*out)[i], EventIdFromRead(statuses[i], values[i].ToStringView(), ids[i]));
  }
  return absl::OkStatus();
}

namespace {

// The content digest of `bytes`, read for `rec`, the record of `event_id`
// (`read` is how the read went): DATA_LOSS naming the record when the entry
// is absent, does not parse, or is another event.
absl::StatusOr<Hash> DigestOfRecordedEntry(std::string_view event_id, const EventIdRecord& rec,
                                           const rocksdb::Status& read,
                                           std::string_view bytes) {
  const auto record = [&] {
    return absl::StrCat("event-id index record for '",
                        absl::CHexEscape(absl::string_view(event_id.data(), event_id.size())),
                        "' points to sequence ", rec.sequence);
  };
  if (read.IsNotFound()) {
    return absl::DataLossError(absl::StrCat(record(), ", which is not stored"));
  }
  RETURN_IF_ERROR(FromRocksStatus(read, absl::StrCat("cannot read entry ", rec.sequence)));
  StoredEntryView view;
  if (absl::Status parsed = view.Read(bytes); !parsed.ok()) {
    return absl::DataLossError(absl::StrCat(record(), ": ", parsed.message()));
  }
  if (view.event_id() != event_id || view.stream_version() != rec.stream_version) {
    return absl::DataLossError(absl::StrCat(record(), ", which holds another event"));
  }
  return EventContentDigest(view.content());
}

}  // namespace

absl::StatusOr<Hash> LedgerStore::RecordedContentDigest(std::string_view event_id,
                                                        const EventIdRecord& rec) const {
  std::string bytes;
  const rocksdb::Status read =
      db_->Get(rocksdb::ReadOptions(), entries_, EntryKey(rec.sequence), &bytes);
  return DigestOfRecordedEntry(event_id, rec, read, bytes);
}

void LedgerStore::RecordedContentDigests(const std::vector<std::string_view>& ids,
                                         const std::vector<EventIdRecord>& recs,
                                         std::vector<absl::StatusOr<Hash>>* out) const {
  const size_t n = recs.size();
  std::vector<std::string> keys;
  keys.reserve(n);
  for (const EventIdRecord& rec : recs) keys.push_back(EntryKey(rec.sequence));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  db_->MultiGet(rocksdb::ReadOptions(), entries_, n, slices.data(), values.data(),
                statuses.data());
  out->clear();
  out->reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out->push_back(DigestOfRecordedEntry(ids[i], recs[i], statuses[i], values[i].ToStringView()));
  }
}

void LedgerStore::PutNode(rocksdb::WriteBatch* batch, int level, uint64_t index,
                          const Hash& h) const {
  if (level < kLowestStoredNodeLevel) return;
  batch->Put(nodes_, NodeKey(level, index), AsBytes(h));
}

absl::StatusOr<Hash> LedgerStore::GetNode(int level, uint64_t index) const {
  if (level < kLowestStoredNodeLevel) {
    ASSIGN_OR_RETURN(std::vector<Hash> h, GetNodes({{level, index}}));
    return h[0];
  }
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), nodes_, NodeKey(level, index), &value);
  return NodeFromRead(s, value, level, index);
}

absl::StatusOr<std::vector<Hash>> LedgerStore::GetNodes(
    const std::vector<NodeKeyParts>& ids) const {
  // One MultiGet over both families: a stored node's key in `nodes`, or,
  // for a node below the stored levels, the keys of the 2^level entries it
  // covers (its leaves, hashed up below). first_key[n]: ids[n]'s first key.
  std::vector<size_t> first_key;
  std::vector<std::string> keys;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (const NodeKeyParts& id : ids) {
    if (id.level < 0 || id.level > 63) {
      return absl::InvalidArgumentError(absl::StrCat("no tree node at level ", id.level));
    }
  }
  // The upper levels already read are in memory.
  std::vector<std::optional<Hash>> cached(ids.size());
  top_nodes_->FindMany(ids, &cached);
  first_key.reserve(ids.size());
  keys.reserve(ids.size() + 8);
  for (size_t n = 0; n < ids.size(); ++n) {
    const NodeKeyParts& id = ids[n];
    first_key.push_back(keys.size());
    if (cached[n].has_value()) continue;
    if (id.level >= kLowestStoredNodeLevel) {
      keys.push_back(NodeKey(id.level, id.index));
      families.push_back(nodes_);
      continue;
    }
    const uint64_t width = uint64_t{1} << id.level;
    const uint64_t first = id.index << id.level;
    if ((first >> id.level) != id.index || first + width < first) {
      return absl::NotFoundError(
          absl::StrCat("no tree node at level ", id.level, " index ", id.index));
    }
    for (uint64_t i = 0; i < width; ++i) {
      keys.push_back(EntryKey(first + i));
      families.push_back(entries_);
    }
  }
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  if (!keys.empty()) {
    db_->MultiGet(rocksdb::ReadOptions(), keys.size(), families.data(), slices.data(),
                  values.data(), statuses.data());
  }
  std::vector<Hash> hashes;
  hashes.reserve(ids.size());
  std::vector<TreeTopCache::Node> read;
  read.reserve(ids.size());
  for (size_t n = 0; n < ids.size(); ++n) {
    const NodeKeyParts& id = ids[n];
    if (cached[n].has_value()) {
      hashes.push_back(*cached[n]);
      continue;
    }
    const size_t k = first_key[n];
    if (id.level >= kLowestStoredNodeLevel) {
      ASSIGN_OR_RETURN(Hash h, NodeFromRead(statuses[k], values[k].ToStringView(), id.level,
                                            id.index));
      hashes.push_back(h);
      read.push_back({id.level, id.index, h});
      continue;
    }
    const uint64_t width = uint64_t{1} << id.level;
    Hash row[size_t{1} << kLowestStoredNodeLevel];
    for (uint64_t i = 0; i < width; ++i) {
      const rocksdb::Status& st = statuses[k + i];
      if (st.IsNotFound()) {
        return absl::NotFoundError(absl::StrCat("no tree node at level ", id.level, " index ",
                                                id.index, " (entry ",
                                                (id.index << id.level) + i, " is missing)"));
      }
      RETURN_IF_ERROR(FromRocksStatus(st, "cannot read entries"));
      row[i] = LeafHash(values[k + i].ToStringView());
    }
    for (uint64_t w = width; w > 1; w /= 2) {
      for (uint64_t j = 0; j < w / 2; ++j) row[j] = NodeHash(row[2 * j], row[2 * j + 1]);
    }
    hashes.push_back(row[0]);
  }
  top_nodes_->Insert(read);
  return hashes;
}

void LedgerStore::KeepTreeNodes(const std::vector<TreeTopCache::Node>& nodes) const {
  if (!nodes.empty()) top_nodes_->Insert(nodes);
}

void LedgerStore::ResetTreeTopCache(uint64_t lowest_level_nodes) {
  top_nodes_ = std::make_unique<TreeTopCache>(lowest_level_nodes);
}

absl::StatusOr<LedgerStore::TreeWarmUp> LedgerStore::WarmTreeTopCache(
    const std::atomic<bool>& stop) const {
  TreeWarmUp done;
  ASSIGN_OR_RETURN(LogHead head, ReadHead());
  done.tree_size = head.size;
  done.lowest_level = std::max(top_nodes_->NoteTreeSize(head.size), kLowestStoredNodeLevel);
  const int lowest = done.lowest_level;
  if (head.size == 0) return done;  // no level is kept

  rocksdb::ReadOptions options;
  options.fill_cache = false;        // one pass: nothing in it is read again
  options.readahead_size = 1 << 20;  // the tiles are read in key order
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, nodes_));
  std::vector<TreeTopCache::Node> batch;
  batch.reserve(4096);
  auto flush = [&] {
    top_nodes_->Insert(batch);
    done.nodes += batch.size();
    batch.clear();
  };
  // Reads from the iterator's position while `more` holds of the key.
  auto scan = [&](auto more) -> absl::Status {
    for (; it->Valid() && more(it->key()); it->Next()) {
      if (stop.load(std::memory_order_relaxed)) {
        return absl::CancelledError("the tree cache's warm-up was stopped");
      }
      const std::string_view key = it->key().ToStringView();
      std::optional<NodeKeyParts> id = ParseNodeKey(key);
      if (!id.has_value()) {
        return absl::DataLossError(absl::StrCat(
            "the nodes family holds a malformed key ",
            absl::BytesToHexString(absl::string_view(key.data(), key.size())),
            "; run ledger-verify"));
      }
      if (id->level < lowest) continue;
      absl::StatusOr<Hash> h = NodeFromRead(rocksdb::Status::OK(),
                                            it->value().ToStringView(), id->level, id->index);
      if (!h.ok()) return h.status();
      batch.push_back({id->level, id->index, *h});
      if (batch.size() == batch.capacity()) flush();
    }
    return FromRocksStatus(it->status(), "cannot read tree nodes");
  };
  // Levels below kTileLevel are in the tiles, all of a tile's nodes
  // together, so reading the ones kept means reading every tile; from
  // kTileLevel up each level has a range of its own, and all are kept.
  absl::Status s = absl::OkStatus();
  if (lowest < kTileLevel) {
    it->Seek(rocksdb::Slice("\0", 1));
    s = scan([](const rocksdb::Slice& key) { return key[0] == '\0'; });
  }
  if (s.ok()) {
    it->Seek(NodeKey(std::max(lowest, kTileLevel), 0));
    s = scan([](const rocksdb::Slice&) { return true; });
  }
  flush();
  RETURN_IF_ERROR(s);
  return done;
}

absl::StatusOr<std::optional<std::string>> LedgerStore::GetMeta(
    std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_,
                               rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(FromRocksStatus(s, "cannot read database metadata"));
  return std::optional<std::string>(std::move(value));
}

absl::Status LedgerStore::Write(rocksdb::WriteBatch* batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocksStatus(db_->Write(wo, batch), "write failed");
}

std::unique_ptr<rocksdb::Iterator> LedgerStore::NewIterator(
    rocksdb::ColumnFamilyHandle* family) const {
  return std::unique_ptr<rocksdb::Iterator>(
      db_->NewIterator(rocksdb::ReadOptions(), family));
}

absl::Status LedgerStore::CreateCheckpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(db_.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  if (s.ok()) s = checkpoint->CreateCheckpoint(dir);
  return FromRocksStatus(s, absl::StrCat("checkpoint of ", path_, " into ", dir));
}

absl::Status LedgerStore::Resume() {
  return FromRocksStatus(db_->Resume(), absl::StrCat("recovering ", path_));
}

}  // namespace ledger
