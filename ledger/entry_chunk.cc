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

// Whether node (level, index) is stored as `h` and followed by the key
// that should follow it (NodeKeyAfter): checked for every node, this and
// the family's first key leave no room for a stray key anywhere. Seeks
// only when `it` is not already at the node's key, so nodes checked in key
// order cost one step each.
bool NodeStoredAs(rocksdb::Iterator* it, int level, uint64_t index, const Hash& h,
                  uint64_t log_size) {
  const std::string key = NodeKey(level, index);
  if (!it->Valid() || it->key() != rocksdb::Slice(key)) it->Seek(key);
  if (!it->Valid() || it->key() != rocksdb::Slice(key) ||
      it->value() != rocksdb::Slice(reinterpret_cast<const char*>(h.data()), h.size())) {
    return false;
  }
  it->Next();
  const std::optional<std::string> after = NodeKeyAfter(level, index, log_size);
  return after.has_value() ? it->Valid() && it->key() == rocksdb::Slice(*after)
                           : !it->Valid();
}

// Compares the stored nodes of the complete subtrees inside
// [begin, begin + count), up to level `top_level`, in key order: the
// tiles' levels tile by tile, then each level above them.
bool ChunkNodesMatch(rocksdb::Iterator* it, uint64_t begin, const Hash* leaves,
                     uint64_t count, uint64_t log_size, int top_level,
                     std::optional<Hash>* root) {
  // levels[l][j]: node (l, (begin >> l) + j).
  std::vector<std::vector<Hash>> levels(top_level + 1);
  levels[0].assign(leaves, leaves + count);
  const uint64_t end = begin + count;
  for (int l = 1; l <= top_level; ++l) {
    const uint64_t width = (end >> l) - (begin >> l);
    if (width == 0) break;
    const std::vector<Hash>& below = levels[l - 1];
    levels[l].resize(width);
    for (uint64_t j = 0; j < width; ++j) {
      levels[l][j] = NodeHash(below[2 * j], below[2 * j + 1]);
    }
  }
  if (levels[top_level].size() == 1) *root = levels[top_level][0];
  auto stored = [&](int l, uint64_t index) {
    return NodeStoredAs(it, l, index, levels[l][index - (begin >> l)], log_size);
  };

  const int top_tiled = std::min(top_level, kTileLevel - 1);
  if (top_tiled >= kLowestStoredNodeLevel && count >= (uint64_t{1} << kLowestStoredNodeLevel)) {
    for (uint64_t tile = begin >> kTileLevel; tile <= (end - 1) >> kTileLevel; ++tile) {
      for (const TileNode& n : TileNodesInKeyOrder()) {
        if (n.level > top_tiled) continue;
        const uint64_t index = (tile << (kTileLevel - n.level)) | n.i;
        if (index < (begin >> n.level) || index >= (end >> n.level)) continue;
        if (!stored(n.level, index)) return false;
      }
    }
  }
  for (int l = kTileLevel; l <= top_level; ++l) {
    for (uint64_t index = begin >> l; index < (end >> l); ++index) {
      if (!stored(l, index)) return false;
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
  }
  if (!NodeStoredAs(it.get(), level, index, h, options_.log_size)) match_ = false;
}

bool UpperNodeChecker::AllMatch() {
  for (auto& [level, it] : levels_) {
    if (!it->status().ok()) match_ = false;
  }
  return match_;
}

}  // namespace ledger
