#include "ledger/verifier.h"

#include <algorithm>
#include <map>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/chunk_scheduler.h"
#include "ledger/entry.h"
#include "ledger/entry_chunk.h"
#include "ledger/merkle.h"
#include "ledger/multiset_digest.h"
#include "ledger/signed_note.h"
#include "ledger/status_macros.h"

namespace ledger {

namespace {

// Reading past the file cache, each thread waits for its own reads: four
// threads a core keep the cores busy meanwhile (docs/performance.md, item
// 20: at 10M entries 8.3-8.5 s with 8 threads on 2 cores, 9.6-11.0 s
// with 4, 13.7 s with 2).
constexpr unsigned kThreadsPerCoreReadingDirect = 4;

unsigned CheckingThreads(unsigned asked, const LedgerStore& store) {
  if (asked != 0) return asked;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return store.reads_direct() ? cores * kThreadsPerCoreReadingDirect : cores;
}

using ledger::v1::Entry;

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
                  if (bad.has_value() || level < kLowestStoredNodeLevel) return;
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
                           CheckingThreads(options_.threads, *store_));
  UpperNodeChecker upper_nodes(scheduler.options(), chunk_level);
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

  // The chunks compared the nodes inside them, each with the key after
  // it; the first key of the family (the first stored level's first node,
  // or none in a log too small to have one) closes the chain, so no stray
  // node can hide anywhere.
  {
    std::unique_ptr<rocksdb::Iterator> first(store_->db()->NewIterator(
        ScanReadOptions(snapshot.snapshot, 0), store_->nodes()));
    first->SeekToFirst();
    RETURN_IF_ERROR(FromRocksStatus(first->status(), "cannot read tree nodes"));
    const std::optional<std::string> want = FirstNodeKey(seq);
    if (!want.has_value() ? first->Valid()
                          : !first->Valid() || first->key() != rocksdb::Slice(*want)) {
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
