#include "projections/domain_fold.h"

#include <algorithm>
#include <cstddef>
#include <memory>

#include "absl/strings/str_cat.h"
#include "ledger/status_macros.h"
#include "projections/event_codec.h"

namespace involvement {

namespace {

namespace pb = google::protobuf;
using ledger::v1::Entry;

void AddActions(const pb::RepeatedPtrField<v1::Action>& actions, uint64_t seq,
                pb::RepeatedPtrField<v1::ActionState>* out) {
  for (const v1::Action& a : actions) {
    v1::ActionState* s = out->Add();
    *s->mutable_action() = a;
    s->set_agreed_sequence(seq);
  }
}

v1::ActionState* FindAction(pb::RepeatedPtrField<v1::ActionState>* actions,
                            const std::string& id) {
  for (v1::ActionState& a : *actions) {
    if (a.action().action_id() == id) return &a;
  }
  return nullptr;
}

// The actions list of the entity a stream is about, or null.
pb::RepeatedPtrField<v1::ActionState>* ActionsOf(const StreamName& sn,
                                                 v1::DomainState& state) {
  switch (sn.kind) {
    case StreamKind::kRecommendation:
      return (*state.mutable_recommendations())[sn.id].mutable_actions();
    case StreamKind::kComplaint:
      return (*state.mutable_complaints())[sn.id].mutable_actions();
    case StreamKind::kReview:
      return (*state.mutable_reviews())[sn.id].mutable_actions();
    case StreamKind::kSurvey:
      return (*state.mutable_surveys())[sn.id].mutable_actions();
    default:
      return nullptr;
  }
}

// Files one decoded event of stream `sn` at `seq` under what it is about.
void FoldEvent(const StreamName& sn, const pb::Message& msg, uint64_t seq,
               const pb::Any& payload, v1::DomainState& state) {
  const std::string& type = msg.GetDescriptor()->name();
  if (type == "MemberElected") {
    const auto& e = static_cast<const v1::MemberElected&>(msg);
    v1::BodyState& b = (*state.mutable_bodies())[e.body()];
    b.set_body(e.body());
    v1::Membership* m = b.add_memberships();
    *m->mutable_elected() = e;
    m->set_elected_sequence(seq);
  } else if (type == "MemberLeft") {
    const auto& e = static_cast<const v1::MemberLeft&>(msg);
    v1::BodyState& b = (*state.mutable_bodies())[e.body()];
    for (int i = b.memberships_size() - 1; i >= 0; --i) {
      v1::Membership* m = b.mutable_memberships(i);
      if (m->elected().person_ref() == e.person_ref() && !m->has_left_on()) {
        *m->mutable_left_on() = e.left_on();
        m->set_left_sequence(seq);
        break;
      }
    }
  } else if (type == "ChairElected") {
    const auto& e = static_cast<const v1::ChairElected&>(msg);
    v1::BodyState& b = (*state.mutable_bodies())[e.body()];
    b.set_body(e.body());
    v1::ChairTerm* c = b.add_chairs();
    *c->mutable_chair() = e;
    c->set_sequence(seq);
  } else if (type == "MeetingHeld") {
    const auto& e = static_cast<const v1::MeetingHeld&>(msg);
    v1::BodyState& b = (*state.mutable_bodies())[e.body()];
    b.set_body(e.body());
    v1::Meeting* m = b.add_meetings();
    *m->mutable_meeting() = e;
    m->set_sequence(seq);
  } else if (type == "FeedbackReceived") {
    v1::FeedbackState& f = (*state.mutable_feedback())[sn.id];
    *f.mutable_received() = static_cast<const v1::FeedbackReceived&>(msg);
    f.set_received_sequence(seq);
  } else if (type == "IssueEscalated") {
    v1::FeedbackState& f = (*state.mutable_feedback())[sn.id];
    *f.add_escalations() = static_cast<const v1::IssueEscalated&>(msg);
    f.add_escalation_sequences(seq);
  } else if (type == "FeedbackResponded") {
    v1::FeedbackState& f = (*state.mutable_feedback())[sn.id];
    *f.add_responses() = static_cast<const v1::FeedbackResponded&>(msg);
    f.add_response_sequences(seq);
  } else if (type == "OutcomeCommunicated") {
    v1::Told told;
    *told.mutable_event() = static_cast<const v1::OutcomeCommunicated&>(msg);
    told.set_sequence(seq);
    if (sn.kind == StreamKind::kFeedback) {
      *(*state.mutable_feedback())[sn.id].add_told() = told;
    } else if (sn.kind == StreamKind::kRecommendation) {
      *(*state.mutable_recommendations())[sn.id].add_told() = told;
    } else if (sn.kind == StreamKind::kSurvey) {
      *(*state.mutable_surveys())[sn.id].add_told() = told;
    }
  } else if (type == "RecommendationMade") {
    const auto& e = static_cast<const v1::RecommendationMade&>(msg);
    v1::RecommendationState& r = (*state.mutable_recommendations())[sn.id];
    *r.mutable_made() = e;
    r.set_made_sequence(seq);
    for (const std::string& fid : e.feedback_ids()) {
      (*state.mutable_feedback())[fid].add_recommendation_ids(sn.id);
    }
  } else if (type == "BoardResponseRecorded") {
    const auto& e = static_cast<const v1::BoardResponseRecorded&>(msg);
    v1::RecommendationState& r = (*state.mutable_recommendations())[sn.id];
    *r.mutable_response() = e;
    r.set_response_sequence(seq);
    AddActions(e.actions(), seq, r.mutable_actions());
  } else if (type == "ActionUpdated" || type == "ActionCompleted") {
    pb::RepeatedPtrField<v1::ActionState>* actions = ActionsOf(sn, state);
    if (actions == nullptr) return;
    if (type == "ActionUpdated") {
      const auto& e = static_cast<const v1::ActionUpdated&>(msg);
      if (v1::ActionState* a = FindAction(actions, e.action_id())) {
        v1::ActionUpdate* u = a->add_updates();
        *u->mutable_updated_on() = e.updated_on();
        if (e.has_new_due()) *u->mutable_new_due() = e.new_due();
        u->set_sequence(seq);
      }
    } else {
      const auto& e = static_cast<const v1::ActionCompleted&>(msg);
      if (v1::ActionState* a = FindAction(actions, e.action_id())) {
        *a->mutable_completed_on() = e.completed_on();
        a->set_completed_sequence(seq);
      }
    }
  } else if (type == "ComplaintReceived") {
    v1::ComplaintState& c = (*state.mutable_complaints())[sn.id];
    *c.mutable_received() = static_cast<const v1::ComplaintReceived&>(msg);
    c.set_received_sequence(seq);
  } else if (type == "ComplaintAcknowledged") {
    v1::ComplaintState& c = (*state.mutable_complaints())[sn.id];
    *c.add_acknowledgements() = static_cast<const v1::ComplaintAcknowledged&>(msg);
    c.add_acknowledgement_sequences(seq);
  } else if (type == "ComplaintExtended") {
    v1::ComplaintState& c = (*state.mutable_complaints())[sn.id];
    *c.add_extensions() = static_cast<const v1::ComplaintExtended&>(msg);
    c.add_extension_sequences(seq);
  } else if (type == "ComplaintEscalated") {
    v1::ComplaintState& c = (*state.mutable_complaints())[sn.id];
    *c.mutable_escalation() = static_cast<const v1::ComplaintEscalated&>(msg);
    c.set_escalation_sequence(seq);
  } else if (type == "ComplaintOutcome") {
    const auto& e = static_cast<const v1::ComplaintOutcome&>(msg);
    v1::ComplaintState& c = (*state.mutable_complaints())[sn.id];
    *c.add_outcomes() = e;
    c.add_outcome_sequences(seq);
    AddActions(e.actions(), seq, c.mutable_actions());
  } else if (type == "RecruitmentPanelFormed") {
    v1::RecruitmentState& r = (*state.mutable_recruitment())[sn.id];
    *r.mutable_panel() = static_cast<const v1::RecruitmentPanelFormed&>(msg);
    r.set_panel_sequence(seq);
  } else if (type == "RecruitmentDecided") {
    v1::RecruitmentState& r = (*state.mutable_recruitment())[sn.id];
    *r.mutable_decided() = static_cast<const v1::RecruitmentDecided&>(msg);
    r.set_decided_sequence(seq);
  } else if (type == "ReviewCompleted") {
    const auto& e = static_cast<const v1::ReviewCompleted&>(msg);
    v1::ReviewState& r = (*state.mutable_reviews())[sn.id];
    *r.mutable_review() = e;
    r.set_sequence(seq);
    AddActions(e.actions(), seq, r.mutable_actions());
  } else if (type == "SurveyPublished") {
    const auto& e = static_cast<const v1::SurveyPublished&>(msg);
    v1::SurveyState& s = (*state.mutable_surveys())[sn.id];
    *s.mutable_survey() = e;
    s.set_sequence(seq);
    AddActions(e.actions(), seq, s.mutable_actions());
  } else if (type == "AdvocacyReportReceived" || type == "TrainingDelivered" ||
             type == "ImpactAssessmentPublished") {
    v1::SourcedEvent* o = state.add_other();
    *o->mutable_event() = payload;
    o->set_sequence(seq);
  }
}

// Forgets what `sn` contributed, so the stream can be folded again.
void ForgetStream(const StreamName& sn, v1::DomainState& state) {
  switch (sn.kind) {
    case StreamKind::kBody:
      state.mutable_bodies()->erase(BodyFromName(sn.id));
      break;
    case StreamKind::kFeedback: {
      // Keep the citations by recommendations: they come from other streams.
      auto it = state.mutable_feedback()->find(sn.id);
      if (it == state.mutable_feedback()->end()) break;
      v1::FeedbackState kept;
      *kept.mutable_recommendation_ids() = it->second.recommendation_ids();
      it->second = kept;
      break;
    }
    case StreamKind::kRecommendation:
      for (auto& [fid, f] : *state.mutable_feedback()) {
        auto* ids = f.mutable_recommendation_ids();
        for (int i = ids->size() - 1; i >= 0; --i) {
          if (ids->Get(i) == sn.id) ids->erase(ids->begin() + i);
        }
      }
      state.mutable_recommendations()->erase(sn.id);
      break;
    case StreamKind::kComplaint:
      state.mutable_complaints()->erase(sn.id);
      break;
    case StreamKind::kRecruitment:
      state.mutable_recruitment()->erase(sn.id);
      break;
    case StreamKind::kReview:
      state.mutable_reviews()->erase(sn.id);
      break;
    case StreamKind::kSurvey:
      state.mutable_surveys()->erase(sn.id);
      break;
    default:
      break;  // advocacy, training, impact: see ForgetOther
  }
}

// Advocacy reports, training and impact assessments are kept together in
// `other`, in log order, not by stream; so their entries are forgotten one
// by one, by sequence, as the corrected stream is read again.
bool KeptInOther(StreamKind kind) {
  return kind == StreamKind::kAdvocacy || kind == StreamKind::kTraining ||
         kind == StreamKind::kImpact;
}

void ForgetOther(uint64_t seq, v1::DomainState& state) {
  auto* other = state.mutable_other();
  for (int i = other->size() - 1; i >= 0; --i) {
    if (other->Get(i).sequence() == seq) other->DeleteSubrange(i, 1);
  }
}

// Decodes and files one entry of stream `sn`, with any correction of it
// applied (a withdrawn event is skipped).
// Records that a correction (entry `seq`) was applied to stream `sn`.
void NoteCorrection(const StreamName& sn, uint64_t seq, v1::DomainState& state) {
  switch (sn.kind) {
    case StreamKind::kBody:
      (*state.mutable_bodies())[BodyFromName(sn.id)].add_correction_sequences(seq);
      break;
    case StreamKind::kFeedback:
      (*state.mutable_feedback())[sn.id].add_correction_sequences(seq);
      break;
    case StreamKind::kRecommendation:
      (*state.mutable_recommendations())[sn.id].add_correction_sequences(seq);
      break;
    case StreamKind::kComplaint:
      (*state.mutable_complaints())[sn.id].add_correction_sequences(seq);
      break;
    case StreamKind::kRecruitment:
      (*state.mutable_recruitment())[sn.id].add_correction_sequences(seq);
      break;
    case StreamKind::kReview:
      (*state.mutable_reviews())[sn.id].add_correction_sequences(seq);
      break;
    case StreamKind::kSurvey:
      (*state.mutable_surveys())[sn.id].add_correction_sequences(seq);
      break;
    default:
      break;
  }
}

// `decoded`, when not null, is DecodeEvent(entry.payload()), already done
// by the caller (each entry's payload is decoded once).
void FoldStreamEntry(const StreamName& sn, const Entry& entry, v1::DomainState& state,
                     const pb::Message* decoded = nullptr) {
  const pb::Any* payload = &entry.payload();
  auto corrected = state.corrections().find(entry.event_id());
  if (corrected != state.corrections().end()) {
    NoteCorrection(sn, corrected->second.sequence(), state);
    if (!corrected->second.has_replacement()) return;
    payload = &corrected->second.replacement();
    decoded = nullptr;  // the replacement is folded, not the original
  }
  std::unique_ptr<pb::Message> owned;
  if (decoded == nullptr) {
    absl::StatusOr<std::unique_ptr<pb::Message>> msg = DecodeEvent(*payload);
    if (!msg.ok()) return;
    owned = std::move(*msg);
    decoded = owned.get();
  }
  if (decoded->GetDescriptor() == v1::EntryCorrected::descriptor()) return;
  FoldEvent(sn, *decoded, entry.sequence(), *payload, state);
}

}  // namespace

namespace {

// Folds `entry`, already checked to be in order.
absl::Status FoldInOrder(const Entry& entry, v1::DomainState& state,
                         const StreamReader& read_stream);

}  // namespace

absl::Status FoldEntry(const Entry& entry, v1::DomainState& state,
                       const StreamReader& read_stream) {
  if (entry.sequence() != state.position()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "projection expects entry ", state.position(), ", got ", entry.sequence()));
  }
  return FoldInOrder(entry, state, read_stream);
}

absl::Status FoldEntrySparse(const Entry& entry, v1::DomainState& state,
                             const StreamReader& read_stream) {
  if (entry.sequence() < state.position()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sparse fold expects an entry at or after ", state.position(), ", got ",
        entry.sequence()));
  }
  return FoldInOrder(entry, state, read_stream);
}

namespace {

absl::Status FoldInOrder(const Entry& entry, v1::DomainState& state,
                         const StreamReader& read_stream) {
  state.set_position(entry.sequence() + 1);
  state.set_version(kFoldVersion);
  std::optional<StreamName> sn = ParseStreamName(entry.stream());
  if (!sn.has_value()) return absl::OkStatus();
  {
    // The decoded event lives on an arena whose first block is this
    // thread's: most events need no allocation of their own. The arena
    // ends before read_stream below runs, so a reader that folded too
    // could not make two arenas share the block.
    alignas(std::max_align_t) thread_local char first_block[8192];
    pb::ArenaOptions arena_options;
    arena_options.initial_block = first_block;
    arena_options.initial_block_size = sizeof(first_block);
    pb::Arena arena(arena_options);
    absl::StatusOr<pb::Message*> msg = DecodeEvent(entry.payload(), &arena);
    if (!msg.ok()) return absl::OkStatus();  // not a domain event; nothing to file
    if ((*msg)->GetDescriptor() != v1::EntryCorrected::descriptor()) {
      FoldStreamEntry(*sn, entry, state, *msg);
      return absl::OkStatus();
    }
    const auto& correction = static_cast<const v1::EntryCorrected&>(**msg);
    v1::Correction& c = (*state.mutable_corrections())[correction.corrected_event_id()];
    c.set_sequence(entry.sequence());
    if (correction.has_replacement()) {
      *c.mutable_replacement() = correction.replacement();
    } else {
      c.clear_replacement();
    }
  }
  ForgetStream(*sn, state);
  const bool in_other = KeptInOther(sn->kind);
  RETURN_IF_ERROR(read_stream(entry.stream(), [&](const Entry& e) {
    if (e.sequence() >= entry.sequence()) return absl::OkStatus();
    if (in_other) ForgetOther(e.sequence(), state);
    FoldStreamEntry(*sn, e, state);
    return absl::OkStatus();
  }));
  if (in_other) {
    // The re-folded entries were added at the end; put them back in log order.
    std::stable_sort(state.mutable_other()->begin(), state.mutable_other()->end(),
                     [](const v1::SourcedEvent& a, const v1::SourcedEvent& b) {
                       return a.sequence() < b.sequence();
                     });
  }
  return absl::OkStatus();
}

}  // namespace

}  // namespace involvement
