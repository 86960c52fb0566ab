// Tests of the RocksDB key and value encodings: byte order, the stream
// index's prefix property, and rejection of malformed bytes.
#include "ledger/keys.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/comparator.h"

namespace ledger {
namespace {

using ::testing::Optional;

// RocksDB's default order, which the encodings are designed for.
int Compare(const std::string& a, const std::string& b) {
  return rocksdb::BytewiseComparator()->Compare(a, b);
}

const std::vector<uint64_t>& InterestingValues() {
  static const std::vector<uint64_t> v = {
      0,          1,          2,          127,         128,
      255,        256,        257,        65535,       65536,
      0xffffff,   0x1000000,  0x7fffffff, 0x80000000,  0xffffffff,
      0x100000000ULL,         0x7fffffffffffffffULL,   0x8000000000000000ULL,
      UINT64_MAX - 1,         UINT64_MAX};
  return v;
}

TEST(BigEndianTest, EncodesMostSignificantByteFirst) {
  EXPECT_EQ(EncodeBigEndian64(0x0102030405060708ULL),
            std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(EncodeBigEndian64(0), std::string(8, '\0'));
  EXPECT_EQ(EncodeBigEndian64(UINT64_MAX), std::string(8, '\xff'));
  EXPECT_EQ(EncodeBigEndian64(256), std::string("\0\0\0\0\0\0\x01\x00", 8));
}

TEST(BigEndianTest, AppendAddsToTheEnd) {
  std::string s = "key:";
  AppendBigEndian64(&s, 0x0a0b);
  EXPECT_EQ(s, std::string("key:\0\0\0\0\0\0\x0a\x0b", 12));
}

TEST(BigEndianTest, BytewiseOrderIsNumericOrder) {
  const std::vector<uint64_t>& values = InterestingValues();
  for (uint64_t a : values) {
    for (uint64_t b : values) {
      const int cmp = Compare(EncodeBigEndian64(a), EncodeBigEndian64(b));
      EXPECT_EQ(cmp < 0, a < b) << a << " vs " << b;
      EXPECT_EQ(cmp == 0, a == b) << a << " vs " << b;
      // std::string compares char as unsigned too; keep both in step.
      EXPECT_EQ(EncodeBigEndian64(a) < EncodeBigEndian64(b), a < b)
          << a << " vs " << b;
    }
  }
}

TEST(BigEndianTest, RoundTrips) {
  for (uint64_t v : InterestingValues()) {
    EXPECT_THAT(DecodeBigEndian64(EncodeBigEndian64(v)), Optional(v));
  }
}

TEST(BigEndianTest, DecodeRejectsWrongLength) {
  EXPECT_EQ(DecodeBigEndian64(""), std::nullopt);
  EXPECT_EQ(DecodeBigEndian64(std::string(7, '\0')), std::nullopt);
  EXPECT_EQ(DecodeBigEndian64(std::string(9, '\0')), std::nullopt);
  EXPECT_EQ(DecodeBigEndian64(std::string(16, '\0')), std::nullopt);
}

TEST(EntryKeyTest, IsBigEndianSequence) {
  EXPECT_EQ(EntryKey(0x1234), EncodeBigEndian64(0x1234));
  EXPECT_LT(Compare(EntryKey(255), EntryKey(256)), 0);
  EXPECT_LT(Compare(EntryKey(9), EntryKey(10)), 0);
}

TEST(StreamIndexKeyTest, LayoutIsStreamZeroByteVersion) {
  EXPECT_EQ(StreamIndexKey("body/SUAG", 3),
            std::string("body/SUAG\0\0\0\0\0\0\0\0\x03", 18));
  EXPECT_EQ(StreamIndexPrefix("body/SUAG"), std::string("body/SUAG\0", 10));
}

TEST(StreamIndexKeyTest, ParseRoundTrips) {
  const std::vector<std::string> streams = {
      "a", "a/b", "recommendation/R-2026-014", std::string(200, 'x'), "~!"};
  for (const std::string& stream : streams) {
    for (uint64_t version : InterestingValues()) {
      std::optional<StreamIndexKeyParts> parts =
          ParseStreamIndexKey(StreamIndexKey(stream, version));
      ASSERT_TRUE(parts.has_value()) << stream << " " << version;
      EXPECT_EQ(parts->stream, stream);
      EXPECT_EQ(parts->version, version);
    }
  }
}

TEST(StreamIndexKeyTest, VersionsOfOneStreamSortNumerically) {
  const std::vector<uint64_t>& values = InterestingValues();
  for (uint64_t a : values) {
    for (uint64_t b : values) {
      const int cmp = Compare(StreamIndexKey("s", a), StreamIndexKey("s", b));
      EXPECT_EQ(cmp < 0, a < b) << a << " vs " << b;
    }
  }
}

TEST(StreamIndexKeyTest, PrefixMatchesOnlyItsOwnStream) {
  const std::vector<std::string> streams = {"a",   "a/b", "ab", "a0",
                                            "a/",  "b",   "A",  "a/b/c"};
  for (const std::string& owner : streams) {
    const std::string prefix = StreamIndexPrefix(owner);
    for (const std::string& other : streams) {
      for (uint64_t version : {0ULL, 1ULL, 256ULL, 0xffffffffffffffffULL}) {
        const std::string key = StreamIndexKey(other, version);
        const bool has_prefix = key.compare(0, prefix.size(), prefix) == 0;
        EXPECT_EQ(has_prefix, owner == other)
            << "key of '" << other << "' v" << version << " vs prefix of '"
            << owner << "'";
      }
    }
  }
}

TEST(StreamIndexKeyTest, EachStreamsKeysAreContiguous) {
  // Sort keys of streams whose names prefix one another; every stream's keys
  // must form one run, so a seek within a stream never meets another.
  const std::vector<std::string> streams = {"a", "a/b", "ab", "a/", "a!",
                                            "a/b/c", "b", "a~"};
  std::vector<std::pair<std::string, std::string>> keyed;  // key, stream
  for (const std::string& s : streams) {
    for (uint64_t v : {uint64_t{1}, uint64_t{2}, uint64_t{255}, uint64_t{256},
                       uint64_t{70000}, UINT64_MAX}) {
      keyed.emplace_back(StreamIndexKey(s, v), s);
    }
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) {
    return Compare(x.first, y.first) < 0;
  });
  std::set<std::string> finished;
  for (size_t i = 0; i < keyed.size(); ++i) {
    const std::string& stream = keyed[i].second;
    EXPECT_EQ(finished.count(stream), 0u)
        << "keys of '" << stream << "' are split by another stream's keys";
    if (i + 1 == keyed.size() || keyed[i + 1].second != stream) {
      finished.insert(stream);
    }
  }
}

TEST(StreamIndexKeyTest, ParseRejectsMalformedKeys) {
  const std::string version = EncodeBigEndian64(5);
  // Empty, and too short to hold a stream, separator and version.
  EXPECT_EQ(ParseStreamIndexKey(""), std::nullopt);
  EXPECT_EQ(ParseStreamIndexKey(std::string("a\0", 2) + version.substr(1)),
            std::nullopt);
  // Empty stream name.
  EXPECT_EQ(ParseStreamIndexKey(std::string("\0", 1) + version), std::nullopt);
  // No separator before the version.
  EXPECT_EQ(ParseStreamIndexKey("ab" + version), std::nullopt);
  EXPECT_EQ(ParseStreamIndexKey("stream" + version), std::nullopt);
  // A zero byte inside the stream name.
  EXPECT_EQ(ParseStreamIndexKey(std::string("a\0b\0", 4) + version),
            std::nullopt);
  // A version one byte too long or too short.
  EXPECT_EQ(ParseStreamIndexKey(std::string("ab\0", 3) + version + "x"),
            std::nullopt);
  EXPECT_EQ(ParseStreamIndexKey(std::string("abc\0", 4) + version.substr(1)),
            std::nullopt);
}

TEST(EventIdRecordTest, RoundTrips) {
  EventIdRecord r;
  r.sequence = 0x0102030405060708ULL;
  r.stream_version = 42;
  const std::string bytes = EncodeEventIdRecord(r);
  EXPECT_EQ(bytes.size(), kEventIdRecordSize);
  EXPECT_EQ(bytes, EncodeBigEndian64(r.sequence) + EncodeBigEndian64(42));

  std::optional<EventIdRecord> back = DecodeEventIdRecord(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->sequence, r.sequence);
  EXPECT_EQ(back->stream_version, r.stream_version);
}

TEST(EventIdRecordTest, RejectsWrongLength) {
  const std::string bytes = EncodeEventIdRecord({1, 2});
  EXPECT_EQ(DecodeEventIdRecord(""), std::nullopt);
  EXPECT_EQ(DecodeEventIdRecord(bytes.substr(0, 15)), std::nullopt);
  EXPECT_EQ(DecodeEventIdRecord(bytes + "x"), std::nullopt);
  // A format-2 record (a content digest after the 16 bytes) is not one.
  EXPECT_EQ(DecodeEventIdRecord(bytes + std::string(32, '\0')), std::nullopt);
}

TEST(LogHeadTest, RoundTrips) {
  LogHead h;
  h.size = 1000001;
  h.last_leaf_hash = LeafHash("last");
  const std::string bytes = EncodeLogHead(h);
  EXPECT_EQ(bytes.size(), 40u);
  EXPECT_EQ(bytes.substr(0, 8), EncodeBigEndian64(1000001));
  EXPECT_EQ(bytes.substr(8), AsBytes(h.last_leaf_hash));

  std::optional<LogHead> back = DecodeLogHead(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->size, h.size);
  EXPECT_EQ(back->last_leaf_hash, h.last_leaf_hash);
}

TEST(LogHeadTest, EmptyHeadRoundTrips) {
  std::optional<LogHead> back = DecodeLogHead(EncodeLogHead(LogHead{}));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->size, 0u);
  EXPECT_EQ(back->last_leaf_hash, kZeroHash);
}

TEST(LogHeadTest, RejectsWrongLength) {
  const std::string bytes = EncodeLogHead({3, LeafHash("x")});
  EXPECT_EQ(DecodeLogHead(""), std::nullopt);
  EXPECT_EQ(DecodeLogHead(bytes.substr(0, 39)), std::nullopt);
  EXPECT_EQ(DecodeLogHead(bytes + "x"), std::nullopt);
  EXPECT_EQ(DecodeLogHead(EncodeEventIdRecord({1, 2})),
            std::nullopt);
}

// Every node a tree of `log_size` leaves stores, as keys in the family's
// (bytewise) order.
std::vector<std::string> StoredNodeKeysInOrder(uint64_t log_size) {
  std::set<std::string> keys;
  for (int level = kLowestStoredNodeLevel; level < 64; ++level) {
    for (uint64_t index = 0; index < (log_size >> level); ++index) {
      keys.insert(NodeKey(level, index));
    }
  }
  return {keys.begin(), keys.end()};
}

TEST(NodeKeyTest, ParseUndoesNodeKeyAtEveryStoredLevel) {
  for (int level = kLowestStoredNodeLevel; level < 64; ++level) {
    for (uint64_t index : InterestingValues()) {
      const std::string key = NodeKey(level, index);
      EXPECT_EQ(key.size(), level < kTileLevel ? 10u : 9u);
      const std::optional<NodeKeyParts> parts = ParseNodeKey(key);
      ASSERT_TRUE(parts.has_value()) << level << "/" << index;
      EXPECT_EQ(parts->level, level);
      EXPECT_EQ(parts->index, index);
      std::string appended = "x";
      AppendNodeKey(&appended, level, index);
      EXPECT_EQ(appended, "x" + key);
    }
  }
}

TEST(NodeKeyTest, UpperLevelsKeepFormat3Keys) {
  EXPECT_EQ(NodeKey(9, 0x0102), std::string("\x09\0\0\0\0\0\0\x01\x02", 9));
  for (int level = kTileLevel; level < 64; ++level) {
    EXPECT_EQ(NodeKey(level, 77), Format3NodeKey(level, 77));
  }
  EXPECT_EQ(Format3NodeKey(3, 5), std::string("\x03\0\0\0\0\0\0\0\x05", 9));
}

TEST(NodeKeyTest, TileKeysAreTheTileThenTheInOrderPosition) {
  // Tile 2 starts at leaf 1024: level-3 node 128 is its first (position 1),
  // level-8 node 5 its last of level 8 (position (2 * 1 + 1) << 5 = 96).
  EXPECT_EQ(NodeKey(3, 128), std::string("\0\0\0\0\0\0\0\0\x02\x01", 10));
  EXPECT_EQ(NodeKey(4, 64), std::string("\0\0\0\0\0\0\0\0\x02\x02", 10));
  EXPECT_EQ(NodeKey(8, 5), std::string("\0\0\0\0\0\0\0\0\x02\x60", 10));
  EXPECT_EQ(NodeKey(3, 191), std::string("\0\0\0\0\0\0\0\0\x02\x7f", 10));
}

TEST(NodeKeyTest, ATilesNodesAreAdjacentAndInTileNodesInKeyOrder) {
  for (uint64_t tile : {uint64_t{0}, uint64_t{1}, uint64_t{12345}}) {
    std::vector<std::string> keys;
    for (const TileNode& n : TileNodesInKeyOrder()) {
      ASSERT_GE(n.level, kLowestStoredNodeLevel);
      ASSERT_LT(n.level, kTileLevel);
      ASSERT_LT(n.i, uint64_t{1} << (kTileLevel - n.level));
      keys.push_back(NodeKey(n.level, (tile << (kTileLevel - n.level)) | n.i));
    }
    EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
    EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), size_t{kTileNodes});
    // Nothing of another tile, nor any upper node, sorts among them.
    for (const std::string& other :
         {NodeKey(3, ((tile + 1) << 6)), NodeKey(8, (tile << 1) + 2), NodeKey(9, tile),
          NodeKey(kTileLevel, 0)}) {
      EXPECT_TRUE(other > keys.back()) << HexEncode(other);
    }
    if (tile > 0) {
      EXPECT_TRUE(NodeKey(8, (tile << 1) - 1) < keys.front());
    }
  }
}

TEST(NodeKeyTest, KeyAfterAndFirstKeyWalkTheFamilyInOrder) {
  for (uint64_t size : {0, 1, 7, 8, 9, 15, 16, 24, 100, 511, 512, 513, 520, 1000, 1024,
                        1536, 2047, 3000, 5000}) {
    SCOPED_TRACE(size);
    const std::vector<std::string> keys = StoredNodeKeysInOrder(size);
    if (keys.empty()) {
      EXPECT_EQ(FirstNodeKey(size), std::nullopt);
      continue;
    }
    EXPECT_THAT(FirstNodeKey(size), Optional(keys.front()));
    for (size_t k = 0; k < keys.size(); ++k) {
      const std::optional<NodeKeyParts> parts = ParseNodeKey(keys[k]);
      ASSERT_TRUE(parts.has_value());
      const std::optional<std::string> after = NodeKeyAfter(parts->level, parts->index, size);
      if (k + 1 < keys.size()) {
        EXPECT_THAT(after, Optional(keys[k + 1])) << parts->level << "/" << parts->index;
      } else {
        EXPECT_EQ(after, std::nullopt);
      }
    }
  }
}

TEST(NodeKeyTest, MalformedNodeKeysAreRejected) {
  const std::string tile8(std::string("\0", 1) + EncodeBigEndian64(8));
  EXPECT_TRUE(ParseNodeKey(tile8 + "\x01").has_value());
  for (const std::string& bad : {
           tile8 + std::string(1, '\0'),  // position 0
           tile8 + "\x40",                // the tile's own root: an upper node
           tile8 + "\x80",                // past the tile
           tile8 + "\xff",
           std::string("\x01", 1) + EncodeBigEndian64(8) + "\x01",  // not 0x00
           std::string("\0", 1) + EncodeBigEndian64(UINT64_MAX) + "\x01",  // overflows
           Format3NodeKey(3, 5),  // format 3's key of a tile level
           Format3NodeKey(8, 5),
           Format3NodeKey(64, 5),
           tile8,                          // level 0: not stored
           tile8 + "\x01" + "x",
           std::string(),
       }) {
    EXPECT_EQ(ParseNodeKey(bad), std::nullopt) << HexEncode(bad);
  }
}

}  // namespace
}  // namespace ledger
