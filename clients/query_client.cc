// The query client's one gRPC translation unit.
#include "clients/query_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "clients/ledger_client.h"
#include "involvement/v1/views.grpc.pb.h"

namespace ledger {

namespace iv1 = involvement::v1;

struct QueryClient::Impl {
  std::unique_ptr<iv1::QueryService::Stub> stub;

  template <typename Response, typename Method>
  absl::StatusOr<Response> Call(Method method, const iv1::ViewRequest& request) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    Response response;
    grpc::Status s = ((*stub).*method)(&ctx, request, &response);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    }
    return response;
  }
};

QueryClient::QueryClient(const std::string& address, const ClientOptions& options)
    : address_(address), impl_(std::make_unique<Impl>()) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(256 * 1024 * 1024);
  impl_->stub = iv1::QueryService::NewStub(
      grpc::CreateCustomChannel(address, ChannelCredentialsFor(options.tls), args));
}

QueryClient::~QueryClient() = default;

absl::StatusOr<iv1::RecommendationsView> QueryClient::Recommendations(
    const iv1::ViewRequest& request) {
  return impl_->Call<iv1::RecommendationsView>(&iv1::QueryService::Stub::Recommendations, request);
}
absl::StatusOr<iv1::YouSaidWeDidView> QueryClient::YouSaidWeDid(const iv1::ViewRequest& request) {
  return impl_->Call<iv1::YouSaidWeDidView>(&iv1::QueryService::Stub::YouSaidWeDid, request);
}
absl::StatusOr<iv1::BodiesView> QueryClient::Bodies(const iv1::ViewRequest& request) {
  return impl_->Call<iv1::BodiesView>(&iv1::QueryService::Stub::Bodies, request);
}
absl::StatusOr<iv1::ComplaintsView> QueryClient::Complaints(const iv1::ViewRequest& request) {
  return impl_->Call<iv1::ComplaintsView>(&iv1::QueryService::Stub::Complaints, request);
}
absl::StatusOr<iv1::ComplianceView> QueryClient::Compliance(const iv1::ViewRequest& request) {
  return impl_->Call<iv1::ComplianceView>(&iv1::QueryService::Stub::Compliance, request);
}

absl::StatusOr<iv1::RecruitmentView> QueryClient::Recruitment(const iv1::ViewRequest& request) {
  return impl_->Call<iv1::RecruitmentView>(&iv1::QueryService::Stub::Recruitment, request);
}
absl::StatusOr<iv1::IndicatorsView> QueryClient::Indicators(const iv1::ViewRequest& request) {
  return impl_->Call<iv1::IndicatorsView>(&iv1::QueryService::Stub::Indicators, request);
}

}  // namespace ledger
