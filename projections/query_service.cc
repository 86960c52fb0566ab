// The involvement domain's one gRPC translation unit: QueryService.
#include "projections/query_service.h"

#include <grpcpp/grpcpp.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "involvement/v1/views.grpc.pb.h"
#include "ledger/group_commit_writer.h"
#include "projections/projection_runner.h"
#include "projections/indicator_views.h"
#include "projections/views.h"

namespace involvement {

namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Today's date in UTC: the default as_of, read here at the boundary and
// never inside a fold or a view.
CivilDate Today() {
  const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  return *CivilDate::FromYmd(static_cast<int>(day.year()), day.month(), day.day());
}

class QueryServiceImpl final : public v1::QueryService::Service {
 public:
  QueryServiceImpl(ProjectionRunner* runner, ledger::GroupCommitWriter* writer,
                   const Policy* policy, const ledger::CallAuthorizer* authorizer)
      : runner_(runner), writer_(writer), policy_(policy), authorizer_(authorizer) {}

  grpc::Status Recommendations(grpc::ServerContext* context, const v1::ViewRequest* request,
                               v1::RecommendationsView* response) override {
    return Compute(*context, "QueryService.Recommendations", *request,
                   [&](const v1::DomainState& s, const ViewQuery& q) {
                     *response = RecommendationsViewOf(s, q, *policy_);
                   });
  }
  grpc::Status YouSaidWeDid(grpc::ServerContext* context, const v1::ViewRequest* request,
                            v1::YouSaidWeDidView* response) override {
    return Compute(*context, "QueryService.YouSaidWeDid", *request,
                   [&](const v1::DomainState& s, const ViewQuery& q) {
                     *response = YouSaidWeDidViewOf(s, q, *policy_);
                   });
  }
  grpc::Status Bodies(grpc::ServerContext* context, const v1::ViewRequest* request,
                      v1::BodiesView* response) override {
    return Compute(*context, "QueryService.Bodies", *request,
                   [&](const v1::DomainState& s, const ViewQuery& q) {
                     *response = BodiesViewOf(s, q, *policy_);
                   });
  }
  grpc::Status Complaints(grpc::ServerContext* context, const v1::ViewRequest* request,
                          v1::ComplaintsView* response) override {
    return Compute(*context, "QueryService.Complaints", *request,
                   [&](const v1::DomainState& s, const ViewQuery& q) {
                     *response = ComplaintsViewOf(s, q, *policy_);
                   });
  }
  grpc::Status Recruitment(grpc::ServerContext* context, const v1::ViewRequest* request,
                           v1::RecruitmentView* response) override {
    return Compute(*context, "QueryService.Recruitment", *request,
                   [&](const v1::DomainState& s, const ViewQuery& q) {
                     *response = RecruitmentViewOf(s, q);
                   });
  }
  grpc::Status Indicators(grpc::ServerContext* context, const v1::ViewRequest* request,
                          v1::IndicatorsView* response) override {
    if (request->year() < 0 || request->year() > 9999) {
      // Checked after the caller, so an unlisted subject learns nothing.
      if (absl::Status s = authorizer_->AuthorizeRead(*context, "QueryService.Indicators").status();
          !s.ok()) {
        return ToGrpc(s);
      }
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "year: must be 1 to 9999");
    }
    return Compute(*context, "QueryService.Indicators", *request,
                   [&](const v1::DomainState& s, const ViewQuery& q) {
                     *response = IndicatorsViewOf(s, q, request->year());
                   });
  }
  grpc::Status Compliance(grpc::ServerContext* context, const v1::ViewRequest* request,
                          v1::ComplianceView* response) override {
    return Compute(*context, "QueryService.Compliance", *request,
                   [&](const v1::DomainState& s, const ViewQuery& q) {
                     *response = ComplianceViewOf(s, q, *policy_);
                   });
  }

 private:
  grpc::Status Compute(const grpc::ServerContext& context, const char* what,
                       const v1::ViewRequest& request,
                       const std::function<void(const v1::DomainState&, const ViewQuery&)>& view) {
    // Views are reads: the auditor's, and every role's; never an unlisted
    // subject's.
    if (absl::Status s = authorizer_->AuthorizeRead(context, what).status(); !s.ok()) {
      return ToGrpc(s);
    }
    ViewQuery q;
    if (request.has_as_of()) {
      std::optional<CivilDate> d = CivilDate::FromProto(request.as_of());
      if (!d.has_value()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "as_of: not a valid date");
      }
      q.as_of = *d;
    } else {
      q.as_of = Today();
    }
    if (!v1::Body_IsValid(request.body())) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "body: unknown value");
    }
    q.id = request.id();
    q.open_only = request.open_only();
    q.body = request.body();
    q.rule = request.rule();
    return ToGrpc(runner_->WithStateAt(writer_->CommittedSize(),
                                       [&](const v1::DomainState& s) { view(s, q); }));
  }

  ProjectionRunner* runner_;
  ledger::GroupCommitWriter* writer_;
  const Policy* policy_;
  const ledger::CallAuthorizer* authorizer_;
};

}  // namespace

struct InvolvementServices::Impl {
  std::unique_ptr<ProjectionRunner> runner;
  std::unique_ptr<QueryServiceImpl> service;
};

InvolvementServices::InvolvementServices(Policy policy) : policy_(policy) {}

InvolvementServices::~InvolvementServices() = default;

absl::StatusOr<std::vector<grpc::Service*>> InvolvementServices::Start(
    ledger::LedgerStore* store, ledger::GroupCommitWriter* writer,
    const ledger::CallAuthorizer* authorizer) {
  impl_ = std::make_unique<Impl>();
  absl::StatusOr<std::unique_ptr<ProjectionRunner>> runner = ProjectionRunner::Open(store);
  if (!runner.ok()) return runner.status();
  impl_->runner = std::move(*runner);
  impl_->service = std::make_unique<QueryServiceImpl>(impl_->runner.get(), writer, &policy_,
                                                     authorizer);
  return std::vector<grpc::Service*>{impl_->service.get()};
}

void InvolvementServices::Stop() {
  if (impl_ == nullptr) return;
  if (absl::Status s = impl_->runner->Save(); !s.ok()) {
    std::cerr << "ledgerd: cannot save the views' state (it will be rebuilt): "
              << s.message() << "\n";
  }
  impl_.reset();
}

}  // namespace involvement
