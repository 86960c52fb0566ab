// The client library's one gRPC translation unit.
#include "clients/ledger_client.h"

#include <grpcpp/grpcpp.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "ledger/v1/ledger.grpc.pb.h"

namespace ledger {

namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

}  // namespace

struct LedgerClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<ledger::v1::LedgerService::Stub> stub;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
  ClientOptions options;

  void SetDeadline(grpc::ClientContext* ctx) const {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(options.timeout));
  }
};

LedgerClient::LedgerClient(const std::string& address, ClientOptions options)
    : address_(address), impl_(std::make_unique<Impl>()) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  if (options.own_connection) {
    static std::atomic<int> next_id{0};
    args.SetInt("ledger.client_id", next_id.fetch_add(1));
  }
  impl_->channel = grpc::CreateCustomChannel(
      address, grpc::InsecureChannelCredentials(), args);
  impl_->stub = ledger::v1::LedgerService::NewStub(impl_->channel);
  impl_->health = grpc::health::v1::Health::NewStub(impl_->channel);
  impl_->options = options;
}

LedgerClient::~LedgerClient() = default;

absl::StatusOr<ledger::v1::AppendResponse> LedgerClient::Append(
    const ledger::v1::AppendRequest& request) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(&ctx);
  ledger::v1::AppendResponse response;
  grpc::Status s = impl_->stub->Append(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::Status LedgerClient::Read(
    const ledger::v1::ReadRequest& request,
    const std::function<bool(const ledger::v1::Entry&)>& on_entry) {
  grpc::ClientContext ctx;
  auto reader = impl_->stub->Read(&ctx, request);
  ledger::v1::ReadResponse msg;
  while (reader->Read(&msg)) {
    if (!on_entry(msg.entry())) {
      ctx.TryCancel();
      while (reader->Read(&msg)) {
      }
      reader->Finish().ok();
      return absl::OkStatus();
    }
  }
  return FromGrpc(reader->Finish());
}

absl::Status LedgerClient::Subscribe(
    const ledger::v1::SubscribeRequest& request,
    const std::function<bool(const ledger::v1::Entry&)>& on_entry,
    const std::function<bool(uint64_t)>& on_caught_up) {
  grpc::ClientContext ctx;
  auto reader = impl_->stub->Subscribe(&ctx, request);
  ledger::v1::SubscribeResponse msg;
  while (reader->Read(&msg)) {
    bool go_on = msg.has_entry() ? on_entry(msg.entry())
                                 : on_caught_up(msg.caught_up().log_size());
    if (!go_on) {
      ctx.TryCancel();
      while (reader->Read(&msg)) {
      }
      reader->Finish().ok();
      return absl::OkStatus();
    }
  }
  return FromGrpc(reader->Finish());
}

absl::StatusOr<ledger::v1::GetCheckpointResponse> LedgerClient::GetCheckpoint() {
  grpc::ClientContext ctx;
  impl_->SetDeadline(&ctx);
  ledger::v1::GetCheckpointResponse response;
  grpc::Status s =
      impl_->stub->GetCheckpoint(&ctx, ledger::v1::GetCheckpointRequest(), &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<ledger::v1::GetInclusionProofResponse>
LedgerClient::GetInclusionProof(uint64_t leaf_index, uint64_t tree_size) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(&ctx);
  ledger::v1::GetInclusionProofRequest request;
  request.set_leaf_index(leaf_index);
  request.set_tree_size(tree_size);
  ledger::v1::GetInclusionProofResponse response;
  grpc::Status s = impl_->stub->GetInclusionProof(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::StatusOr<ledger::v1::GetConsistencyProofResponse>
LedgerClient::GetConsistencyProof(uint64_t first_size, uint64_t second_size) {
  grpc::ClientContext ctx;
  impl_->SetDeadline(&ctx);
  ledger::v1::GetConsistencyProofRequest request;
  request.set_first_size(first_size);
  request.set_second_size(second_size);
  ledger::v1::GetConsistencyProofResponse response;
  grpc::Status s = impl_->stub->GetConsistencyProof(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::Status LedgerClient::HealthCheck() {
  grpc::ClientContext ctx;
  impl_->SetDeadline(&ctx);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status s = impl_->health->Check(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError("server is not serving");
  }
  return absl::OkStatus();
}

absl::Status LedgerClient::WaitForReady(absl::Duration timeout) {
  auto deadline = std::chrono::system_clock::now() +
                  absl::ToChronoMilliseconds(timeout);
  if (impl_->channel->WaitForConnected(deadline)) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("cannot connect to ", address_));
}

}  // namespace ledger
