// ledgerctl's evidence commands: `evidence` asks the server for the
// entries behind one view row, each with its inclusion proof against one
// signed checkpoint, and writes them as one self-contained JSON bundle;
// `verify-bundle` checks such a bundle offline with a pinned verifier key
// and recomputes the row from the bundle's entries alone.
// docs/evidence.md describes the bundle.
#ifndef CLIENTS_EVIDENCE_COMMANDS_H_
#define CLIENTS_EVIDENCE_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "clients/ledger_client.h"
#include "clients/proof_commands.h"
#include "ledger/signed_note.h"

namespace ledger {

// The evidence commands, in help order.
const std::vector<CliCommand>& EvidenceCommands();

// The server's latest checkpoint, verified with the key the server names.
struct FetchedCheckpoint {
  std::string note;          // the signed note, exactly as fetched
  std::string verifier_key;  // the server's verifier key line
  VerifierKey key;
  Checkpoint checkpoint;
};

// Fetches and verifies the checkpoint. DATA_LOSS when the key or the
// signature does not check; otherwise the server's status.
absl::StatusOr<FetchedCheckpoint> FetchCheckpoint(LedgerClient& client);

// The evidence bundle (docs/evidence.md) for `subject` (KIND/ID) proven
// against `checkpoint`: only entries with a sequence below its tree size,
// so the same checkpoint gives the same bytes. `address` is the server's,
// for the QueryService (a feedback bundle's citing recommendations).
// NOT_FOUND when the stream has no entries in the checkpoint; DATA_LOSS
// when the server's answers do not check; otherwise the server's status.
absl::StatusOr<std::string> BuildEvidenceBundle(LedgerClient& client, const std::string& address,
                                                const FetchedCheckpoint& checkpoint,
                                                const std::string& subject);

// Prints an error from the two functions above as ledgerctl does
// (DATA_LOSS as INVALID); returns 1.
int EvidenceError(const std::string& what, const absl::Status& s, const std::string& server);

}  // namespace ledger

#endif  // CLIENTS_EVIDENCE_COMMANDS_H_
