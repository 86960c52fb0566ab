// Tests of the RFC 6962 Merkle tree: the reference 8-leaf tree and every
// conformance probe of transparency-dev/merkle (tests/ledger/testdata),
// then random trees where every generated proof must verify and every
// mutation must fail.
#include "ledger/merkle.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/hash.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

namespace fs = std::filesystem;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::ledger::testing::IsOk;
using ::testing::Not;

const fs::path kTestData = LEDGER_TESTDATA_DIR;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Struct LoadJson(const fs::path& path) {
  Struct s;
  EXPECT_TRUE(
      google::protobuf::util::JsonStringToMessage(ReadFile(path), &s).ok())
      << path;
  return s;
}

// An unsigned integer field read from the JSON text itself: Struct holds
// numbers as doubles, which cannot hold the probes' 2^64 - 1.
uint64_t RawUint(const fs::path& path, const std::string& name) {
  std::smatch m;
  const std::string text = ReadFile(path);
  const std::regex re("\"" + name + "\"\\s*:\\s*([0-9]+)");
  EXPECT_TRUE(std::regex_search(text, m, re)) << path << " has no " << name;
  return m.empty() ? 0 : std::stoull(m[1].str());
}

const Value& Field(const Struct& s, const std::string& name) {
  static const Value kNull;
  auto it = s.fields().find(name);
  return it == s.fields().end() ? kNull : it->second;
}

std::string Unhex(const std::string& hex) { return *HexDecode(hex); }

std::string Unbase64(const Value& v) {
  std::string out;
  EXPECT_TRUE(absl::Base64Unescape(v.string_value(), &out)) << v.string_value();
  return out;
}

std::vector<std::string> Base64List(const Value& v) {
  std::vector<std::string> out;
  for (const Value& e : v.list_value().values()) out.push_back(Unbase64(e));
  return out;
}

std::vector<std::string> HexList(const Value& v) {
  std::vector<std::string> out;
  for (const Value& e : v.list_value().values()) {
    out.push_back(Unhex(e.string_value()));
  }
  return out;
}

// A tree held in memory: the subtrees CompactRange reports, as a store
// would keep them.
class MemoryTree {
 public:
  void Append(const Hash& leaf) {
    range_.Append(leaf, [this](int level, uint64_t index, const Hash& h) {
      nodes_[{level, index}] = h;
    });
    roots_.push_back(range_.Root());
  }
  SubtreeReader Reader() const {
    return [this](int level, uint64_t index) -> absl::StatusOr<Hash> {
      ++reads_;
      auto it = nodes_.find({level, index});
      if (it == nodes_.end()) {
        return absl::NotFoundError(absl::StrCat("no node ", level, "/", index));
      }
      return it->second;
    };
  }
  // Reads a batch; counts batches.
  SubtreeBatchReader BatchReader() const {
    return [this](const std::vector<NodeKeyParts>& ids)
               -> absl::StatusOr<std::vector<Hash>> {
      ++batches_;
      std::vector<Hash> out;
      for (const NodeKeyParts& id : ids) {
        auto it = nodes_.find({id.level, id.index});
        if (it == nodes_.end()) {
          return absl::NotFoundError(absl::StrCat("no node ", id.level, "/", id.index));
        }
        out.push_back(it->second);
      }
      return out;
    };
  }
  int batches() const { return batches_; }
  // Root at each size, recorded as the tree grew.
  Hash RootAt(uint64_t size) const {
    return size == 0 ? EmptyTreeRoot() : roots_[size - 1];
  }
  uint64_t size() const { return range_.size(); }
  const CompactRange& range() const { return range_; }
  int reads() const { return reads_; }

 private:
  CompactRange range_;
  std::map<std::pair<int, uint64_t>, Hash> nodes_;
  std::vector<Hash> roots_;
  mutable int reads_ = 0;
  mutable int batches_ = 0;
};

class ReferenceTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reference_ = LoadJson(kTestData / "rfc6962" / "reference_8leaf.json");
    for (const Value& v : Field(reference_, "leaf_inputs_hex").list_value().values()) {
      tree_.Append(LeafHash(Unhex(v.string_value())));
    }
    ASSERT_EQ(tree_.size(), 8u);
  }
  Struct reference_;
  MemoryTree tree_;
};

TEST_F(ReferenceTreeTest, LeafHashesMatch) {
  const auto& inputs = Field(reference_, "leaf_inputs_hex").list_value();
  const auto& hashes = Field(reference_, "leaf_hashes_hex").list_value();
  ASSERT_EQ(inputs.values_size(), 8);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(HexEncode(LeafHash(Unhex(inputs.values(i).string_value()))),
              hashes.values(i).string_value());
  }
}

TEST_F(ReferenceTreeTest, RootsForSizesZeroToEight) {
  const Struct& roots = Field(reference_, "roots_by_size_hex").struct_value();
  ASSERT_EQ(roots.fields_size(), 9);
  for (uint64_t size = 0; size <= 8; ++size) {
    const std::string want = Field(roots, std::to_string(size)).string_value();
    EXPECT_EQ(HexEncode(tree_.RootAt(size)), want) << "size " << size;
    // The same root from stored subtrees alone, as a server would get it.
    if (size > 0) {
      ASSERT_OK_AND_ASSIGN(Hash h, RangeHash(0, size, tree_.Reader()));
      EXPECT_EQ(HexEncode(h), want) << "size " << size;
      ASSERT_OK_AND_ASSIGN(CompactRange loaded,
                           CompactRange::Load(size, tree_.Reader()));
      EXPECT_EQ(HexEncode(loaded.Root()), want) << "size " << size;
    }
  }
}

TEST_F(ReferenceTreeTest, InclusionProofsMatchReference) {
  const auto& cases = Field(reference_, "inclusion_proofs").list_value();
  ASSERT_GT(cases.values_size(), 0);
  for (const Value& c : cases.values()) {
    const Struct& s = c.struct_value();
    const auto index = static_cast<uint64_t>(Field(s, "leaf_index_0based").number_value());
    const auto size = static_cast<uint64_t>(Field(s, "tree_size").number_value());
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof,
                         InclusionProof(index, size, tree_.Reader()));
    EXPECT_EQ(ProofBytes(proof), HexList(Field(s, "audit_path_hex")))
        << "leaf " << index << " size " << size;
    const Hash leaf = LeafHash(Unhex(Field(s, "leaf_input_hex").string_value()));
    EXPECT_OK(VerifyInclusion(AsBytes(leaf), index, size,
                              Unhex(Field(s, "root_hex").string_value()),
                              ProofBytes(proof)));
  }
}

TEST_F(ReferenceTreeTest, ConsistencyProofsMatchReference) {
  const auto& cases = Field(reference_, "consistency_proofs").list_value();
  ASSERT_GT(cases.values_size(), 0);
  for (const Value& c : cases.values()) {
    const Struct& s = c.struct_value();
    const auto size1 = static_cast<uint64_t>(Field(s, "size1").number_value());
    const auto size2 = static_cast<uint64_t>(Field(s, "size2").number_value());
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> proof,
                         ConsistencyProof(size1, size2, tree_.Reader()));
    EXPECT_EQ(ProofBytes(proof), HexList(Field(s, "proof_hex")))
        << size1 << " -> " << size2;
    EXPECT_OK(VerifyConsistency(size1, size2,
                                Unhex(Field(s, "root1_hex").string_value()),
                                Unhex(Field(s, "root2_hex").string_value()),
                                ProofBytes(proof)));
  }
}

// Every probe file under a folder, with its verdict.
std::vector<fs::path> ProbeFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ConformanceTest, InclusionProbes) {
  std::vector<fs::path> files = ProbeFiles(kTestData / "rfc6962" / "inclusion");
  ASSERT_GE(files.size(), 90u);
  int valid = 0;
  for (const fs::path& f : files) {
    Struct s = LoadJson(f);
    absl::Status got = VerifyInclusion(
        Unbase64(Field(s, "leafHash")),
        RawUint(f, "leafIdx"), RawUint(f, "treeSize"),
        Unbase64(Field(s, "root")), Base64List(Field(s, "proof")));
    const bool want_err = Field(s, "wantErr").bool_value();
    EXPECT_EQ(!got.ok(), want_err) << f << ": " << got;
    if (!want_err) ++valid;
  }
  EXPECT_GE(valid, 6);
}

TEST(ConformanceTest, ConsistencyProbes) {
  std::vector<fs::path> files = ProbeFiles(kTestData / "rfc6962" / "consistency");
  ASSERT_GE(files.size(), 90u);
  int valid = 0;
  for (const fs::path& f : files) {
    Struct s = LoadJson(f);
    absl::Status got = VerifyConsistency(
        RawUint(f, "size1"), RawUint(f, "size2"),
        Unbase64(Field(s, "root1")), Unbase64(Field(s, "root2")),
        Base64List(Field(s, "proof")));
    const bool want_err = Field(s, "wantErr").bool_value();
    EXPECT_EQ(!got.ok(), want_err) << f << ": " << got;
    if (!want_err) ++valid;
  }
  EXPECT_GE(valid, 6);
}

TEST(MerkleGenerationTest, BadSizesAreInvalidArgument) {
  MemoryTree tree;
  for (int i = 0; i < 5; ++i) tree.Append(LeafHash(std::to_string(i)));
  using ::ledger::testing::StatusIs;
  EXPECT_THAT(InclusionProof(5, 5, tree.Reader()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(InclusionProof(0, 0, tree.Reader()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ConsistencyProof(0, 3, tree.Reader()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ConsistencyProof(4, 3, tree.Reader()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::vector<Hash> same, ConsistencyProof(3, 3, tree.Reader()));
  EXPECT_TRUE(same.empty());
}

TEST(MerkleGenerationTest, MissingNodeIsReportedNotInvented) {
  EXPECT_THAT(InclusionProof(0, 4, MemoryTree().Reader()), Not(IsOk()));
}

// Flips one bit of `s` at byte `i`.
std::string Flip(std::string s, size_t i) {
  s[i % s.size()] ^= 0x01;
  return s;
}

TEST(MerklePropertyTest, RandomTreesProofsVerifyAndMutationsFail) {
  std::mt19937_64 rng(20261124);
  MemoryTree tree;
  const uint64_t kMax = 3000;
  for (uint64_t i = 0; i < kMax; ++i) tree.Append(LeafHash(absl::StrCat("leaf ", i)));
  for (int trial = 0; trial < 300; ++trial) {
    const uint64_t size = 1 + rng() % kMax;
    const uint64_t index = rng() % size;
    const std::string root(AsBytes(tree.RootAt(size)));
    const std::string leaf(AsBytes(LeafHash(absl::StrCat("leaf ", index))));
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> p, InclusionProof(index, size, tree.Reader()));
    std::vector<std::string> proof = ProofBytes(p);
    ASSERT_OK(VerifyInclusion(leaf, index, size, root, proof))
        << index << "/" << size;
    EXPECT_THAT(VerifyInclusion(Flip(leaf, trial), index, size, root, proof), Not(IsOk()));
    EXPECT_THAT(VerifyInclusion(leaf, index, size, Flip(root, trial), proof), Not(IsOk()));
    if (index + 1 < size) {
      EXPECT_THAT(VerifyInclusion(leaf, index + 1, size, root, proof), Not(IsOk()));
    }
    if (!proof.empty()) {
      std::vector<std::string> bad = proof;
      bad[trial % bad.size()] = Flip(bad[trial % bad.size()], trial);
      EXPECT_THAT(VerifyInclusion(leaf, index, size, root, bad), Not(IsOk()));
      bad = proof;
      bad.pop_back();
      EXPECT_THAT(VerifyInclusion(leaf, index, size, root, bad), Not(IsOk()));
    }

    const uint64_t size2 = size + rng() % (kMax - size + 1);
    const std::string root2(AsBytes(tree.RootAt(size2)));
    ASSERT_OK_AND_ASSIGN(std::vector<Hash> c, ConsistencyProof(size, size2, tree.Reader()));
    std::vector<std::string> cproof = ProofBytes(c);
    ASSERT_OK(VerifyConsistency(size, size2, root, root2, cproof))
        << size << " -> " << size2;
    if (size2 > size) {
      EXPECT_THAT(VerifyConsistency(size, size2, Flip(root, trial), root2, cproof), Not(IsOk()));
      EXPECT_THAT(VerifyConsistency(size, size2, root, Flip(root2, trial), cproof), Not(IsOk()));
      std::vector<std::string> bad = cproof;
      bad[trial % bad.size()] = Flip(bad[trial % bad.size()], trial);
      EXPECT_THAT(VerifyConsistency(size, size2, root, root2, bad), Not(IsOk()));
    }
  }
}

TEST(MerkleBatchTest, BatchedProofsAreTheProofsReadOneByOneInOneBatchEach) {
  MemoryTree tree;
  const uint64_t kMax = 70;
  for (uint64_t i = 0; i < kMax; ++i) tree.Append(LeafHash(absl::StrCat("leaf ", i)));
  for (uint64_t size = 1; size <= kMax; ++size) {
    for (uint64_t other = 0; other < size; ++other) {
      SCOPED_TRACE(::testing::Message() << other << " of " << size);
      const int batches = tree.batches();
      ASSERT_OK_AND_ASSIGN(
          std::vector<Hash> batched,
          WithBatchedReads(
              [&](const SubtreeReader& r) { return InclusionProof(other, size, r); },
              tree.BatchReader()));
      EXPECT_EQ(batched, *InclusionProof(other, size, tree.Reader()));
      ASSERT_OK_AND_ASSIGN(
          batched,
          WithBatchedReads(
              [&](const SubtreeReader& r) { return ConsistencyProof(other + 1, size, r); },
              tree.BatchReader()));
      EXPECT_EQ(batched, *ConsistencyProof(other + 1, size, tree.Reader()));
      EXPECT_EQ(tree.batches(), batches + 2);
    }
  }
}

TEST(MerkleBatchTest, BadRequestsReadNothingAndMissingNodesAreReported) {
  MemoryTree tree;
  for (int i = 0; i < 5; ++i) tree.Append(LeafHash(std::to_string(i)));
  using ::ledger::testing::StatusIs;
  EXPECT_THAT(WithBatchedReads(
                  [](const SubtreeReader& r) { return InclusionProof(5, 5, r); },
                  tree.BatchReader()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(tree.batches(), 0);
  EXPECT_THAT(WithBatchedReads(
                  [](const SubtreeReader& r) { return InclusionProof(0, 4, r); },
                  MemoryTree().BatchReader()),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(MerkleCostTest, ProofsReadLogarithmicallyManyNodes) {
  MemoryTree tree;
  const uint64_t kSize = (1 << 14) + 12345;
  for (uint64_t i = 0; i < kSize; ++i) tree.Append(LeafHash(absl::StrCat(i)));
  const int before = tree.reads();
  ASSERT_OK(InclusionProof(7, kSize, tree.Reader()).status());
  ASSERT_OK(ConsistencyProof(1000, kSize, tree.Reader()).status());
  // Each proof has at most ~log2(n) elements, each from at most ~log2(n)
  // reads only along the right edge: far fewer than a walk of the log.
  EXPECT_LT(tree.reads() - before, 4 * 64);
}

}  // namespace
}  // namespace ledger
