// ledgerd: serves the Involvement Ledger over gRPC until SIGTERM or SIGINT,
// with the involvement domain's rules checked on every append.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>

#include "ledger/server.h"
#include "projections/involvement_validator.h"
#include "projections/policy.h"
#include "projections/query_service.h"

namespace {

constexpr char kUsage[] =
    "usage: ledgerd [--db DIR] [--listen HOST:PORT] [--origin NAME]\n"
    "               [--signing-key FILE] [--policy FILE]\n"
    "\n"
    "Serves the Involvement Ledger over gRPC (LedgerService, gRPC health\n"
    "checking and server reflection). Every append is synced to disk before\n"
    "it is acknowledged. Events in domain streams (body/, feedback/,\n"
    "recommendation/, complaint/, recruitment/, review/, survey/, advocacy/,\n"
    "training/, impact/) are involvement.v1 events checked against the\n"
    "domain's rules before they are written, and involvement.v1.QueryService\n"
    "serves the views (recommendations, you said / we did, bodies,\n"
    "complaints, compliance) folded from the log.\n"
    "\n"
    "  --db DIR            RocksDB database directory, created if missing\n"
    "                      (default: var/ledger)\n"
    "  --listen HOST:PORT  address to serve on; port 0 picks a free port\n"
    "                      (default: 127.0.0.1:50051)\n"
    "  --origin NAME       origin line of the log's signed checkpoints, and\n"
    "                      the signing key's name; fixed when a database is\n"
    "                      first served (default: the stored origin, or\n"
    "                      involvement-ledger for a new database)\n"
    "  --signing-key FILE  Ed25519 checkpoint signing key, PKCS#8 PEM, made\n"
    "                      with mode 0600 if missing (default: DIR.key,\n"
    "                      beside the database)\n"
    "  --policy FILE       policy numbers the views measure against (response\n"
    "                      windows, meeting cadence, homes); see\n"
    "                      docs/policy.md (default: the documented defaults)\n"
    "  --help              show this help\n"
    "\n"
    "A checkpoint of the Merkle tree is signed after every group commit.\n"
    "Prints 'listening on HOST:PORT' on stdout once serving, and the\n"
    "verifier key line auditors pin on stderr. SIGTERM or\n"
    "SIGINT stops it cleanly: appends in flight are committed or refused,\n"
    "never half-written. Exit status: 0 after a clean stop, 1 when the\n"
    "database or address cannot be used, 2 for a usage error.\n";

int Usage(const std::string& problem) {
  std::cerr << "ledgerd: " << problem << "\n\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  ledger::ServerOptions options;
  involvement::InvolvementValidator validator;
  options.validator = &validator;
  std::string policy_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--db") {
      if (!value(&options.db_path)) return Usage("--db needs a directory");
    } else if (arg == "--listen") {
      if (!value(&options.listen)) return Usage("--listen needs HOST:PORT");
    } else if (arg == "--policy") {
      if (!value(&policy_path)) return Usage("--policy needs a file");
    } else if (arg == "--origin") {
      if (!value(&options.origin)) return Usage("--origin needs a name");
    } else if (arg == "--signing-key") {
      if (!value(&options.signing_key_path)) return Usage("--signing-key needs a file");
    } else if (arg.rfind("--origin=", 0) == 0) {
      options.origin = arg.substr(9);
    } else if (arg.rfind("--signing-key=", 0) == 0) {
      options.signing_key_path = arg.substr(14);
    } else if (arg.rfind("--db=", 0) == 0) {
      options.db_path = arg.substr(5);
    } else if (arg.rfind("--listen=", 0) == 0) {
      options.listen = arg.substr(9);
    } else {
      return Usage("unknown argument '" + arg + "'");
    }
  }
  if (options.db_path.empty()) return Usage("--db must not be empty");

  involvement::Policy policy;
  if (!policy_path.empty()) {
    absl::StatusOr<involvement::Policy> loaded = involvement::LoadPolicy(policy_path);
    if (!loaded.ok()) {
      std::cerr << "ledgerd: " << loaded.status().message() << "\n";
      return 1;
    }
    policy = *loaded;
  }
  involvement::InvolvementServices services(policy);
  options.services = &services;

  // Create missing parent directories (the default is two levels deep).
  std::error_code ec;
  std::filesystem::path db(options.db_path);
  if (db.has_parent_path()) {
    std::filesystem::create_directories(db.parent_path(), ec);
    if (ec) {
      std::cerr << "ledgerd: cannot create " << db.parent_path().string()
                << ": " << ec.message() << "\n";
      return 1;
    }
  }

  // Signals are taken synchronously by this thread; every thread the server
  // starts inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<ledger::LedgerServer>> server =
      ledger::LedgerServer::Start(options);
  if (!server.ok()) {
    std::cerr << "ledgerd: " << server.status().message() << "\n";
    return 1;
  }
  std::cerr << "ledgerd: verifier key " << (*server)->verifier_key() << std::endl;
  std::cout << "listening on " << (*server)->listening_address() << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "ledgerd: " << strsignal(sig) << ", shutting down" << std::endl;
  (*server)->Shutdown();
  std::cerr << "ledgerd: stopped" << std::endl;
  return 0;
}
