// Fuzz target: RFC 9162 proof verification (ledger::VerifyInclusion,
// ledger::VerifyConsistency), which auditors run on proofs from an
// untrusted server, with fuzzed sizes, indices, hashes and proofs; and the
// prover and verifier against each other on a real tree.
//
// Input: one mode byte, then
//   mode 0 (inclusion):   index u64, size u64, leaf hash[32], root[32], proof
//   mode 1 (consistency): size1 u64, size2 u64, root1[32], root2[32], proof
//   mode 2 (real tree):   leaves u8, index u8, size1 u8, bit u16
// with integers little-endian, missing bytes read as zero, and the proof
// the remaining bytes cut into 32-byte hashes (the last may be short).
// Mode 2 builds a tree of 1 to 200 leaves, proves leaf `index` in the tree
// of `size1` leaves and that tree's consistency with the whole, checks
// that both proofs verify, and that flipping proof bit `bit` (or asking
// about another index) makes them fail.
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// Reads the input front to back; past its end, reads zeros.
class InputReader {
 public:
  InputReader(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  uint64_t Uint(int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes && !rest_.empty(); ++i) {
      v |= uint64_t{static_cast<uint8_t>(rest_[0])} << (8 * i);
      rest_.remove_prefix(1);
    }
    return v;
  }

  std::string Bytes(size_t n) {
    std::string out(rest_.substr(0, n));
    rest_.remove_prefix(out.size());
    out.resize(n, '\0');
    return out;
  }

  std::vector<std::string> Proof() {
    std::vector<std::string> proof;
    while (!rest_.empty()) {
      proof.emplace_back(rest_.substr(0, 32));
      rest_.remove_prefix(proof.back().size());
    }
    return proof;
  }

 private:
  std::string_view rest_;
};

void RealTree(InputReader& in) {
  const uint64_t leaves = 1 + in.Uint(1) % 200;
  std::vector<ledger::Hash> leaf_hashes;
  std::map<std::pair<int, uint64_t>, ledger::Hash> nodes;
  ledger::CompactRange tree;
  for (uint64_t i = 0; i < leaves; ++i) {
    leaf_hashes.push_back(ledger::LeafHash(absl::StrCat("leaf ", i)));
    tree.Append(leaf_hashes.back(), [&](int level, uint64_t index, const ledger::Hash& h) {
      nodes[{level, index}] = h;
    });
  }
  const ledger::SubtreeReader read =
      [&](int level, uint64_t index) -> absl::StatusOr<ledger::Hash> {
    auto it = nodes.find({level, index});
    if (it == nodes.end()) return absl::NotFoundError("no such node");
    return it->second;
  };
  const uint64_t size1 = 1 + in.Uint(1) % leaves;
  const uint64_t index = in.Uint(1) % size1;
  const uint64_t bit = in.Uint(2);
  const std::vector<ledger::Hash> first(leaf_hashes.begin(),
                                        leaf_hashes.begin() + static_cast<long>(size1));
  const std::string root1(ledger::AsBytes(ledger::RootOfLeaves(first)));
  const std::string root2(ledger::AsBytes(tree.Root()));
  FUZZ_CHECK(root2 == ledger::AsBytes(ledger::RootOfLeaves(leaf_hashes)));

  absl::StatusOr<std::vector<ledger::Hash>> inclusion =
      ledger::InclusionProof(index, size1, read);
  FUZZ_CHECK(inclusion.ok());
  std::vector<std::string> proof = ledger::ProofBytes(*inclusion);
  const std::string leaf(ledger::AsBytes(leaf_hashes[index]));
  FUZZ_CHECK(ledger::VerifyInclusion(leaf, index, size1, root1, proof).ok());
  if (size1 > 1) {
    const uint64_t other = (index + 1 + bit % (size1 - 1)) % size1;
    FUZZ_CHECK(!ledger::VerifyInclusion(leaf, other, size1, root1, proof).ok());
  }
  if (!proof.empty()) {
    const size_t at = bit / 256 % proof.size();
    proof[at][bit / 8 % 32] ^= static_cast<char>(1 << (bit % 8));
    FUZZ_CHECK(!ledger::VerifyInclusion(leaf, index, size1, root1, proof).ok());
  }

  absl::StatusOr<std::vector<ledger::Hash>> consistency =
      ledger::ConsistencyProof(size1, leaves, read);
  FUZZ_CHECK(consistency.ok());
  proof = ledger::ProofBytes(*consistency);
  FUZZ_CHECK(ledger::VerifyConsistency(size1, leaves, root1, root2, proof).ok());
  if (!proof.empty()) {
    const size_t at = bit / 256 % proof.size();
    proof[at][bit / 8 % 32] ^= static_cast<char>(1 << (bit % 8));
    FUZZ_CHECK(!ledger::VerifyConsistency(size1, leaves, root1, root2, proof).ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputReader in(data, size);
  switch (in.Uint(1) % 3) {
    case 0: {
      const uint64_t index = in.Uint(8);
      const uint64_t tree_size = in.Uint(8);
      const std::string leaf = in.Bytes(32);
      const std::string root = in.Bytes(32);
      (void)ledger::VerifyInclusion(leaf, index, tree_size, root, in.Proof());
      break;
    }
    case 1: {
      const uint64_t size1 = in.Uint(8);
      const uint64_t size2 = in.Uint(8);
      const std::string root1 = in.Bytes(32);
      const std::string root2 = in.Bytes(32);
      (void)ledger::VerifyConsistency(size1, size2, root1, root2, in.Proof());
      break;
    }
    default:
      RealTree(in);
      break;
  }
  return 0;
}
