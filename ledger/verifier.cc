#include "ledger/verifier.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/entry.h"
#include "ledger/entry_chunk.h"
#include "ledger/merkle.h"
#include "ledger/multiset_digest.h"
#include "ledger/signed_note.h"
#include "ledger/status_macros.h"

namespace ledger {

using ledger::v1::Entry;

namespace {

VerifyReport Bad(uint64_t entries, std::optional<uint64_t> seq,
                 std::string reason) {
  VerifyReport r;
  r.entries = entries;
  r.intact = false;
  r.bad_sequence = seq;
  r.reason = std::move(reason);
  return r;
}

// Decides which side of a broken link between k-1 and k was altered: if
// entry k still hashes to what follows it (k+1's prev_hash, or the head),
// then k is original and k-1 changed; otherwise k changed.
absl::StatusOr<uint64_t> BlameBrokenLink(const LedgerStore& store,
                                         uint64_t k, const Hash& leaf_k,
                                         const LogHead& head) {
  std::optional<Hash> follower;
  absl::StatusOr<std::string> next = store.GetEntryBytes(k + 1);
  if (next.ok()) {
    absl::StatusOr<Entry> e = ParseStoredEntry(*next);
    if (e.ok()) follower = HashFromBytes(e->prev_hash());
  } else if (absl::IsNotFound(next.status())) {
    if (head.size == k + 1) follower = head.last_leaf_hash;
  } else {
    return next.status();
  }
  if (follower.has_value() && *follower == leaf_k) return k - 1;
  return k;
}

// Finds the first entry whose index records are wrong, or else the index
// record that no entry accounts for.
absl::StatusOr<VerifyReport> LocateIndexFault(const LedgerStore& store,
                                              uint64_t entries) {
  std::unique_ptr<rocksdb::Iterator> it = store.NewIterator(store.entries());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Entry e, ParseStoredEntry(it->value().ToStringView()));
    const uint64_t seq = e.sequence();
    absl::StatusOr<uint64_t> at = store.StreamSequence(e.stream(), e.stream_version());
    if (!at.ok() && !absl::IsNotFound(at.status())) {
      if (absl::IsDataLoss(at.status())) {
        return Bad(entries, seq, std::string(at.status().message()));
      }
      return at.status();
    }
    if (!at.ok()) {
      return Bad(entries, seq,
                 absl::StrCat("stream index has no key for stream ", e.stream(),
                              " version ", e.stream_version()));
    }
    if (*at != seq) {
      return Bad(entries, seq,
                 absl::StrCat("stream index key for stream ", e.stream(),
                              " version ", e.stream_version(),
                              " points to sequence ", *at));
    }
    absl::StatusOr<std::optional<EventIdRecord>> rec = store.LookupEventId(e.event_id());
    if (!rec.ok()) {
      if (absl::IsDataLoss(rec.status())) {
        return Bad(entries, seq, std::string(rec.status().message()));
      }
      return rec.status();
    }
    if (!rec->has_value()) {
      return Bad(entries, seq,
                 absl::StrCat("event-id index has no record for '", e.event_id(), "'"));
    }
    const EventIdRecord& r = **rec;
    if (r.sequence != seq || r.stream_version != e.stream_version()) {
      return Bad(entries, seq,
                 absl::StrCat("event-id index record for '", e.event_id(),
                              "' points to sequence ", r.sequence));
    }
    if (r.content_digest != EventContentDigest(e)) {
      return Bad(entries, seq,
                 absl::StrCat("event content does not match the digest "
                              "recorded for '", e.event_id(),
                              "' when it was appended"));
    }
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "cannot read entries"));

  // Every entry has the right index records, so an index holds extras.
  // Name the lowest sequence they point to: after a truncation that is the
  // first entry removed.
  auto entry_at = [&store](uint64_t seq) -> std::optional<Entry> {
    absl::StatusOr<std::string> bytes = store.GetEntryBytes(seq);
    if (!bytes.ok()) return std::nullopt;
    absl::StatusOr<Entry> e = ParseStoredEntry(*bytes);
    if (!e.ok()) return std::nullopt;
    return *e;
  };
  std::optional<VerifyReport> lowest;
  auto note_extra = [&](uint64_t seq, std::string reason) {
    if (!lowest.has_value() || seq < *lowest->bad_sequence) {
      lowest = Bad(entries, seq, std::move(reason));
    }
  };
  std::unique_ptr<rocksdb::Iterator> s = store.NewIterator(store.streams());
  for (s->SeekToFirst(); s->Valid(); s->Next()) {
    auto parts = ParseStreamIndexKey(s->key().ToStringView());
    auto seq = DecodeBigEndian64(s->value().ToStringView());
    if (!parts.has_value() || !seq.has_value()) {
      return Bad(entries, std::nullopt, "stream index holds a malformed record");
    }
    std::optional<Entry> e = entry_at(*seq);
    if (!e.has_value() || e->stream() != parts->stream ||
        e->stream_version() != parts->version) {
      note_extra(*seq, absl::StrCat("stream index key for stream ", parts->stream,
                                    " version ", parts->version,
                                    " has no matching entry (it points to "
                                    "sequence ", *seq, ")"));
    }
  }
  RETURN_IF_ERROR(FromRocksStatus(s->status(), "cannot read stream index"));
  std::unique_ptr<rocksdb::Iterator> ev = store.NewIterator(store.event_ids());
  for (ev->SeekToFirst(); ev->Valid(); ev->Next()) {
    auto rec = DecodeEventIdRecord(ev->value().ToStringView());
    if (!rec.has_value()) {
      return Bad(entries, std::nullopt,
                 absl::StrCat("event-id index record for '",
                              ev->key().ToString(), "' is malformed"));
    }
    std::optional<Entry> e = entry_at(rec->sequence);
    if (!e.has_value() || e->event_id() != ev->key().ToStringView()) {
      note_extra(rec->sequence,
                 absl::StrCat("event-id index record for '", ev->key().ToString(),
                              "' has no matching entry (it points to sequence ",
                              rec->sequence, ")"));
    }
  }
  RETURN_IF_ERROR(FromRocksStatus(ev->status(), "cannot read event-id index"));
  if (lowest.has_value()) return *lowest;
  return Bad(entries, std::nullopt, "indexes do not match the entries");
}

// Finds the first stored tree node that differs from the one the entries
// give, or a node the tree does not have.
absl::StatusOr<VerifyReport> LocateNodeFault(const LedgerStore& store,
                                             uint64_t entries) {
  CompactRange tree;
  std::optional<VerifyReport> bad;
  std::unique_ptr<rocksdb::Iterator> it = store.NewIterator(store.entries());
  for (it->SeekToFirst(); it->Valid() && !bad.has_value(); it->Next()) {
    tree.Append(LeafHash(it->value().ToStringView()),
                [&](int level, uint64_t index, const Hash& want) {
                  if (bad.has_value()) return;
                  absl::StatusOr<Hash> got = store.GetNode(level, index);
                  if (!got.ok() || *got != want) {
                    bad = Bad(entries, index << level,
                              absl::StrCat("stored Merkle tree node (level ",
                                           level, ", index ", index,
                                           ") does not match the entries"));
                  }
                });
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), "cannot read entries"));
  if (bad.has_value()) return *bad;
  return Bad(entries, std::nullopt,
             "the nodes family holds nodes the tree does not have");
}

// Checks the stored checkpoint against the stored verifier key and the
// rebuilt tree's root at its size.
absl::StatusOr<std::optional<VerifyReport>> CheckStoredCheckpoint(
    const LedgerStore& store, uint64_t entries,
    const std::map<uint64_t, Hash>& roots, std::optional<uint64_t>* size) {
  ASSIGN_OR_RETURN(std::optional<std::string> note,
                   store.GetMeta(kMetaCheckpointKey));
  if (!note.has_value()) return std::optional<VerifyReport>();
  ASSIGN_OR_RETURN(std::optional<std::string> vkey,
                   store.GetMeta(kMetaVerifierKeyKey));
  if (!vkey.has_value()) {
    return Bad(entries, std::nullopt,
               "a checkpoint is stored but no verifier key");
  }
  absl::StatusOr<VerifierKey> key = ParseVerifierKey(*vkey);
  if (!key.ok()) {
    return Bad(entries, std::nullopt,
               absl::StrCat("stored verifier key: ", key.status().message()));
  }
  absl::StatusOr<Checkpoint> c = VerifyCheckpoint(*note, *key);
  if (!c.ok()) {
    return Bad(entries, std::nullopt,
               absl::StrCat("stored checkpoint: ", c.status().message()));
  }
  if (c->size > entries) {
    return Bad(entries, entries,
               absl::StrCat("stored checkpoint covers ", c->size,
                            " entries but the log holds ", entries));
  }
  auto root = roots.find(c->size);
  if (root == roots.end() || root->second != c->root) {
    return Bad(entries, c->size == 0 ? 0 : c->size - 1,
               absl::StrCat("stored checkpoint's root for ", c->size,
                            " entries does not match the entries"));
  }
  *size = c->size;
  return std::optional<VerifyReport>();
}

// Read ahead in a whole-family scan. Larger is slower here: RocksDB
// allocates the buffer afresh.
constexpr size_t kScanReadahead = 256 << 10;

// Sums the records of one index family.
absl::StatusOr<MultisetDigest> DigestFamily(const LedgerStore& store,
                                            rocksdb::ColumnFamilyHandle* family,
                                            const rocksdb::Snapshot* snapshot,
                                            const std::atomic<bool>& cancel,
                                            std::string_view what) {
  MultisetDigest digest;
  std::unique_ptr<rocksdb::Iterator> it(
      store.db()->NewIterator(ScanReadOptions(snapshot, kScanReadahead), family));
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (++n % 4096 == 0 && cancel.load(std::memory_order_relaxed)) break;
    digest.Add(it->key().ToStringView(), it->value().ToStringView());
  }
  RETURN_IF_ERROR(FromRocksStatus(it->status(), std::string("cannot read ") + std::string(what)));
  return digest;
}

// Runs the checks that need no earlier entries on a few threads: the
// digests of the two index families, and the entry chunks below the head,
// in order, at most a window of them ahead of the caller. The caller
// takes chunk results in order with Take. Destroying the scheduler stops
// the threads.
class ChunkScheduler {
 public:
  ChunkScheduler(const LedgerStore& store, const rocksdb::Snapshot* snapshot,
                 uint64_t log_size, int chunk_level, unsigned threads)
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

  ~ChunkScheduler() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      cancel_.store(true);
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  const ChunkReadOptions& options() const { return options_; }
  uint64_t chunks() const { return chunks_; }

  // The result of chunk `k`; chunks are taken in order, each once.
  ChunkResult Take(uint64_t k) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_.count(k) > 0; });
    ChunkResult r = std::move(done_[k]);
    done_.erase(k);
    taken_ = k + 1;
    cv_.notify_all();
    return r;
  }

  // The digests of the stream and event-id index families.
  absl::StatusOr<MultisetDigest> TakeIndexDigest(int which) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return index_[which].has_value(); });
    return *index_[which];
  }

 private:
  // Jobs 0 and 1 digest the index families: the longest jobs go first, so
  // that the short chunk jobs even out the threads' finishing times. Then
  // job 2 + k checks chunk k.
  void Work() {
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

// Checks the stored tree nodes above the chunks' subtrees, which the
// chunks' roots give, as they come, in key order per level.
class UpperNodeChecker {
 public:
  UpperNodeChecker(const LedgerStore& store, const rocksdb::Snapshot* snapshot,
                   uint64_t log_size, int chunk_level)
      : store_(store),
        ro_(ScanReadOptions(snapshot, 0)),
        log_size_(log_size),
        chunk_level_(chunk_level) {}

  void AddChunkRoot(const Hash& root) {
    tree_.Append(root, [this](int level, uint64_t index, const Hash& h) {
      if (level > 0) Check(level + chunk_level_, index, h);
    });
  }

  // True when every node was stored as computed, and each level's last
  // node is followed by the key that should follow it.
  bool AllMatch() {
    for (auto& [level, it] : levels_) {
      const std::optional<std::string> after =
          NodeKeyAfter(level, (log_size_ >> level) - 1, log_size_);
      if (after.has_value() ? !it->Valid() || it->key() != rocksdb::Slice(*after)
                            : it->Valid()) {
        match_ = false;
      }
      if (!it->status().ok()) match_ = false;
    }
    return match_;
  }

 private:
  void Check(int level, uint64_t index, const Hash& h) {
    std::unique_ptr<rocksdb::Iterator>& it = levels_[level];
    if (it == nullptr) {
      it.reset(store_.db()->NewIterator(ro_, store_.nodes()));
      it->Seek(NodeKey(level, 0));
    }
    if (!it->Valid() || it->key() != rocksdb::Slice(NodeKey(level, index)) ||
        it->value() != rocksdb::Slice(AsBytes(h).data(), h.size())) {
      match_ = false;
    }
    if (it->Valid()) it->Next();
  }

  const LedgerStore& store_;
  const rocksdb::ReadOptions ro_;
  const uint64_t log_size_;
  const int chunk_level_;
  CompactRange tree_;  // over chunk roots
  std::map<int, std::unique_ptr<rocksdb::Iterator>> levels_;
  bool match_ = true;
};

// Releases a snapshot when it goes.
struct SnapshotHolder {
  rocksdb::DB* db;
  const rocksdb::Snapshot* snapshot;
  ~SnapshotHolder() {
    if (snapshot != nullptr) db->ReleaseSnapshot(snapshot);
  }
};

}  // namespace

absl::StatusOr<VerifyReport> LedgerVerifier::Run(
    const std::function<void(uint64_t, uint64_t)>& progress,
    const std::set<uint64_t>& requested_sizes) {
  absl::StatusOr<LogHead> head_or = store_->ReadHead();
  if (absl::IsDataLoss(head_or.status())) {
    return Bad(0, std::nullopt, std::string(head_or.status().message()));
  }
  RETURN_IF_ERROR(head_or.status());
  const LogHead head = *head_or;

  // Roots wanted: those asked for, and the stored checkpoint's size.
  std::set<uint64_t> root_sizes = requested_sizes;
  {
    ASSIGN_OR_RETURN(std::optional<std::string> note,
                     store_->GetMeta(kMetaCheckpointKey));
    if (note.has_value()) {
      const size_t split = note->rfind("\n\n");
      absl::StatusOr<Checkpoint> c =
          ParseCheckpoint(split == std::string::npos ? "" : note->substr(0, split + 1));
      if (c.ok()) root_sizes.insert(c->size);
    }
  }

  // One view of the database for every reader and thread.
  const SnapshotHolder snapshot{store_->db(), store_->db()->GetSnapshot()};
  const int chunk_level = std::clamp(options_.chunk_level, 0, 30);
  ChunkScheduler scheduler(*store_, snapshot.snapshot, head.size, chunk_level,
                           options_.threads);
  UpperNodeChecker upper_nodes(*store_, snapshot.snapshot, head.size, chunk_level);
  bool nodes_match = true;
  MultisetDigest expected_streams;
  MultisetDigest expected_event_ids;

  // The checks that link each entry to those before it, in log order, over
  // the chunks' results: the chunks below the head from the scheduler, any
  // beyond it (a log longer than its head says) checked here.
  std::unordered_map<std::string, uint64_t> stream_versions;
  std::vector<uint64_t*> versions;  // the chunk's streams' entries in it
  Hash last = kZeroHash;
  absl::Time last_recorded = absl::InfinitePast();
  uint64_t seq = 0;
  for (uint64_t k = 0;; ++k) {
    ChunkResult chunk = k < scheduler.chunks()
                            ? scheduler.Take(k)
                            : CheckEntryChunk(scheduler.options(), k << chunk_level,
                                              chunk_level);
    versions.clear();
    for (const std::string& stream : chunk.streams) {
      versions.push_back(&stream_versions[stream]);
    }
    for (size_t j = 0; j < chunk.entries.size(); ++j, ++seq) {
      if (progress && seq % 65536 == 0) progress(seq, head.size);
      const ChunkEntry& e = chunk.entries[j];
      const bool linked = j == 0 ? chunk.first_prev_hash == AsBytes(last) : e.linked;
      if (!linked) {
        if (seq == 0) {
          return Bad(seq, 0, "entry 0 has a non-zero prev_hash");
        }
        ASSIGN_OR_RETURN(uint64_t blamed,
                         BlameBrokenLink(*store_, seq, chunk.leaves[j], head));
        if (blamed == seq) {
          return Bad(seq, seq,
                     absl::StrCat("prev_hash does not match the leaf hash of "
                                  "sequence ", seq - 1));
        }
        return Bad(seq, blamed,
                   absl::StrCat("entry bytes changed: leaf hash no longer matches "
                                "the prev_hash recorded in sequence ", seq));
      }
      uint64_t& version = *versions[e.stream];
      if (e.stream_version != version + 1) {
        return Bad(seq, seq, absl::StrCat("stream ", chunk.streams[e.stream],
                                          " version ", e.stream_version,
                                          " follows version ", version));
      }
      version = e.stream_version;
      if (e.recorded_at < last_recorded) {
        return Bad(seq, seq,
                   "recorded_at is earlier than the previous entry's");
      }
      last_recorded = e.recorded_at;
      last = chunk.leaves[j];
    }
    expected_streams.Merge(chunk.expected_streams);
    expected_event_ids.Merge(chunk.expected_event_ids);
    nodes_match = nodes_match && chunk.nodes_match;
    if (chunk.root.has_value()) upper_nodes.AddChunkRoot(*chunk.root);
    if (chunk.end == ChunkResult::End::kFault) {
      if (progress && seq % 65536 == 0) progress(seq, head.size);
      return Bad(seq, seq, chunk.fault);
    }
    if (chunk.end == ChunkResult::End::kNoEntry) {
      RETURN_IF_ERROR(chunk.status);
      break;
    }
    if (chunk.end == ChunkResult::End::kCancelled) {
      return absl::InternalError("the verifier's threads stopped early");
    }
  }
  if (progress) progress(seq, head.size);

  if (seq < head.size) {
    return Bad(seq, seq,
               absl::StrCat("entry is missing: the head records ", head.size,
                            " entries but only ", seq, " are stored"));
  }
  if (seq > head.size) {
    return Bad(seq, head.size,
               absl::StrCat("entry beyond the recorded head of ", head.size,
                            " entries"));
  }
  if (seq > 0 && last != head.last_leaf_hash) {
    return Bad(seq, seq - 1,
               "last entry does not hash to the leaf hash recorded in the head");
  }

  ASSIGN_OR_RETURN(MultisetDigest actual_streams, scheduler.TakeIndexDigest(0));
  ASSIGN_OR_RETURN(MultisetDigest actual_event_ids, scheduler.TakeIndexDigest(1));
  if (actual_streams != expected_streams ||
      actual_event_ids != expected_event_ids) {
    return LocateIndexFault(*store_, seq);
  }

  // The chunks compared the nodes inside them and the key after each
  // level's last; the first key of the family closes the chain, so no
  // stray node can hide anywhere.
  {
    std::unique_ptr<rocksdb::Iterator> first(store_->db()->NewIterator(
        ScanReadOptions(snapshot.snapshot, 0), store_->nodes()));
    first->SeekToFirst();
    RETURN_IF_ERROR(FromRocksStatus(first->status(), "cannot read tree nodes"));
    if (seq == 0 ? first->Valid()
                 : !first->Valid() || first->key() != rocksdb::Slice(NodeKey(0, 0))) {
      nodes_match = false;
    }
  }
  if (!upper_nodes.AllMatch()) nodes_match = false;
  if (!nodes_match) return LocateNodeFault(*store_, seq);

  // Every stored node is now the entries' own, so roots come from them.
  std::map<uint64_t, Hash> roots;
  const SubtreeReader read = [this](int level, uint64_t index) {
    return store_->GetNode(level, index);
  };
  for (uint64_t size : root_sizes) {
    if (size == 0) {
      roots[0] = EmptyTreeRoot();
    } else if (size <= seq) {
      ASSIGN_OR_RETURN(roots[size], RangeHash(0, size, read));
    }
  }

  VerifyReport ok;
  ok.entries = seq;
  ASSIGN_OR_RETURN(std::optional<VerifyReport> bad_checkpoint,
                   CheckStoredCheckpoint(*store_, seq, roots, &ok.checkpoint_size));
  if (bad_checkpoint.has_value()) return *bad_checkpoint;
  for (uint64_t size : requested_sizes) {
    if (auto r = roots.find(size); r != roots.end()) ok.roots.insert(*r);
  }
  return ok;
}

}  // namespace ledger
