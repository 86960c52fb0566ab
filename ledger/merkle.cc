#include "ledger/merkle.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/status_macros.h"

namespace ledger {

namespace {

// Largest power of two strictly below n; n must be at least 2.
uint64_t SplitPoint(uint64_t n) {
  return uint64_t{1} << (63 - __builtin_clzll(n - 1));
}

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

int Log2(uint64_t n) { return 63 - __builtin_clzll(n); }

Hash ToHash(std::string_view bytes) { return *HashFromBytes(bytes); }

}  // namespace

Hash EmptyTreeRoot() { return Sha256Of(""); }

absl::StatusOr<CompactRange> CompactRange::Load(uint64_t size,
                                                const SubtreeReader& read) {
  CompactRange range;
  uint64_t begin = 0;
  for (int level = 63; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    ASSIGN_OR_RETURN(Hash h, read(level, begin >> level));
    range.edge_.push_back(h);
    begin += uint64_t{1} << level;
  }
  range.size_ = size;
  return range;
}

void CompactRange::Append(const Hash& leaf, const SubtreeSink& sink) {
  const uint64_t n = size_;
  Hash cur = leaf;
  sink(0, n, cur);
  int level = 0;
  while ((n >> level) & 1) {
    cur = NodeHash(edge_.back(), cur);
    edge_.pop_back();
    ++level;
    sink(level, n >> level, cur);
  }
  edge_.push_back(cur);
  ++size_;
}

Hash CompactRange::Root() const {
  if (edge_.empty()) return EmptyTreeRoot();
  Hash root = edge_.back();
  for (size_t i = edge_.size() - 1; i-- > 0;) root = NodeHash(edge_[i], root);
  return root;
}

absl::StatusOr<Hash> RangeHash(uint64_t begin, uint64_t end,
                               const SubtreeReader& read) {
  const uint64_t n = end - begin;
  if (IsPowerOfTwo(n) && begin % n == 0) {
    const int level = Log2(n);
    return read(level, begin >> level);
  }
  const uint64_t k = SplitPoint(n);
  ASSIGN_OR_RETURN(Hash left, RangeHash(begin, begin + k, read));
  ASSIGN_OR_RETURN(Hash right, RangeHash(begin + k, end, read));
  return NodeHash(left, right);
}

absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size,
                                                 const SubtreeReader& read) {
  if (index >= size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leaf index ", index, " is not in a tree of size ", size));
  }
  std::vector<Hash> proof;  // collected root-down, returned leaf-up
  uint64_t begin = 0, end = size;
  while (end - begin > 1) {
    const uint64_t k = SplitPoint(end - begin);
    if (index < begin + k) {
      ASSIGN_OR_RETURN(Hash h, RangeHash(begin + k, end, read));
      proof.push_back(h);
      end = begin + k;
    } else {
      ASSIGN_OR_RETURN(Hash h, RangeHash(begin, begin + k, read));
      proof.push_back(h);
      begin += k;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t size1,
                                                   uint64_t size2,
                                                   const SubtreeReader& read) {
  if (size1 == 0 || size1 > size2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no consistency proof from size ", size1, " to size ", size2,
        " (need 0 < size1 <= size2)"));
  }
  std::vector<Hash> proof;  // collected root-down, returned leaf-up
  uint64_t begin = 0, end = size2, m = size1;
  bool whole = true;  // RFC 9162's b: the old tree is a complete subtree here
  while (true) {
    const uint64_t n = end - begin;
    if (m == n) {
      if (!whole) {
        ASSIGN_OR_RETURN(Hash h, RangeHash(begin, end, read));
        proof.push_back(h);
      }
      break;
    }
    const uint64_t k = SplitPoint(n);
    if (m <= k) {
      ASSIGN_OR_RETURN(Hash h, RangeHash(begin + k, end, read));
      proof.push_back(h);
      end = begin + k;
    } else {
      ASSIGN_OR_RETURN(Hash h, RangeHash(begin, begin + k, read));
      proof.push_back(h);
      begin += k;
      m -= k;
      whole = false;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

absl::StatusOr<std::vector<Hash>> WithBatchedReads(
    const ProofOverReader& proof, const SubtreeBatchReader& read_many) {
  std::vector<NodeKeyParts> ids;
  const absl::StatusOr<std::vector<Hash>> dry_run =
      proof([&ids](int level, uint64_t index) -> absl::StatusOr<Hash> {
        ids.push_back({level, index});
        return kZeroHash;
      });
  RETURN_IF_ERROR(dry_run.status());  // an invalid request: no reads needed
  ASSIGN_OR_RETURN(std::vector<Hash> hashes, read_many(ids));
  size_t next = 0;
  return proof([&](int level, uint64_t index) -> absl::StatusOr<Hash> {
    if (next >= ids.size() || ids[next].level != level || ids[next].index != index ||
        next >= hashes.size()) {
      return absl::InternalError("a proof asked for other subtrees on its second run");
    }
    return hashes[next++];
  });
}

Hash RootOfLeaves(const std::vector<Hash>& leaves) {
  CompactRange range;
  for (const Hash& leaf : leaves) range.Append(leaf, [](int, uint64_t, const Hash&) {});
  return range.Root();
}

std::vector<std::string> ProofBytes(const std::vector<Hash>& proof) {
  std::vector<std::string> out;
  out.reserve(proof.size());
  for (const Hash& h : proof) out.emplace_back(AsBytes(h));
  return out;
}

namespace {

absl::Status CheckProofHashes(const std::vector<std::string>& proof) {
  for (size_t i = 0; i < proof.size(); ++i) {
    if (proof[i].size() != 32) {
      return absl::InvalidArgumentError(absl::StrCat(
          "proof element ", i, " is ", proof[i].size(), " bytes, not 32"));
    }
  }
  return absl::OkStatus();
}

// RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is set
// or fn is 0".
void ShiftToSetBit(uint64_t& fn, uint64_t& sn) {
  while ((fn & 1) == 0 && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

}  // namespace

absl::Status VerifyInclusion(std::string_view leaf_hash, uint64_t index,
                             uint64_t size, std::string_view root,
                             const std::vector<std::string>& proof) {
  if (index >= size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leaf index ", index, " is not in a tree of size ", size));
  }
  if (leaf_hash.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leaf hash is ", leaf_hash.size(), " bytes, not 32"));
  }
  RETURN_IF_ERROR(CheckProofHashes(proof));
  uint64_t fn = index, sn = size - 1;
  Hash r = ToHash(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) {
      return absl::InvalidArgumentError("inclusion proof is too long");
    }
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(ToHash(p), r);
      if ((fn & 1) == 0) ShiftToSetBit(fn, sn);
    } else {
      r = NodeHash(r, ToHash(p));
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::InvalidArgumentError("inclusion proof is too short");
  }
  if (AsBytes(r) != root) {
    return absl::InvalidArgumentError(
        "inclusion proof does not lead to the given root");
  }
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t size1, uint64_t size2,
                               std::string_view root1, std::string_view root2,
                               const std::vector<std::string>& proof) {
  if (size1 == 0) {
    return absl::InvalidArgumentError(
        "a consistency proof from the empty tree proves nothing");
  }
  if (size2 < size1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tree shrank from size ", size1, " to size ", size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return absl::InvalidArgumentError(
          "trees of equal size need an empty consistency proof");
    }
    if (root1 != root2) {
      return absl::InvalidArgumentError(
          "trees of equal size have different roots");
    }
    return absl::OkStatus();
  }
  if (proof.empty()) {
    return absl::InvalidArgumentError("consistency proof is empty");
  }
  if (root1.size() != 32) {
    return absl::InvalidArgumentError("first root is not 32 bytes");
  }
  RETURN_IF_ERROR(CheckProofHashes(proof));
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (IsPowerOfTwo(size1)) path.push_back(ToHash(root1));
  for (const std::string& p : proof) path.push_back(ToHash(p));

  uint64_t fn = size1 - 1, sn = size2 - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) {
      return absl::InvalidArgumentError("consistency proof is too long");
    }
    const Hash& c = path[i];
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) ShiftToSetBit(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::InvalidArgumentError("consistency proof is too short");
  }
  if (AsBytes(fr) != root1) {
    return absl::InvalidArgumentError(
        "consistency proof does not lead to the first root");
  }
  if (AsBytes(sr) != root2) {
    return absl::InvalidArgumentError(
        "consistency proof does not lead to the second root");
  }
  return absl::OkStatus();
}

}  // namespace ledger
