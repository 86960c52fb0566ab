// QueryClient: a C++ client for involvement.v1.QueryService, used by
// ledgerctl's view commands and the tests. The header keeps gRPC out of
// its users; errors come back as absl::Status with the server's code.
//
// Thread safety: one QueryClient may be used from many threads at once.
#ifndef CLIENTS_QUERY_CLIENT_H_
#define CLIENTS_QUERY_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "clients/client_options.h"
#include "involvement/v1/views.pb.h"

namespace ledger {

class QueryClient {
 public:
  // Connects lazily to `address` (HOST:PORT), with mutual TLS when
  // options.tls is enabled. (Views have their own, longer deadline;
  // options.timeout and own_connection are not used.)
  explicit QueryClient(const std::string& address, const ClientOptions& options = {});
  ~QueryClient();

  const std::string& address() const { return address_; }

  absl::StatusOr<involvement::v1::RecommendationsView> Recommendations(
      const involvement::v1::ViewRequest& request);
  absl::StatusOr<involvement::v1::YouSaidWeDidView> YouSaidWeDid(
      const involvement::v1::ViewRequest& request);
  absl::StatusOr<involvement::v1::BodiesView> Bodies(
      const involvement::v1::ViewRequest& request);
  absl::StatusOr<involvement::v1::ComplaintsView> Complaints(
      const involvement::v1::ViewRequest& request);
  absl::StatusOr<involvement::v1::ComplianceView> Compliance(
      const involvement::v1::ViewRequest& request);
  absl::StatusOr<involvement::v1::RecruitmentView> Recruitment(
      const involvement::v1::ViewRequest& request);
  absl::StatusOr<involvement::v1::IndicatorsView> Indicators(
      const involvement::v1::ViewRequest& request);

 private:
  struct Impl;
  std::string address_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ledger

#endif  // CLIENTS_QUERY_CLIENT_H_
