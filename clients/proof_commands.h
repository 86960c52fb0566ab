// ledgerctl's commands for checkpoints and proofs: those that ask the
// server (checkpoint, public-key, prove-inclusion, prove-consistency,
// audit) and those an auditor runs offline with nothing but hashes and a
// verifier key (merkle-root, verify-inclusion, verify-consistency,
// verify-checkpoint).
#ifndef CLIENTS_PROOF_COMMANDS_H_
#define CLIENTS_PROOF_COMMANDS_H_

#include <string>
#include <vector>

#include "clients/client_options.h"

namespace ledger {

// The server ledgerctl talks to, from its global flags: the address
// (--server, $LEDGER_SERVER) and how to connect (--tls-cert, --tls-key,
// --ca). A command's own --server replaces only the address.
struct ServerConnection {
  std::string address;
  ClientOptions options;
};

// One ledgerctl command. `run` gets the default server connection and the
// command's flags in argv[first..argc); it returns the exit status (0
// success or valid, 1 refused or invalid, 2 usage error).
struct CliCommand {
  const char* name;
  const char* summary;  // one line for ledgerctl --help
  const char* usage;    // the command's help text
  int (*run)(const ServerConnection& server, int argc, char** argv, int first);
};

// The checkpoint and proof commands, in help order.
const std::vector<CliCommand>& ProofCommands();

}  // namespace ledger

#endif  // CLIENTS_PROOF_COMMANDS_H_
