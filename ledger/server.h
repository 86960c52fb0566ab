// LedgerServer: the ledger's gRPC server (LedgerService, health checking and
// reflection) over a LedgerStore and its GroupCommitWriter, in plaintext or
// with mutual TLS and an AccessPolicy (docs/security.md). This header keeps
// gRPC out of the code that starts the server.
//
// Thread safety: Shutdown may be called from any one thread; a
// CallAuthorizer may be used from any number of threads.
#ifndef LEDGER_SERVER_H_
#define LEDGER_SERVER_H_

#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/access_policy.h"
#include "ledger/append_limits.h"
#include "ledger/append_validator.h"

namespace grpc {
class Service;
class ServerContext;
class ServerContextBase;
}  // namespace grpc

namespace ledger {

class GroupCommitWriter;
class LedgerStore;

// The actor recorded, and the caller's name in logs, when the server runs
// without TLS: only on loopback, for development, with no authentication.
inline constexpr char kLocalActor[] = "local";

// Decides, at the gRPC boundary, whether a call may proceed and as whom.
// Under mutual TLS the caller is its verified client certificate's subject
// (RFC 2253, as gRPC's x509_subject property gives it) and the
// AccessPolicy says what it may do; without TLS every caller is
// kLocalActor and may do everything. Every refusal is PERMISSION_DENIED and
// is logged on stderr with the subject, its role and what was refused.
// Implemented in server.cc, the one gRPC translation unit of ledger/.
class CallAuthorizer {
 public:
  // `policy` null: no TLS. Otherwise it must outlive the authorizer.
  explicit CallAuthorizer(const AccessPolicy* policy) : policy_(policy) {}

  // The caller's actor when it may read (`what` names the call for the
  // message, e.g. "Read" or "QueryService.Bodies").
  [[nodiscard]] absl::StatusOr<std::string> AuthorizeRead(
      const grpc::ServerContextBase& context, std::string_view what) const;

  // The caller's actor when it may administer the database (`what`, e.g.
  // "Backup"): the admin role, or anyone on loopback without TLS.
  [[nodiscard]] absl::StatusOr<std::string> AuthorizeAdminister(
      const grpc::ServerContextBase& context, std::string_view what) const;

  // The caller's actor when it may append every event of `request`.
  [[nodiscard]] absl::StatusOr<std::string> AuthorizeAppend(
      const grpc::ServerContextBase& context,
      const ledger::v1::AppendRequest& request) const;

 private:
  // The verified certificate subject, or PERMISSION_DENIED without one.
  absl::StatusOr<std::string> SubjectOf(const grpc::ServerContextBase& context,
                                        std::string_view what) const;
  static absl::Status Logged(const absl::Status& denied);

  const AccessPolicy* policy_;
};

// More gRPC services to serve beside LedgerService, such as a domain's
// queries over the log. Start is called once the store and writer are
// open, Stop once the gRPC server has stopped and before they close. Each
// call of the services must pass `authorizer` (which lives until Stop
// returns) before it reveals anything.
class ServiceProvider {
 public:
  virtual ~ServiceProvider() = default;
  // The services to register; they stay owned by the provider and must
  // live until Stop returns.
  [[nodiscard]] virtual absl::StatusOr<std::vector<grpc::Service*>> Start(
      LedgerStore* store, GroupCommitWriter* writer,
      const CallAuthorizer* authorizer) = 0;
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
  // Connections and calls: at most this many subscriptions at once (more
  // get RESOURCE_EXHAUSTED), this many threads serving calls (calls past
  // it get RESOURCE_EXHAUSTED rather than queue without bound), and this
  // many concurrent calls on one connection.
  int max_subscriptions = 256;
  int max_threads = 128;
  // Threads the synchronous server keeps waiting for calls when idle
  // (gRPC's MAX_POLLERS). Appends do not use them (they are served through
  // gRPC's callback API); reads, proofs, queries and health checks do.
  int max_idle_threads = 32;
  int max_streams_per_connection = 64;
  // More services; may be null. Must outlive the server.
  ServiceProvider* services = nullptr;
  // Mutual TLS: PEM texts of the server's certificate chain and private
  // key, and of the CA(s) whose client certificates are accepted. When
  // set, every client must present a certificate that CA verifies, and
  // `access` must be set. Unset: plaintext, with every caller kLocalActor.
  struct Tls {
    std::string cert_chain_pem;
    std::string private_key_pem;
    std::string client_ca_pem;
  };
  std::optional<Tls> tls;
  // Who may do what under TLS; required with `tls`, ignored without.
  // Must outlive the server.
  const AccessPolicy* access = nullptr;
  // Plaintext is refused on an address that is not loopback unless this is
  // set: without TLS nobody is authenticated.
  bool allow_plaintext_off_loopback = false;
};

// OK when `listen` (HOST:PORT) names only loopback addresses (127.0.0.0/8,
// ::1, or a name such as localhost that resolves only to them);
// FAILED_PRECONDITION saying plaintext there needs TLS or
// --insecure-plaintext otherwise, INVALID_ARGUMENT when it does not parse.
[[nodiscard]] absl::Status CheckLoopback(const std::string& listen);

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
