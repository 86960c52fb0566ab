// ledgerctl's view commands: recommendations, you-said-we-did, bodies,
// complaints and compliance, each over involvement.v1.QueryService, as a
// readable table or --json.
#ifndef CLIENTS_VIEW_COMMANDS_H_
#define CLIENTS_VIEW_COMMANDS_H_

#include <vector>

#include "clients/proof_commands.h"

namespace ledger {

// The view commands, in help order.
const std::vector<CliCommand>& ViewCommands();

}  // namespace ledger

#endif  // CLIENTS_VIEW_COMMANDS_H_
