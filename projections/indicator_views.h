// The recruitment and indicators views: pure functions of the folded
// state, a query and the policy, like those in views.h.
#ifndef PROJECTIONS_INDICATOR_VIEWS_H_
#define PROJECTIONS_INDICATOR_VIEWS_H_

#include "involvement/v1/state.pb.h"
#include "involvement/v1/views.pb.h"
#include "projections/policy.h"
#include "projections/views.h"

namespace involvement {

// Recruitment panels up to the view date: front-line posts with and
// without service-user involvement, and the stages users took part in.
v1::RecruitmentView RecruitmentViewOf(const v1::DomainState& state,
                                      const ViewQuery& query);

// Involvement indicators for `year` (the view date's year when 0), counting
// what happened in that year and known by the view date.
v1::IndicatorsView IndicatorsViewOf(const v1::DomainState& state,
                                    const ViewQuery& query, int year);

}  // namespace involvement

#endif  // PROJECTIONS_INDICATOR_VIEWS_H_
