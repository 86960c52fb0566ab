// The writer's Merkle tree and signed checkpoints: every group commit
// stores the tree's nodes and a checkpoint of its root in the same batch,
// proofs from the stored nodes verify against that checkpoint, and a
// restart keeps the tree, so checkpoints before and after are consistent.
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/group_commit_writer.h"
#include "ledger/merkle.h"
#include "ledger/signed_note.h"
#include "ledger/store.h"
#include "ledger/verifier.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::MakeAppendRequest;

class WriterCheckpointTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_OK_AND_ASSIGN(signer_, NoteSigner::Generate("test.example/log"));
  }
  void TearDown() override {
    writer_.reset();
    store_.reset();
    TempDirTest::TearDown();
  }

  void Open() {
    ASSERT_OK_AND_ASSIGN(store_, LedgerStore::Open(PathIn("db"), LedgerStore::Mode::kReadWrite));
    GroupCommitWriter::Options options;
    options.signer = signer_.get();
    options.origin = "test.example/log";
    ASSERT_OK_AND_ASSIGN(writer_, GroupCommitWriter::Start(store_.get(), options));
  }
  void Close() {
    writer_.reset();
    store_.reset();
  }

  Checkpoint Latest() {
    absl::StatusOr<Checkpoint> c =
        VerifyCheckpoint(writer_->LatestCheckpoint().note, signer_->verifier_key());
    EXPECT_OK(c);
    return c.value_or(Checkpoint{});
  }

  std::vector<Hash> StoredLeaves() {
    std::vector<Hash> leaves;
    for (uint64_t s = 0; s < writer_->CommittedSize(); ++s) {
      absl::StatusOr<std::string> bytes = store_->GetEntryBytes(s);
      EXPECT_OK(bytes);
      leaves.push_back(LeafHash(bytes.value_or("")));
    }
    return leaves;
  }

  SubtreeReader Reader() {
    return [this](int level, uint64_t index) { return store_->GetNode(level, index); };
  }

  std::unique_ptr<NoteSigner> signer_;
  std::unique_ptr<LedgerStore> store_;
  std::unique_ptr<GroupCommitWriter> writer_;
};

TEST_F(WriterCheckpointTest, EmptyLogHasASignedCheckpointOfTheEmptyTree) {
  ASSERT_NO_FATAL_FAILURE(Open());
  Checkpoint c = Latest();
  EXPECT_EQ(c.origin, "test.example/log");
  EXPECT_EQ(c.size, 0u);
  EXPECT_EQ(c.root, EmptyTreeRoot());
}

TEST_F(WriterCheckpointTest, CheckpointCoversEveryCommittedEntry) {
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < 13; ++i) {
    ASSERT_OK(writer_->Append(MakeAppendRequest("s", absl::StrCat("e", i), i % 3 + 1), "t").status());
    Checkpoint c = Latest();
    EXPECT_EQ(c.size, writer_->CommittedSize());
    EXPECT_EQ(c.root, RootOfLeaves(StoredLeaves()));
  }
}

TEST_F(WriterCheckpointTest, StoredNodesGiveProofsThatVerifyAgainstTheCheckpoint) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(writer_->Append(MakeAppendRequest("s", "a", 37), "t").status());
  const Checkpoint c = Latest();
  const std::vector<Hash> leaves = StoredLeaves();
  for (uint64_t i = 0; i < c.size; ++i) {
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, InclusionProof(i, c.size, Reader()));
    EXPECT_OK(VerifyInclusion(AsBytes(leaves[i]), i, c.size, AsBytes(c.root), ProofBytes(proof)));
  }
}

TEST_F(WriterCheckpointTest, RestartKeepsTheTreeAndCheckpointsStayConsistent) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(writer_->Append(MakeAppendRequest("s", "a", 11), "t").status());
  const Checkpoint before = Latest();
  Close();
  ASSERT_NO_FATAL_FAILURE(Open());
  EXPECT_EQ(Latest().root, before.root);
  ASSERT_OK(writer_->Append(MakeAppendRequest("s", "b", 6), "t").status());
  const Checkpoint after = Latest();
  ASSERT_EQ(after.size, 17u);
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof, ConsistencyProof(before.size, after.size, Reader()));
  EXPECT_OK(VerifyConsistency(before.size, after.size, AsBytes(before.root),
                              AsBytes(after.root), ProofBytes(proof)));
}

TEST_F(WriterCheckpointTest, MissingPieceOfTheTreesEdgeRefusesToStart) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(writer_->Append(MakeAppendRequest("s", "a", 12), "t").status());
  writer_.reset();
  GroupCommitWriter::Options options;
  options.signer = signer_.get();
  // Size 12 = subtrees (3, 0) and (2, 2); only the first is stored, the
  // second is hashed from entries 8 to 11. Without either, the tree cannot
  // be loaded.
  ASSERT_OK_AND_ASSIGN(Hash node, store_->GetNode(3, 0));
  ASSERT_TRUE(store_->db()->Delete(rocksdb::WriteOptions(), store_->nodes(), NodeKey(3, 0)).ok());
  EXPECT_THAT(GroupCommitWriter::Start(store_.get(), options),
              ::ledger::testing::StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_TRUE(store_->db()
                  ->Put(rocksdb::WriteOptions(), store_->nodes(), NodeKey(3, 0), AsBytes(node))
                  .ok());
  ASSERT_TRUE(
      store_->db()->Delete(rocksdb::WriteOptions(), store_->entries(), EntryKey(9)).ok());
  EXPECT_THAT(GroupCommitWriter::Start(store_.get(), options),
              ::ledger::testing::StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(WriterCheckpointTest, LogShorterThanItsSignedCheckpointRefusesToStart) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(writer_->Append(MakeAppendRequest("s", "a", 8), "t").status());
  writer_.reset();
  // Roll the head back to 5 entries, as a truncation that fixes the head
  // would; the signed checkpoint still says 8.
  ASSERT_OK_AND_ASSIGN(std::string bytes4, store_->GetEntryBytes(4));
  rocksdb::WriteBatch batch;
  for (uint64_t s = 5; s < 8; ++s) batch.Delete(store_->entries(), EntryKey(s));
  batch.Put(store_->meta(), std::string(kMetaHeadKey), EncodeLogHead({5, LeafHash(bytes4)}));
  ASSERT_OK(store_->Write(&batch, true));
  GroupCommitWriter::Options options;
  options.signer = signer_.get();
  options.origin = "test.example/log";
  EXPECT_THAT(GroupCommitWriter::Start(store_.get(), options),
              ::ledger::testing::StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(WriterCheckpointTest, TreeThatContradictsItsSignedCheckpointRefusesToStart) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(writer_->Append(MakeAppendRequest("s", "a", 8), "t").status());
  writer_.reset();
  rocksdb::WriteBatch batch;
  batch.Put(store_->nodes(), NodeKey(3, 0), AsBytes(LeafHash("rewritten")));  // the root of 8
  ASSERT_OK(store_->Write(&batch, true));
  GroupCommitWriter::Options options;
  options.signer = signer_.get();
  options.origin = "test.example/log";
  EXPECT_THAT(GroupCommitWriter::Start(store_.get(), options),
              ::ledger::testing::StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(WriterCheckpointTest, RewrittenLastEntryWithMatchingHeadIsNamed) {
  // The last entries are under no stored tree node (levels 0 to 2 are not
  // stored), and a rewritten one with the head fixed to match keeps the
  // chain: the signed checkpoint is what catches it.
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(writer_->Append(MakeAppendRequest("s", "e", 3), "t").status());
  Close();
  ASSERT_OK_AND_ASSIGN(store_, LedgerStore::Open(PathIn("db"), LedgerStore::Mode::kReadWrite));
  rocksdb::WriteBatch batch;
  batch.Put(store_->meta(), std::string(kMetaVerifierKeyKey),
            FormatVerifierKey(signer_->verifier_key()));
  ASSERT_OK_AND_ASSIGN(std::string bytes, store_->GetEntryBytes(2));
  ASSERT_OK_AND_ASSIGN(ledger::v1::Entry e, ParseStoredEntry(bytes));
  e.set_actor("someone else");
  const std::string rewritten = SerializeEntry(e);
  batch.Put(store_->entries(), EntryKey(2), rewritten);
  batch.Put(store_->meta(), std::string(kMetaHeadKey), EncodeLogHead({3, LeafHash(rewritten)}));
  ASSERT_OK(store_->Write(&batch, true));

  ASSERT_OK_AND_ASSIGN(VerifyReport report, LedgerVerifier(store_.get()).Run());
  EXPECT_FALSE(report.intact);
  EXPECT_EQ(report.bad_sequence, std::optional<uint64_t>(2));
  EXPECT_THAT(report.reason, ::testing::HasSubstr("checkpoint"));
}

TEST_F(WriterCheckpointTest, VerifierChecksTheStoredCheckpoint) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_OK(writer_->Append(MakeAppendRequest("s", "a", 9), "t").status());
  const Checkpoint c = Latest();
  // The verifier reads the stored verifier key the server writes at start.
  rocksdb::WriteBatch batch;
  batch.Put(store_->meta(), std::string(kMetaVerifierKeyKey),
            FormatVerifierKey(signer_->verifier_key()));
  ASSERT_OK(store_->Write(&batch, true));
  {
    LedgerVerifier verifier(store_.get());
    ASSERT_OK_AND_ASSIGN(VerifyReport report, verifier.Run(nullptr, {c.size}));
    ASSERT_TRUE(report.intact) << report.reason;
    EXPECT_EQ(report.checkpoint_size, c.size);
    EXPECT_EQ(report.roots.at(c.size), c.root);
  }
  // A checkpoint signed by the right key for another root: the tree does
  // not match it.
  Checkpoint forged = c;
  forged.root = LeafHash("another log");
  ASSERT_OK_AND_ASSIGN(std::string note, signer_->Sign(FormatCheckpoint(forged)));
  rocksdb::WriteBatch put;
  put.Put(store_->meta(), std::string(kMetaCheckpointKey), note);
  ASSERT_OK(store_->Write(&put, true));
  LedgerVerifier verifier(store_.get());
  ASSERT_OK_AND_ASSIGN(VerifyReport report, verifier.Run());
  EXPECT_FALSE(report.intact);
  // And a checkpoint whose signature was altered.
  std::string bad_sig = writer_->LatestCheckpoint().note;
  bad_sig[bad_sig.size() - 5] ^= 0x01;
  rocksdb::WriteBatch put2;
  put2.Put(store_->meta(), std::string(kMetaCheckpointKey), bad_sig);
  ASSERT_OK(store_->Write(&put2, true));
  ASSERT_OK_AND_ASSIGN(VerifyReport report2, LedgerVerifier(store_.get()).Run());
  EXPECT_FALSE(report2.intact);
}

}  // namespace
}  // namespace ledger
