#include "ledger/stored_proofs.h"

#include "absl/strings/str_cat.h"
#include "ledger/merkle.h"

namespace ledger {

namespace {

SubtreeBatchReader NodesOf(const LedgerStore& store) {
  return [&store](const std::vector<NodeKeyParts>& ids)
             -> absl::StatusOr<std::vector<Hash>> {
    absl::StatusOr<std::vector<Hash>> hashes = store.GetNodes(ids);
    if (!hashes.ok()) return MissingAsDataLoss(hashes.status());
    return hashes;
  };
}

}  // namespace

absl::Status MissingAsDataLoss(const absl::Status& s) {
  if (!absl::IsNotFound(s)) return s;
  return absl::DataLossError(absl::StrCat(s.message(), "; run ledger-verify"));
}

absl::StatusOr<std::vector<Hash>> StoredInclusionProof(const LedgerStore& store,
                                                       uint64_t index, uint64_t size) {
  return WithBatchedReads(
      [&](const SubtreeReader& read) { return InclusionProof(index, size, read); },
      NodesOf(store));
}

absl::StatusOr<std::vector<Hash>> StoredConsistencyProof(const LedgerStore& store,
                                                         uint64_t size1, uint64_t size2) {
  return WithBatchedReads(
      [&](const SubtreeReader& read) { return ConsistencyProof(size1, size2, read); },
      NodesOf(store));
}

}  // namespace ledger
