// The offline check of an evidence bundle (docs/evidence.md), as
// `ledgerctl verify-bundle` runs it: the checkpoint's signature, every
// entry's bytes, stream position and inclusion proof, and then the
// subject's view row recomputed from the bundle's entries alone. The
// bundle is untrusted input: every malformed field is an error, never a
// crash. No gRPC here.
#ifndef CLIENTS_EVIDENCE_BUNDLE_H_
#define CLIENTS_EVIDENCE_BUNDLE_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "involvement/v1/state.pb.h"
#include "ledger/signed_note.h"
#include "ledger/v1/ledger.pb.h"
#include "projections/policy.h"
#include "projections/views.h"

namespace ledger {

// The bundle's "format" field.
inline constexpr char kEvidenceBundleFormat[] = "involvement-ledger/evidence/1";

// What a valid bundle holds.
struct VerifiedBundle {
  std::string kind;     // the subject's stream kind, e.g. "recommendation"
  std::string id;       // the subject's id
  std::string subject;  // the subject's stream, KIND/ID
  Checkpoint checkpoint;
  std::map<std::string, std::vector<v1::Entry>> by_stream;  // version order
  size_t entries = 0;
};

// Checks bundle `text` against the pinned `key`: the checkpoint note's
// signature, the fields that describe it, and each entry (canonical bytes,
// its stream at the next version, below the tree size, once, with an
// inclusion proof to the checkpoint's root). INVALID_ARGUMENT says which
// field or entry is wrong and why.
[[nodiscard]] absl::StatusOr<VerifiedBundle> CheckEvidenceBundle(const std::string& text,
                                                                 const VerifierKey& key);

// Folds entries of several streams (any order) sparsely, in sequence
// order; the fold's error otherwise.
[[nodiscard]] absl::StatusOr<involvement::v1::DomainState> FoldBundleEntries(
    const std::map<std::string, std::vector<v1::Entry>>& by_stream);

// The subject's view row (recommendations, complaints or you said / we
// did, by kind) as of `query.as_of`, folded from `bundle` alone, as JSON
// (proto field names); nullopt when the kind has no row or there is none
// as of the date. INVALID_ARGUMENT when the entries do not fold or a
// recommendation's cited feedback stream is missing.
[[nodiscard]] absl::StatusOr<std::optional<std::string>> BundleRowJson(
    const VerifiedBundle& bundle, involvement::ViewQuery query,
    const involvement::Policy& policy);

}  // namespace ledger

#endif  // CLIENTS_EVIDENCE_BUNDLE_H_
