// ledgerctl's evidence commands: `evidence` asks the server for the
// entries behind one view row, each with its inclusion proof against one
// signed checkpoint, and writes them as one self-contained JSON bundle;
// `verify-bundle` checks such a bundle offline with a pinned verifier key
// and recomputes the row from the bundle's entries alone.
// docs/evidence.md describes the bundle.
#ifndef CLIENTS_EVIDENCE_COMMANDS_H_
#define CLIENTS_EVIDENCE_COMMANDS_H_

#include <vector>

#include "clients/proof_commands.h"

namespace ledger {

// The evidence commands, in help order.
const std::vector<CliCommand>& EvidenceCommands();

}  // namespace ledger

#endif  // CLIENTS_EVIDENCE_COMMANDS_H_
