#include "ledger/tree_top_cache.h"

#include <algorithm>
#include <limits>
#include <mutex>

namespace ledger {

TreeTopCache::TreeTopCache(uint64_t lowest_level_nodes)
    : lowest_level_nodes_(std::max<uint64_t>(lowest_level_nodes, 1)) {}

uint64_t TreeTopCache::EndOf(int level, uint64_t index) {
  if (level < 0 || level >= kLevels) return 0;
  // (index + 1) << level, when that fits in 64 bits.
  if (index >= (std::numeric_limits<uint64_t>::max() >> level)) return 0;
  return (index + 1) << level;
}

bool TreeTopCache::HeldLocked(int level, uint64_t index) const {
  if (level < lowest_ || level >= kLevels) return false;
  const Level& l = levels_[level];
  return index < l.have.size() && l.have[index];
}

void TreeTopCache::FindMany(const std::vector<NodeKeyParts>& ids,
                            std::vector<std::optional<Hash>>* out) const {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (HeldLocked(ids[i].level, ids[i].index)) {
      (*out)[i] = levels_[ids[i].level].hash[ids[i].index];
    }
  }
}

void TreeTopCache::Insert(const std::vector<Node>& nodes) {
  // reach_ and lowest_ only grow, so a node below the levels kept and
  // within the reach seen (possibly earlier) is one the locked pass below
  // would drop too.
  const uint64_t reach = reach_.load(std::memory_order_relaxed);
  const int lowest_now = lowest_.load(std::memory_order_relaxed);
  if (std::all_of(nodes.begin(), nodes.end(), [&](const Node& n) {
        return n.level < lowest_now && EndOf(n.level, n.index) <= reach;
      })) {
    return;
  }
  std::lock_guard lock(mu_);
  for (const Node& n : nodes) {
    const uint64_t end = EndOf(n.level, n.index);
    if (end == 0) continue;
    ReachLocked(end);
    if (n.level < lowest_) continue;
    // A level kept holds at most reach_ >> level <= lowest_level_nodes_
    // nodes, so the index is below that bound, and so is the capacity
    // asked for here.
    Level& l = levels_[n.level];
    if (n.index >= l.have.size()) {
      if (n.index >= l.hash.capacity()) {
        const uint64_t capacity = std::min<uint64_t>(
            std::max<uint64_t>(2 * l.hash.capacity(), n.index + 1), lowest_level_nodes_);
        l.hash.reserve(capacity);
        l.have.reserve(capacity);
      }
      l.hash.resize(n.index + 1);
      l.have.resize(n.index + 1, false);
    }
    l.have[n.index] = true;
    l.hash[n.index] = n.hash;
  }
}

void TreeTopCache::ReachLocked(uint64_t end) {
  if (end <= reach_) return;
  reach_ = end;
  int lowest = 0;
  while (lowest < kLevels && (end >> lowest) > lowest_level_nodes_) ++lowest;
  // reach_ only grows, so the lowest level kept only rises. Levels grown
  // past their bound are dropped and their memory freed.
  if (lowest_ != kLevels) {
    for (int l = lowest_; l < lowest; ++l) {
      Level& dropped = levels_[l];
      std::vector<Hash>().swap(dropped.hash);
      std::vector<bool>().swap(dropped.have);
    }
  }
  lowest_ = lowest;
}

int TreeTopCache::NoteTreeSize(uint64_t leaves) {
  std::lock_guard lock(mu_);
  ReachLocked(leaves);
  return lowest_;
}

int TreeTopCache::lowest_level() const {
  std::lock_guard lock(mu_);
  return lowest_;
}

size_t TreeTopCache::nodes() const {
  std::lock_guard lock(mu_);
  size_t held = 0;
  for (const Level& l : levels_) {
    held += static_cast<size_t>(std::count(l.have.begin(), l.have.end(), true));
  }
  return held;
}

size_t TreeTopCache::bytes() const {
  std::lock_guard lock(mu_);
  size_t total = 0;
  for (const Level& l : levels_) {
    total += l.hash.capacity() * sizeof(Hash) + (l.have.capacity() + 7) / 8;
  }
  return total;
}

}  // namespace ledger
