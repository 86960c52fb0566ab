// Tests of TreeTopCache: what it keeps, what it drops as the tree grows,
// that its memory stays within its bound, and that readers and a writer may
// use it at once.
#include "ledger/tree_top_cache.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"

namespace ledger {
namespace {

using ::testing::Eq;
using ::testing::Optional;

// A hash that names its node, so a node served for another shows.
Hash NodeName(int level, uint64_t index) {
  Hash h{};
  h[0] = static_cast<uint8_t>(level);
  for (int b = 0; b < 8; ++b) h[1 + b] = static_cast<uint8_t>(index >> (8 * b));
  h[31] = 0xAA;
  return h;
}

// One node at a time, through the batch calls the store makes.
std::optional<Hash> Find(const TreeTopCache& cache, int level, uint64_t index) {
  std::vector<std::optional<Hash>> out(1);
  cache.FindMany({{level, index}}, &out);
  return out[0];
}
void Insert(TreeTopCache& cache, int level, uint64_t index, const Hash& h) {
  cache.Insert({{level, index, h}});
}

// The lowest level whose node count, for a tree of `leaves`, is within
// `bound`.
int LowestWithin(uint64_t leaves, uint64_t bound) {
  int level = 0;
  while ((leaves >> level) > bound) ++level;
  return level;
}

TEST(TreeTopCacheTest, FindsWhatWasInsertedAndNothingElse) {
  TreeTopCache cache(16);
  EXPECT_EQ(Find(cache, 3, 0), std::nullopt);
  EXPECT_EQ(cache.lowest_level(), 64);
  Insert(cache, 3, 0, NodeName(3, 0));
  cache.Insert({{4, 0, NodeName(4, 0)}, {3, 1, NodeName(3, 1)}});
  EXPECT_THAT(Find(cache, 3, 0), Optional(Eq(NodeName(3, 0))));
  EXPECT_THAT(Find(cache, 3, 1), Optional(Eq(NodeName(3, 1))));
  EXPECT_THAT(Find(cache, 4, 0), Optional(Eq(NodeName(4, 0))));
  EXPECT_EQ(Find(cache, 3, 2), std::nullopt);
  EXPECT_EQ(Find(cache, 5, 0), std::nullopt);
  EXPECT_EQ(cache.nodes(), 3u);

  std::vector<std::optional<Hash>> out(4);
  out[3] = NodeName(9, 9);  // left alone where nothing is held
  cache.FindMany({{4, 0}, {3, 2}, {3, 1}, {7, 0}}, &out);
  EXPECT_THAT(out[0], Optional(Eq(NodeName(4, 0))));
  EXPECT_EQ(out[1], std::nullopt);
  EXPECT_THAT(out[2], Optional(Eq(NodeName(3, 1))));
  EXPECT_THAT(out[3], Optional(Eq(NodeName(9, 9))));

  // Inserting a node again changes nothing.
  Insert(cache, 3, 0, NodeName(3, 0));
  EXPECT_EQ(cache.nodes(), 3u);
}

TEST(TreeTopCacheTest, NodesThatCannotExistAreIgnored) {
  TreeTopCache cache(16);
  Insert(cache, -1, 0, NodeName(1, 1));
  Insert(cache, 64, 0, NodeName(1, 1));
  Insert(cache, 0, UINT64_MAX, NodeName(1, 1));
  Insert(cache, 63, 1, NodeName(1, 1));  // would end past 2^64 leaves
  Insert(cache, 62, 3, NodeName(1, 1));  // so would this
  EXPECT_EQ(cache.nodes(), 0u);
  EXPECT_EQ(cache.lowest_level(), 64);
  EXPECT_EQ(Find(cache, -1, 0), std::nullopt);
  EXPECT_EQ(Find(cache, 64, 0), std::nullopt);
  EXPECT_EQ(Find(cache, 63, 1), std::nullopt);
  // The largest tree there can be: its top node is kept, and every level
  // below the bound's is not.
  Insert(cache, 63, 0, NodeName(63, 0));
  EXPECT_THAT(Find(cache, 63, 0), Optional(Eq(NodeName(63, 0))));
  EXPECT_EQ(cache.lowest_level(), LowestWithin(uint64_t{1} << 63, 16));
  Insert(cache, 3, 0, NodeName(3, 0));
  EXPECT_EQ(Find(cache, 3, 0), std::nullopt);
  EXPECT_EQ(cache.nodes(), 1u);

  // The last node of level 62 that fits ends at 3 * 2^62 leaves.
  TreeTopCache other(16);
  Insert(other, 62, 2, NodeName(62, 2));
  EXPECT_THAT(Find(other, 62, 2), Optional(Eq(NodeName(62, 2))));
}

// Every node of a tree growing to 4,096 leaves is read (inserted) as the
// tree completes it, as proofs at growing sizes would: the levels kept rise
// with the tree, the ones dropped are gone, and the count never passes
// twice the bound.
TEST(TreeTopCacheTest, KeepsOnlyTheUpperLevelsAsTheTreeGrows) {
  constexpr uint64_t kBound = 8;
  TreeTopCache cache(kBound);
  size_t most = 0;
  CompactRange tree;
  size_t most_bytes = 0;
  for (uint64_t leaf = 0; leaf < 4096; ++leaf) {
    Insert(cache, 0, leaf, NodeName(0, leaf));
    tree.Append(NodeName(0, leaf), [&](int level, uint64_t index, const Hash&) {
      if (level > 0) Insert(cache, level, index, NodeName(level, index));
    });
    const uint64_t size = leaf + 1;
    ASSERT_EQ(cache.lowest_level(), LowestWithin(size, kBound)) << size;
    ASSERT_LE(cache.nodes(), 2 * kBound) << size;
    most = std::max(most, cache.nodes());
    most_bytes = std::max(most_bytes, cache.bytes());
  }
  // The storage itself stays within the bound too: dropped levels are
  // freed, and a kept level's vectors hold at most twice its nodes.
  EXPECT_LE(most_bytes, 4 * kBound * (sizeof(Hash) + 1) + 64 * 8);
  EXPECT_GT(most, kBound);  // the bound is not trivially met by keeping nothing
  const int lowest = cache.lowest_level();
  EXPECT_EQ(lowest, LowestWithin(4096, kBound));
  // Every complete node of a kept level is there, and right.
  for (int level = lowest; level <= 12; ++level) {
    for (uint64_t index = 0; index < (uint64_t{4096} >> level); ++index) {
      EXPECT_THAT(Find(cache, level, index), Optional(Eq(NodeName(level, index))))
          << level << " " << index;
    }
  }
  // The levels below are gone, including ones kept earlier.
  EXPECT_EQ(Find(cache, lowest - 1, 0), std::nullopt);
  EXPECT_EQ(Find(cache, 0, 0), std::nullopt);
  // And a node of a dropped level is not kept again.
  Insert(cache, lowest - 1, 0, NodeName(lowest - 1, 0));
  EXPECT_EQ(Find(cache, lowest - 1, 0), std::nullopt);
}

// A tree size noted before any node is read sets the levels kept as a node
// ending there would, so a warm-up that reads levels bottom-up keeps only
// what the whole tree's bound allows.
TEST(TreeTopCacheTest, NoteTreeSizeKeepsTheLevelsForThatSize) {
  constexpr uint64_t kBound = 16;
  TreeTopCache cache(kBound);
  EXPECT_EQ(cache.NoteTreeSize(0), 64);
  EXPECT_EQ(cache.NoteTreeSize(1300), LowestWithin(1300, kBound));  // 7
  Insert(cache, 6, 0, NodeName(6, 0));
  Insert(cache, 7, 9, NodeName(7, 9));
  EXPECT_EQ(Find(cache, 6, 0), std::nullopt);
  EXPECT_THAT(Find(cache, 7, 9), Optional(Eq(NodeName(7, 9))));
  // A smaller size changes nothing; a larger one drops level 7.
  EXPECT_EQ(cache.NoteTreeSize(100), 7);
  EXPECT_THAT(Find(cache, 7, 9), Optional(Eq(NodeName(7, 9))));
  EXPECT_EQ(cache.NoteTreeSize(4096), LowestWithin(4096, kBound));  // 8
  EXPECT_EQ(Find(cache, 7, 9), std::nullopt);
  EXPECT_EQ(cache.nodes(), 0u);
}

// A level filled left to right, as a warm-up fills it, never takes more
// storage than the bound's worth of nodes, however its vectors grow.
TEST(TreeTopCacheTest, ALevelsStorageNeverPassesTheBound) {
  constexpr uint64_t kBound = 1000;  // not a power of two
  TreeTopCache cache(kBound);
  ASSERT_EQ(cache.NoteTreeSize(kBound * 8), 3);
  for (uint64_t index = 0; index < kBound; ++index) {
    Insert(cache, 3, index, NodeName(3, index));
    ASSERT_LE(cache.bytes(), kBound * sizeof(Hash) + kBound / 8 + 64) << index;
  }
  EXPECT_EQ(cache.nodes(), kBound);
  EXPECT_THAT(Find(cache, 3, kBound - 1), Optional(Eq(NodeName(3, kBound - 1))));
}

// Readers and a writer at once (the sanitizer build runs this under TSan).
TEST(TreeTopCacheTest, ReadersAndAWriterAtOnce) {
  TreeTopCache cache(64);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> wrong{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        for (int level = 0; level < 14; ++level) {
          std::optional<Hash> h = Find(cache, level, 1);
          if (h.has_value() && *h != NodeName(level, 1)) wrong.fetch_add(1);
        }
        std::vector<std::optional<Hash>> out(2);
        cache.FindMany({{10, 0}, {11, 0}}, &out);
        if (out[0].has_value() && *out[0] != NodeName(10, 0)) wrong.fetch_add(1);
      }
    });
  }
  for (uint64_t leaf = 0; leaf < 16384; ++leaf) {
    for (int level = 0; level < 15 && ((leaf + 1) % (uint64_t{1} << level)) == 0; ++level) {
      const uint64_t index = leaf >> level;
      Insert(cache, level, index, NodeName(level, index));
    }
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_THAT(Find(cache, 14, 0), Optional(Eq(NodeName(14, 0))));
  EXPECT_LE(cache.nodes(), 2u * 64);
}

}  // namespace
}  // namespace ledger
