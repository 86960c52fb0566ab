// ledgerctl report: the year's involvement record as one self-contained,
// accessible HTML page for a Board or a service-user panel, built from the
// views of one signed checkpoint, each figure linking to its evidence.
// docs/report.md describes the page.
#ifndef CLIENTS_REPORT_COMMAND_H_
#define CLIENTS_REPORT_COMMAND_H_

#include <vector>

#include "clients/proof_commands.h"

namespace ledger {

const std::vector<CliCommand>& ReportCommands();

}  // namespace ledger

#endif  // CLIENTS_REPORT_COMMAND_H_
