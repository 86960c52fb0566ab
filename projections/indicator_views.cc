#include "projections/indicator_views.h"

#include "projections/view_support.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace involvement {

namespace {

using view_support::Opt;
using view_support::SortedKeys;

bool Known(const std::optional<CivilDate>& d, CivilDate as_of) {
  return view_support::OnOrBefore(d, as_of);
}

bool InYear(const std::optional<CivilDate>& d, int year, CivilDate as_of) {
  return Known(d, as_of) && d->year() == year;
}

// Whether membership `m` overlaps `year` (up to as_of).
bool MemberDuring(const v1::Membership& m, int year, CivilDate as_of) {
  std::optional<CivilDate> start = CivilDate::FromProto(m.elected().term_start());
  if (!Known(start, as_of)) return false;
  CivilDate end = *CivilDate::FromYmd(year, 12, 31);
  if (auto e = Opt(m.elected().has_term_end(), m.elected().term_end())) end = std::min(end, *e);
  if (auto l = Opt(m.has_left_on(), m.left_on())) end = std::min(end, *l);
  end = std::min(end, as_of);
  return *start <= end && end.year() >= year && start->year() <= year;
}

bool IsServiceUser(v1::MemberCategory c) {
  return c == v1::MEMBER_CATEGORY_SERVICE_USER || c == v1::MEMBER_CATEGORY_EX_SERVICE_USER;
}

}  // namespace

v1::RecruitmentView RecruitmentViewOf(const v1::DomainState& state, const ViewQuery& q) {
  v1::RecruitmentView view;
  *view.mutable_info()->mutable_as_of() = q.as_of.ToProto();
  view.mutable_info()->set_log_size(state.position());
  for (const std::string& id : SortedKeys(state.recruitment())) {
    const v1::RecruitmentState& r = state.recruitment().at(id);
    if (!r.has_panel()) continue;
    if (!Known(CivilDate::FromProto(r.panel().role_agreed_on()), q.as_of)) continue;
    const bool decided =
        r.has_decided() && Known(CivilDate::FromProto(r.decided().decided_on()), q.as_of);
    if (q.open_only && decided) continue;
    v1::RecruitmentRow* row = view.add_rows();
    row->set_vacancy_id(id);
    row->set_role_title(r.panel().role_title());
    row->set_front_line(r.panel().front_line());
    *row->mutable_user_stages() = r.panel().user_stages();
    row->set_user_members(r.panel().user_members_size());
    *row->mutable_role_agreed_on() = r.panel().role_agreed_on();
    row->add_sequences(r.panel_sequence());
    if (r.has_decided() && Known(CivilDate::FromProto(r.decided().decided_on()), q.as_of)) {
      *row->mutable_decided_on() = r.decided().decided_on();
      row->set_appointed(r.decided().appointed());
      row->set_user_view_considered(r.decided().user_view_considered());
      row->add_sequences(r.decided_sequence());
    }
    for (uint64_t s : r.correction_sequences()) row->add_sequences(s);
    const bool users = !r.panel().user_stages().empty();
    if (r.panel().front_line()) {
      users ? view.set_front_line_with_users(view.front_line_with_users() + 1)
            : view.set_front_line_without_users(view.front_line_without_users() + 1);
    } else {
      users ? view.set_other_with_users(view.other_with_users() + 1)
            : view.set_other_without_users(view.other_without_users() + 1);
    }
    for (int stage : r.panel().user_stages()) {
      const std::string& name = v1::RecruitmentStage_Name(static_cast<v1::RecruitmentStage>(stage));
      (*view.mutable_by_stage())[name.substr(std::string("RECRUITMENT_STAGE_").size())]++;
    }
  }
  return view;
}

v1::IndicatorsView IndicatorsViewOf(const v1::DomainState& state, const ViewQuery& q, int year) {
  v1::IndicatorsView view;
  *view.mutable_info()->mutable_as_of() = q.as_of.ToProto();
  view.mutable_info()->set_log_size(state.position());
  if (year == 0) year = q.as_of.year();
  view.set_year(year);
  std::set<std::string> formal, informal, deciding;
  std::set<uint64_t> seqs;
  for (const auto& [number, b] : state.bodies()) {
    const bool is_formal = b.body() == v1::BODY_SUAG || b.body() == v1::BODY_BOARD ||
                           b.body() == v1::BODY_REPAIRS_WG;
    for (const v1::Membership& m : b.memberships()) {
      if (!MemberDuring(m, year, q.as_of)) continue;
      seqs.insert(m.elected_sequence());
      const std::string& who = m.elected().person_ref();
      if (is_formal) {
        formal.insert(who);
      } else if (b.body() == v1::BODY_SUF) {
        informal.insert(who);
      }
      if ((b.body() == v1::BODY_SUAG || b.body() == v1::BODY_BOARD) &&
          IsServiceUser(m.elected().category())) {
        deciding.insert(who);
      }
    }
    for (const v1::Meeting& m : b.meetings()) {
      if (!InYear(CivilDate::FromProto(m.meeting().date()), year, q.as_of)) continue;
      if (b.body() == v1::BODY_SUAG) {
        view.set_suag_meetings(view.suag_meetings() + 1);
        seqs.insert(m.sequence());
      } else if (b.body() == v1::BODY_BOARD && !m.meeting().representatives_present().empty()) {
        view.set_board_meetings_with_suag_representatives(
            view.board_meetings_with_suag_representatives() + 1);
        seqs.insert(m.sequence());
      }
    }
  }
  for (const auto& [id, f] : state.feedback()) {
    if (!f.has_received()) continue;
    if (!InYear(CivilDate::FromProto(f.received().received_on()), year, q.as_of)) continue;
    view.set_feedback_received(view.feedback_received() + 1);
    seqs.insert(f.received_sequence());
    if (!f.received().person_ref().empty()) informal.insert(f.received().person_ref());
    bool responded = false, closed = false;
    for (const v1::FeedbackResponded& r : f.responses()) {
      if (Known(CivilDate::FromProto(r.responded_on()), q.as_of)) {
        responded = true;
        closed |= r.closes();
      }
    }
    for (const v1::Told& t : f.told()) {
      closed |= Known(CivilDate::FromProto(t.event().communicated_on()), q.as_of);
    }
    view.set_feedback_responded(view.feedback_responded() + (responded ? 1 : 0));
    view.set_feedback_closed(view.feedback_closed() + (closed ? 1 : 0));
  }
  std::vector<int64_t> days;
  for (const auto& [id, r] : state.recommendations()) {
    if (!r.has_made()) continue;
    std::optional<CivilDate> made = CivilDate::FromProto(r.made().made_on());
    if (!InYear(made, year, q.as_of)) continue;
    view.set_recommendations_made(view.recommendations_made() + 1);
    seqs.insert(r.made_sequence());
    std::optional<CivilDate> answered = Opt(r.has_response(), r.response().decided_on());
    if (!Known(answered, q.as_of)) continue;
    view.set_recommendations_answered(view.recommendations_answered() + 1);
    seqs.insert(r.response_sequence());
    days.push_back(DaysBetween(*made, *answered));
    const v1::Decision d = r.response().decision();
    if (d != v1::DECISION_ACCEPTED && d != v1::DECISION_PARTLY_ACCEPTED) continue;
    view.set_recommendations_accepted(view.recommendations_accepted() + 1);
    bool all_done = !r.actions().empty();
    for (const v1::ActionState& a : r.actions()) {
      all_done &= Known(Opt(a.has_completed_on(), a.completed_on()), q.as_of);
    }
    if (all_done) {
      view.set_recommendations_implemented(view.recommendations_implemented() + 1);
      for (const v1::ActionState& a : r.actions()) seqs.insert(a.completed_sequence());
    }
  }
  if (!days.empty()) {
    std::sort(days.begin(), days.end());
    const size_t n = days.size();
    view.set_median_days_to_respond(n % 2 == 1 ? static_cast<double>(days[n / 2])
                                               : (days[n / 2 - 1] + days[n / 2]) / 2.0);
  }
  for (const auto& [id, c] : state.complaints()) {
    if (c.has_received() &&
        InYear(CivilDate::FromProto(c.received().received_on()), year, q.as_of)) {
      view.set_complaints_received(view.complaints_received() + 1);
      seqs.insert(c.received_sequence());
    }
  }
  for (const auto& [id, r] : state.recruitment()) {
    if (!r.has_panel() ||
        !InYear(CivilDate::FromProto(r.panel().role_agreed_on()), year, q.as_of)) {
      continue;
    }
    for (const std::string& who : r.panel().user_members()) {
      informal.insert(who);
      deciding.insert(who);
    }
    if (!r.panel().user_stages().empty()) {
      view.set_recruitment_panels_with_users(view.recruitment_panels_with_users() + 1);
      seqs.insert(r.panel_sequence());
    }
  }
  for (const v1::SourcedEvent& o : state.other()) {
    v1::TrainingDelivered t;
    if (!o.event().Is<v1::TrainingDelivered>() || !o.event().UnpackTo(&t)) continue;
    if (!InYear(CivilDate::FromProto(t.delivered_on()), year, q.as_of)) continue;
    for (const std::string& who : t.attendees()) informal.insert(who);
    seqs.insert(o.sequence());
  }
  view.set_people_in_formal_structures(static_cast<int32_t>(formal.size()));
  view.set_people_in_informal_involvement(static_cast<int32_t>(informal.size()));
  view.set_people_in_decision_making(static_cast<int32_t>(deciding.size()));
  for (uint64_t s : seqs) view.add_sequences(s);
  return view;
}

}  // namespace involvement
