// LedgerClient: a small C++ client for LedgerService, used by ledgerctl,
// ledger-bench and the end-to-end tests. The header keeps gRPC out of its
// users; errors come back as absl::Status with the server's gRPC code.
//
// Thread safety: one LedgerClient may be used from many threads at once.
#ifndef CLIENTS_LEDGER_CLIENT_H_
#define CLIENTS_LEDGER_CLIENT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clients/client_options.h"
#include "ledger/v1/ledger.pb.h"

namespace grpc {
class ChannelCredentials;
}  // namespace grpc

namespace ledger {

// The channel credentials for `tls`: SSL with the client's certificate when
// enabled, insecure otherwise. Shared by QueryClient; defined in
// ledger_client.cc so that one translation unit makes them.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const ClientTls& tls);

class LedgerClient {
 public:
  // Connects lazily to `address` (HOST:PORT), with mutual TLS when
  // options.tls is enabled.
  explicit LedgerClient(const std::string& address, ClientOptions options = {});
  ~LedgerClient();
  LedgerClient(const LedgerClient&) = delete;
  LedgerClient& operator=(const LedgerClient&) = delete;

  const std::string& address() const { return address_; }
  // The options it was made with (to open a QueryClient the same way).
  const ClientOptions& options() const { return options_; }

  // Appends; the status carries the server's code and message on failure.
  [[nodiscard]] absl::StatusOr<ledger::v1::AppendResponse> Append(
      const ledger::v1::AppendRequest& request);

  // Appends without waiting for each answer, on one AppendStream call:
  // sends each request `next` fills in (it returns false when there are no
  // more; it runs on a thread of its own) and passes each answer to
  // `on_answer`, in the order sent, on the calling thread: the response, or
  // the status Append would have returned (a refused request does not stop
  // the ones after it). Returns OK once every request sent has been
  // answered; otherwise the call's error, and the requests not answered
  // may or may not be recorded (send them again with the same event ids).
  // At most `max_unanswered` requests are sent ahead of their answers (the
  // server reads at most 64 ahead; more would wait in the connection's
  // buffers and only add to each one's latency).
  [[nodiscard]] absl::Status AppendStream(
      const std::function<bool(ledger::v1::AppendRequest*)>& next,
      const std::function<void(absl::StatusOr<ledger::v1::AppendResponse>)>& on_answer,
      size_t max_unanswered = 64);

  // Streams matching entries to `on_entry` until the end of the range, or
  // until `on_entry` returns false (then the call is cancelled and OK is
  // returned).
  [[nodiscard]] absl::Status Read(
      const ledger::v1::ReadRequest& request,
      const std::function<bool(const ledger::v1::Entry&)>& on_entry);

  // Subscribes: catch-up entries, then one `on_caught_up(log_size)`, then
  // live entries. Runs until a callback returns false (OK), the server ends
  // the stream, or an error.
  [[nodiscard]] absl::Status Subscribe(
      const ledger::v1::SubscribeRequest& request,
      const std::function<bool(const ledger::v1::Entry&)>& on_entry,
      const std::function<bool(uint64_t)>& on_caught_up);

  // The latest signed checkpoint, its tree size and the server's verifier
  // key line.
  [[nodiscard]] absl::StatusOr<ledger::v1::GetCheckpointResponse> GetCheckpoint();

  // Inclusion proof of `leaf_index` in the tree of `tree_size` entries (0:
  // the latest checkpoint's size).
  [[nodiscard]] absl::StatusOr<ledger::v1::GetInclusionProofResponse>
  GetInclusionProof(uint64_t leaf_index, uint64_t tree_size);

  // Consistency proof from `first_size` to `second_size` (0: the latest
  // checkpoint's size).
  [[nodiscard]] absl::StatusOr<ledger::v1::GetConsistencyProofResponse>
  GetConsistencyProof(uint64_t first_size, uint64_t second_size);

  // Streams a backup of the server's database (BackupChunk messages, file
  // by file) to `on_chunk` until the end, or until `on_chunk` returns false
  // (then the call is cancelled and CANCELLED returned).
  [[nodiscard]] absl::Status Backup(
      const std::function<bool(const ledger::v1::BackupChunk&)>& on_chunk);

  // One gRPC health check (grpc.health.v1.Health/Check for the whole
  // server): OK when the server reports SERVING.
  [[nodiscard]] absl::Status HealthCheck();

  // Waits up to `timeout` for the connection to be ready.
  [[nodiscard]] absl::Status WaitForReady(absl::Duration timeout);

 private:
  struct Impl;
  std::string address_;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger

#endif  // CLIENTS_LEDGER_CLIENT_H_
