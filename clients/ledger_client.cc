// The client library's one gRPC translation unit.
#include "clients/ledger_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

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

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const ClientTls& tls) {
  if (!tls.enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = tls.ca_pem;
  ssl.pem_cert_chain = tls.cert_pem;
  ssl.pem_private_key = tls.key_pem;
  return grpc::SslCredentials(ssl);
}

struct LedgerClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<ledger::v1::LedgerService::Stub> stub;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
  ClientOptions options;

  void SetDeadline(grpc::ClientContext* ctx) const {
    ctx->set_deadline(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(options.timeout));
  }

  // One unary call with the client's deadline.
  template <typename Response, typename Stub, typename Request, typename Method>
  absl::StatusOr<Response> Unary(Stub& target, Method method, const Request& request) const {
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    Response response;
    grpc::Status s = (target.*method)(&ctx, request, &response);
    if (!s.ok()) return FromGrpc(s);
    return response;
  }
};

LedgerClient::LedgerClient(const std::string& address, ClientOptions options)
    : address_(address), options_(options), impl_(std::make_unique<Impl>()) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  if (options.own_connection) {
    static std::atomic<int> next_id{0};
    args.SetInt("ledger.client_id", next_id.fetch_add(1));
  }
  impl_->channel =
      grpc::CreateCustomChannel(address, ChannelCredentialsFor(options.tls), args);
  impl_->stub = ledger::v1::LedgerService::NewStub(impl_->channel);
  impl_->health = grpc::health::v1::Health::NewStub(impl_->channel);
  impl_->options = options;
}

LedgerClient::~LedgerClient() = default;

absl::StatusOr<ledger::v1::AppendResponse> LedgerClient::Append(
    const ledger::v1::AppendRequest& request) {
  return impl_->Unary<ledger::v1::AppendResponse>(
      *impl_->stub, &ledger::v1::LedgerService::Stub::Append, request);
}

absl::Status LedgerClient::AppendStream(
    const std::function<bool(ledger::v1::AppendRequest*)>& next,
    const std::function<void(absl::StatusOr<ledger::v1::AppendResponse>)>& on_answer,
    size_t max_unanswered) {
  max_unanswered = std::max<size_t>(max_unanswered, 1);
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<ledger::v1::AppendRequest,
                                           ledger::v1::AppendStreamResponse>>
      stream = impl_->stub->AppendStream(&ctx);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t sent = 0;      // guarded by mu
  uint64_t answered = 0;  // guarded by mu
  bool over = false;      // no more answers will come; guarded by mu
  bool sent_all = false;  // `next` had no more requests; guarded by mu
  std::thread sender([&] {
    ledger::v1::AppendRequest request;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return over || sent - answered < max_unanswered; });
        if (over) break;
      }
      request.Clear();
      if (!next(&request)) {
        std::lock_guard<std::mutex> lock(mu);
        sent_all = true;
        break;
      }
      {
        // Counted before the write: its answer may come before Write returns.
        std::lock_guard<std::mutex> lock(mu);
        ++sent;
      }
      if (!stream->Write(request)) {
        std::lock_guard<std::mutex> lock(mu);
        --sent;
        break;  // the call is over; Finish below says why
      }
    }
    stream->WritesDone();
  });
  ledger::v1::AppendStreamResponse answer;
  while (stream->Read(&answer)) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++answered;
    }
    cv.notify_one();
    if (answer.code() == 0) {
      on_answer(std::move(*answer.mutable_response()));
    } else {
      on_answer(absl::Status(static_cast<absl::StatusCode>(answer.code()), answer.message()));
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    over = true;
  }
  cv.notify_one();
  sender.join();
  absl::Status status = FromGrpc(stream->Finish());
  if (absl::IsUnavailable(status) && sent_all && answered == sent) {
    // The server stopped (shutting down) before it saw this side close,
    // but every request was sent and answered: nothing is lost.
    status = absl::OkStatus();
  } else if (status.ok() && answered != sent) {
    // The server ended the call without answering everything sent.
    status = absl::UnavailableError(absl::StrCat(
        "the server answered ", answered, " of ", sent,
        " requests; the others may or may not be recorded"));
  }
  return status;
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

absl::Status LedgerClient::Backup(
    const std::function<bool(const ledger::v1::BackupChunk&)>& on_chunk) {
  grpc::ClientContext ctx;
  auto reader = impl_->stub->Backup(&ctx, ledger::v1::BackupRequest());
  ledger::v1::BackupChunk msg;
  while (reader->Read(&msg)) {
    if (!on_chunk(msg)) {
      ctx.TryCancel();
      while (reader->Read(&msg)) {
      }
      reader->Finish().ok();
      return absl::CancelledError("backup abandoned");
    }
  }
  return FromGrpc(reader->Finish());
}

absl::StatusOr<ledger::v1::GetCheckpointResponse> LedgerClient::GetCheckpoint() {
  return impl_->Unary<ledger::v1::GetCheckpointResponse>(
      *impl_->stub, &ledger::v1::LedgerService::Stub::GetCheckpoint,
      ledger::v1::GetCheckpointRequest());
}

absl::StatusOr<ledger::v1::GetInclusionProofResponse>
LedgerClient::GetInclusionProof(uint64_t leaf_index, uint64_t tree_size) {
  ledger::v1::GetInclusionProofRequest request;
  request.set_leaf_index(leaf_index);
  request.set_tree_size(tree_size);
  return impl_->Unary<ledger::v1::GetInclusionProofResponse>(
      *impl_->stub, &ledger::v1::LedgerService::Stub::GetInclusionProof, request);
}

absl::StatusOr<ledger::v1::GetConsistencyProofResponse>
LedgerClient::GetConsistencyProof(uint64_t first_size, uint64_t second_size) {
  ledger::v1::GetConsistencyProofRequest request;
  request.set_first_size(first_size);
  request.set_second_size(second_size);
  return impl_->Unary<ledger::v1::GetConsistencyProofResponse>(
      *impl_->stub, &ledger::v1::LedgerService::Stub::GetConsistencyProof, request);
}

absl::Status LedgerClient::HealthCheck() {
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> response =
      impl_->Unary<grpc::health::v1::HealthCheckResponse>(
          *impl_->health, &grpc::health::v1::Health::Stub::Check,
          grpc::health::v1::HealthCheckRequest());
  if (!response.ok()) return response.status();
  if (response->status() != grpc::health::v1::HealthCheckResponse::SERVING) {
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
