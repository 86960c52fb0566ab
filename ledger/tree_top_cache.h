// TreeTopCache: the upper levels of the Merkle tree, kept in memory as
// proofs read them (and as LedgerStore::WarmTreeTopCache reads them all at
// once), so that a proof reads only its lower nodes from RocksDB. Every
// proof needs one node of each upper level, and those levels are small: at
// 10,000,000 entries, levels 6 and up hold about 312,000 nodes, 9.5 MiB,
// and a proof then reads only levels 3 to 5 of its tile (ledger/keys.h),
// which lie together, and the entries levels 0 to 2 are hashed from.
//
// Only complete subtrees are ever stored (ledger/merkle.h), and a complete
// subtree's hash never changes, so a node read once is right for good: the
// cache holds no dirty state and needs no invalidation.
//
// Memory stays bounded as the log grows: a level is kept only while it
// holds at most `lowest_level_nodes` nodes (counting up to the furthest
// node seen so far), so the levels kept hold at most twice that together
// (with the default, 16 MiB of hashes), and no level's storage is ever
// larger than that bound. As the tree grows past a level's bound, that
// level is dropped.
//
// Thread safety: all methods may be called from any thread.
#ifndef LEDGER_TREE_TOP_CACHE_H_
#define LEDGER_TREE_TOP_CACHE_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "ledger/hash.h"
#include "ledger/keys.h"

namespace ledger {

class TreeTopCache {
 public:
  static constexpr uint64_t kDefaultLowestLevelNodes = uint64_t{1} << 18;

  explicit TreeTopCache(uint64_t lowest_level_nodes = kDefaultLowestLevelNodes);
  TreeTopCache(const TreeTopCache&) = delete;
  TreeTopCache& operator=(const TreeTopCache&) = delete;

  // The held hashes of nodes `ids`, under one lock: (*out)[i] for ids[i],
  // left as it was where not held (and for any level or index that cannot
  // name a node). `out` has ids.size() elements.
  void FindMany(const std::vector<NodeKeyParts>& ids,
                std::vector<std::optional<Hash>>* out) const;

  struct Node {
    int level;
    uint64_t index;
    Hash hash;
  };
  // Records that each complete subtree (level, index) hashes to `hash`, as
  // the caller read it from the store. Each is kept if its level is kept.
  // When none could be (all below the levels kept, and none further right
  // than any before), this takes no lock: most of a proof's reads are.
  void Insert(const std::vector<Node>& nodes);

  // Records that the tree has at least `leaves` leaves, as if a node
  // ending there had been inserted: the levels kept are then those for
  // that size, and levels below are dropped. Returns the lowest level kept.
  int NoteTreeSize(uint64_t leaves);

  // The lowest level kept now (64 before any insert: none).
  int lowest_level() const;
  // Nodes held, over all levels (counted: for tests and figures).
  size_t nodes() const;
  // Bytes the levels' storage takes (their vectors' capacity): what the
  // bound is about.
  size_t bytes() const;

 private:
  struct Level {
    std::vector<Hash> hash;
    std::vector<bool> have;
  };
  static constexpr int kLevels = 64;

  bool HeldLocked(int level, uint64_t index) const;
  // Raises reach_ to `end` if it is further, dropping the levels that have
  // outgrown the bound.
  void ReachLocked(uint64_t end);
  // The end of subtree (level, index) in leaves; 0 if it cannot name one.
  static uint64_t EndOf(int level, uint64_t index);

  const uint64_t lowest_level_nodes_;
  mutable std::mutex mu_;
  // Leaves covered by the furthest node inserted: the tree is at least
  // this large. Both only grow; written under mu_, read without it by
  // Insert's check for nothing to do.
  std::atomic<uint64_t> reach_{0};
  std::atomic<int> lowest_{kLevels};
  std::array<Level, kLevels> levels_;
};

}  // namespace ledger

#endif  // LEDGER_TREE_TOP_CACHE_H_
