// The RFC 6962 / RFC 9162 Merkle tree over the log's leaf hashes: the
// compact right edge the writer keeps, proof generation from stored
// subtree hashes, and proof verification that needs nothing but hashes.
// docs/format.md, "nodes", says how subtree hashes are stored.
//
// Subtrees are named by (level, index): level 0 holds the leaf hashes, and
// node (L, i) is the root of the perfect subtree over leaves
// [i * 2^L, (i + 1) * 2^L). Only complete subtrees are ever stored, so a
// stored node never changes once written.
#ifndef LEDGER_MERKLE_H_
#define LEDGER_MERKLE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/keys.h"

namespace ledger {

// Root of the empty tree: SHA-256 of no bytes.
Hash EmptyTreeRoot();

// Reads the stored hash of complete subtree (level, index). Errors are
// passed through (NOT_FOUND for a node that should exist is DATA_LOSS to
// the caller's caller; the reader decides).
using SubtreeReader =
    std::function<absl::StatusOr<Hash>(int level, uint64_t index)>;

// Reads the stored hashes of complete subtrees `ids`, in order, in one
// batch. Errors as SubtreeReader's.
using SubtreeBatchReader = std::function<absl::StatusOr<std::vector<Hash>>(
    const std::vector<NodeKeyParts>& ids)>;

// A proof (or any computation over stored subtrees) written against a
// SubtreeReader, for example
//   [&](const SubtreeReader& read) { return InclusionProof(i, n, read); }
using ProofOverReader =
    std::function<absl::StatusOr<std::vector<Hash>>(const SubtreeReader& read)>;

// Runs `proof` with every subtree it reads fetched in one batch by
// `read_many`: a first run with placeholder hashes lists the subtrees it
// asks for (the proofs here ask for the same ones whatever the hashes
// are), the batch fetches them, a second run takes them in order. One
// round trip to storage instead of O(log n).
[[nodiscard]] absl::StatusOr<std::vector<Hash>> WithBatchedReads(
    const ProofOverReader& proof, const SubtreeBatchReader& read_many);

// Called for each complete subtree an append finishes, leaf first.
using SubtreeSink =
    std::function<void(int level, uint64_t index, const Hash& hash)>;

// The right edge of a tree: the roots of the perfect subtrees that make up
// a tree of `size` leaves, one per set bit of `size`, largest (leftmost)
// first. Enough to append and to compute the root without reading the log.
//
// Thread safety: none; a value type.
class CompactRange {
 public:
  CompactRange() = default;

  // Loads the edge of a stored tree of `size` leaves: O(log size) reads.
  [[nodiscard]] static absl::StatusOr<CompactRange> Load(
      uint64_t size, const SubtreeReader& read);

  uint64_t size() const { return size_; }

  // Appends one leaf hash; reports every subtree it completes to `sink`
  // (the leaf itself at level 0, then each parent it closes).
  void Append(const Hash& leaf, const SubtreeSink& sink);

  // RFC 6962 root of the tree (EmptyTreeRoot() when size is 0).
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> edge_;  // one per set bit of size_, high bit first
};

// Hash of leaves [begin, end) of a tree whose complete subtrees `read`
// returns: a stored node when the range is a complete aligned subtree,
// otherwise combined from O(log(end - begin)) of them. Requires
// begin < end and begin aligned as RFC 6962's recursion makes it.
[[nodiscard]] absl::StatusOr<Hash> RangeHash(uint64_t begin, uint64_t end,
                                             const SubtreeReader& read);

// RFC 9162 inclusion proof (audit path) of leaf `index` in the tree of the
// first `size` leaves, leaf's sibling first. INVALID_ARGUMENT unless
// index < size.
[[nodiscard]] absl::StatusOr<std::vector<Hash>> InclusionProof(
    uint64_t index, uint64_t size, const SubtreeReader& read);

// RFC 9162 consistency proof between the trees of the first `size1` and
// `size2` leaves. INVALID_ARGUMENT unless 0 < size1 <= size2 (a proof from
// the empty tree proves nothing; equal sizes give an empty proof).
[[nodiscard]] absl::StatusOr<std::vector<Hash>> ConsistencyProof(
    uint64_t size1, uint64_t size2, const SubtreeReader& read);

// RFC 6962 root of `leaves` (leaf hashes), computed in memory.
Hash RootOfLeaves(const std::vector<Hash>& leaves);

// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves
// whose root is `root`, by RFC 9162 section 2.1.3.2. Hashes are raw bytes
// as received (so a malformed one fails rather than being rejected
// earlier). OK when it holds; otherwise an error saying why (an invalid
// probe and a proof that does not match both fail).
[[nodiscard]] absl::Status VerifyInclusion(
    std::string_view leaf_hash, uint64_t index, uint64_t size,
    std::string_view root, const std::vector<std::string>& proof);

// Verifies that the tree of `size1` leaves with root `root1` is a prefix of
// the tree of `size2` leaves with root `root2`, by RFC 9162 section
// 2.1.4.2. Equal sizes need an empty proof and equal roots; size1 must be
// above 0.
[[nodiscard]] absl::Status VerifyConsistency(
    uint64_t size1, uint64_t size2, std::string_view root1,
    std::string_view root2, const std::vector<std::string>& proof);

// Converts a proof to the raw-bytes form the verifiers take.
std::vector<std::string> ProofBytes(const std::vector<Hash>& proof);

}  // namespace ledger

#endif  // LEDGER_MERKLE_H_
