// ledgerctl audit-pack: one directory an auditor reads, for a year: the
// compliance findings, indicators, recommendations and complaints figures,
// one evidence bundle per finding, and the checkpoint they are all proven
// against, with SUMMARY.md. docs/evidence.md describes it.
#ifndef CLIENTS_AUDIT_PACK_COMMAND_H_
#define CLIENTS_AUDIT_PACK_COMMAND_H_

#include <vector>

#include "clients/proof_commands.h"

namespace ledger {

// The audit-pack command.
const std::vector<CliCommand>& AuditPackCommands();

}  // namespace ledger

#endif  // CLIENTS_AUDIT_PACK_COMMAND_H_
