// LedgerServer: the ledger's gRPC server (LedgerService, health checking and
// reflection) over a LedgerStore and its GroupCommitWriter. This header
// keeps gRPC out of the code that starts the server.
//
// Thread safety: Shutdown may be called from any one thread.
#ifndef LEDGER_SERVER_H_
#define LEDGER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/append_limits.h"
#include "ledger/append_validator.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace ledger {

class GroupCommitWriter;
class LedgerStore;

// More gRPC services to serve beside LedgerService, such as a domain's
// queries over the log. Start is called once the store and writer are
// open, Stop once the gRPC server has stopped and before they close.
class ServiceProvider {
 public:
  virtual ~ServiceProvider() = default;
  // The services to register; they stay owned by the provider and must
  // live until Stop returns.
  [[nodiscard]] virtual absl::StatusOr<std::vector<grpc::Service*>> Start(
      LedgerStore* store, GroupCommitWriter* writer) = 0;
  virtual void Stop() {}
};

struct ServerOptions {
  std::string db_path = "var/ledger";
  // HOST:PORT; port 0 picks a free port.
  std::string listen = "127.0.0.1:50051";
  AppendLimits limits;
  // Domain rules checked on append; may be null. Must outlive the server.
  AppendValidator* validator = nullptr;
  // Origin line of the log's checkpoints. Fixed when a database is first
  // served; empty means the stored one, or kDefaultOrigin for a new log.
  std::string origin;
  // Ed25519 signing key (PKCS#8 PEM), made on first start with mode 0600;
  // empty means DB_PATH + ".key", beside the database.
  std::string signing_key_path;
  // More services; may be null. Must outlive the server.
  ServiceProvider* services = nullptr;
};

inline constexpr char kDefaultOrigin[] = "involvement-ledger";

class LedgerServer {
 public:
  // Opens the database and starts serving. Errors name the problem: an
  // unusable database path, a database held by another process, an address
  // that is in use or cannot be bound.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LedgerServer>> Start(
      const ServerOptions& options);

  // Calls Shutdown.
  ~LedgerServer();

  // HOST:PORT actually bound (the real port when 0 was asked for).
  const std::string& listening_address() const;

  // The verifier key line of the log's signing key.
  const std::string& verifier_key() const;

  // Stops taking RPCs, ends subscriptions, lets in-flight appends finish
  // (each is either committed and acknowledged or rejected, never half
  // written), then closes the database. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  explicit LedgerServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger

#endif  // LEDGER_SERVER_H_
