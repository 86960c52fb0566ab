// ledgerd: serves the Involvement Ledger over gRPC until SIGTERM or SIGINT,
// with the involvement domain's rules checked on every append.
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "absl/synchronization/mutex.h"
#include "ledger/access_policy.h"
#include "ledger/server.h"
#include "projections/involvement_roles.h"
#include "projections/involvement_validator.h"
#include "projections/policy.h"
#include "projections/query_service.h"

namespace {

constexpr char kUsage[] =
    "usage: ledgerd [--db DIR] [--listen HOST:PORT] [--origin NAME]\n"
    "               [--signing-key FILE] [--policy FILE]\n"
    "               [--tls-cert FILE --tls-key FILE --client-ca FILE --roles FILE]\n"
    "               [--insecure-plaintext] [--max-subscriptions N]\n"
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
    "  --tls-cert FILE     the server's certificate chain, PEM: serve with\n"
    "                      mutual TLS; needs --tls-key, --client-ca, --roles\n"
    "  --tls-key FILE      the server's private key, PEM\n"
    "  --client-ca FILE    CA certificate(s), PEM: every client must present a\n"
    "                      certificate one of them signed\n"
    "  --roles FILE        which client certificate subject has which role\n"
    "                      (recorder, secretary, complaints, auditor, admin);\n"
    "                      a subject not listed may only call the health\n"
    "                      check. See docs/security.md\n"
    "  --insecure-plaintext  allow plaintext on an address that is not\n"
    "                      loopback (refused otherwise: nobody could be\n"
    "                      authenticated)\n"
    "  --max-subscriptions N  subscriptions served at once; more are refused\n"
    "                      with RESOURCE_EXHAUSTED (default: 256)\n"
    "  --help              show this help\n"
    "\n"
    "Without TLS there is no authentication: every entry's actor is 'local'\n"
    "and a warning says so at start. Under mutual TLS the actor is the\n"
    "client certificate's subject, and calls its role does not allow are\n"
    "refused with PERMISSION_DENIED and logged on stderr (at most 20 lines a\n"
    "second). Server reflection is served only without TLS. Limits on what a\n"
    "client may send and hold are in docs/security.md.\n"
    "\n"
    "A checkpoint of the Merkle tree is signed after every group commit.\n"
    "Prints 'listening on HOST:PORT' on stdout once serving, and the\n"
    "verifier key line auditors pin on stderr. SIGTERM or\n"
    "SIGINT stops it cleanly: appends in flight are committed or refused,\n"
    "never half-written. Exit status: 0 after a clean stop, 1 when the\n"
    "database, address or a TLS or roles file cannot be used, 2 for a\n"
    "usage error (including plaintext off loopback without\n"
    "--insecure-plaintext).\n";

int Usage(const std::string& problem) {
  std::cerr << "ledgerd: " << problem << "\n\n" << kUsage;
  return 2;
}

// The whole of a PEM file; nullopt (after saying why) when it cannot be read.
std::optional<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad() || text.str().find("-----BEGIN ") == std::string::npos) {
    std::cerr << "ledgerd: " << flag << " " << path << ": cannot read a PEM file there\n";
    return std::nullopt;
  }
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  // Allocations of 1 MiB and more (RocksDB's memtable arena blocks, the
  // writer's batch buffers) are mapped on their own, so a flushed
  // memtable's memory goes back to the system. glibc otherwise raises this
  // threshold as large blocks are freed, and memtables come from the heap,
  // where they leave holes.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // Debian builds Abseil without NDEBUG, so every absl::Mutex (gRPC locks
  // its own with them, several times per call) would also record lock
  // order in a process-wide graph to report potential deadlocks: a
  // debugging aid, 4% of the server's CPU per health check and 2% per
  // unary append (docs/performance.md, item 24).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ledger::ServerOptions options;
  involvement::InvolvementValidator validator;
  options.validator = &validator;
  std::string policy_path;
  std::string tls_cert, tls_key, client_ca, roles_path;
  bool insecure_plaintext = false;
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
    } else if (arg == "--tls-cert") {
      if (!value(&tls_cert)) return Usage("--tls-cert needs a file");
    } else if (arg == "--tls-key") {
      if (!value(&tls_key)) return Usage("--tls-key needs a file");
    } else if (arg == "--client-ca") {
      if (!value(&client_ca)) return Usage("--client-ca needs a file");
    } else if (arg == "--roles") {
      if (!value(&roles_path)) return Usage("--roles needs a file");
    } else if (arg == "--insecure-plaintext") {
      insecure_plaintext = true;
    } else if (arg == "--max-subscriptions") {
      std::string n;
      if (!value(&n)) return Usage("--max-subscriptions needs a number");
      char* end = nullptr;
      const long parsed = std::strtol(n.c_str(), &end, 10);
      if (end == n.c_str() || *end != '\0' || parsed < 1 || parsed > 100000) {
        return Usage("--max-subscriptions: expected a number from 1 to 100000");
      }
      options.max_subscriptions = static_cast<int>(parsed);
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
  const bool tls = !tls_cert.empty() || !tls_key.empty() || !client_ca.empty();
  if (tls && (tls_cert.empty() || tls_key.empty() || client_ca.empty() || roles_path.empty())) {
    return Usage("mutual TLS needs all of --tls-cert, --tls-key, --client-ca and --roles");
  }
  if (!tls && !roles_path.empty()) {
    return Usage("--roles needs mutual TLS (--tls-cert, --tls-key, --client-ca): "
                 "without it nobody has a certificate subject");
  }
  if (tls && insecure_plaintext) {
    return Usage("--insecure-plaintext cannot be used with --tls-cert");
  }
  if (!tls && !insecure_plaintext) {
    if (absl::Status s = ledger::CheckLoopback(options.listen); absl::IsFailedPrecondition(s)) {
      std::cerr << "ledgerd: " << s.message() << "\n";
      return 2;
    }
  }
  options.allow_plaintext_off_loopback = insecure_plaintext;

  std::optional<ledger::AccessPolicy> access;
  if (tls) {
    std::optional<std::string> cert = ReadPem("--tls-cert", tls_cert);
    std::optional<std::string> key = ReadPem("--tls-key", tls_key);
    std::optional<std::string> ca = ReadPem("--client-ca", client_ca);
    if (!cert || !key || !ca) return 1;
    absl::StatusOr<ledger::AccessPolicy> loaded =
        ledger::AccessPolicy::Load(roles_path, involvement::InvolvementRoles());
    if (!loaded.ok()) {
      std::cerr << "ledgerd: " << loaded.status().message() << "\n";
      return 1;
    }
    access = std::move(*loaded);
    options.access = &*access;
    options.tls = ledger::ServerOptions::Tls{*cert, *key, *ca};
  }

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
  if (tls) {
    std::cerr << "ledgerd: mutual TLS; " << access->subject_count()
              << " subjects with roles in " << roles_path << std::endl;
  } else {
    std::cerr << "ledgerd: WARNING: no TLS, so no authentication: any local process may "
                 "append, and every entry's actor is '"
              << ledger::kLocalActor << "'. For development only (docs/security.md)."
              << std::endl;
  }
  std::cout << "listening on " << (*server)->listening_address() << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  std::cerr << "ledgerd: " << strsignal(sig) << ", shutting down" << std::endl;
  (*server)->Shutdown();
  std::cerr << "ledgerd: stopped" << std::endl;
  // Everything is closed and durable now. Destroying the server would run
  // gRPC's own teardown, which can wait out the rest of the shutdown's
  // 10-second grace period for one of its threads still polling with that
  // deadline (gRPC 1.51): end the process instead.
#if defined(__SANITIZE_ADDRESS__)
  __lsan_do_leak_check();
#endif
  std::fflush(nullptr);
  std::_Exit(0);
}
