// ClientOptions: how LedgerClient and QueryClient connect, including mutual
// TLS. No gRPC here: the credentials are made in ledger_client.cc.
#ifndef CLIENTS_CLIENT_OPTIONS_H_
#define CLIENTS_CLIENT_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ledger {

// Mutual TLS material, as PEM text. Empty `ca_pem`: plaintext. The client
// checks the server's certificate against `ca_pem` and the address it
// dials (an IP address or name in the certificate's subjectAltName), and
// presents `cert_pem` / `key_pem` when they are set, as ledgerd requires.
struct ClientTls {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;

  bool enabled() const { return !ca_pem.empty(); }
};

// Reads the three PEM files of --ca, --tls-cert and --tls-key. All empty:
// plaintext (a disabled ClientTls). INVALID_ARGUMENT when only some are
// given, NOT_FOUND naming a file that cannot be read or holds no PEM.
[[nodiscard]] absl::StatusOr<ClientTls> LoadClientTls(const std::string& ca_path,
                                                      const std::string& cert_path,
                                                      const std::string& key_path);

struct ClientOptions {
  // Give this client its own TCP connection rather than sharing one with
  // other clients of the same address in this process.
  bool own_connection = false;
  // Deadline for unary calls.
  absl::Duration timeout = absl::Seconds(60);
  // Mutual TLS; disabled by default.
  ClientTls tls;
};

}  // namespace ledger

#endif  // CLIENTS_CLIENT_OPTIONS_H_
