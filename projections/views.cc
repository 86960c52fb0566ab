#include "projections/views.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "projections/complaint_timescales.h"
#include "projections/event_codec.h"
#include "projections/view_support.h"

namespace involvement {

namespace {

namespace pb = google::protobuf;
using view_support::OnOrBefore;
using view_support::Opt;
using view_support::SortedKeys;


void Info(const v1::DomainState& state, const ViewQuery& q, v1::ViewInfo* info) {
  *info->mutable_as_of() = q.as_of.ToProto();
  info->set_log_size(state.position());
}

// Fills an action row as of `as_of`: its due date moved by the updates
// dated by then. Returns true when it is still open.
bool ActionRowOf(const v1::ActionState& a, CivilDate as_of, v1::ActionRow* row) {
  row->set_action_id(a.action().action_id());
  row->set_description(a.action().description());
  row->set_owner(a.action().owner());
  std::optional<CivilDate> due = Opt(a.action().has_due(), a.action().due());
  row->add_sequences(a.agreed_sequence());
  for (const v1::ActionUpdate& u : a.updates()) {
    if (!OnOrBefore(CivilDate::FromProto(u.updated_on()), as_of)) continue;
    row->add_sequences(u.sequence());
    if (u.has_new_due()) due = CivilDate::FromProto(u.new_due());
  }
  if (due.has_value()) *row->mutable_due() = due->ToProto();
  std::optional<CivilDate> done = Opt(a.has_completed_on(), a.completed_on());
  if (done.has_value() && *done <= as_of) {
    *row->mutable_completed_on() = a.completed_on();
    row->add_sequences(a.completed_sequence());
    row->set_status(v1::ACTION_STATUS_COMPLETED);
    return false;
  }
  if (due.has_value() && *due < as_of) {
    row->set_status(v1::ACTION_STATUS_OVERDUE);
    row->set_days_overdue(static_cast<int32_t>(DaysBetween(*due, as_of)));
  } else {
    row->set_status(v1::ACTION_STATUS_OPEN);
  }
  return true;
}

CivilDate ResponseDue(const v1::RecommendationMade& made, const Policy& policy) {
  if (auto due = Opt(made.has_response_due(), made.response_due())) return *due;
  return CivilDate::FromProto(made.made_on())
      .value_or(CivilDate())
      .AddDays(policy.board_response_days);
}

// Whether `m` is a member on day `d`.
bool MemberOn(const v1::Membership& m, CivilDate d) {
  std::optional<CivilDate> start = Opt(m.elected().has_term_start(), m.elected().term_start());
  std::optional<CivilDate> end = Opt(m.elected().has_term_end(), m.elected().term_end());
  std::optional<CivilDate> left = Opt(m.has_left_on(), m.left_on());
  return start.has_value() && *start <= d && (!end || d <= *end) && (!left || d <= *left);
}

// Sorts a row's sequences and drops repeats: an action agreed in a
// response shares the response's sequence, and each entry is named once.
void SortUnique(pb::RepeatedField<uint64_t>* sequences) {
  std::sort(sequences->begin(), sequences->end());
  sequences->Truncate(static_cast<int>(
      std::unique(sequences->begin(), sequences->end()) - sequences->begin()));
}


}  // namespace

v1::RecommendationsView RecommendationsViewOf(const v1::DomainState& state,
                                              const ViewQuery& q, const Policy& policy) {
  v1::RecommendationsView view;
  Info(state, q, view.mutable_info());
  for (const std::string& id : SortedKeys(state.recommendations())) {
    const v1::RecommendationState& r = state.recommendations().at(id);
    if (!r.has_made() || (!q.id.empty() && q.id != id)) continue;
    std::optional<CivilDate> made = CivilDate::FromProto(r.made().made_on());
    if (!OnOrBefore(made, q.as_of)) continue;
    v1::RecommendationRow row;
    row.set_recommendation_id(id);
    row.set_from_body(r.made().from_body());
    row.set_to(r.made().to());
    row.set_text(r.made().text());
    *row.mutable_made_on() = r.made().made_on();
    const CivilDate due = ResponseDue(r.made(), policy);
    *row.mutable_response_due() = due.ToProto();
    *row.mutable_feedback_ids() = r.made().feedback_ids();
    row.add_sequences(r.made_sequence());
    std::optional<CivilDate> answered = Opt(r.has_response(), r.response().decided_on());
    bool any_open = false;
    if (OnOrBefore(answered, q.as_of)) {
      row.set_decision(r.response().decision());
      row.set_reasons(r.response().reasons());
      *row.mutable_answered_on() = r.response().decided_on();
      row.add_sequences(r.response_sequence());
      if (*answered > due) {
        row.set_answered_late(true);
        row.set_days_late(static_cast<int32_t>(DaysBetween(due, *answered)));
      }
      for (const v1::ActionState& a : r.actions()) {
        any_open |= ActionRowOf(a, q.as_of, row.add_actions());
        for (uint64_t s : row.actions(row.actions_size() - 1).sequences()) {
          row.add_sequences(s);
        }
      }
      row.set_status(r.actions().empty() ? v1::RECOMMENDATION_STATUS_ANSWERED
                     : any_open          ? v1::RECOMMENDATION_STATUS_ACTIONS_OPEN
                                         : v1::RECOMMENDATION_STATUS_CLOSED);
    } else {
      row.set_status(v1::RECOMMENDATION_STATUS_AWAITING_RESPONSE);
      if (due < q.as_of) {
        row.set_overdue(true);
        row.set_days_late(static_cast<int32_t>(DaysBetween(due, q.as_of)));
      }
    }
    for (const v1::Told& t : r.told()) {
      if (OnOrBefore(CivilDate::FromProto(t.event().communicated_on()), q.as_of)) {
        row.set_times_told(row.times_told() + 1);
        row.add_sequences(t.sequence());
      }
    }
    for (uint64_t s : r.correction_sequences()) row.add_sequences(s);
    SortUnique(row.mutable_sequences());
    if (q.open_only && row.status() == v1::RECOMMENDATION_STATUS_CLOSED) continue;
    *view.add_rows() = std::move(row);
  }
  std::stable_sort(view.mutable_rows()->begin(), view.mutable_rows()->end(),
                   [](const v1::RecommendationRow& a, const v1::RecommendationRow& b) {
                     if (a.overdue() != b.overdue()) return a.overdue();
                     const auto da = CivilDate::FromProto(a.made_on()).value_or(CivilDate());
                     const auto db = CivilDate::FromProto(b.made_on()).value_or(CivilDate());
                     if (da != db) return da < db;
                     return a.recommendation_id() < b.recommendation_id();
                   });
  return view;
}

v1::YouSaidWeDidView YouSaidWeDidViewOf(const v1::DomainState& state, const ViewQuery& q,
                                        const Policy& policy) {
  v1::YouSaidWeDidView view;
  Info(state, q, view.mutable_info());
  for (const std::string& id : SortedKeys(state.feedback())) {
    const v1::FeedbackState& f = state.feedback().at(id);
    if (!f.has_received() || (!q.id.empty() && q.id != id)) continue;
    std::optional<CivilDate> received = CivilDate::FromProto(f.received().received_on());
    if (!OnOrBefore(received, q.as_of)) continue;
    v1::YouSaidWeDidRow row;
    row.set_feedback_id(id);
    row.set_channel(f.received().channel());
    *row.mutable_received_on() = f.received().received_on();
    row.set_summary(f.received().summary());
    row.set_topic(f.received().topic());
    row.set_anonymous(f.received().anonymous());
    row.add_sequences(f.received_sequence());
    for (int i = 0; i < f.escalations_size(); ++i) {
      const v1::IssueEscalated& e = f.escalations(i);
      std::optional<CivilDate> on = CivilDate::FromProto(e.escalated_on());
      if (!OnOrBefore(on, q.as_of)) continue;
      row.add_escalations(absl::StrCat(BodyName(e.from_body()), "->", BodyName(e.to_body()),
                                       " ", on->ToString()));
      row.add_sequences(f.escalation_sequences(i));
    }
    for (const std::string& rid : f.recommendation_ids()) {
      auto r = state.recommendations().find(rid);
      if (r == state.recommendations().end()) continue;
      if (!OnOrBefore(CivilDate::FromProto(r->second.made().made_on()), q.as_of)) continue;
      row.add_recommendation_ids(rid);
      row.add_sequences(r->second.made_sequence());
    }
    std::optional<CivilDate> closed_on;
    for (int i = 0; i < f.responses_size(); ++i) {
      const v1::FeedbackResponded& r = f.responses(i);
      std::optional<CivilDate> on = CivilDate::FromProto(r.responded_on());
      if (!OnOrBefore(on, q.as_of)) continue;
      if (!row.has_first_response_on()) {
        *row.mutable_first_response_on() = r.responded_on();
        row.set_response(r.response());
      }
      if (r.closes() && (!closed_on || *on < *closed_on)) closed_on = on;
      row.add_sequences(f.response_sequences(i));
    }
    for (const v1::Told& t : f.told()) {
      std::optional<CivilDate> on = CivilDate::FromProto(t.event().communicated_on());
      if (!OnOrBefore(on, q.as_of)) continue;
      if (!row.has_told_on()) {
        *row.mutable_told_on() = t.event().communicated_on();
        row.set_told_by(t.event().channel());
      }
      // Closed by whichever came first: a closing response or telling users.
      if (!closed_on || *on < *closed_on) closed_on = on;
      row.add_sequences(t.sequence());
    }
    if (closed_on.has_value()) {
      row.set_closed(true);
      row.set_days_to_close(static_cast<int32_t>(DaysBetween(*received, *closed_on)));
    }
    const CivilDate window_end = received->AddDays(policy.feedback_response_days);
    std::optional<CivilDate> first = Opt(row.has_first_response_on(), row.first_response_on());
    if ((!first && window_end < q.as_of) || (first && *first > window_end)) {
      row.set_unanswered_past_window(true);
    }
    for (uint64_t s : f.correction_sequences()) row.add_sequences(s);
    SortUnique(row.mutable_sequences());
    if (q.open_only && row.closed()) continue;
    view.set_open(view.open() + (row.closed() ? 0 : 1));
    view.set_closed(view.closed() + (row.closed() ? 1 : 0));
    view.set_unanswered_past_window(view.unanswered_past_window() +
                                    (row.unanswered_past_window() ? 1 : 0));
    *view.add_rows() = std::move(row);
  }
  return view;
}

v1::BodiesView BodiesViewOf(const v1::DomainState& state, const ViewQuery& q,
                            const Policy& policy) {
  v1::BodiesView view;
  Info(state, q, view.mutable_info());
  for (const int32_t number : SortedKeys(state.bodies())) {
    const v1::BodyState& b = state.bodies().at(number);
    if (q.body != v1::BODY_UNSPECIFIED && q.body != b.body()) continue;
    v1::BodyRow row;
    row.set_body(b.body());
    // The chair: the latest elected on or before as_of, if still a member.
    std::string chair;
    for (const v1::ChairTerm& c : b.chairs()) {
      if (OnOrBefore(CivilDate::FromProto(c.chair().from()), q.as_of)) {
        chair = c.chair().person_ref();
        row.add_sequences(c.sequence());
      }
    }
    bool chair_current = false;
    for (const v1::Membership& m : b.memberships()) {
      if (!MemberOn(m, q.as_of)) continue;
      v1::MemberRow* mr = row.add_members();
      mr->set_person_ref(m.elected().person_ref());
      mr->set_category(m.elected().category());
      *mr->mutable_term_start() = m.elected().term_start();
      if (m.elected().has_term_end()) {
        *mr->mutable_term_end() = m.elected().term_end();
        auto end = CivilDate::FromProto(m.elected().term_end());
        mr->set_term_ending(end && DaysBetween(q.as_of, *end) <= policy.term_ending_notice_days);
      }
      mr->add_sequences(m.elected_sequence());
      row.add_sequences(m.elected_sequence());
      if (m.elected().person_ref() == chair) {
        mr->set_chair(true);
        chair_current = true;
        row.set_chair_is_service_user(m.elected().category() ==
                                      v1::MEMBER_CATEGORY_SERVICE_USER);
      }
      std::string category = v1::MemberCategory_Name(m.elected().category());
      (*row.mutable_composition())[category.substr(std::string("MEMBER_CATEGORY_").size())]++;
    }
    for (const v1::Membership& m : b.memberships()) {
      if (m.left_sequence() != 0 && OnOrBefore(Opt(m.has_left_on(), m.left_on()), q.as_of)) {
        row.add_sequences(m.left_sequence());
      }
    }
    if (chair_current) row.set_chair(chair);
    if (b.body() == v1::BODY_SUAG && policy.suag_seats > 0) {
      row.set_vacancies(std::max(0, policy.suag_seats - row.members_size()));
    }
    // Meetings up to as_of, in date order, and the gaps between them.
    std::vector<const v1::Meeting*> meetings;
    for (const v1::Meeting& m : b.meetings()) {
      if (OnOrBefore(CivilDate::FromProto(m.meeting().date()), q.as_of)) meetings.push_back(&m);
    }
    std::stable_sort(meetings.begin(), meetings.end(), [](const v1::Meeting* a, const v1::Meeting* c) {
      return CivilDate::FromProto(a->meeting().date()).value_or(CivilDate()) <
             CivilDate::FromProto(c->meeting().date()).value_or(CivilDate());
    });
    row.set_meetings(static_cast<int32_t>(meetings.size()));
    for (size_t i = 0; i < meetings.size(); ++i) {
      const v1::Meeting& m = *meetings[i];
      row.add_sequences(m.sequence());
      v1::MeetingRow* held = row.add_meetings_held();
      *held->mutable_date() = m.meeting().date();
      held->set_minutes_ref(m.meeting().minutes_ref());
      held->set_attendees(m.meeting().attendees_size());
      held->set_representatives_present(m.meeting().representatives_present_size());
      held->set_sequence(m.sequence());
      if (b.body() == v1::BODY_BOARD && !m.meeting().representatives_present().empty()) {
        row.set_meetings_with_representatives(row.meetings_with_representatives() + 1);
      }
      const CivilDate date = *CivilDate::FromProto(m.meeting().date());
      const CivilDate next = i + 1 < meetings.size()
                                 ? *CivilDate::FromProto(meetings[i + 1]->meeting().date())
                                 : q.as_of;
      if (next > date.AddMonths(policy.max_meeting_gap_months)) {
        v1::MeetingGap* gap = row.add_gaps();
        *gap->mutable_from() = date.ToProto();
        *gap->mutable_to() = next.ToProto();
        gap->set_days(static_cast<int32_t>(DaysBetween(date, next)));
        gap->add_sequences(m.sequence());
        if (i + 1 < meetings.size()) gap->add_sequences(meetings[i + 1]->sequence());
      }
    }
    if (!meetings.empty()) *row.mutable_last_meeting() = meetings.back()->meeting().date();
    for (uint64_t s : b.correction_sequences()) row.add_sequences(s);
    SortUnique(row.mutable_sequences());
    *view.add_rows() = std::move(row);
  }
  return view;
}

namespace {

v1::Deadline DeadlineOf(const Deadline& d) {
  v1::Deadline out;
  if (d.due) *out.mutable_due() = d.due->ToProto();
  if (d.actual) *out.mutable_done_on() = d.actual->ToProto();
  switch (d.status) {
    case TimescaleStatus::kNotApplicable:
      out.set_status(v1::DEADLINE_STATUS_NOT_APPLICABLE);
      break;
    case TimescaleStatus::kNotDueYet:
      out.set_status(v1::DEADLINE_STATUS_NOT_DUE_YET);
      break;
    case TimescaleStatus::kMet:
      out.set_status(v1::DEADLINE_STATUS_MET);
      break;
    case TimescaleStatus::kMissed:
      out.set_status(v1::DEADLINE_STATUS_MISSED);
      break;
  }
  return out;
}

// The complaint's dates as known on `as_of`, and the row's sequences.
struct ComplaintFacts {
  ComplaintDates dates;
  std::vector<uint64_t> sequences;
  v1::ComplaintResult result = v1::COMPLAINT_RESULT_UNSPECIFIED;
  int stage_reached = 1;
};

ComplaintFacts FactsOf(const v1::ComplaintState& c, CivilDate as_of) {
  ComplaintFacts f;
  f.dates.received = CivilDate::FromProto(c.received().received_on()).value_or(CivilDate());
  f.sequences.push_back(c.received_sequence());
  for (int i = 0; i < c.acknowledgements_size(); ++i) {
    const auto& a = c.acknowledgements(i);
    auto on = CivilDate::FromProto(a.acknowledged_on());
    if (!OnOrBefore(on, as_of)) continue;
    auto& slot = a.stage() == v1::COMPLAINT_STAGE_TWO ? f.dates.stage2_acknowledged
                                                      : f.dates.stage1_acknowledged;
    if (!slot) slot = on;
    f.sequences.push_back(c.acknowledgement_sequences(i));
  }
  for (int i = 0; i < c.extensions_size(); ++i) {
    const auto& e = c.extensions(i);
    if (!OnOrBefore(CivilDate::FromProto(e.agreed_on()), as_of)) continue;
    (e.stage() == v1::COMPLAINT_STAGE_TWO ? f.dates.stage2_extension_working_days
                                          : f.dates.stage1_extension_working_days) +=
        e.working_days();
    f.sequences.push_back(c.extension_sequences(i));
  }
  if (c.has_escalation()) {
    auto on = CivilDate::FromProto(c.escalation().requested_on());
    if (OnOrBefore(on, as_of)) {
      f.dates.stage2_requested = on;
      f.stage_reached = 2;
      f.sequences.push_back(c.escalation_sequence());
    }
  }
  for (int i = 0; i < c.outcomes_size(); ++i) {
    const auto& o = c.outcomes(i);
    auto on = CivilDate::FromProto(o.responded_on());
    if (!OnOrBefore(on, as_of)) continue;
    auto& slot = o.stage() == v1::COMPLAINT_STAGE_TWO ? f.dates.stage2_responded
                                                      : f.dates.stage1_responded;
    if (!slot) slot = on;
    f.result = o.result();
    f.sequences.push_back(c.outcome_sequences(i));
  }
  std::sort(f.sequences.begin(), f.sequences.end());
  return f;
}

}  // namespace

v1::ComplaintsView ComplaintsViewOf(const v1::DomainState& state, const ViewQuery& q,
                                    const Policy& policy) {
  v1::ComplaintsView view;
  Info(state, q, view.mutable_info());
  const int year = q.as_of.year();
  view.set_year(year);
  view.set_homes(policy.homes);
  int stage1_in_year = 0, stage2_in_year = 0;
  int stage1_answered = 0, stage1_in_time = 0, stage2_answered = 0, stage2_in_time = 0;
  for (const std::string& id : SortedKeys(state.complaints())) {
    const v1::ComplaintState& c = state.complaints().at(id);
    if (!c.has_received()) continue;
    if (!OnOrBefore(CivilDate::FromProto(c.received().received_on()), q.as_of)) continue;
    ComplaintFacts f = FactsOf(c, q.as_of);
    absl::StatusOr<ComplaintTimeliness> t = AssessComplaintTimeliness(f.dates, q.as_of);
    if (!t.ok()) continue;
    // CH01/CH02 count formal complaints by the year of the event.
    if (c.received().formal()) {
      if (f.dates.received.year() == year) ++stage1_in_year;
      if (f.dates.stage2_requested && f.dates.stage2_requested->year() == year) ++stage2_in_year;
      if (f.dates.stage1_responded && f.dates.stage1_responded->year() == year) {
        ++stage1_answered;
        stage1_in_time += t->response1.status == TimescaleStatus::kMet ? 1 : 0;
      }
      if (f.dates.stage2_responded && f.dates.stage2_responded->year() == year) {
        ++stage2_answered;
        stage2_in_time += t->response2.status == TimescaleStatus::kMet ? 1 : 0;
      }
    }
    if (!q.id.empty() && q.id != id) continue;
    v1::ComplaintRow row;
    row.set_complaint_id(id);
    row.set_formal(c.received().formal());
    row.set_advocacy_involved(c.received().advocacy_involved());
    *row.mutable_received_on() = c.received().received_on();
    const bool closed = f.stage_reached == 2 ? f.dates.stage2_responded.has_value()
                                             : f.dates.stage1_responded.has_value();
    row.set_closed(closed);
    row.set_stage(closed ? 0 : f.stage_reached);
    *row.mutable_stage1_acknowledgement() = DeadlineOf(t->ack1);
    *row.mutable_stage1_response() = DeadlineOf(t->response1);
    *row.mutable_stage2_acknowledgement() = DeadlineOf(t->ack2);
    *row.mutable_stage2_response() = DeadlineOf(t->response2);
    row.set_stage1_extension_days(f.dates.stage1_extension_working_days);
    row.set_stage2_extension_days(f.dates.stage2_extension_working_days);
    row.set_extension_over_limit(t->extension1_over_limit || t->extension2_over_limit);
    row.set_result(f.result);
    for (uint64_t s : f.sequences) row.add_sequences(s);
    for (uint64_t s : c.correction_sequences()) row.add_sequences(s);
    SortUnique(row.mutable_sequences());
    if (q.open_only && closed) continue;
    *view.add_rows() = std::move(row);
  }
  if (policy.homes > 0) {
    view.set_ch01_stage1_per_1000_homes(1000.0 * stage1_in_year / policy.homes);
    view.set_ch01_stage2_per_1000_homes(1000.0 * stage2_in_year / policy.homes);
  }
  if (stage1_answered > 0) {
    view.set_ch02_stage1_within_timescales_percent(100.0 * stage1_in_time / stage1_answered);
  }
  if (stage2_answered > 0) {
    view.set_ch02_stage2_within_timescales_percent(100.0 * stage2_in_time / stage2_answered);
  }
  return view;
}

namespace {

void AddFinding(v1::ComplianceView& view, std::string rule, std::string subject,
                std::string detail, CivilDate since, std::vector<uint64_t> sequences) {
  v1::Finding* f = view.add_findings();
  f->set_rule(std::move(rule));
  f->set_subject(std::move(subject));
  f->set_detail(std::move(detail));
  *f->mutable_since() = since.ToProto();
  std::sort(sequences.begin(), sequences.end());
  sequences.erase(std::unique(sequences.begin(), sequences.end()), sequences.end());
  for (uint64_t s : sequences) f->add_sequences(s);
}

std::vector<uint64_t> Seqs(const pb::RepeatedField<uint64_t>& s) { return {s.begin(), s.end()}; }

}  // namespace

v1::ComplianceView ComplianceViewOf(const v1::DomainState& state, const ViewQuery& q,
                                    const Policy& policy) {
  v1::ComplianceView view;
  Info(state, q, view.mutable_info());
  ViewQuery all = q;
  all.id.clear();
  all.open_only = false;
  all.body = v1::BODY_UNSPECIFIED;

  // Board responses: overdue, or given after the due date.
  const v1::RecommendationsView recommendations = RecommendationsViewOf(state, all, policy);
  for (const v1::RecommendationRow& r : recommendations.rows()) {
    const CivilDate due = *CivilDate::FromProto(r.response_due());
    if (r.overdue()) {
      AddFinding(view, "board_response_overdue",
                 absl::StrCat("recommendation/", r.recommendation_id()),
                 absl::StrCat("no response to ", r.recommendation_id(), ", due ",
                              due.ToString(), ": ", r.days_late(), " days overdue"),
                 due.AddDays(1), Seqs(r.sequences()));
    } else if (r.answered_late()) {
      AddFinding(view, "board_response_overdue",
                 absl::StrCat("recommendation/", r.recommendation_id()),
                 absl::StrCat(r.recommendation_id(), " was answered on ",
                              CivilDate::FromProto(r.answered_on())->ToString(), ", ",
                              r.days_late(), " days after it was due (", due.ToString(), ")"),
                 due.AddDays(1), Seqs(r.sequences()));
    }
  }
  // Bodies: SUAG meeting gaps and chair; a service-user Board member.
  v1::BodiesView bodies = BodiesViewOf(state, all, policy);
  for (const v1::BodyRow& b : bodies.rows()) {
    if (b.body() != v1::BODY_SUAG) continue;
    for (const v1::MeetingGap& g : b.gaps()) {
      const CivilDate from = *CivilDate::FromProto(g.from());
      AddFinding(view, "suag_meeting_gap", "body/SUAG",
                 absl::StrCat("SUAG went ", g.days(), " days without meeting, from ",
                              from.ToString(), " to ",
                              CivilDate::FromProto(g.to())->ToString()),
                 from.AddMonths(policy.max_meeting_gap_months).AddDays(1), Seqs(g.sequences()));
    }
  }
  auto suag = state.bodies().find(v1::BODY_SUAG);
  if (suag != state.bodies().end()) {
    // The latest chair elected by as_of must still be a service-user member.
    const v1::ChairTerm* chair = nullptr;
    for (const v1::ChairTerm& c : suag->second.chairs()) {
      if (OnOrBefore(CivilDate::FromProto(c.chair().from()), q.as_of)) chair = &c;
    }
    if (chair != nullptr) {
      const v1::Membership* membership = nullptr;
      for (const v1::Membership& m : suag->second.memberships()) {
        if (m.elected().person_ref() == chair->chair().person_ref() &&
            m.elected_sequence() < chair->sequence()) {
          membership = &m;
        }
      }
      if (membership != nullptr && !MemberOn(*membership, q.as_of)) {
        std::optional<CivilDate> left = Opt(membership->has_left_on(), membership->left_on());
        const CivilDate since = left ? left->AddDays(1)
                                     : CivilDate::FromProto(membership->elected().term_end())
                                           .value_or(q.as_of)
                                           .AddDays(1);
        std::vector<uint64_t> seqs = {chair->sequence(), membership->elected_sequence()};
        if (membership->left_sequence() != 0) seqs.push_back(membership->left_sequence());
        AddFinding(view, "chair_not_service_user", "body/SUAG",
                   absl::StrCat("SUAG's chair ", chair->chair().person_ref(),
                                " is no longer a service-user member, and no new chair has "
                                "been elected"),
                   since, seqs);
      }
    }
  }
  auto board = state.bodies().find(v1::BODY_BOARD);
  if (board != state.bodies().end() && !board->second.memberships().empty()) {
    // Walk the days membership changes and find periods with no
    // service-user member (current or former service users count).
    std::vector<CivilDate> points;
    for (const v1::Membership& m : board->second.memberships()) {
      if (auto s = CivilDate::FromProto(m.elected().term_start())) points.push_back(*s);
      if (auto e = Opt(m.elected().has_term_end(), m.elected().term_end())) points.push_back(e->AddDays(1));
      if (auto l = Opt(m.has_left_on(), m.left_on())) points.push_back(l->AddDays(1));
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    std::optional<CivilDate> none_since;
    std::vector<uint64_t> seqs;
    auto has_user = [&](CivilDate d) {
      for (const v1::Membership& m : board->second.memberships()) {
        const auto c = m.elected().category();
        if ((c == v1::MEMBER_CATEGORY_SERVICE_USER || c == v1::MEMBER_CATEGORY_EX_SERVICE_USER) &&
            MemberOn(m, d)) {
          return true;
        }
      }
      return false;
    };
    for (size_t i = 0; i <= points.size(); ++i) {
      const bool end = i == points.size() || points[i] > q.as_of;
      const CivilDate d = end ? q.as_of : points[i];
      const bool user = has_user(d);
      if (!user && !none_since) none_since = d;
      if ((user || end) && none_since) {
        const CivilDate until = user ? d : q.as_of;
        if (!user || until > *none_since) {
          for (const v1::Membership& m : board->second.memberships()) {
            seqs.push_back(m.elected_sequence());
            if (m.left_sequence() != 0) seqs.push_back(m.left_sequence());
          }
          AddFinding(view, "no_service_user_board_member", "body/BOARD",
                     absl::StrCat("the Board had no service-user member from ",
                                  none_since->ToString(),
                                  user ? absl::StrCat(" to ", d.AddDays(-1).ToString())
                                       : std::string(" (still none)")),
                     *none_since, seqs);
          seqs.clear();
        }
        none_since.reset();
      }
      if (end) break;
    }
  }
  // Feedback without a first response inside the window.
  const v1::YouSaidWeDidView feedback = YouSaidWeDidViewOf(state, all, policy);
  for (const v1::YouSaidWeDidRow& f : feedback.rows()) {
    if (!f.unanswered_past_window()) continue;
    const CivilDate received = *CivilDate::FromProto(f.received_on());
    AddFinding(view, "feedback_unanswered", absl::StrCat("feedback/", f.feedback_id()),
               f.has_first_response_on()
                   ? absl::StrCat(f.feedback_id(), " was first answered on ",
                                  CivilDate::FromProto(f.first_response_on())->ToString(),
                                  ", after the ", policy.feedback_response_days, "-day window")
                   : absl::StrCat(f.feedback_id(), " has had no response in ",
                                  DaysBetween(received, q.as_of), " days"),
               received.AddDays(policy.feedback_response_days + 1), Seqs(f.sequences()));
  }
  // Complaints: every missed Code timescale.
  const v1::ComplaintsView complaints = ComplaintsViewOf(state, all, policy);
  for (const v1::ComplaintRow& c : complaints.rows()) {
    const std::pair<const char*, const v1::Deadline*> deadlines[] = {
        {"stage 1 acknowledgement", &c.stage1_acknowledgement()},
        {"stage 1 response", &c.stage1_response()},
        {"stage 2 acknowledgement", &c.stage2_acknowledgement()},
        {"stage 2 response", &c.stage2_response()}};
    for (const auto& [what, d] : deadlines) {
      if (d->status() != v1::DEADLINE_STATUS_MISSED) continue;
      const CivilDate due = *CivilDate::FromProto(d->due());
      AddFinding(view, "complaint_timescale_missed", absl::StrCat("complaint/", c.complaint_id()),
                 d->has_done_on()
                     ? absl::StrCat(c.complaint_id(), ": ", what, " on ",
                                    CivilDate::FromProto(d->done_on())->ToString(),
                                    ", due ", due.ToString())
                     : absl::StrCat(c.complaint_id(), ": ", what, " due ", due.ToString(),
                                    ", still outstanding"),
                 due.AddDays(1), Seqs(c.sequences()));
    }
  }
  // Reviews: the action plan for failed standards, due by a date.
  for (const std::string& id : SortedKeys(state.reviews())) {
    const v1::ReviewState& r = state.reviews().at(id);
    if (r.review().standards_failed().empty() || !r.review().has_action_plan_due()) continue;
    const CivilDate due = *CivilDate::FromProto(r.review().action_plan_due());
    if (!(due < q.as_of)) continue;
    std::vector<uint64_t> seqs = {r.sequence()};
    int overdue = 0;
    for (const v1::ActionState& a : r.actions()) {
      v1::ActionRow row;
      if (ActionRowOf(a, q.as_of, &row) && row.status() == v1::ACTION_STATUS_OVERDUE) {
        ++overdue;
        for (uint64_t s : row.sequences()) seqs.push_back(s);
      }
    }
    if (r.actions().empty() || overdue > 0) {
      AddFinding(view, "review_action_plan_overdue", absl::StrCat("review/", id),
                 r.actions().empty()
                     ? absl::StrCat("review ", id, " failed ", r.review().standards_failed_size(),
                                    " standard(s); no action plan by ", due.ToString())
                     : absl::StrCat("review ", id, ": ", overdue,
                                    " action(s) of the plan are overdue"),
                 due.AddDays(1), seqs);
    }
  }
  if (!q.rule.empty()) {
    auto* findings = view.mutable_findings();
    findings->erase(std::remove_if(findings->begin(), findings->end(),
                                   [&](const v1::Finding& f) { return f.rule() != q.rule; }),
                    findings->end());
  }
  std::stable_sort(view.mutable_findings()->begin(), view.mutable_findings()->end(),
                   [](const v1::Finding& a, const v1::Finding& b) {
                     if (a.rule() != b.rule()) return a.rule() < b.rule();
                     return a.subject() < b.subject();
                   });
  return view;
}

}  // namespace involvement
