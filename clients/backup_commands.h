// ledgerctl backup and restore: a consistent copy of a serving ledger's
// database, and its offline check and restore. docs/operations.md.
#ifndef CLIENTS_BACKUP_COMMANDS_H_
#define CLIENTS_BACKUP_COMMANDS_H_

#include <vector>

#include "clients/proof_commands.h"

namespace ledger {

const std::vector<CliCommand>& BackupCommands();

}  // namespace ledger

#endif  // CLIENTS_BACKUP_COMMANDS_H_
