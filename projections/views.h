// The involvement views: pure functions of the folded state
// (involvement.v1.DomainState), a query (its as_of date and filters) and the
// policy. No clock is read here: "overdue" means overdue as of the query's
// date, so late facts are recorded and shown as late.
#ifndef PROJECTIONS_VIEWS_H_
#define PROJECTIONS_VIEWS_H_

#include <string>

#include "involvement/v1/state.pb.h"
#include "involvement/v1/views.pb.h"
#include "projections/civil_date.h"
#include "projections/policy.h"

namespace involvement {

struct ViewQuery {
  CivilDate as_of;
  std::string id;          // one item only, when set
  bool open_only = false;  // open items only
  v1::Body body = v1::BODY_UNSPECIFIED;  // bodies view: one body only
  std::string rule;        // compliance view: one rule only
};

v1::RecommendationsView RecommendationsViewOf(const v1::DomainState& state,
                                              const ViewQuery& query,
                                              const Policy& policy);
v1::YouSaidWeDidView YouSaidWeDidViewOf(const v1::DomainState& state,
                                        const ViewQuery& query, const Policy& policy);
v1::BodiesView BodiesViewOf(const v1::DomainState& state, const ViewQuery& query,
                            const Policy& policy);
v1::ComplaintsView ComplaintsViewOf(const v1::DomainState& state,
                                    const ViewQuery& query, const Policy& policy);
v1::ComplianceView ComplianceViewOf(const v1::DomainState& state,
                                    const ViewQuery& query, const Policy& policy);

}  // namespace involvement

#endif  // PROJECTIONS_VIEWS_H_
