// The fold of the log into the involvement views' state
// (involvement.v1.DomainState): every domain event is filed under what it
// is about, with its sequence. The fold is a pure function of the log: the
// same entries give the same state, byte for byte, whether folded at once
// or in pieces across restarts.
//
// Thread safety: none; callers serialise access to a state.
#ifndef PROJECTIONS_DOMAIN_FOLD_H_
#define PROJECTIONS_DOMAIN_FOLD_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "involvement/v1/state.pb.h"
#include "ledger/v1/ledger.pb.h"

namespace involvement {

// The version of the fold recorded in DomainState.version; a saved state
// of another version is folded again from the start.
inline constexpr uint32_t kFoldVersion = 2;

// Calls `visit` for each stored entry of `stream`, in version order, up to
// the entry being folded. Used to re-fold a stream when one of its events
// is corrected.
using StreamReader = std::function<absl::Status(
    const std::string& stream,
    const std::function<absl::Status(const ledger::v1::Entry&)>& visit)>;

// Folds `entry`, which must be entry number state.position, into `state`.
// Entries of non-domain streams only advance the position. FAILED_PRECONDITION
// when the entry is not the next one; errors from `read_stream` pass through.
[[nodiscard]] absl::Status FoldEntry(const ledger::v1::Entry& entry,
                                     v1::DomainState& state,
                                     const StreamReader& read_stream);

// Like FoldEntry, for a subset of the log (an evidence bundle's entries):
// `entry` must come after every entry folded so far (sequence at least
// state.position()), but need not be the next one; the position becomes
// its sequence plus one. FAILED_PRECONDITION for an entry out of order.
// FoldEntry's contiguity check is unchanged.
[[nodiscard]] absl::Status FoldEntrySparse(const ledger::v1::Entry& entry,
                                           v1::DomainState& state,
                                           const StreamReader& read_stream);

}  // namespace involvement

#endif  // PROJECTIONS_DOMAIN_FOLD_H_
