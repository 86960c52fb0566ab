#include "ledger/entry_chunk.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "ledger/entry.h"
#include "ledger/entry_view.h"
#include "ledger/keys.h"
#include "ledger/store.h"

namespace ledger {

namespace {

// How often a chunk looks at its cancel flag.
constexpr uint64_t kCancelCheckEvery = 1024;

// A chunk reads its entries in order, a few megabytes of them. (Larger
// reads ahead are slower: RocksDB allocates the buffer afresh.)
constexpr size_t kEntriesReadahead = 256 << 10;

bool Cancelled(const ChunkReadOptions& o) {
  return o.cancel != nullptr && o.cancel->load(std::memory_order_relaxed);
}

// Compares the stored nodes of the complete subtrees inside
// [begin, begin + count), level by level up to `top_level`, and
// the key that follows the last node of each level.
bool ChunkNodesMatch(rocksdb::Iterator* it, uint64_t begin, const Hash* leaves,
                     uint64_t count, uint64_t log_size, int top_level,
                     std::optional<Hash>* root) {
  std::vector<Hash> level(leaves, leaves + count);
  const uint64_t end = begin + count;
  for (int l = 0; l <= top_level; ++l) {
    const uint64_t lo = begin >> l, hi = end >> l;
    if (hi == lo) break;
    if (l > 0) {
      for (uint64_t j = 0; j < hi - lo; ++j) {
        level[j] = NodeHash(level[2 * j], level[2 * j + 1]);
      }
    }
    if (l == top_level) *root = level[0];
    if (l < kLowestStoredNodeLevel) continue;  // not stored: nothing to compare
    it->Seek(NodeKey(l, lo));
    for (uint64_t j = 0; j < hi - lo; ++j, it->Next()) {
      if (!it->Valid() || it->key() != rocksdb::Slice(NodeKey(l, lo + j)) ||
          it->value() != rocksdb::Slice(reinterpret_cast<const char*>(level[j].data()),
                                        level[j].size())) {
        return false;
      }
    }
    const std::optional<std::string> after = NodeKeyAfter(l, hi - 1, log_size);
    if (after.has_value() ? !it->Valid() || it->key() != rocksdb::Slice(*after)
                          : it->Valid()) {
      return false;
    }
  }
  return it->status().ok();
}

}  // namespace

rocksdb::ReadOptions ScanReadOptions(const rocksdb::Snapshot* snapshot,
                                     size_t readahead) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  ro.readahead_size = readahead;
  return ro;
}

std::optional<std::string> NodeKeyAfter(int level, uint64_t index,
                                        uint64_t log_size) {
  if (index + 1 < (log_size >> level)) return NodeKey(level, index + 1);
  if (level < 63 && (log_size >> (level + 1)) > 0) return NodeKey(level + 1, 0);
  return std::nullopt;
}

ChunkResult CheckEntryChunk(const ChunkReadOptions& options, uint64_t begin,
                            int chunk_level) {
  const uint64_t size = uint64_t{1} << chunk_level;
  ChunkResult r;
  r.begin = begin;
  r.entries.reserve(size);
  r.leaves.reserve(size);

  std::unique_ptr<rocksdb::Iterator> it(options.db->NewIterator(
      ScanReadOptions(options.snapshot, kEntriesReadahead), options.entries));
  if (begin == 0) {
    it->SeekToFirst();
  } else {
    it->Seek(EntryKey(begin - 1));
    if (it->Valid()) it->Next();
  }

  StoredEntryView view;
  absl::flat_hash_map<std::string, uint32_t> stream_slots;
  uint32_t last_slot = 0;
  std::string key_buf, value_buf;
  uint64_t pos = begin;
  for (; pos < begin + size; ++pos, it->Next()) {
    if ((pos - begin) % kCancelCheckEvery == 0 && Cancelled(options)) {
      r.end = ChunkResult::End::kCancelled;
      return r;
    }
    if (!it->Valid()) break;
    auto fail = [&](std::string reason) {
      r.end = ChunkResult::End::kFault;
      r.fault = std::move(reason);
    };
    const std::optional<uint64_t> key = DecodeBigEndian64(it->key().ToStringView());
    if (!key.has_value()) {
      fail("entries family holds a malformed key");
      return r;
    }
    if (*key != pos) {
      fail(absl::StrCat("entry is missing (the next stored entry is ", *key, ")"));
      return r;
    }
    const std::string_view bytes = it->value().ToStringView();
    if (absl::Status s = view.Read(bytes); !s.ok()) {
      fail(std::string(s.message()));
      return r;
    }
    const Hash leaf = LeafHash(bytes);
    if (view.sequence() != pos) {
      fail(absl::StrCat("entry stored at sequence ", pos, " records sequence ",
                        view.sequence()));
      return r;
    }
    ChunkEntry e;
    if (pos == begin) {
      r.first_prev_hash = std::string(view.prev_hash());
    } else {
      e.linked = view.prev_hash() == AsBytes(r.leaves.back());
    }
    // Streams are few per chunk, and runs of one stream common: name each
    // once, in the chunk's own list.
    if (r.streams.empty() || r.streams[last_slot] != view.stream()) {
      // (This abseil's string_view is not std::string_view.)
      auto [slot, added] = stream_slots.try_emplace(
          absl::string_view(view.stream().data(), view.stream().size()),
          static_cast<uint32_t>(r.streams.size()));
      if (added) r.streams.emplace_back(view.stream());
      last_slot = slot->second;
    }
    e.stream = last_slot;
    e.stream_version = view.stream_version();
    e.recorded_at = view.recorded_at();
    r.entries.push_back(e);
    r.leaves.push_back(leaf);

    key_buf.clear();
    AppendStreamIndexKey(&key_buf, view.stream(), view.stream_version());
    value_buf.clear();
    AppendBigEndian64(&value_buf, pos);
    r.expected_streams.Add(key_buf, value_buf);
    value_buf.clear();
    AppendEventIdRecord(&value_buf, {pos, view.stream_version()});
    r.expected_event_ids.Add(view.event_id(), value_buf);
  }
  if (!it->status().ok()) {
    r.end = ChunkResult::End::kNoEntry;
    r.status = FromRocksStatus(it->status(), "cannot read entries");
    return r;
  }
  if (pos < begin + size) r.end = ChunkResult::End::kNoEntry;

  // The nodes of the subtrees inside the chunk and inside the log.
  const uint64_t in_log = options.log_size > begin
                              ? std::min(options.log_size - begin, size)
                              : 0;
  if (in_log > 0 && r.leaves.size() >= in_log) {
    // One seek per level: RocksDB's growing readahead suits it.
    std::unique_ptr<rocksdb::Iterator> nodes(
        options.db->NewIterator(ScanReadOptions(options.snapshot, 0), options.nodes));
    r.nodes_match = ChunkNodesMatch(nodes.get(), begin, r.leaves.data(), in_log,
                                    options.log_size, chunk_level, &r.root);
  }
  return r;
}

UpperNodeChecker::UpperNodeChecker(const ChunkReadOptions& options, int chunk_level)
    : options_(options), chunk_level_(chunk_level) {}

void UpperNodeChecker::AddChunkRoot(const Hash& root) {
  tree_.Append(root, [this](int level, uint64_t index, const Hash& h) {
    if (level > 0) Check(level + chunk_level_, index, h);
  });
}

void UpperNodeChecker::Check(int level, uint64_t index, const Hash& h) {
  if (level < kLowestStoredNodeLevel) return;  // not stored
  std::unique_ptr<rocksdb::Iterator>& it = levels_[level];
  if (it == nullptr) {
    it.reset(options_.db->NewIterator(ScanReadOptions(options_.snapshot, 0),
                                      options_.nodes));
    it->Seek(NodeKey(level, 0));
  }
  if (!it->Valid() || it->key() != rocksdb::Slice(NodeKey(level, index)) ||
      it->value() != rocksdb::Slice(AsBytes(h).data(), h.size())) {
    match_ = false;
  }
  if (it->Valid()) it->Next();
}

bool UpperNodeChecker::AllMatch() {
  for (auto& [level, it] : levels_) {
    const std::optional<std::string> after =
        NodeKeyAfter(level, (options_.log_size >> level) - 1, options_.log_size);
    if (after.has_value() ? !it->Valid() || it->key() != rocksdb::Slice(*after)
                          : it->Valid()) {
      match_ = false;
    }
    if (!it->status().ok()) match_ = false;
  }
  return match_;
}

}  // namespace ledger
