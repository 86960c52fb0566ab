// InvolvementServices: serves involvement.v1.QueryService beside the
// ledger's own service. Each query folds the log up to the committed size
// (ProjectionRunner) and computes its view as of the request's date; the
// folded state is saved at stop. This header keeps gRPC out of ledgerd.
//
// Thread safety: queries may run concurrently; they share the runner.
#ifndef PROJECTIONS_QUERY_SERVICE_H_
#define PROJECTIONS_QUERY_SERVICE_H_

#include <memory>
#include <vector>

#include "ledger/server.h"
#include "projections/policy.h"

namespace involvement {

class InvolvementServices : public ledger::ServiceProvider {
 public:
  explicit InvolvementServices(Policy policy);
  ~InvolvementServices() override;

  absl::StatusOr<std::vector<grpc::Service*>> Start(
      ledger::LedgerStore* store, ledger::GroupCommitWriter* writer,
      const ledger::CallAuthorizer* authorizer) override;
  void Stop() override;

 private:
  struct Impl;
  Policy policy_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace involvement

#endif  // PROJECTIONS_QUERY_SERVICE_H_
