// Tamper tests of LedgerVerifier: build a small log with the real writer,
// then change the stored bytes behind the ledger's back and check that the
// verifier names the damaged entry.
#include "ledger/verifier.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/group_commit_writer.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/store.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::MakeAppendRequest;
using ::ledger::v1::Entry;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr uint64_t kEntries = 20;
const char* const kStreams[] = {"alpha", "beta", "gamma"};

// Event i of the log: id "ev-<i>" in stream kStreams[i % 3]; its payload
// value is "payload of ev-<i>" (see MakeEvent).
std::string EventId(uint64_t i) { return absl::StrCat("ev-", i); }

class LedgerVerifierTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    BuildLog();
    if (HasFatalFailure()) return;
    OpenStore(LedgerStore::Mode::kReadWrite);
  }

  void TearDown() override {
    store_.reset();
    TempDirTest::TearDown();
  }

  std::string DbPath() const { return PathIn("ledger"); }

  // Writes kEntries single-event appends through the writer, then closes it.
  void BuildLog() {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                         LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite));
    GroupCommitWriter::Options options;
    absl::Time now = absl::FromUnixSeconds(1767225600);
    options.clock = [&now] { return now; };
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<GroupCommitWriter> writer,
                         GroupCommitWriter::Start(store.get(), options));
    for (uint64_t i = 0; i < kEntries; ++i) {
      now += absl::Seconds(1);
      ASSERT_OK(writer->Append(MakeAppendRequest(kStreams[i % 3], {EventId(i)}),
                               "builder"));
    }
    writer.reset();
  }

  void OpenStore(LedgerStore::Mode mode) {
    store_.reset();
    ASSERT_OK_AND_ASSIGN(store_, LedgerStore::Open(DbPath(), mode));
  }

  VerifyReport Verify() {
    LedgerVerifier verifier(store_.get());
    absl::StatusOr<VerifyReport> report = verifier.Run();
    EXPECT_OK(report);
    VerifyReport failed;
    failed.intact = false;
    failed.reason = "Run failed";
    return report.value_or(failed);
  }

  // --- Readers of the stored state.

  std::string EntryValue(uint64_t seq) {
    absl::StatusOr<std::string> bytes = store_->GetEntryBytes(seq);
    EXPECT_OK(bytes);
    return bytes.value_or("");
  }

  Entry EntryAt(uint64_t seq) {
    absl::StatusOr<Entry> e = ParseStoredEntry(EntryValue(seq));
    EXPECT_OK(e);
    return e.value_or(Entry());
  }

  EventIdRecord EventIdRecordOf(const std::string& event_id) {
    absl::StatusOr<std::optional<EventIdRecord>> rec = store_->LookupEventId(event_id);
    EXPECT_OK(rec);
    EXPECT_TRUE(rec.ok() && rec->has_value()) << event_id;
    return rec.ok() && rec->has_value() ? **rec : EventIdRecord{};
  }

  // --- Tampering verbs; each writes straight to RocksDB.

  void Put(rocksdb::ColumnFamilyHandle* family, const std::string& key,
           const std::string& value) {
    ASSERT_TRUE(store_->db()->Put(rocksdb::WriteOptions(), family, key, value).ok());
  }

  void Delete(rocksdb::ColumnFamilyHandle* family, const std::string& key) {
    ASSERT_TRUE(store_->db()->Delete(rocksdb::WriteOptions(), family, key).ok());
  }

  void PutEntryValue(uint64_t seq, const std::string& value) {
    Put(store_->entries(), EntryKey(seq), value);
  }

  // Flips a bit of a letter in the middle of the entry's payload value:
  // the bytes still parse, canonically, but are no longer the entry's.
  void FlipPayloadByte(uint64_t seq) {
    std::string bytes = EntryValue(seq);
    const std::string marker = absl::StrCat("payload of ", EventId(seq));
    const size_t at = bytes.find(marker);
    ASSERT_NE(at, std::string::npos);
    bytes[at + 5] ^= 0x20;  // "payload" -> "paylOad"
    ASSERT_OK(ParseStoredEntry(bytes)) << "tampered entry must still parse";
    PutEntryValue(seq, bytes);
  }

  // Re-serializes entry `seq` after `edit` changes its fields.
  template <typename Edit>
  void RewriteEntry(uint64_t seq, Edit edit) {
    Entry e = EntryAt(seq);
    edit(e);
    PutEntryValue(seq, SerializeEntry(e));
  }

  void DeleteEntry(uint64_t seq) { Delete(store_->entries(), EntryKey(seq)); }

  void SwapEntries(uint64_t a, uint64_t b) {
    const std::string va = EntryValue(a);
    const std::string vb = EntryValue(b);
    PutEntryValue(a, vb);
    PutEntryValue(b, va);
  }

  void PutStreamIndex(const std::string& stream, uint64_t version, uint64_t seq) {
    Put(store_->streams(), StreamIndexKey(stream, version), EncodeBigEndian64(seq));
  }

  void PutEventIdRecord(const std::string& event_id, const EventIdRecord& rec) {
    Put(store_->event_ids(), event_id, EncodeEventIdRecord(rec));
  }

  void PutHead(const LogHead& head) {
    Put(store_->meta(), std::string(kMetaHeadKey), EncodeLogHead(head));
  }

  // The values of `keys` in `family`, read past LedgerStore (which opens
  // no older format read-only); nullopt where absent.
  std::vector<std::optional<std::string>> ReadRaw(const std::string& family,
                                                  const std::vector<std::string>& keys) {
    std::vector<std::optional<std::string>> out(keys.size());
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), DbPath(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& name : names) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status opened = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), DbPath(),
                                                                families, &handles, &raw);
    EXPECT_TRUE(opened.ok()) << opened.ToString();
    if (!opened.ok()) return out;
    std::unique_ptr<rocksdb::DB> db(raw);
    const size_t f = std::find(names.begin(), names.end(), family) - names.begin();
    EXPECT_LT(f, names.size()) << family;
    for (size_t i = 0; f < names.size() && i < keys.size(); ++i) {
      std::string value;
      if (db->Get(rocksdb::ReadOptions(), handles[f], keys[i], &value).ok()) out[i] = value;
    }
    for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
    return out;
  }

  // --- Older formats.
  void MakeEventIdRecordsFormat2(uint64_t count);
  // Moves every node of levels 3 to 8 to its format-3 key; returns the
  // moved nodes' (format-4) keys and values.
  std::vector<std::pair<std::string, std::string>> MakeNodeKeysFormat3();
  // Each moved node is at its format-4 key, with its value, and not at its
  // format-3 one.
  void ExpectNodeKeysMoved(const std::vector<std::pair<std::string, std::string>>& moved);
  // Writes `format` as the marker, checks that a read-only open refuses
  // it, and opens the database read-write, which upgrades it.
  void UpgradeFrom(std::string_view format);
  // The database holds the current format, every event-id record in its
  // form, and verifies, read-write and read-only.
  void ExpectCurrentFormat();

  std::unique_ptr<LedgerStore> store_;
};

// The report of a damaged log that names `seq`.
void ExpectBadAt(const VerifyReport& report, uint64_t seq) {
  EXPECT_FALSE(report.intact);
  EXPECT_THAT(report.bad_sequence, Optional(seq)) << report.reason;
  EXPECT_FALSE(report.reason.empty());
}

TEST_F(LedgerVerifierTest, IntactLogIsIntact) {
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  LedgerVerifier verifier(store_.get());
  ASSERT_OK_AND_ASSIGN(VerifyReport report,
                       verifier.Run([&](uint64_t done, uint64_t total) {
                         progress.emplace_back(done, total);
                       }));
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, kEntries);
  EXPECT_EQ(report.bad_sequence, std::nullopt);
  EXPECT_EQ(report.reason, "");
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(kEntries, kEntries));
}

// Both read-only modes: kReadOnlyScan is ledger-verify's and the backup
// check's.
constexpr LedgerStore::Mode kReadOnlyModes[] = {LedgerStore::Mode::kReadOnly,
                                                LedgerStore::Mode::kReadOnlyScan};

TEST_F(LedgerVerifierTest, IntactLogIsIntactThroughReadOnlyOpen) {
  for (LedgerStore::Mode mode : kReadOnlyModes) {
    SCOPED_TRACE(static_cast<int>(mode));
    ASSERT_NO_FATAL_FAILURE(OpenStore(mode));
    VerifyReport report = Verify();
    EXPECT_TRUE(report.intact) << report.reason;
    EXPECT_EQ(report.entries, kEntries);
  }
}

TEST_F(LedgerVerifierTest, EmptyDatabaseIsIntact) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<LedgerStore> empty,
      LedgerStore::Open(PathIn("empty"), LedgerStore::Mode::kReadWrite));
  LedgerVerifier verifier(empty.get());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, verifier.Run());
  EXPECT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, 0u);
  EXPECT_EQ(report.bad_sequence, std::nullopt);
}

TEST_F(LedgerVerifierTest, FlippedByteInMiddleEntryIsNamed) {
  FlipPayloadByte(7);
  ExpectBadAt(Verify(), 7);
}

TEST_F(LedgerVerifierTest, FlippedByteInFirstEntryIsNamed) {
  FlipPayloadByte(0);
  ExpectBadAt(Verify(), 0);
}

TEST_F(LedgerVerifierTest, FlippedByteInSecondToLastEntryIsNamed) {
  FlipPayloadByte(kEntries - 2);
  ExpectBadAt(Verify(), kEntries - 2);
}

TEST_F(LedgerVerifierTest, FlippedByteInLastEntryIsNamed) {
  FlipPayloadByte(kEntries - 1);
  ExpectBadAt(Verify(), kEntries - 1);
}

TEST_F(LedgerVerifierTest, FlippedByteIsFoundThroughReadOnlyOpen) {
  FlipPayloadByte(12);
  for (LedgerStore::Mode mode : kReadOnlyModes) {
    SCOPED_TRACE(static_cast<int>(mode));
    ASSERT_NO_FATAL_FAILURE(OpenStore(mode));
    ExpectBadAt(Verify(), 12);
  }
}

TEST_F(LedgerVerifierTest, UnparseableEntryIsNamed) {
  PutEntryValue(9, "\xff\xff\xff");
  ExpectBadAt(Verify(), 9);
}

TEST_F(LedgerVerifierTest, ChangedPrevHashIsNamed) {
  RewriteEntry(10, [](Entry& e) { e.set_prev_hash(std::string(32, '\x01')); });
  ExpectBadAt(Verify(), 10);
}

TEST_F(LedgerVerifierTest, EntryRecordingAnotherSequenceIsNamed) {
  RewriteEntry(10, [](Entry& e) { e.set_sequence(11); });
  ExpectBadAt(Verify(), 10);
}

TEST_F(LedgerVerifierTest, NonZeroPrevHashOfFirstEntryIsNamed) {
  RewriteEntry(0, [](Entry& e) { e.set_prev_hash(std::string(32, '\x07')); });
  ExpectBadAt(Verify(), 0);
}

TEST_F(LedgerVerifierTest, DeletedMiddleEntryIsNamed) {
  DeleteEntry(5);
  ExpectBadAt(Verify(), 5);
}

TEST_F(LedgerVerifierTest, DeletedFirstEntryIsNamed) {
  DeleteEntry(0);
  ExpectBadAt(Verify(), 0);
}

TEST_F(LedgerVerifierTest, DeletedLastEntryIsNamed) {
  DeleteEntry(kEntries - 1);
  ExpectBadAt(Verify(), kEntries - 1);
}

TEST_F(LedgerVerifierTest, SwappedAdjacentEntriesNameTheFirst) {
  SwapEntries(8, 9);
  ExpectBadAt(Verify(), 8);
}

TEST_F(LedgerVerifierTest, SwappedLastTwoEntriesNameTheFirst) {
  SwapEntries(kEntries - 2, kEntries - 1);
  ExpectBadAt(Verify(), kEntries - 2);
}

TEST_F(LedgerVerifierTest, StreamIndexPointingToLaterEntryNamesTheIndexedEntry) {
  const Entry e = EntryAt(10);
  PutStreamIndex(e.stream(), e.stream_version(), 11);
  ExpectBadAt(Verify(), 10);
}

TEST_F(LedgerVerifierTest, StreamIndexPointingToEarlierEntryNamesTheIndexedEntry) {
  const Entry e = EntryAt(10);
  PutStreamIndex(e.stream(), e.stream_version(), 3);
  ExpectBadAt(Verify(), 10);
}

TEST_F(LedgerVerifierTest, MissingStreamIndexKeyIsNamed) {
  const Entry e = EntryAt(6);
  Delete(store_->streams(), StreamIndexKey(e.stream(), e.stream_version()));
  ExpectBadAt(Verify(), 6);
}

TEST_F(LedgerVerifierTest, ExtraStreamIndexKeyIsReported) {
  const Entry e = EntryAt(4);
  PutStreamIndex(e.stream(), 99, 4);
  VerifyReport report = Verify();
  // No entry is damaged; the report names the sequence the stray key points to.
  ExpectBadAt(report, 4);
  EXPECT_THAT(report.reason, HasSubstr("99"));
}

TEST_F(LedgerVerifierTest, MalformedExtraStreamIndexKeyIsReported) {
  Put(store_->streams(), StreamIndexKey("alpha", 50), "bad");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.bad_sequence, std::nullopt);
  EXPECT_FALSE(report.reason.empty());
}

TEST_F(LedgerVerifierTest, EventIdRecordPointingElsewhereIsNamed) {
  EventIdRecord rec = EventIdRecordOf(EventId(12));
  ASSERT_EQ(rec.sequence, 12u);
  rec.sequence = 13;
  PutEventIdRecord(EventId(12), rec);
  ExpectBadAt(Verify(), 12);
}

TEST_F(LedgerVerifierTest, EventIdRecordWithWrongVersionIsNamed) {
  EventIdRecord rec = EventIdRecordOf(EventId(12));
  rec.stream_version += 1;
  PutEventIdRecord(EventId(12), rec);
  ExpectBadAt(Verify(), 12);
}

TEST_F(LedgerVerifierTest, EventIdRecordInFormat2FormIsNamed) {
  // The right position with a content digest after it, as format 2 wrote.
  const std::string right = EncodeEventIdRecord(EventIdRecordOf(EventId(12)));
  Put(store_->event_ids(), EventId(12), right + std::string(AsBytes(LeafHash("c"))));
  VerifyReport report = Verify();
  ExpectBadAt(report, 12);
  EXPECT_THAT(report.reason, HasSubstr("malformed"));
}

TEST_F(LedgerVerifierTest, MissingEventIdRecordIsNamed) {
  Delete(store_->event_ids(), EventId(6));
  ExpectBadAt(Verify(), 6);
}

TEST_F(LedgerVerifierTest, ExtraEventIdRecordIsReported) {
  PutEventIdRecord("ghost", {3, 2});
  VerifyReport report = Verify();
  ExpectBadAt(report, 3);
  EXPECT_THAT(report.reason, HasSubstr("ghost"));
}

TEST_F(LedgerVerifierTest, TruncatedLogWithStaleHeadIsNamed) {
  for (uint64_t seq = 17; seq < kEntries; ++seq) DeleteEntry(seq);
  ExpectBadAt(Verify(), 17);
}

TEST_F(LedgerVerifierTest, TruncatedLogWithRewrittenHeadIsNamed) {
  // A rollback that also fixes the head still leaves index records behind.
  const Hash leaf16 = LeafHash(EntryValue(16));
  for (uint64_t seq = 17; seq < kEntries; ++seq) DeleteEntry(seq);
  PutHead({17, leaf16});
  ExpectBadAt(Verify(), 17);
}

TEST_F(LedgerVerifierTest, EntryBeyondTheHeadIsNamed) {
  PutHead({kEntries - 1, LeafHash(EntryValue(kEntries - 2))});
  ExpectBadAt(Verify(), kEntries - 1);
}

TEST_F(LedgerVerifierTest, HeadWithWrongLeafHashNamesTheLastEntry) {
  PutHead({kEntries, LeafHash("not the last entry")});
  ExpectBadAt(Verify(), kEntries - 1);
}

TEST_F(LedgerVerifierTest, MalformedHeadIsReported) {
  Put(store_->meta(), std::string(kMetaHeadKey), "short");
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.bad_sequence, std::nullopt);
  EXPECT_FALSE(report.reason.empty());
}

TEST_F(LedgerVerifierTest, ForgedEntryAppendedWithoutHeadIsNamed) {
  Entry extra = EntryAt(kEntries - 1);
  extra.set_sequence(kEntries);
  extra.set_stream_version(extra.stream_version() + 1);
  extra.set_event_id("forged");
  extra.set_prev_hash(std::string(AsBytes(LeafHash(EntryValue(kEntries - 1)))));
  PutEntryValue(kEntries, SerializeEntry(extra));
  ExpectBadAt(Verify(), kEntries);
}

}  // namespace
}  // namespace ledger

namespace ledger {
namespace {

TEST_F(LedgerVerifierTest, ChangedTreeNodeIsNamed) {
  // Node (level 3, index 1) covers sequences 8..15.
  Put(store_->nodes(), NodeKey(3, 1), std::string(AsBytes(LeafHash("forged"))));
  ExpectBadAt(Verify(), 8);
}

TEST_F(LedgerVerifierTest, MissingTreeNodeIsNamed) {
  ASSERT_TRUE(store_->db()->Delete(rocksdb::WriteOptions(), store_->nodes(),
                                   NodeKey(3, 1)).ok());
  ExpectBadAt(Verify(), 8);
}

TEST_F(LedgerVerifierTest, LogsBelowAndAtTheFirstStoredLevelKeepTheirNodesExact) {
  // Below 8 entries the tree has no stored node at all; at 8 it has (3, 0)
  // only. A stray key is reported either way.
  for (uint64_t n : {5u, 8u}) {
    SCOPED_TRACE(n);
    const std::string path = PathIn(absl::StrCat("small-", n));
    {
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                           LedgerStore::Open(path, LedgerStore::Mode::kReadWrite));
      ASSERT_OK_AND_ASSIGN(std::unique_ptr<GroupCommitWriter> writer,
                           GroupCommitWriter::Start(store.get(), GroupCommitWriter::Options()));
      for (uint64_t i = 0; i < n; ++i) {
        ASSERT_OK(writer->Append(MakeAppendRequest("s", {EventId(i)}), "builder"));
      }
    }
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<LedgerStore> store,
                         LedgerStore::Open(path, LedgerStore::Mode::kReadWrite));
    auto verify = [&] {
      absl::StatusOr<VerifyReport> r = LedgerVerifier(store.get()).Run();
      EXPECT_OK(r);
      return r.ok() && r->intact;
    };
    EXPECT_TRUE(verify());
    std::unique_ptr<rocksdb::Iterator> it = store->NewIterator(store->nodes());
    it->SeekToFirst();
    if (n < 8) {
      EXPECT_FALSE(it->Valid());
    } else {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->key().ToString(), NodeKey(3, 0));
    }
    it.reset();
    for (const std::string& stray : {NodeKey(0, 0), NodeKey(3, 0), NodeKey(3, 1)}) {
      SCOPED_TRACE(HexEncode(stray));
      std::string before;
      const bool had = store->db()->Get(rocksdb::ReadOptions(), store->nodes(), stray,
                                        &before).ok();
      if (had) continue;  // (3, 0) at 8 entries is the tree's own
      ASSERT_TRUE(store->db()
                      ->Put(rocksdb::WriteOptions(), store->nodes(), stray,
                            std::string(AsBytes(LeafHash("x"))))
                      .ok());
      EXPECT_FALSE(verify());
      ASSERT_TRUE(store->db()->Delete(rocksdb::WriteOptions(), store->nodes(), stray).ok());
      EXPECT_TRUE(verify());
    }
  }
}

// Gives every event-id record the content digest format 2 kept after it,
// or just the first `count` of them.
void LedgerVerifierTest::MakeEventIdRecordsFormat2(uint64_t count) {
  for (uint64_t seq = 0; seq < std::min(count, kEntries); ++seq) {
    const std::string id = EventId(seq);
    const std::string record = EncodeEventIdRecord(EventIdRecordOf(id));
    Put(store_->event_ids(), id,
        record + std::string(AsBytes(EventContentDigest(EntryAt(seq)))));
  }
}

std::vector<std::pair<std::string, std::string>> LedgerVerifierTest::MakeNodeKeysFormat3() {
  std::vector<std::pair<std::string, std::string>> moved;
  std::unique_ptr<rocksdb::Iterator> it = store_->NewIterator(store_->nodes());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::optional<NodeKeyParts> parts = ParseNodeKey(it->key().ToStringView());
    EXPECT_TRUE(parts.has_value()) << HexEncode(it->key().ToStringView());
    if (!parts.has_value() || parts->level >= kTileLevel) continue;
    moved.emplace_back(it->key().ToString(), it->value().ToString());
  }
  EXPECT_TRUE(it->status().ok());
  it.reset();
  for (const auto& [key, value] : moved) {
    const NodeKeyParts parts = *ParseNodeKey(key);
    Put(store_->nodes(), Format3NodeKey(parts.level, parts.index), value);
    Delete(store_->nodes(), key);
  }
  return moved;
}

void LedgerVerifierTest::ExpectNodeKeysMoved(
    const std::vector<std::pair<std::string, std::string>>& moved) {
  ASSERT_FALSE(moved.empty());
  for (const auto& [key, value] : moved) {
    const NodeKeyParts parts = *ParseNodeKey(key);
    std::string got;
    EXPECT_TRUE(store_->db()->Get(rocksdb::ReadOptions(), store_->nodes(), key, &got).ok());
    EXPECT_EQ(got, value);
    EXPECT_TRUE(store_->db()
                    ->Get(rocksdb::ReadOptions(), store_->nodes(),
                          Format3NodeKey(parts.level, parts.index), &got)
                    .IsNotFound());
  }
}

void LedgerVerifierTest::UpgradeFrom(std::string_view format) {
  Put(store_->meta(), std::string(kMetaFormatKey), std::string(format));
  store_.reset();
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly),
              ::ledger::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("start ledgerd on it")));
  OpenStore(LedgerStore::Mode::kReadWrite);
  ASSERT_NE(store_, nullptr);
}

void LedgerVerifierTest::ExpectCurrentFormat() {
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> format, store_->GetMeta(kMetaFormatKey));
  EXPECT_THAT(format, Optional(std::string(kFormatVersion)));
  for (uint64_t seq = 0; seq < kEntries; ++seq) {
    std::string value;
    ASSERT_TRUE(store_->db()
                    ->Get(rocksdb::ReadOptions(), store_->event_ids(), EventId(seq), &value)
                    .ok());
    EXPECT_EQ(value, EncodeEventIdRecord({seq, seq / 3 + 1})) << seq;
  }
  EXPECT_TRUE(Verify().intact);
  OpenStore(LedgerStore::Mode::kReadOnly);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(LedgerVerifierTest, AFormat1DatabaseIsUpgradedByAReadWriteOpenOnly) {
  // Make the log a format-1 one: levels 0 to 2 stored too, every node at
  // its format-3 key, event-id records with content digests, and the old
  // marker.
  const auto moved = MakeNodeKeysFormat3();
  std::vector<std::string> low_keys;
  for (int level = 0; level < kLowestStoredNodeLevel; ++level) {
    for (uint64_t index = 0; index < (kEntries >> level); ++index) {
      ASSERT_OK_AND_ASSIGN(Hash h, store_->GetNode(level, index));
      low_keys.push_back(Format3NodeKey(level, index));
      Put(store_->nodes(), low_keys.back(), std::string(AsBytes(h)));
    }
  }
  MakeEventIdRecordsFormat2(kEntries);
  ASSERT_NO_FATAL_FAILURE(UpgradeFrom(kFormatVersion1));
  for (const std::string& key : low_keys) {
    std::string value;
    EXPECT_TRUE(store_->db()->Get(rocksdb::ReadOptions(), store_->nodes(), key, &value)
                    .IsNotFound())
        << HexEncode(key);
  }
  ExpectNodeKeysMoved(moved);
  ExpectCurrentFormat();
}

TEST_F(LedgerVerifierTest, AFormat2DatabaseIsUpgradedByAReadWriteOpenOnly) {
  const auto moved = MakeNodeKeysFormat3();
  MakeEventIdRecordsFormat2(kEntries);
  ASSERT_NO_FATAL_FAILURE(UpgradeFrom(kFormatVersion2));
  ExpectNodeKeysMoved(moved);
  ExpectCurrentFormat();
}

TEST_F(LedgerVerifierTest, AnInterruptedFormat2UpgradeIsFinished) {
  // A crash mid-upgrade leaves some records rewritten under the old marker.
  const auto moved = MakeNodeKeysFormat3();
  MakeEventIdRecordsFormat2(kEntries / 2);
  Put(store_->meta(), std::string(kMetaFormatKey), std::string(kFormatVersion2));
  OpenStore(LedgerStore::Mode::kReadWrite);
  ASSERT_NE(store_, nullptr);
  ExpectNodeKeysMoved(moved);
  ExpectCurrentFormat();
}

TEST_F(LedgerVerifierTest, AFormat3DatabaseIsUpgradedByAReadWriteOpenOnly) {
  const auto moved = MakeNodeKeysFormat3();
  // A format-3 database does not verify as format 4: its nodes are where
  // format 4 has none.
  EXPECT_FALSE(Verify().intact);
  ASSERT_NO_FATAL_FAILURE(UpgradeFrom(kFormatVersion3));
  ExpectNodeKeysMoved(moved);
  ExpectCurrentFormat();
}

TEST_F(LedgerVerifierTest, AnInterruptedFormat3UpgradeIsFinished) {
  // A crash before the last batch leaves the old keys whole, and some of
  // the new ones written, under the old marker.
  const auto moved = MakeNodeKeysFormat3();
  Put(store_->nodes(), moved.front().first, moved.front().second);
  Put(store_->meta(), std::string(kMetaFormatKey), std::string(kFormatVersion3));
  OpenStore(LedgerStore::Mode::kReadWrite);
  ASSERT_NE(store_, nullptr);
  ExpectNodeKeysMoved(moved);
  ExpectCurrentFormat();
}

TEST_F(LedgerVerifierTest, AFormat3UpgradeStopsAtAMalformedNode) {
  const auto moved = MakeNodeKeysFormat3();
  const std::string odd = Format3NodeKey(4, 0) + "x";
  Put(store_->nodes(), odd, std::string(AsBytes(LeafHash("x"))));
  Put(store_->meta(), std::string(kMetaFormatKey), std::string(kFormatVersion3));
  store_.reset();
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              ::ledger::testing::StatusIs(absl::StatusCode::kDataLoss,
                                          HasSubstr(HexEncode(odd))));
  // Nothing was changed: the marker, and every node at its old key.
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly),
              ::ledger::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr(std::string(kFormatVersion3))));
  std::vector<std::string> old_keys;
  for (const auto& [key, value] : moved) {
    const NodeKeyParts parts = *ParseNodeKey(key);
    old_keys.push_back(Format3NodeKey(parts.level, parts.index));
  }
  const std::vector<std::optional<std::string>> values = ReadRaw("nodes", old_keys);
  for (size_t i = 0; i < moved.size(); ++i) {
    EXPECT_THAT(values[i], Optional(moved[i].second)) << HexEncode(old_keys[i]);
  }
}

TEST_F(LedgerVerifierTest, AFormat2UpgradeStopsAtAMalformedRecord) {
  MakeEventIdRecordsFormat2(kEntries);
  Put(store_->event_ids(), EventId(5), "twenty bytes, not 48");
  Put(store_->meta(), std::string(kMetaFormatKey), std::string(kFormatVersion2));
  store_.reset();
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              ::ledger::testing::StatusIs(absl::StatusCode::kDataLoss,
                                          HasSubstr(EventId(5))));
  // Nothing was changed: the marker, and every other record still with
  // its digest (a release before format 3 can verify the database).
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly),
              ::ledger::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr(std::string(kFormatVersion2))));
  std::vector<std::string> ids;
  for (uint64_t seq = 0; seq < kEntries; ++seq) {
    if (seq != 5) ids.push_back(EventId(seq));
  }
  const std::vector<std::optional<std::string>> values = ReadRaw("event_ids", ids);
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSERT_TRUE(values[i].has_value()) << ids[i];
    EXPECT_EQ(values[i]->size(), kEventIdRecordV2Size) << ids[i];
  }
}

TEST_F(LedgerVerifierTest, AFormat2UpgradeStopsAtADigestThatDisagreesWithItsEntry) {
  // The digest is the last record of the content outside the entry: an
  // entry changed since it was appended is refused, not upgraded past.
  const std::string record = EncodeEventIdRecord(EventIdRecordOf(EventId(7)));
  MakeEventIdRecordsFormat2(kEntries);
  Put(store_->event_ids(), EventId(7), record + std::string(AsBytes(LeafHash("other"))));
  Put(store_->meta(), std::string(kMetaFormatKey), std::string(kFormatVersion2));
  store_.reset();
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadWrite),
              ::ledger::testing::StatusIs(absl::StatusCode::kDataLoss,
                                          HasSubstr("does not match the entry at sequence 7")));
  EXPECT_THAT(LedgerStore::Open(DbPath(), LedgerStore::Mode::kReadOnly),
              ::ledger::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr(std::string(kFormatVersion2))));
}

TEST_F(LedgerVerifierTest, NodeOfALevelThatIsNotStoredIsReported) {
  // Levels below kLowestStoredNodeLevel are computed from the entries; a
  // stored one, even with the right hash, is not part of the format.
  ASSERT_OK_AND_ASSIGN(Hash right, store_->GetNode(1, 3));
  Put(store_->nodes(), NodeKey(1, 3), std::string(AsBytes(right)));
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_FALSE(report.reason.empty());
}

TEST_F(LedgerVerifierTest, ExtraTreeNodeIsReported) {
  Put(store_->nodes(), NodeKey(0, kEntries + 5), std::string(AsBytes(LeafHash("x"))));
  VerifyReport report = Verify();
  EXPECT_FALSE(report.intact);
  EXPECT_FALSE(report.reason.empty());
}

TEST_F(LedgerVerifierTest, ReportsRootsAtRequestedSizes) {
  LedgerVerifier verifier(store_.get());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, verifier.Run(nullptr, {0, 5, kEntries, kEntries + 1}));
  ASSERT_TRUE(report.intact) << report.reason;
  std::vector<Hash> leaves;
  for (uint64_t s = 0; s < kEntries; ++s) leaves.push_back(LeafHash(EntryValue(s)));
  EXPECT_EQ(report.roots.at(0), RootOfLeaves({}));
  EXPECT_EQ(report.roots.at(5), RootOfLeaves({leaves.begin(), leaves.begin() + 5}));
  EXPECT_EQ(report.roots.at(kEntries), RootOfLeaves(leaves));
  EXPECT_EQ(report.roots.count(kEntries + 1), 0u);
}

}  // namespace
}  // namespace ledger

namespace ledger {
namespace {

// The log checked in chunks of 1, 2, 4 and 8 entries, on one thread and on
// three: damage at a chunk's first entry, its last, in its middle and
// across a boundary is named as one in-order pass over the log names it.
struct Chunking {
  int chunk_level;
  unsigned threads;
};

class ChunkedVerifierTest : public LedgerVerifierTest,
                            public ::testing::WithParamInterface<Chunking> {
 protected:
  VerifyReport VerifyInChunks(const std::set<uint64_t>& sizes = {}) {
    LedgerVerifier verifier(store_.get(), {GetParam().threads, GetParam().chunk_level});
    absl::StatusOr<VerifyReport> report = verifier.Run(
        [this](uint64_t done, uint64_t total) { progress_.emplace_back(done, total); },
        sizes);
    EXPECT_OK(report);
    VerifyReport failed;
    failed.intact = false;
    failed.reason = "Run failed";
    return report.value_or(failed);
  }

  // Damages the store with `tamper`, expects the report to name `seq`, and
  // puts back the entries it names in `restore`.
  template <typename Tamper>
  void ExpectNamed(uint64_t seq, const std::vector<uint64_t>& restore, Tamper tamper) {
    std::vector<std::string> saved;
    for (uint64_t s : restore) saved.push_back(EntryValue(s));
    tamper();
    SCOPED_TRACE(::testing::Message() << "expecting sequence " << seq);
    ExpectBadAt(VerifyInChunks(), seq);
    for (size_t i = 0; i < restore.size(); ++i) PutEntryValue(restore[i], saved[i]);
    ASSERT_TRUE(VerifyInChunks().intact) << "not restored";
  }

  std::vector<std::pair<uint64_t, uint64_t>> progress_;
};

TEST_P(ChunkedVerifierTest, IntactLogIsIntactWithItsRoots) {
  VerifyReport report = VerifyInChunks({0, 1, 3, 4, 5, 8, 13, 16, kEntries, kEntries + 1});
  ASSERT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, kEntries);
  ASSERT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.back(), std::make_pair(kEntries, kEntries));
  std::vector<Hash> leaves;
  for (uint64_t s = 0; s < kEntries; ++s) leaves.push_back(LeafHash(EntryValue(s)));
  for (uint64_t size : {0, 1, 3, 4, 5, 8, 13, 16, 20}) {
    EXPECT_EQ(report.roots.at(size),
              RootOfLeaves({leaves.begin(), leaves.begin() + size}))
        << size;
  }
  EXPECT_EQ(report.roots.count(kEntries + 1), 0u);
}

TEST_P(ChunkedVerifierTest, FlippedBytesAreNamedWhereverTheyFall) {
  for (uint64_t seq : {0, 1, 3, 4, 5, 7, 8, 15, 16, 18, 19}) {
    ExpectNamed(seq, {seq}, [&] { FlipPayloadByte(seq); });
  }
}

TEST_P(ChunkedVerifierTest, BrokenLinksAreNamed) {
  for (uint64_t seq : {1, 4, 8, 10, 16}) {
    ExpectNamed(seq, {seq}, [&] {
      RewriteEntry(seq, [](Entry& e) { e.set_prev_hash(std::string(32, '\x01')); });
    });
  }
}

TEST_P(ChunkedVerifierTest, StreamVersionGapAtAChunkStartIsNamed) {
  RewriteEntry(8, [](Entry& e) { e.set_stream_version(e.stream_version() + 5); });
  VerifyReport report = VerifyInChunks();
  ExpectBadAt(report, 8);
  EXPECT_THAT(report.reason, HasSubstr("version"));
}

TEST_P(ChunkedVerifierTest, MissingAndSwappedEntriesAreNamed) {
  ExpectNamed(8, {8}, [&] { DeleteEntry(8); });
  ExpectNamed(7, {7}, [&] { DeleteEntry(7); });
  ExpectNamed(7, {7, 8}, [&] { SwapEntries(7, 8); });
  ExpectNamed(3, {3, 4}, [&] { SwapEntries(3, 4); });
}

TEST_P(ChunkedVerifierTest, StrayKeyBeforeAChunkIsNamed) {
  // A key that sorts between entries 7 and 8 is what an in-order pass
  // meets at position 8.
  Put(store_->entries(), EntryKey(7) + "x", EntryValue(7));
  VerifyReport report = VerifyInChunks();
  ExpectBadAt(report, 8);
  EXPECT_THAT(report.reason, HasSubstr("malformed key"));
}

TEST_P(ChunkedVerifierTest, IndexRecordsAtChunkEdgesAreNamed) {
  const Entry e8 = EntryAt(8);
  PutStreamIndex(e8.stream(), e8.stream_version(), 9);
  ExpectBadAt(VerifyInChunks(), 8);
  PutStreamIndex(e8.stream(), e8.stream_version(), 8);
  EventIdRecord rec = EventIdRecordOf(EventId(3));
  rec.stream_version += 1;
  PutEventIdRecord(EventId(3), rec);
  ExpectBadAt(VerifyInChunks(), 3);
}

TEST_P(ChunkedVerifierTest, ChangedTreeNodesAreNamedAtEveryLevel) {
  // (level, index) -> the first sequence the node covers.
  // Levels 0 to 2 are not stored (kLowestStoredNodeLevel).
  static_assert(kLowestStoredNodeLevel == 3);
  const std::pair<int, uint64_t> nodes[] = {{3, 0}, {3, 1}, {4, 0}};
  for (const auto& [level, index] : nodes) {
    const std::string key = NodeKey(level, index);
    ASSERT_OK_AND_ASSIGN(Hash original, store_->GetNode(level, index));
    Put(store_->nodes(), key, std::string(AsBytes(LeafHash("forged"))));
    SCOPED_TRACE(::testing::Message() << "node " << level << "/" << index);
    ExpectBadAt(VerifyInChunks(), index << level);
    Delete(store_->nodes(), key);
    ExpectBadAt(VerifyInChunks(), index << level);
    Put(store_->nodes(), key, std::string(AsBytes(original)));
  }
  EXPECT_TRUE(VerifyInChunks().intact);
}

TEST_P(ChunkedVerifierTest, StrayNodesAreReported) {
  const std::string stray[] = {
      NodeKey(0, kEntries),  // just past the last leaf
      NodeKey(0, 12),        // a level that is not stored
      NodeKey(2, 1),         // likewise, just below the first stored level
      NodeKey(2, 99),        // inside the levels
      NodeKey(1, 9) + "x",   // between two nodes of a level
      std::string(1, '\x02'),  // before a level's first node
      NodeKey(5, 0),         // above the top level
      std::string(),         // before everything
  };
  for (const std::string& key : stray) {
    SCOPED_TRACE(HexEncode(key));
    Put(store_->nodes(), key, std::string(AsBytes(LeafHash("x"))));
    VerifyReport report = VerifyInChunks();
    EXPECT_FALSE(report.intact);
    EXPECT_FALSE(report.reason.empty());
    Delete(store_->nodes(), key);
  }
  EXPECT_TRUE(VerifyInChunks().intact);
}

TEST_P(ChunkedVerifierTest, LogLongerOrShorterThanItsHeadIsNamed) {
  PutHead({kEntries - 1, LeafHash(EntryValue(kEntries - 2))});
  ExpectBadAt(VerifyInChunks(), kEntries - 1);
  PutHead({kEntries, LeafHash(EntryValue(kEntries - 1))});
  ExpectNamed(17, {17, 18, 19}, [&] {
    for (uint64_t seq = 17; seq < kEntries; ++seq) DeleteEntry(seq);
  });
}

TEST_P(ChunkedVerifierTest, ForgedEntryBeyondTheHeadIsNamed) {
  Entry extra = EntryAt(kEntries - 1);
  extra.set_sequence(kEntries);
  extra.set_stream_version(extra.stream_version() + 1);
  extra.set_event_id("forged");
  extra.set_prev_hash(std::string(AsBytes(LeafHash(EntryValue(kEntries - 1)))));
  PutEntryValue(kEntries, SerializeEntry(extra));
  ExpectBadAt(VerifyInChunks(), kEntries);
}

INSTANTIATE_TEST_SUITE_P(
    Chunkings, ChunkedVerifierTest,
    ::testing::Values(Chunking{0, 1}, Chunking{0, 3}, Chunking{1, 3}, Chunking{2, 1},
                      Chunking{2, 3}, Chunking{3, 3}),
    [](const ::testing::TestParamInfo<Chunking>& chunking) {
      return absl::StrCat("Of", uint64_t{1} << chunking.param.chunk_level, "On",
                          chunking.param.threads, "Threads");
    });

// A log of 1,300 entries: two whole tiles of nodes (levels 3 to 8 under
// 512 leaves each), a third with 276 leaves, and upper nodes above them,
// checked in chunks smaller than a tile, of one, and of several.
constexpr uint64_t kTiledEntries = 1300;

class TiledTreeVerifierTest : public ::ledger::testing::TempDirTest,
                              public ::testing::WithParamInterface<Chunking> {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_OK_AND_ASSIGN(store_, LedgerStore::Open(PathIn("ledger"),
                                                   LedgerStore::Mode::kReadWrite));
    GroupCommitWriter::Options options;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<GroupCommitWriter> writer,
                         GroupCommitWriter::Start(store_.get(), options));
    for (uint64_t k = 0; k < kTiledEntries / 100; ++k) {
      ASSERT_OK(writer->Append(
          MakeAppendRequest(kStreams[k % 3], absl::StrCat("tiled-", k), 100), "builder"));
    }
  }

  void TearDown() override {
    store_.reset();
    TempDirTest::TearDown();
  }

  VerifyReport Verify(const std::set<uint64_t>& sizes = {}) {
    LedgerVerifier verifier(store_.get(), {GetParam().threads, GetParam().chunk_level});
    absl::StatusOr<VerifyReport> report = verifier.Run(nullptr, sizes);
    EXPECT_OK(report);
    VerifyReport failed;
    failed.intact = false;
    failed.reason = "Run failed";
    return report.value_or(failed);
  }

  void Put(const std::string& key, const std::string& value) {
    ASSERT_TRUE(store_->db()->Put(rocksdb::WriteOptions(), store_->nodes(), key, value).ok());
  }
  void Delete(const std::string& key) {
    ASSERT_TRUE(store_->db()->Delete(rocksdb::WriteOptions(), store_->nodes(), key).ok());
  }

  std::unique_ptr<LedgerStore> store_;
};

TEST_P(TiledTreeVerifierTest, IntactLogIsIntactWithItsRoots) {
  const VerifyReport report = Verify({512, 777, 1024, kTiledEntries});
  ASSERT_TRUE(report.intact) << report.reason;
  EXPECT_EQ(report.entries, kTiledEntries);
  std::vector<Hash> leaves;
  for (uint64_t s = 0; s < kTiledEntries; ++s) {
    ASSERT_OK_AND_ASSIGN(std::string bytes, store_->GetEntryBytes(s));
    leaves.push_back(LeafHash(bytes));
  }
  for (uint64_t size : {512, 777, 1024, 1300}) {
    EXPECT_EQ(report.roots.at(size), RootOfLeaves({leaves.begin(), leaves.begin() + size}))
        << size;
  }
}

TEST_P(TiledTreeVerifierTest, ChangedAndMissingNodesAreNamedInEveryTileAndAbove) {
  const std::pair<int, uint64_t> nodes[] = {
      {3, 64},   // the first of the second tile
      {6, 13},   // inside the second tile
      {8, 3},    // the second tile's last
      {8, 4},    // in the third, partial tile
      {3, 161},  // the partial tile's last whole level-3 node (leaves 1288-1295)
      {9, 1},    // above the tiles
      {10, 0},
  };
  for (const auto& [level, index] : nodes) {
    SCOPED_TRACE(::testing::Message() << "node " << level << "/" << index);
    const std::string key = NodeKey(level, index);
    ASSERT_OK_AND_ASSIGN(Hash original, store_->GetNode(level, index));
    Put(key, std::string(AsBytes(LeafHash("forged"))));
    ExpectBadAt(Verify(), index << level);
    Delete(key);
    ExpectBadAt(Verify(), index << level);
    Put(key, std::string(AsBytes(original)));
  }
  EXPECT_TRUE(Verify().intact);
}

TEST_P(TiledTreeVerifierTest, StrayNodesAreReportedInAndAroundTiles) {
  const std::string tile1 = std::string(1, '\0') + EncodeBigEndian64(1);
  const std::string stray[] = {
      NodeKey(3, 162),          // leaves 1296-1303: not all in the log
      NodeKey(4, 81),           // likewise, between two stored nodes
      NodeKey(8, 5),            // the partial tile's incomplete level-8 node
      NodeKey(3, 192),          // a fourth tile
      tile1 + "\x40",           // a tile's own root, at a tile key
      tile1 + "\x01" + "x",     // between two keys of a tile
      Format3NodeKey(3, 1),     // a format-3 key left behind
      NodeKey(9, 2),            // an upper node not yet whole
      NodeKey(11, 0),
  };
  for (const std::string& key : stray) {
    SCOPED_TRACE(HexEncode(key));
    Put(key, std::string(AsBytes(LeafHash("x"))));
    const VerifyReport report = Verify();
    EXPECT_FALSE(report.intact);
    EXPECT_FALSE(report.reason.empty());
    Delete(key);
  }
  EXPECT_TRUE(Verify().intact);
}

INSTANTIATE_TEST_SUITE_P(
    Chunkings, TiledTreeVerifierTest,
    ::testing::Values(Chunking{2, 3}, Chunking{5, 1}, Chunking{5, 3}, Chunking{9, 3},
                      Chunking{10, 2}, Chunking{16, 1}),
    [](const ::testing::TestParamInfo<Chunking>& chunking) {
      return absl::StrCat("Of", uint64_t{1} << chunking.param.chunk_level, "On",
                          chunking.param.threads, "Threads");
    });

}  // namespace
}  // namespace ledger
