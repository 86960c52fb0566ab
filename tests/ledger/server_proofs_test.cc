// Proofs through a real server: LedgerServer on 127.0.0.1 port 0 with a
// RocksDB database in a temporary directory, reached by LedgerClient. For
// random tree sizes up to a few thousand, every proof the server gives
// verifies against its signed checkpoint, and mutated proofs, roots and
// sizes fail. A restart keeps the tree and the key.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clients/ledger_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "ledger/merkle.h"
#include "ledger/server.h"
#include "ledger/signed_note.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::MakeAppendRequest;
using ::ledger::testing::StatusIs;
using ::testing::Not;

class ServerProofsTest : public ::ledger::testing::TempDirTest {
 protected:
  void TearDown() override {
    client_.reset();
    server_.reset();
    TempDirTest::TearDown();
  }

  void StartServer() {
    ServerOptions options;
    options.db_path = PathIn("db");
    options.listen = "127.0.0.1:0";
    options.origin = "test.example/proofs";
    ASSERT_OK_AND_ASSIGN(server_, LedgerServer::Start(options));
    client_ = std::make_unique<LedgerClient>(server_->listening_address());
    ASSERT_OK(client_->WaitForReady(absl::Seconds(10)));
    ASSERT_OK_AND_ASSIGN(key_, ParseVerifierKey(server_->verifier_key()));
  }

  void StopServer() {
    client_.reset();
    server_.reset();
  }

  // Appends `n` events in one request.
  void AppendEvents(int n) {
    ASSERT_OK(client_->Append(MakeAppendRequest("proofs", absl::StrCat("ev", next_id_), n))
                  .status());
    ++next_id_;
  }

  // The latest checkpoint, its signature checked with the pinned key.
  Checkpoint LatestCheckpoint() {
    absl::StatusOr<v1::GetCheckpointResponse> r = client_->GetCheckpoint();
    EXPECT_OK(r);
    if (!r.ok()) return {};
    EXPECT_EQ(r->verifier_key(), FormatVerifierKey(key_));
    absl::StatusOr<Checkpoint> c = VerifyCheckpoint(r->checkpoint(), key_);
    EXPECT_OK(c);
    EXPECT_EQ(c.value_or(Checkpoint{}).size, r->tree_size());
    return c.value_or(Checkpoint{});
  }

  // Leaf hashes of every entry, from the entries the server streams back.
  std::vector<Hash> LeafHashes() {
    std::vector<Hash> leaves;
    v1::ReadRequest all;
    EXPECT_OK(client_->Read(all, [&](const v1::Entry& e) {
      leaves.push_back(LeafHash(SerializeEntry(e)));
      return true;
    }));
    return leaves;
  }

  std::unique_ptr<LedgerServer> server_;
  std::unique_ptr<LedgerClient> client_;
  VerifierKey key_;
  int next_id_ = 0;
};

std::string Flip(std::string s, size_t i) {
  s[i % s.size()] ^= 0x20;
  return s;
}

std::vector<std::string> Hashes(const google::protobuf::RepeatedPtrField<std::string>& h) {
  return {h.begin(), h.end()};
}

TEST_F(ServerProofsTest, EveryProofVerifiesAgainstTheSignedCheckpoint) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::mt19937_64 rng(7);
  std::vector<Checkpoint> seen;
  while (seen.empty() || seen.back().size < 2500) {
    ASSERT_NO_FATAL_FAILURE(AppendEvents(1 + static_cast<int>(rng() % 60)));
    if (rng() % 4 == 0) seen.push_back(LatestCheckpoint());
  }
  seen.push_back(LatestCheckpoint());
  const std::vector<Hash> leaves = LeafHashes();
  ASSERT_EQ(leaves.size(), seen.back().size);
  EXPECT_EQ(seen.back().root, RootOfLeaves(leaves));

  const Checkpoint& latest = seen.back();
  const std::string root(AsBytes(latest.root));
  for (int trial = 0; trial < 150; ++trial) {
    const uint64_t index = rng() % latest.size;
    ASSERT_OK_AND_ASSIGN(v1::GetInclusionProofResponse p,
                         client_->GetInclusionProof(index, 0));
    ASSERT_EQ(p.tree_size(), latest.size);
    ASSERT_EQ(p.leaf_hash(), AsBytes(leaves[index]));
    const std::vector<std::string> proof = Hashes(p.hashes());
    ASSERT_OK(VerifyInclusion(p.leaf_hash(), index, latest.size, root, proof));
    EXPECT_THAT(VerifyInclusion(Flip(p.leaf_hash(), trial), index, latest.size, root, proof),
                Not(IsOk()));
    EXPECT_THAT(VerifyInclusion(p.leaf_hash(), index, latest.size, Flip(root, trial), proof),
                Not(IsOk()));
    EXPECT_THAT(VerifyInclusion(p.leaf_hash(), index ^ 1, latest.size, root, proof),
                Not(IsOk()));
    if (!proof.empty()) {
      std::vector<std::string> bad = proof;
      bad[trial % bad.size()] = Flip(bad[trial % bad.size()], trial);
      EXPECT_THAT(VerifyInclusion(p.leaf_hash(), index, latest.size, root, bad), Not(IsOk()));
      bad = proof;
      bad.pop_back();
      EXPECT_THAT(VerifyInclusion(p.leaf_hash(), index, latest.size, root, bad), Not(IsOk()));
    }
  }

  // Every earlier checkpoint is consistent with every later one.
  for (size_t i = 0; i + 1 < seen.size(); ++i) {
    const Checkpoint& old = seen[i];
    const Checkpoint& now = seen[i + 1 + rng() % (seen.size() - i - 1)];
    if (old.size == 0) continue;
    ASSERT_OK_AND_ASSIGN(v1::GetConsistencyProofResponse p,
                         client_->GetConsistencyProof(old.size, now.size));
    const std::vector<std::string> proof = Hashes(p.hashes());
    ASSERT_OK(VerifyConsistency(old.size, now.size, AsBytes(old.root), AsBytes(now.root), proof))
        << old.size << " -> " << now.size;
    if (now.size > old.size) {
      EXPECT_THAT(VerifyConsistency(old.size, now.size, Flip(std::string(AsBytes(old.root)), i),
                                    AsBytes(now.root), proof),
                  Not(IsOk()));
      EXPECT_THAT(VerifyConsistency(old.size, now.size, AsBytes(old.root),
                                    Flip(std::string(AsBytes(now.root)), i), proof),
                  Not(IsOk()));
      std::vector<std::string> bad = proof;
      bad[i % bad.size()] = Flip(bad[i % bad.size()], i);
      EXPECT_THAT(VerifyConsistency(old.size, now.size, AsBytes(old.root), AsBytes(now.root), bad),
                  Not(IsOk()));
    }
  }
}

TEST_F(ServerProofsTest, BadIndexesAndSizesAreRefusedAndTheServerKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_NO_FATAL_FAILURE(AppendEvents(10));
  EXPECT_THAT(client_->GetInclusionProof(10, 10), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client_->GetInclusionProof(UINT64_MAX, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client_->GetInclusionProof(0, 11), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(client_->GetInclusionProof(0, UINT64_MAX), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(client_->GetConsistencyProof(0, 10), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client_->GetConsistencyProof(8, 5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(client_->GetConsistencyProof(5, 11), StatusIs(absl::StatusCode::kOutOfRange));
  ASSERT_OK_AND_ASSIGN(v1::GetConsistencyProofResponse same, client_->GetConsistencyProof(10, 10));
  EXPECT_EQ(same.hashes_size(), 0);
  EXPECT_OK(client_->GetInclusionProof(9, 10).status());
}

TEST_F(ServerProofsTest, RestartKeepsTreeAndKeyAndCheckpointsStayConsistent) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_NO_FATAL_FAILURE(AppendEvents(21));
  const Checkpoint before = LatestCheckpoint();
  const std::string vkey_before = server_->verifier_key();
  StopServer();

  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_EQ(server_->verifier_key(), vkey_before);
  const Checkpoint again = LatestCheckpoint();  // checked with the old key
  EXPECT_EQ(again.size, before.size);
  EXPECT_EQ(again.root, before.root);
  ASSERT_NO_FATAL_FAILURE(AppendEvents(12));
  const Checkpoint after = LatestCheckpoint();
  ASSERT_EQ(after.size, 33u);
  ASSERT_OK_AND_ASSIGN(v1::GetConsistencyProofResponse p,
                       client_->GetConsistencyProof(before.size, after.size));
  EXPECT_OK(VerifyConsistency(before.size, after.size, AsBytes(before.root),
                              AsBytes(after.root), Hashes(p.hashes())));
}

TEST_F(ServerProofsTest, ADifferentOriginIsRefusedAtStart) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  StopServer();
  ServerOptions options;
  options.db_path = PathIn("db");
  options.listen = "127.0.0.1:0";
  options.origin = "someone.else/log";
  EXPECT_THAT(LedgerServer::Start(options), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace ledger
