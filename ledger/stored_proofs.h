// Inclusion and consistency proofs from a LedgerStore's stored Merkle tree
// nodes, as the server answers them: every node one proof needs is read in
// one batch (LedgerStore::GetNodes), not one read per node.
//
// Thread safety: as LedgerStore's reads; any thread.
#ifndef LEDGER_STORED_PROOFS_H_
#define LEDGER_STORED_PROOFS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/hash.h"
#include "ledger/store.h"

namespace ledger {

// RFC 9162 inclusion proof of leaf `index` in the stored tree of the first
// `size` leaves (see InclusionProof). `size` must not exceed the committed
// log: a missing node is then corruption, reported as DATA_LOSS.
[[nodiscard]] absl::StatusOr<std::vector<Hash>> StoredInclusionProof(
    const LedgerStore& store, uint64_t index, uint64_t size);

// RFC 9162 consistency proof between the stored trees of `size1` and
// `size2` leaves (see ConsistencyProof); errors as StoredInclusionProof's.
[[nodiscard]] absl::StatusOr<std::vector<Hash>> StoredConsistencyProof(
    const LedgerStore& store, uint64_t size1, uint64_t size2);

// NOT_FOUND for something a committed log must hold, as the DATA_LOSS it
// is (pointing to ledger-verify); other statuses unchanged.
absl::Status MissingAsDataLoss(const absl::Status& s);

}  // namespace ledger

#endif  // LEDGER_STORED_PROOFS_H_
