// Tests of LedgerStore against a real RocksDB database in a temporary
// directory: opening and creating, the lookups over each family, and the
// checks Open makes.
#include "ledger/store.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/group_commit_writer.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/stored_proofs.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/write_batch.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Optional;

// The serialized entry at `seq` of stream "s" (version seq + 1), chained
// to the entry before it by `prev`, its leaf hash.
std::string ChainedEntryBytes(uint64_t seq, const Hash& prev, const std::string& event_id) {
  ledger::v1::Entry e;
  e.set_sequence(seq);
  e.set_stream("s");
  e.set_stream_version(seq + 1);
  e.set_event_id(event_id);
  e.set_prev_hash(std::string(AsBytes(prev)));
  return SerializeEntry(e);
}

class LedgerStoreTest : public ::ledger::testing::TempDirTest {
 protected:
  void TearDown() override {
    store_.reset();
    TempDirTest::TearDown();
  }

  std::string DbPath() const { return PathIn("db"); }

  void OpenReadWrite() {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_,
                         LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite));
  }

  // `reader`, opened read-only on store_ holding two entries, reads what
  // store_ holds and refuses to write.
  void ExpectReadsTwoEntriesAndNeverWrites(LedgerStore& reader) {
    ASSERT_OK_AND_ASSIGN(LogHead head, reader.ReadHead());
    EXPECT_EQ(head.size, 2u);
    ASSERT_OK_AND_ASSIGN(std::string bytes, reader.GetEntryBytes(1));
    ASSERT_OK_AND_ASSIGN(std::string expected, store_->GetEntryBytes(1));
    EXPECT_EQ(bytes, expected);
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch.Put(reader.meta(), "x", "y").ok());
    EXPECT_THAT(reader.Write(&batch, /*sync=*/true), ::testing::Not(IsOk()));
  }

  // Writes a chained entry at each of `count` sequences, its index records
  // and the head, the way the writer does, in one synced batch.
  void WriteEntries(uint64_t count) {
    rocksdb::WriteBatch batch;
    Hash prev = kZeroHash;
    for (uint64_t seq = 0; seq < count; ++seq) {
      const std::string event_id = absl::StrCat("id-", seq);
      const std::string bytes = ChainedEntryBytes(seq, prev, event_id);
      prev = LeafHash(bytes);
      ASSERT_TRUE(batch.Put(store_->entries(), EntryKey(seq), bytes).ok());
      ASSERT_TRUE(batch.Put(store_->streams(), StreamIndexKey("s", seq + 1),
                            EncodeBigEndian64(seq)).ok());
      ASSERT_TRUE(batch.Put(store_->event_ids(), event_id,
                            EncodeEventIdRecord({seq, seq + 1}))
                      .ok());
    }
    ASSERT_TRUE(batch.Put(store_->meta(), std::string(kMetaHeadKey),
                          EncodeLogHead({count, prev})).ok());
    ASSERT_OK(store_->Write(&batch, /*sync=*/true));
  }

  void PutStreamKey(const std::string& stream, uint64_t version, uint64_t seq) {
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch.Put(store_->streams(), StreamIndexKey(stream, version),
                          EncodeBigEndian64(seq)).ok());
    ASSERT_OK(store_->Write(&batch, /*sync=*/false));
  }

  std::unique_ptr<LedgerStore> store_;
};

TEST_F(LedgerStoreTest, ReadWriteOpenCreatesTheDatabase) {
  ASSERT_FALSE(std::filesystem::exists(DbPath()));
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_NE(store_, nullptr);
  EXPECT_TRUE(std::filesystem::exists(DbPath() + "/CURRENT"));
  EXPECT_EQ(store_->path(), DbPath());
  ASSERT_NE(store_->db(), nullptr);
  const std::set<rocksdb::ColumnFamilyHandle*> families = {
      store_->entries(), store_->nodes(),  store_->streams(),
      store_->event_ids(), store_->meta(), store_->projections()};
  EXPECT_EQ(families.size(), 6u) << "each family has its own handle";
  EXPECT_EQ(families.count(nullptr), 0u);

  std::string format;
  ASSERT_TRUE(store_->db()
                  ->Get(rocksdb::ReadOptions(), store_->meta(),
                        std::string(kMetaFormatKey), &format)
                  .ok());
  EXPECT_EQ(format, kFormatVersion);
}

TEST_F(LedgerStoreTest, NewDatabaseHasEmptyHead) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_OK_AND_ASSIGN(LogHead head, store_->ReadHead());
  EXPECT_EQ(head.size, 0u);
  EXPECT_EQ(head.last_leaf_hash, kZeroHash);
  EXPECT_THAT(store_->GetEntryBytes(0), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(uint64_t version, store_->StreamVersion("s"));
  EXPECT_EQ(version, 0u);
  ASSERT_OK_AND_ASSIGN(std::optional<EventIdRecord> rec,
                       store_->LookupEventId("nope"));
  EXPECT_FALSE(rec.has_value());
}

TEST_F(LedgerStoreTest, WriteBatchThenGet) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_NO_FATAL_FAILURE(WriteEntries(3));

  ASSERT_OK_AND_ASSIGN(std::string bytes, store_->GetEntryBytes(1));
  ASSERT_OK_AND_ASSIGN(ledger::v1::Entry e, ParseStoredEntry(bytes));
  EXPECT_EQ(e.sequence(), 1u);
  EXPECT_EQ(e.event_id(), "id-1");
  EXPECT_THAT(store_->GetEntryBytes(3),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("3")));

  ASSERT_OK_AND_ASSIGN(uint64_t seq, store_->StreamSequence("s", 2));
  EXPECT_EQ(seq, 1u);
  EXPECT_THAT(store_->StreamSequence("s", 4),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->StreamSequence("t", 1),
              StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(std::optional<EventIdRecord> rec,
                       store_->LookupEventId("id-2"));
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->sequence, 2u);
  EXPECT_EQ(rec->stream_version, 3u);

  ASSERT_OK_AND_ASSIGN(LogHead head, store_->ReadHead());
  EXPECT_EQ(head.size, 3u);
  ASSERT_OK_AND_ASSIGN(std::string last, store_->GetEntryBytes(2));
  EXPECT_EQ(head.last_leaf_hash, LeafHash(last));
}

TEST_F(LedgerStoreTest, StreamVersionIsTheHighestVersionOfThatStreamOnly) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  for (uint64_t v = 1; v <= 300; ++v) PutStreamKey("a", v, v);  // past 255
  for (uint64_t v = 1; v <= 5; ++v) PutStreamKey("a/b", v, 1000 + v);
  PutStreamKey("ab", 1, 2000);
  PutStreamKey("`", 7, 3000);  // sorts just before "a"

  auto version_of = [this](const std::string& stream) -> uint64_t {
    absl::StatusOr<uint64_t> v = store_->StreamVersion(stream);
    EXPECT_OK(v) << stream;
    return v.value_or(12345);
  };
  EXPECT_EQ(version_of("a"), 300u);
  EXPECT_EQ(version_of("a/b"), 5u);
  EXPECT_EQ(version_of("ab"), 1u);
  EXPECT_EQ(version_of("`"), 7u);
  EXPECT_EQ(version_of("a/"), 0u);
  EXPECT_EQ(version_of("a/b/c"), 0u);
  EXPECT_EQ(version_of("aa"), 0u);
  EXPECT_EQ(version_of("b"), 0u);
  EXPECT_EQ(version_of("_"), 0u);
}

TEST_F(LedgerStoreTest, MalformedIndexValuesAreDataLoss) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch.Put(store_->streams(), StreamIndexKey("s", 1), "short").ok());
  ASSERT_TRUE(batch.Put(store_->event_ids(), "id", "short").ok());
  ASSERT_OK(store_->Write(&batch, /*sync=*/true));
  EXPECT_THAT(store_->StreamSequence("s", 1),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(store_->LookupEventId("id"), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(LedgerStoreTest, MalformedHeadIsDataLoss) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  rocksdb::WriteBatch batch;
  ASSERT_TRUE(batch.Put(store_->meta(), std::string(kMetaHeadKey), "bad").ok());
  ASSERT_OK(store_->Write(&batch, /*sync=*/true));
  EXPECT_THAT(store_->ReadHead(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(LedgerStoreTest, GetNodesReadsInTheOrderAskedAndNamesWhatIsWrong) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  // Entries 0..9 (the low levels are hashed from them), node (3, 0)
  // stored, node (4, 0) malformed.
  rocksdb::WriteBatch batch;
  std::vector<Hash> leaf;
  for (uint64_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(batch.Put(store_->entries(), EntryKey(i), absl::StrCat("e", i)).ok());
    leaf.push_back(LeafHash(absl::StrCat("e", i)));
  }
  const Hash root8 = RootOfLeaves({leaf.begin(), leaf.begin() + 8});
  ASSERT_TRUE(batch.Put(store_->nodes(), NodeKey(3, 0), AsBytes(root8)).ok());
  ASSERT_TRUE(batch.Put(store_->nodes(), NodeKey(4, 0), "short").ok());
  ASSERT_OK(store_->Write(&batch, true));

  const Hash n10 = NodeHash(leaf[0], leaf[1]);
  const Hash n21 = NodeHash(NodeHash(leaf[4], leaf[5]), NodeHash(leaf[6], leaf[7]));
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> got,
                       store_->GetNodes({{0, 3}, {3, 0}, {1, 0}, {2, 1}, {0, 3}, {0, 9}}));
  EXPECT_EQ(got, (std::vector<Hash>{leaf[3], root8, n10, n21, leaf[3], leaf[9]}));
  ASSERT_OK_AND_ASSIGN(Hash n, store_->GetNode(2, 1));
  EXPECT_EQ(n, n21);
  ASSERT_OK_AND_ASSIGN(n, store_->GetNode(3, 0));
  EXPECT_EQ(n, root8);
  EXPECT_THAT(store_->GetNodes({}), IsOk());
  EXPECT_THAT(store_->GetNodes({{0, 1}, {3, 1}}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("level 3 index 1")));
  EXPECT_THAT(store_->GetNodes({{0, 1}, {4, 0}}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("level 4 index 0")));
  EXPECT_THAT(store_->GetNode(4, 0), StatusIs(absl::StatusCode::kDataLoss));
  // (1, 5) covers entries 10 and 11, which do not exist.
  EXPECT_THAT(store_->GetNodes({{0, 1}, {1, 5}}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("entry 10 is missing")));
  EXPECT_THAT(store_->GetNode(0, 10), StatusIs(absl::StatusCode::kNotFound));
  // An index whose first leaf does not fit in 64 bits names no node.
  EXPECT_THAT(store_->GetNodes({{2, uint64_t{1} << 62}}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store_->GetNodes({{2, (uint64_t{1} << 62) - 1}}),
              StatusIs(absl::StatusCode::kNotFound));

  // (3, 0) is now held in memory, so GetNodes does not read it again even
  // once it is gone from the database, and asked among low nodes each
  // still gets its own hash. GetNode, the verifier's, reads the database.
  ASSERT_TRUE(
      store_->db()->Delete(rocksdb::WriteOptions(), store_->nodes(), NodeKey(3, 0)).ok());
  ASSERT_OK_AND_ASSIGN(got, store_->GetNodes({{3, 0}, {0, 3}, {1, 0}, {3, 0}, {2, 1}}));
  EXPECT_EQ(got, (std::vector<Hash>{root8, leaf[3], n10, root8, n21}));
  EXPECT_THAT(store_->GetNode(3, 0), StatusIs(absl::StatusCode::kNotFound));
}

// A log of 1,300 entries written by the real writer: two whole tiles of
// 512 leaves and part of a third, and levels 9 and 10 above them.
class TreeWarmUpTest : public LedgerStoreTest {
 protected:
  static constexpr uint64_t kEntries = 1300;

  void SetUp() override {
    LedgerStoreTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<GroupCommitWriter> writer,
                         GroupCommitWriter::Start(store_.get(), {}));
    for (uint64_t k = 0; k < kEntries / 100; ++k) {
      ASSERT_OK(writer->Append(
          ::ledger::testing::MakeAppendRequest("s", absl::StrCat("warm-", k), 100), "t"));
    }
    writer.reset();
    // Every stored node, read from the database.
    for (int level = kLowestStoredNodeLevel; (kEntries >> level) > 0; ++level) {
      for (uint64_t index = 0; index < (kEntries >> level); ++index) {
        ASSERT_OK_AND_ASSIGN(Hash h, store_->GetNode(level, index));
        stored_.push_back({level, index, h});
      }
    }
    // Opened again, so the cache is empty.
    ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  }

  // Removes every tree node from the database: what GetNodes still serves
  // after this comes from its cache.
  void DeleteAllNodes() {
    std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(store_->nodes());
    rocksdb::WriteBatch batch;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSERT_TRUE(batch.Delete(store_->nodes(), it->key()).ok());
    }
    ASSERT_TRUE(it->status().ok());
    it.reset();
    ASSERT_OK(store_->Write(&batch, /*sync=*/false));
    ASSERT_THAT(store_->GetNode(kLowestStoredNodeLevel, 0),
                StatusIs(absl::StatusCode::kNotFound));
  }

  // GetNodes serves node `n` with its hash (once the database has no
  // nodes: from the cache).
  void ExpectServed(const TreeTopCache::Node& n) {
    absl::StatusOr<std::vector<Hash>> got = store_->GetNodes({{n.level, n.index}});
    ASSERT_OK(got) << n.level << " " << n.index;
    EXPECT_EQ((*got)[0], n.hash) << n.level << " " << n.index;
  }

  // Every stored node of `lowest` and up is served without the database,
  // and every one below is missed.
  void ExpectCachedFrom(int lowest) {
    ASSERT_NO_FATAL_FAILURE(DeleteAllNodes());
    for (const TreeTopCache::Node& n : stored_) {
      if (n.level >= lowest) {
        ASSERT_NO_FATAL_FAILURE(ExpectServed(n));
      } else {
        EXPECT_THAT(store_->GetNodes({{n.level, n.index}}),
                    StatusIs(absl::StatusCode::kNotFound))
            << n.level << " " << n.index;
      }
    }
  }

  // The stored hash of node (level, index).
  Hash Stored(int level, uint64_t index) const {
    for (const TreeTopCache::Node& n : stored_) {
      if (n.level == level && n.index == index) return n.hash;
    }
    ADD_FAILURE() << "no stored node " << level << " " << index;
    return Hash{};
  }

  uint64_t StoredFrom(int lowest) const {
    return static_cast<uint64_t>(
        std::count_if(stored_.begin(), stored_.end(),
                      [&](const TreeTopCache::Node& n) { return n.level >= lowest; }));
  }

  std::vector<TreeTopCache::Node> stored_;
  std::atomic<bool> stop_{false};
};

TEST_F(TreeWarmUpTest, ReadsEveryStoredNodeWhenAllLevelsAreKept) {
  ASSERT_EQ(stored_.size(), 162u + 81 + 40 + 20 + 10 + 5 + 2 + 1);
  ASSERT_OK_AND_ASSIGN(LedgerStore::TreeWarmUp done, store_->WarmTreeTopCache(stop_));
  EXPECT_EQ(done.tree_size, kEntries);
  EXPECT_EQ(done.lowest_level, kLowestStoredNodeLevel);
  EXPECT_EQ(done.nodes, stored_.size());
  ASSERT_NO_FATAL_FAILURE(ExpectCachedFrom(kLowestStoredNodeLevel));
}

// A bound of 16 nodes keeps levels 7 and up for 1,300 leaves: levels 7 and
// 8 from inside the tiles, 9 and 10 from their own ranges.
TEST_F(TreeWarmUpTest, ReadsOnlyTheKeptLevelsFromTheTilesAndAbove) {
  store_->ResetTreeTopCache(16);
  ASSERT_OK_AND_ASSIGN(LedgerStore::TreeWarmUp done, store_->WarmTreeTopCache(stop_));
  EXPECT_EQ(done.lowest_level, 7);
  EXPECT_EQ(done.nodes, StoredFrom(7));
  EXPECT_EQ(done.nodes, 10u + 5 + 2 + 1);
  ASSERT_NO_FATAL_FAILURE(ExpectCachedFrom(7));
}

// A bound of 4 keeps levels 9 and up: the tiles are not read at all.
TEST_F(TreeWarmUpTest, ReadsNoTileWhenOnlyUpperLevelsAreKept) {
  store_->ResetTreeTopCache(4);
  ASSERT_OK_AND_ASSIGN(LedgerStore::TreeWarmUp done, store_->WarmTreeTopCache(stop_));
  EXPECT_EQ(done.lowest_level, 9);
  EXPECT_EQ(done.nodes, 3u);
  ASSERT_NO_FATAL_FAILURE(ExpectCachedFrom(9));
}

// The writer offers each group's new nodes to the cache once they are
// durable: after 100 more appends every node they completed is served
// without the database, and the older ones (not warmed) are not.
TEST_F(TreeWarmUpTest, TheWriterKeepsTheNodesItStores) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<GroupCommitWriter> writer,
                         GroupCommitWriter::Start(store_.get(), {}));
    ASSERT_OK(writer->Append(
        ::ledger::testing::MakeAppendRequest("s", "warm-more", 100), "t"));
  }
  constexpr uint64_t kMore = kEntries + 100;
  std::vector<TreeTopCache::Node> made;
  for (int level = kLowestStoredNodeLevel; (kMore >> level) > 0; ++level) {
    for (uint64_t index = (kEntries >> level); index < (kMore >> level); ++index) {
      ASSERT_OK_AND_ASSIGN(Hash h, store_->GetNode(level, index));
      made.push_back({level, index, h});
    }
  }
  ASSERT_EQ(made.size(), 13u + 6 + 3 + 1);  // levels 3 to 6 gained nodes
  ASSERT_NO_FATAL_FAILURE(DeleteAllNodes());
  for (const TreeTopCache::Node& n : made) ASSERT_NO_FATAL_FAILURE(ExpectServed(n));
  for (const TreeTopCache::Node& n : stored_) {
    EXPECT_THAT(store_->GetNodes({{n.level, n.index}}), StatusIs(absl::StatusCode::kNotFound))
        << n.level << " " << n.index;
  }
}

TEST_F(TreeWarmUpTest, StopsWhenAsked) {
  stop_.store(true);
  EXPECT_THAT(store_->WarmTreeTopCache(stop_), StatusIs(absl::StatusCode::kCancelled));
  ASSERT_NO_FATAL_FAILURE(ExpectCachedFrom(64));
}

TEST_F(TreeWarmUpTest, AMalformedNodeOrKeyIsDataLossAndTheNodesBeforeItStay) {
  // A short value for node (4, 70), in the third tile: the first two
  // tiles' nodes were read before it, the upper levels were not.
  ASSERT_TRUE(
      store_->db()->Put(rocksdb::WriteOptions(), store_->nodes(), NodeKey(4, 70), "short").ok());
  EXPECT_THAT(store_->WarmTreeTopCache(stop_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("level 4 index 70")));
  const Hash node_8_1 = Stored(8, 1);
  ASSERT_TRUE(
      store_->db()->Delete(rocksdb::WriteOptions(), store_->nodes(), NodeKey(8, 1)).ok());
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> got, store_->GetNodes({{8, 1}}));
  EXPECT_EQ(got[0], node_8_1);
  ASSERT_TRUE(
      store_->db()->Delete(rocksdb::WriteOptions(), store_->nodes(), NodeKey(9, 0)).ok());
  EXPECT_THAT(store_->GetNodes({{9, 0}}), StatusIs(absl::StatusCode::kNotFound));

  // A key no format writes, inside the tiles' range (after every tile
  // key), once the node is right again.
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_TRUE(store_->db()
                  ->Put(rocksdb::WriteOptions(), store_->nodes(), NodeKey(4, 70),
                        AsBytes(Stored(4, 70)))
                  .ok());
  ASSERT_TRUE(store_->db()
                  ->Put(rocksdb::WriteOptions(), store_->nodes(), std::string("\0\x01", 2),
                        std::string(32, 'x'))
                  .ok());
  EXPECT_THAT(store_->WarmTreeTopCache(stop_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("malformed key 0001")));
  ASSERT_OK_AND_ASSIGN(got, store_->GetNodes({{4, 70}}));
  EXPECT_EQ(got[0], Stored(4, 70));
}

TEST_F(LedgerStoreTest, WarmTreeTopCacheOnAnEmptyLogReadsNothing) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  std::atomic<bool> stop{false};
  ASSERT_OK_AND_ASSIGN(LedgerStore::TreeWarmUp done, store_->WarmTreeTopCache(stop));
  EXPECT_EQ(done.tree_size, 0u);
  EXPECT_EQ(done.nodes, 0u);
}

TEST_F(LedgerStoreTest, StoredProofsVerifyAndAMissingNodeIsDataLoss) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  constexpr uint64_t kLeaves = 11;
  CompactRange tree;
  rocksdb::WriteBatch batch;
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < kLeaves; ++i) {
    const std::string entry = absl::StrCat("leaf ", i);
    ASSERT_TRUE(batch.Put(store_->entries(), EntryKey(i), entry).ok());
    leaves.push_back(LeafHash(entry));
    tree.Append(leaves.back(), [&](int level, uint64_t index, const Hash& h) {
      store_->PutNode(&batch, level, index, h);
    });
  }
  ASSERT_TRUE(batch.Put(store_->meta(), std::string(kMetaHeadKey),
                        EncodeLogHead({kLeaves, leaves.back()})).ok());
  ASSERT_OK(store_->Write(&batch, true));
  const std::string root(AsBytes(tree.Root()));

  ASSERT_OK_AND_ASSIGN(std::vector<Hash> inclusion6, StoredInclusionProof(*store_, 6, kLeaves));
  EXPECT_OK(VerifyInclusion(AsBytes(leaves[6]), 6, kLeaves, root, ProofBytes(inclusion6)));
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> inclusion9, StoredInclusionProof(*store_, 9, kLeaves));
  EXPECT_OK(VerifyInclusion(AsBytes(leaves[9]), 9, kLeaves, root, ProofBytes(inclusion9)));
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> consistency,
                       StoredConsistencyProof(*store_, 5, kLeaves));
  const Hash root5 = RootOfLeaves({leaves.begin(), leaves.begin() + 5});
  EXPECT_OK(VerifyConsistency(5, kLeaves, AsBytes(root5), root, ProofBytes(consistency)));
  // From 9 leaves the proof needs node (3, 0) too.
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> consistency9,
                       StoredConsistencyProof(*store_, 9, kLeaves));
  const Hash root9 = RootOfLeaves({leaves.begin(), leaves.begin() + 9});
  EXPECT_OK(VerifyConsistency(9, kLeaves, AsBytes(root9), root, ProofBytes(consistency9)));
  EXPECT_THAT(StoredInclusionProof(*store_, kLeaves, kLeaves),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // Leaf 9's proof needs node (3, 0), which is stored. The store has kept
  // it in memory since it first read it (a complete subtree never
  // changes), so this store answers as before without it; a store opened
  // afterwards reads it and finds it missing.
  ASSERT_TRUE(
      store_->db()->Delete(rocksdb::WriteOptions(), store_->nodes(), NodeKey(3, 0)).ok());
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> again, StoredInclusionProof(*store_, 9, kLeaves));
  EXPECT_EQ(again, inclusion9);
  ASSERT_OK_AND_ASSIGN(again, StoredConsistencyProof(*store_, 9, kLeaves));
  EXPECT_EQ(again, consistency9);
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  EXPECT_THAT(StoredInclusionProof(*store_, 9, kLeaves),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("run ledger-verify")));
  EXPECT_THAT(StoredConsistencyProof(*store_, 9, kLeaves),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("run ledger-verify")));
  // Leaf 6's needs leaf 7 (its sibling), hashed from entry 7 whenever it is
  // asked for.
  ASSERT_OK_AND_ASSIGN(again, StoredInclusionProof(*store_, 6, kLeaves));
  EXPECT_EQ(again, inclusion6);
  ASSERT_TRUE(
      store_->db()->Delete(rocksdb::WriteOptions(), store_->entries(), EntryKey(7)).ok());
  EXPECT_THAT(StoredInclusionProof(*store_, 6, kLeaves),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 7 is missing")));
}

TEST_F(LedgerStoreTest, EntryIteratorVisitsSequencesInNumericOrder) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  rocksdb::WriteBatch batch;
  for (uint64_t seq : {256u, 1u, 65536u, 255u, 0u}) {
    ASSERT_TRUE(batch.Put(store_->entries(), EntryKey(seq), "x").ok());
  }
  ASSERT_OK(store_->Write(&batch, /*sync=*/false));
  std::vector<uint64_t> seen;
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(store_->entries());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen.push_back(DecodeBigEndian64(it->key().ToStringView()).value_or(999));
  }
  ASSERT_TRUE(it->status().ok());
  EXPECT_THAT(seen, ::testing::ElementsAre(0, 1, 255, 256, 65536));
}

TEST_F(LedgerStoreTest, ReopenKeepsData) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_NO_FATAL_FAILURE(WriteEntries(4));
  ASSERT_OK_AND_ASSIGN(std::string before, store_->GetEntryBytes(3));
  store_.reset();

  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_OK_AND_ASSIGN(LogHead head, store_->ReadHead());
  EXPECT_EQ(head.size, 4u);
  ASSERT_OK_AND_ASSIGN(std::string after, store_->GetEntryBytes(3));
  EXPECT_EQ(after, before);
  ASSERT_OK_AND_ASSIGN(uint64_t version, store_->StreamVersion("s"));
  EXPECT_EQ(version, 4u);
}

TEST_F(LedgerStoreTest, ReadOnlyOpenOfMissingDirectoryIsNotFound) {
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(DbPath())));
  EXPECT_FALSE(std::filesystem::exists(DbPath())) << "read-only must not create";
}

TEST_F(LedgerStoreTest, ReadOnlyOpenOfEmptyDirectoryIsNotFound) {
  ASSERT_TRUE(std::filesystem::create_directory(DbPath()));
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(std::filesystem::is_empty(DbPath()));
}

TEST_F(LedgerStoreTest, ReadOnlyOpenWorksBesideReadWriteInSameProcess) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_NO_FATAL_FAILURE(WriteEntries(2));
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<LedgerStore> reader,
      LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly));
  ASSERT_NO_FATAL_FAILURE(ExpectReadsTwoEntriesAndNeverWrites(*reader));

  // The writer still writes while the reader is open.
  ASSERT_NO_FATAL_FAILURE(WriteEntries(3));
  ASSERT_OK_AND_ASSIGN(LogHead writer_head, store_->ReadHead());
  EXPECT_EQ(writer_head.size, 3u);
}

// The scan mode is read-only in every way the plain one is; what differs
// is how the tables are read: past the file cache where allowed, and
// otherwise with the system reading ahead.
TEST_F(LedgerStoreTest, ReadOnlyScanOpenReadsNeverWritesAndReadsPastTheFileCache) {
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnlyScan),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(DbPath())));
  EXPECT_FALSE(std::filesystem::exists(DbPath())) << "read-only must not create";

  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_NO_FATAL_FAILURE(WriteEntries(2));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> scanner,
                       LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnlyScan));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> reader,
                       LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly));
  ASSERT_NO_FATAL_FAILURE(ExpectReadsTwoEntriesAndNeverWrites(*scanner));

  EXPECT_FALSE(scanner->db()->GetDBOptions().advise_random_on_open);
  EXPECT_TRUE(reader->db()->GetDBOptions().advise_random_on_open);
  EXPECT_TRUE(store_->db()->GetDBOptions().advise_random_on_open);

  // Past the file cache where the file system allows it; the other modes
  // never.
  const std::string current = DbPath() + "/CURRENT";
  const int fd = ::open(current.c_str(), O_RDONLY | O_DIRECT);
  const bool direct_allowed = fd >= 0;
  if (fd >= 0) ::close(fd);
  EXPECT_EQ(scanner->reads_direct(), direct_allowed);
  EXPECT_EQ(scanner->db()->GetDBOptions().use_direct_reads, direct_allowed);
  EXPECT_FALSE(reader->reads_direct());
  EXPECT_FALSE(reader->db()->GetDBOptions().use_direct_reads);
  EXPECT_FALSE(store_->reads_direct());
}

// A file system that refuses O_DIRECT, as some do: every file opened for
// direct reads fails.
class NoDirectReadsFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit NoDirectReadsFileSystem(std::shared_ptr<rocksdb::FileSystem> target)
      : rocksdb::FileSystemWrapper(std::move(target)) {}
  const char* Name() const override { return "NoDirectReadsFileSystem"; }
  int refused() const { return refused_; }

  rocksdb::IOStatus NewRandomAccessFile(const std::string& name,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override {
    if (options.use_direct_reads) return Refuse();
    return target()->NewRandomAccessFile(name, options, result, dbg);
  }
  rocksdb::IOStatus NewSequentialFile(const std::string& name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSSequentialFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    if (options.use_direct_reads) return Refuse();
    return target()->NewSequentialFile(name, options, result, dbg);
  }

 private:
  rocksdb::IOStatus Refuse() {
    ++refused_;
    return rocksdb::IOStatus::IOError("injected: O_DIRECT: Invalid argument");
  }
  int refused_ = 0;
};

TEST_F(LedgerStoreTest, ReadOnlyScanOpenReadsThroughTheFileCacheWhereDirectReadsAreRefused) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_NO_FATAL_FAILURE(WriteEntries(3));
  ASSERT_OK_AND_ASSIGN(std::string expected, store_->GetEntryBytes(2));
  // Into tables, which are what a direct read would open.
  ASSERT_TRUE(store_->db()->Flush(rocksdb::FlushOptions(), store_->entries()).ok());

  auto fs = std::make_shared<NoDirectReadsFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> scanner,
                       LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnlyScan, env.get()));
  EXPECT_GT(fs->refused(), 0) << "the first open must have asked for direct reads";
  EXPECT_FALSE(scanner->reads_direct());
  EXPECT_FALSE(scanner->db()->GetDBOptions().use_direct_reads);
  ASSERT_OK_AND_ASSIGN(LogHead head, scanner->ReadHead());
  EXPECT_EQ(head.size, 3u);
  ASSERT_OK_AND_ASSIGN(std::string bytes, scanner->GetEntryBytes(2));
  EXPECT_EQ(bytes, expected);
}

// Tables whose keys only ascend (every `entries` table; `streams` and
// `event_ids` too when streams are few and event ids time-ordered) never
// overlap, so compactions move them down the levels unchanged. RocksDB
// decides whether to pin a table's index and filter blocks in the block
// cache when it first opens the table; pinned as a level-0 table, they
// stayed pinned wherever it went, and the pinned memory grew with the log.
TEST_F(LedgerStoreTest, TablesMovedDownTheLevelsLeaveNothingPinnedThatGrowsWithTheLog) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  rocksdb::DB* db = store_->db();
  const std::vector<rocksdb::ColumnFamilyHandle*> families = {
      store_->entries(), store_->nodes(), store_->streams(), store_->event_ids()};
  const std::string value(200, 'v');
  const std::string node_hash(32, 'n');
  auto pinned = [&] {
    uint64_t bytes = 0;
    EXPECT_TRUE(db->GetIntProperty(store_->entries(), "rocksdb.block-cache-pinned-usage", &bytes));
    return bytes;
  };
  std::vector<uint64_t> pinned_after_round;
  uint64_t seq = 0;
  for (int round = 0; round < 4; ++round) {
    // Eight level-0 tables per family, each above the last, then a
    // compaction that takes them all down.
    for (int table = 0; table < 8; ++table) {
      rocksdb::WriteBatch batch;
      for (int i = 0; i < 2000; ++i, ++seq) {
        ASSERT_TRUE(batch.Put(store_->entries(), EntryKey(seq), value).ok());
        ASSERT_TRUE(batch.Put(store_->nodes(), NodeKey(3, seq), node_hash).ok());
        ASSERT_TRUE(batch.Put(store_->streams(), StreamIndexKey("s", seq + 1),
                              EncodeBigEndian64(seq)).ok());
        ASSERT_TRUE(batch.Put(store_->event_ids(), absl::StrCat("id-", absl::Dec(seq, absl::kZeroPad12)),
                              EncodeEventIdRecord({seq, seq + 1})).ok());
      }
      ASSERT_OK(store_->Write(&batch, /*sync=*/false));
      ASSERT_TRUE(db->Flush(rocksdb::FlushOptions(), families).ok());
    }
    for (rocksdb::ColumnFamilyHandle* family : families) {
      ASSERT_TRUE(db->CompactRange(rocksdb::CompactRangeOptions(), family, nullptr, nullptr).ok());
    }
    // Every table's blocks read once, as lookups would.
    for (uint64_t s = 0; s < seq; s += 97) {
      ASSERT_OK_AND_ASSIGN(std::string bytes, store_->GetEntryBytes(s));
      EXPECT_EQ(bytes, value);
    }
    pinned_after_round.push_back(pinned());
  }
  // What stays pinned is the small families' few index blocks: the same
  // after 16,000 entries as after 64,000, not four times as much.
  EXPECT_EQ(pinned_after_round.back(), pinned_after_round.front())
      << "pinned after each round: " << absl::StrJoin(pinned_after_round, ", ");
}

// With the file descriptor limit at `limit`, writes `count` chained
// entries of about 1 KiB (their event ids are long) as more than `limit`
// tables: a compaction cuts them at the first 16 KiB block past 1 KiB.
// Then reopens the store and reads every entry back. Returns what went
// wrong, or "".
std::string WriteAndReadMoreTablesThanDescriptors(const std::string& path, rlim_t limit,
                                                  uint64_t count) {
  const rlimit low{limit, limit};
  if (setrlimit(RLIMIT_NOFILE, &low) != 0) return "cannot lower the descriptor limit";
  std::vector<std::string> written;
  {
    absl::StatusOr<std::unique_ptr<LedgerStore>> store =
        LedgerStore::Open(path, LedgerStore::Mode::kReadWrite);
    if (!store.ok()) return store.status().ToString();
    rocksdb::DB* db = (*store)->db();
    rocksdb::ColumnFamilyHandle* family = (*store)->entries();
    if (!db->SetOptions(family, {{"target_file_size_base", "1024"}}).ok()) {
      return "cannot set the table size";
    }
    Hash prev = kZeroHash;
    for (uint64_t seq = 0; seq < count; ++seq) {
      written.push_back(
          ChainedEntryBytes(seq, prev, absl::StrCat(std::string(1000, 'i'), seq)));
      prev = LeafHash(written.back());
      rocksdb::WriteBatch batch;
      if (!batch.Put(family, EntryKey(seq), written.back()).ok() ||
          !batch.Put((*store)->meta(), std::string(kMetaHeadKey),
                     EncodeLogHead({seq + 1, prev})).ok()) {
        return "cannot batch";
      }
      if (absl::Status s = (*store)->Write(&batch, /*sync=*/false); !s.ok()) {
        return absl::StrCat("write: ", s.ToString());
      }
      if (seq % 100 == 99) {
        if (rocksdb::Status s = db->Flush(rocksdb::FlushOptions(), family); !s.ok()) {
          return absl::StrCat("flush: ", s.ToString());
        }
      }
    }
    rocksdb::CompactRangeOptions rewrite;  // not just moved down: cut into small tables
    rewrite.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    if (rocksdb::Status s = db->CompactRange(rewrite, family, nullptr, nullptr); !s.ok()) {
      return absl::StrCat("compaction: ", s.ToString());
    }
    std::vector<rocksdb::LiveFileMetaData> files;
    db->GetLiveFilesMetaData(&files);
    if (files.size() <= limit) {
      return absl::StrCat("only ", files.size(), " tables, not more than ", limit);
    }
  }
  absl::StatusOr<std::unique_ptr<LedgerStore>> store =
      LedgerStore::Open(path, LedgerStore::Mode::kReadWrite);
  if (!store.ok()) return absl::StrCat("reopen: ", store.status().ToString());
  for (uint64_t seq = 0; seq < count; ++seq) {
    absl::StatusOr<std::string> bytes = (*store)->GetEntryBytes(seq);
    if (!bytes.ok()) return absl::StrCat("entry ", seq, ": ", bytes.status().ToString());
    if (*bytes != written[seq]) return absl::StrCat("entry ", seq, " reads back different");
  }
  return "";
}

// RocksDB keeps every table open unless told otherwise: a descriptor and
// a reader for each, which grow with the log and, past the process's
// descriptor limit, fail the flushes. The store keeps at most half the
// limit open. In a child process, as the limit cannot be raised again.
TEST_F(LedgerStoreTest, MoreTablesThanTheDescriptorLimitStillFlushOpenAndRead) {
  const std::string style = GTEST_FLAG_GET(death_test_style);
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process, not a fork
  EXPECT_EXIT(
      {
        const std::string failure = WriteAndReadMoreTablesThanDescriptors(DbPath(), 128, 3200);
        std::fprintf(stderr, "%s\n", failure.empty() ? "all read back" : failure.c_str());
        std::error_code ec;
        std::filesystem::remove_all(dir(), ec);
        std::_Exit(failure.empty() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "all read back");
  GTEST_FLAG_SET(death_test_style, style);
}

TEST_F(LedgerStoreTest, SecondReadWriteOpenIsUnavailable) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(LedgerStoreTest, OpenOfAFileIsFailedPrecondition) {
  { std::ofstream(DbPath()) << "not a database"; }
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(DbPath())));
}

TEST_F(LedgerStoreTest, OtherFormatVersionIsFailedPrecondition) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_TRUE(store_->db()
                  ->Put(rocksdb::WriteOptions(), store_->meta(),
                        std::string(kMetaFormatKey), "involvement-ledger/99")
                  .ok());
  store_.reset();
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("involvement-ledger/99")));
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Creates a plain RocksDB database (default family only) with one key.
void CreatePlainRocksDb(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, path, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "someone", "else's data").ok());
  ASSERT_TRUE(db->Close().ok());
}

TEST_F(LedgerStoreTest, ReadOnlyOpenOfOtherRocksDbIsFailedPrecondition) {
  CreatePlainRocksDb(DbPath());
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(LedgerStoreTest, ReadWriteOpenOfOtherRocksDbIsFailedPrecondition) {
  // store.h: "FAILED_PRECONDITION for a directory that is not a ledger".
  // A database that holds someone else's data must be refused, not adopted.
  CreatePlainRocksDb(DbPath());
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(LedgerStoreTest, ReopenWithMissingLastEntryIsDataLoss) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_NO_FATAL_FAILURE(WriteEntries(3));
  ASSERT_TRUE(store_->db()
                  ->Delete(rocksdb::WriteOptions(), store_->entries(), EntryKey(2))
                  .ok());
  store_.reset();
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(LedgerStoreTest, ReopenWithChangedLastEntryIsDataLoss) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_NO_FATAL_FAILURE(WriteEntries(3));
  ASSERT_OK_AND_ASSIGN(std::string bytes, store_->GetEntryBytes(2));
  bytes.back() ^= 0x01;
  ASSERT_TRUE(store_->db()
                  ->Put(rocksdb::WriteOptions(), store_->entries(), EntryKey(2), bytes)
                  .ok());
  store_.reset();
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(LedgerStoreTest, ReopenWithHeadButNoEntriesIsDataLoss) {
  ASSERT_NO_FATAL_FAILURE(OpenReadWrite());
  ASSERT_TRUE(store_->db()
                  ->Put(rocksdb::WriteOptions(), store_->meta(),
                        std::string(kMetaHeadKey), EncodeLogHead({5, LeafHash("x")}))
                  .ok());
  store_.reset();
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(FromRocksStatusTest, MapsCodesAndKeepsContext) {
  EXPECT_OK(FromRocksStatus(rocksdb::Status::OK(), "ctx"));
  EXPECT_THAT(FromRocksStatus(rocksdb::Status::NotFound("x"), "reading"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("reading")));
  EXPECT_THAT(FromRocksStatus(rocksdb::Status::Corruption("x"), "c"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(FromRocksStatus(rocksdb::Status::IOError("disk on fire"), "c"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("disk on fire")));
}

}  // namespace
}  // namespace ledger
