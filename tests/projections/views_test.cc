// The involvement views (projections/views.h) on small hand-made
// scenarios. Each test appends real typed events through the
// GroupCommitWriter with the InvolvementValidator into RocksDB in a
// temporary directory, folds the log with ProjectionRunner::Rebuild, and
// checks the views as of chosen dates against answers worked out by hand:
// every expected date, count and day number below is written out, never
// computed by the code under test.
//
// Calendar notes used below (2026): 1 January is a Thursday; Good Friday
// is 3 April and Easter Monday 6 April; the early May bank holiday is
// 4 May and the spring one 25 May; Christmas Day is Friday 25 December and
// Boxing Day is taken on Monday 28 December; 1 January 2027 is a Friday and
// a bank holiday.
#include "projections/views.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/entry.h"
#include "involvement/v1/events.pb.h"
#include "ledger/group_commit_writer.h"
#include "ledger/store.h"
#include "projections/event_codec.h"
#include "projections/indicator_views.h"
#include "projections/involvement_validator.h"
#include "projections/projection_runner.h"
#include "tests/ledger/test_util.h"
#include "tests/projections/test_dates.h"

namespace involvement {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr uint64_t kAppendFailed = ~uint64_t{0};
constexpr v1::MemberCategory kServiceUser = v1::MEMBER_CATEGORY_SERVICE_USER;
constexpr v1::MemberCategory kExServiceUser = v1::MEMBER_CATEGORY_EX_SERVICE_USER;
constexpr v1::MemberCategory kBoardMember = v1::MEMBER_CATEGORY_BOARD_MEMBER;
constexpr v1::MemberCategory kStaff = v1::MEMBER_CATEGORY_STAFF;

using ::involvement::testing::D;

// YYYY-MM-DD, or "unset"; formatted here so expectations read as dates.
std::string S(const v1::Date& d) {
  if (d.year() == 0 && d.month() == 0 && d.day() == 0) return "unset";
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

v1::Action Act(const std::string& id, std::optional<v1::Date> due) {
  v1::Action a;
  a.set_action_id(id);
  a.set_description("Action " + id);
  a.set_owner("Head of Repairs");
  if (due) *a.mutable_due() = *due;
  return a;
}

std::string Deterministic(const v1::DomainState& state) {
  return ledger::SerializeDeterministic(state);
}

template <typename Row>
const Row& Find(const google::protobuf::RepeatedPtrField<Row>& rows,
                const std::string& (Row::*id)() const, const std::string& want) {
  for (const Row& r : rows) {
    if ((r.*id)() == want) return r;
  }
  ADD_FAILURE() << "no row " << want;
  static const Row kNone;
  return kNone;
}

class ViewsTest : public ::ledger::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_OK_AND_ASSIGN(store_, ledger::LedgerStore::Open(
                                     PathIn("db"), ledger::LedgerStore::Mode::kReadWrite));
    ledger::GroupCommitWriter::Options options;
    options.validator = &validator_;
    ASSERT_OK_AND_ASSIGN(writer_, ledger::GroupCommitWriter::Start(store_.get(), options));
  }
  void TearDown() override {
    writer_.reset();
    store_.reset();
    TempDirTest::TearDown();
  }

  // Appends one event to `stream` and returns its sequence; the event's id
  // is left in last_event_id_.
  uint64_t Append(const std::string& stream, const google::protobuf::Message& event) {
    ledger::v1::AppendRequest req;
    req.set_stream(stream);
    ledger::v1::EventData* e = req.add_events();
    last_event_id_ = absl::StrCat("ev-", next_++);
    e->set_event_id(last_event_id_);
    e->mutable_payload()->PackFrom(event);
    absl::StatusOr<ledger::v1::AppendResponse> r = writer_->Append(req, "test");
    EXPECT_TRUE(r.ok()) << stream << " " << event.GetDescriptor()->name() << ": "
                        << r.status();
    return r.ok() ? r->events(0).sequence() : kAppendFailed;
  }

  // Bodies.
  static std::string BodyStream(v1::Body body) { return "body/" + BodyName(body); }
  uint64_t Elect(v1::Body body, const std::string& who, v1::MemberCategory category,
                 v1::Date start, std::optional<v1::Date> end) {
    v1::MemberElected e;
    e.set_body(body);
    e.set_person_ref(who);
    e.set_category(category);
    *e.mutable_term_start() = start;
    if (end) *e.mutable_term_end() = *end;
    return Append(BodyStream(body), e);
  }
  uint64_t Leave(v1::Body body, const std::string& who, v1::Date on) {
    v1::MemberLeft e;
    e.set_body(body);
    e.set_person_ref(who);
    *e.mutable_left_on() = on;
    e.set_reason("resigned");
    return Append(BodyStream(body), e);
  }
  uint64_t Chair(v1::Body body, const std::string& who, v1::Date from) {
    v1::ChairElected e;
    e.set_body(body);
    e.set_person_ref(who);
    *e.mutable_from() = from;
    return Append(BodyStream(body), e);
  }
  uint64_t Meet(v1::Body body, v1::Date on, std::vector<std::string> representatives = {}) {
    v1::MeetingHeld e;
    e.set_body(body);
    *e.mutable_date() = on;
    for (const std::string& r : representatives) e.add_representatives_present(r);
    return Append(BodyStream(body), e);
  }

  // You said, we did.
  uint64_t Feedback(const std::string& id, v1::Date on) {
    v1::FeedbackReceived e;
    e.set_feedback_id(id);
    e.set_channel(v1::FEEDBACK_CHANNEL_MEETING);
    *e.mutable_received_on() = on;
    e.set_anonymous(true);
    e.set_summary("Repairs take too long");
    e.set_topic("repairs");
    e.set_raised_at(v1::BODY_SUF);
    return Append("feedback/" + id, e);
  }
  uint64_t Escalate(const std::string& id, v1::Body from, v1::Body to, v1::Date on) {
    v1::IssueEscalated e;
    e.set_feedback_id(id);
    e.set_from_body(from);
    e.set_to_body(to);
    *e.mutable_escalated_on() = on;
    return Append("feedback/" + id, e);
  }
  uint64_t AnswerFeedback(const std::string& id, v1::Date on, bool closes,
                          const std::string& response = "Raised at SUAG") {
    v1::FeedbackResponded e;
    e.set_feedback_id(id);
    *e.mutable_responded_on() = on;
    e.set_response(response);
    e.set_closes(closes);
    return Append("feedback/" + id, e);
  }
  uint64_t Tell(const std::string& stream, v1::Date on,
                v1::CommunicationChannel channel = v1::COMMUNICATION_CHANNEL_NEWSLETTER) {
    v1::OutcomeCommunicated e;
    e.set_channel(channel);
    *e.mutable_communicated_on() = on;
    e.set_message("You said, we did");
    return Append(stream, e);
  }
  static v1::RecommendationMade Recommendation(const std::string& id, v1::Date made,
                                               std::optional<v1::Date> due,
                                               std::vector<std::string> feedback = {}) {
    v1::RecommendationMade e;
    e.set_recommendation_id(id);
    e.set_from_body(v1::BODY_SUAG);
    e.set_to(v1::ADDRESSEE_BOARD);
    e.set_text("Publish repair response times every quarter");
    *e.mutable_made_on() = made;
    if (due) *e.mutable_response_due() = *due;
    for (const std::string& f : feedback) e.add_feedback_ids(f);
    return e;
  }
  uint64_t Recommend(const std::string& id, v1::Date made, std::optional<v1::Date> due,
                     std::vector<std::string> feedback = {}) {
    return Append("recommendation/" + id, Recommendation(id, made, due, feedback));
  }
  uint64_t Respond(const std::string& id, v1::Decision decision, v1::Date on,
                   std::vector<v1::Action> actions = {}) {
    v1::BoardResponseRecorded e;
    e.set_recommendation_id(id);
    e.set_decision(decision);
    e.set_reasons("Considered at the Board");
    *e.mutable_decided_on() = on;
    e.set_minute_ref("BOARD/2026/x");
    for (const v1::Action& a : actions) *e.add_actions() = a;
    return Append("recommendation/" + id, e);
  }
  uint64_t UpdateAction(const std::string& stream, const std::string& action, v1::Date on,
                        std::optional<v1::Date> new_due) {
    v1::ActionUpdated e;
    e.set_action_id(action);
    *e.mutable_updated_on() = on;
    e.set_note("progress");
    if (new_due) *e.mutable_new_due() = *new_due;
    return Append(stream, e);
  }
  uint64_t CompleteAction(const std::string& stream, const std::string& action, v1::Date on) {
    v1::ActionCompleted e;
    e.set_action_id(action);
    *e.mutable_completed_on() = on;
    e.set_evidence_digest(std::string(64, 'a'));
    return Append(stream, e);
  }

  // Complaints.
  uint64_t Complain(const std::string& id, v1::Date on, bool formal = true) {
    v1::ComplaintReceived e;
    e.set_complaint_id(id);
    *e.mutable_received_on() = on;
    e.set_formal(formal);
    e.set_topic("repairs");
    return Append("complaint/" + id, e);
  }
  uint64_t Acknowledge(const std::string& id, v1::ComplaintStage stage, v1::Date on) {
    v1::ComplaintAcknowledged e;
    e.set_stage(stage);
    *e.mutable_acknowledged_on() = on;
    return Append("complaint/" + id, e);
  }
  uint64_t Extend(const std::string& id, v1::ComplaintStage stage, int days, v1::Date on) {
    v1::ComplaintExtended e;
    e.set_stage(stage);
    e.set_working_days(days);
    e.set_reason("waiting for a contractor's report");
    *e.mutable_agreed_on() = on;
    return Append("complaint/" + id, e);
  }
  uint64_t EscalateComplaint(const std::string& id, v1::Date on) {
    v1::ComplaintEscalated e;
    *e.mutable_requested_on() = on;
    e.set_reason("not satisfied");
    return Append("complaint/" + id, e);
  }
  uint64_t Conclude(const std::string& id, v1::ComplaintStage stage, v1::ComplaintResult result,
                    v1::Date on) {
    v1::ComplaintOutcome e;
    e.set_stage(stage);
    e.set_result(result);
    *e.mutable_responded_on() = on;
    return Append("complaint/" + id, e);
  }

  // Scrutiny and training.
  uint64_t Review(const std::string& id, v1::Date completed, v1::Date plan_due,
                  std::vector<v1::Action> actions = {}) {
    v1::ReviewCompleted e;
    e.set_review_id(id);
    e.set_kind(v1::REVIEW_KIND_AUDIT);
    *e.mutable_completed_on() = completed;
    e.add_standards_met("Tenants told how their views were considered");
    e.add_standards_failed("Complaints handled on time");
    *e.mutable_action_plan_due() = plan_due;
    for (const v1::Action& a : actions) *e.add_actions() = a;
    return Append("review/" + id, e);
  }
  static v1::TrainingDelivered Training(const std::string& id, v1::Date on,
                                        std::vector<std::string> attendees) {
    v1::TrainingDelivered e;
    e.set_training_id(id);
    *e.mutable_delivered_on() = on;
    e.set_subject("Scrutiny skills");
    for (const std::string& a : attendees) e.add_attendees(a);
    return e;
  }

  // Corrections: replaces event `event_id` of `stream`, or withdraws it
  // when `replacement` is null.
  uint64_t Correct(const std::string& stream, const std::string& event_id,
                   const google::protobuf::Message* replacement) {
    v1::EntryCorrected e;
    e.set_corrected_event_id(event_id);
    e.set_reason("recorded wrongly");
    if (replacement != nullptr) e.mutable_replacement()->PackFrom(*replacement);
    return Append(stream, e);
  }

  // The state folded from the first `size` entries, or from all of them.
  v1::DomainState Fold(uint64_t size) {
    absl::StatusOr<v1::DomainState> s = ProjectionRunner::Rebuild(*store_, size);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : v1::DomainState();
  }
  v1::DomainState Fold() { return Fold(writer_->CommittedSize()); }

  static ViewQuery AsOf(int y, int m, int d) {
    ViewQuery q;
    q.as_of = *CivilDate::FromYmd(y, m, d);
    return q;
  }
  v1::RecommendationsView Recommendations(int y, int m, int d) {
    return RecommendationsViewOf(Fold(), AsOf(y, m, d), policy_);
  }
  v1::RecommendationRow RecommendationAsOf(const std::string& id, int y, int m, int d) {
    v1::RecommendationsView v = Recommendations(y, m, d);
    return Find(v.rows(), &v1::RecommendationRow::recommendation_id, id);
  }
  v1::YouSaidWeDidView YouSaidWeDid(int y, int m, int d) {
    return YouSaidWeDidViewOf(Fold(), AsOf(y, m, d), policy_);
  }
  v1::YouSaidWeDidRow FeedbackAsOf(const std::string& id, int y, int m, int d) {
    v1::YouSaidWeDidView v = YouSaidWeDid(y, m, d);
    return Find(v.rows(), &v1::YouSaidWeDidRow::feedback_id, id);
  }
  v1::BodyRow BodyAsOf(v1::Body body, int y, int m, int d) {
    ViewQuery q = AsOf(y, m, d);
    q.body = body;
    v1::BodiesView v = BodiesViewOf(Fold(), q, policy_);
    EXPECT_EQ(v.rows_size(), 1) << "body " << BodyName(body);
    return v.rows_size() == 1 ? v.rows(0) : v1::BodyRow();
  }
  v1::ComplaintsView Complaints(int y, int m, int d) {
    return ComplaintsViewOf(Fold(), AsOf(y, m, d), policy_);
  }
  v1::ComplaintRow ComplaintAsOf(const std::string& id, int y, int m, int d) {
    v1::ComplaintsView v = Complaints(y, m, d);
    return Find(v.rows(), &v1::ComplaintRow::complaint_id, id);
  }
  v1::ComplianceView Compliance(int y, int m, int d) {
    return ComplianceViewOf(Fold(), AsOf(y, m, d), policy_);
  }

  InvolvementValidator validator_;
  std::unique_ptr<ledger::LedgerStore> store_;
  std::unique_ptr<ledger::GroupCommitWriter> writer_;
  Policy policy_;
  std::string last_event_id_;
  int next_ = 0;
};

// A deadline as "due status done_on", e.g. "2026-04-08 MISSED 2026-04-09".
std::string Judged(const v1::Deadline& d) {
  std::string out = absl::StrCat(S(d.due()), " ",
                                 v1::DeadlineStatus_Name(d.status()).substr(16));
  if (d.has_done_on()) absl::StrAppend(&out, " ", S(d.done_on()));
  return out;
}

// --- Recommendations ---------------------------------------------------------

TEST_F(ViewsTest, AwaitingRecommendationIsOverdueOnlyAfterItsDueDate) {
  const uint64_t made = Recommend("R-1", D(2026, 3, 2), D(2026, 4, 30));

  v1::RecommendationRow on_due = RecommendationAsOf("R-1", 2026, 4, 30);
  EXPECT_EQ(on_due.status(), v1::RECOMMENDATION_STATUS_AWAITING_RESPONSE);
  EXPECT_EQ(S(on_due.response_due()), "2026-04-30");
  EXPECT_FALSE(on_due.overdue());
  EXPECT_EQ(on_due.days_late(), 0);

  v1::RecommendationRow day_after = RecommendationAsOf("R-1", 2026, 5, 1);
  EXPECT_TRUE(day_after.overdue());
  EXPECT_EQ(day_after.days_late(), 1);

  v1::RecommendationRow later = RecommendationAsOf("R-1", 2026, 5, 20);
  EXPECT_TRUE(later.overdue());
  EXPECT_EQ(later.days_late(), 20);  // 30 April to 20 May
  EXPECT_FALSE(later.answered_late());
  EXPECT_THAT(later.sequences(), ElementsAre(made));

  // Before it was made, it is not in the view at all.
  EXPECT_THAT(Recommendations(2026, 3, 1).rows(), IsEmpty());
}

TEST_F(ViewsTest, RecommendationWithoutADueDateIsDueAfterThePolicyWindow) {
  Recommend("R-1", D(2026, 3, 2), std::nullopt);
  // Default 60 days: 29 to 31 March, 30 more to 30 April, 1 more: 1 May.
  EXPECT_EQ(S(RecommendationAsOf("R-1", 2026, 3, 10).response_due()), "2026-05-01");
  EXPECT_FALSE(RecommendationAsOf("R-1", 2026, 5, 1).overdue());
  EXPECT_EQ(RecommendationAsOf("R-1", 2026, 5, 4).days_late(), 3);

  policy_.board_response_days = 30;
  EXPECT_EQ(S(RecommendationAsOf("R-1", 2026, 3, 10).response_due()), "2026-04-01");
  EXPECT_TRUE(RecommendationAsOf("R-1", 2026, 4, 2).overdue());
}

TEST_F(ViewsTest, RecommendationAnsweredOnItsDueDateIsOnTimeAndAfterItIsLate) {
  const uint64_t made1 = Recommend("R-1", D(2026, 1, 5), D(2026, 2, 5));
  const uint64_t made2 = Recommend("R-2", D(2026, 1, 5), D(2026, 2, 5));
  const uint64_t answer1 = Respond("R-1", v1::DECISION_REJECTED, D(2026, 2, 5));
  const uint64_t answer2 = Respond("R-2", v1::DECISION_DEFERRED, D(2026, 2, 17));

  // As of a day before R-1's response was decided it is still awaited.
  v1::RecommendationRow before = RecommendationAsOf("R-1", 2026, 2, 4);
  EXPECT_EQ(before.status(), v1::RECOMMENDATION_STATUS_AWAITING_RESPONSE);
  EXPECT_EQ(before.decision(), v1::DECISION_UNSPECIFIED);
  EXPECT_FALSE(before.has_answered_on());
  EXPECT_THAT(before.sequences(), ElementsAre(made1));

  v1::RecommendationRow r1 = RecommendationAsOf("R-1", 2026, 3, 1);
  EXPECT_EQ(r1.status(), v1::RECOMMENDATION_STATUS_ANSWERED);  // no actions
  EXPECT_EQ(r1.decision(), v1::DECISION_REJECTED);
  EXPECT_EQ(r1.reasons(), "Considered at the Board");
  EXPECT_EQ(S(r1.answered_on()), "2026-02-05");
  EXPECT_FALSE(r1.answered_late());
  EXPECT_FALSE(r1.overdue());
  EXPECT_EQ(r1.days_late(), 0);
  EXPECT_THAT(r1.sequences(), ElementsAre(made1, answer1));

  // R-2 is overdue while unanswered, then answered 12 days late.
  v1::RecommendationRow waiting = RecommendationAsOf("R-2", 2026, 2, 10);
  EXPECT_TRUE(waiting.overdue());
  EXPECT_EQ(waiting.days_late(), 5);
  v1::RecommendationRow r2 = RecommendationAsOf("R-2", 2026, 3, 1);
  EXPECT_EQ(r2.status(), v1::RECOMMENDATION_STATUS_ANSWERED);
  EXPECT_FALSE(r2.overdue());
  EXPECT_TRUE(r2.answered_late());
  EXPECT_EQ(r2.days_late(), 12);
  EXPECT_THAT(r2.sequences(), ElementsAre(made2, answer2));
}

TEST_F(ViewsTest, RecommendationStatusFollowsItsActions) {
  const std::string stream = "recommendation/R-1";
  const uint64_t made = Recommend("R-1", D(2026, 1, 5), std::nullopt);  // due 6 March
  const uint64_t answer = Respond("R-1", v1::DECISION_ACCEPTED, D(2026, 2, 2),
                                  {Act("A1", D(2026, 3, 31)), Act("A2", D(2026, 4, 30))});
  const uint64_t done1 = CompleteAction(stream, "A1", D(2026, 3, 20));
  const uint64_t moved2 = UpdateAction(stream, "A2", D(2026, 4, 20), D(2026, 5, 31));
  const uint64_t done2 = CompleteAction(stream, "A2", D(2026, 6, 10));
  const uint64_t told = Tell(stream, D(2026, 6, 15));

  v1::RecommendationRow open = RecommendationAsOf("R-1", 2026, 3, 15);
  EXPECT_EQ(open.status(), v1::RECOMMENDATION_STATUS_ACTIONS_OPEN);
  EXPECT_EQ(S(open.response_due()), "2026-03-06");
  EXPECT_FALSE(open.answered_late());
  ASSERT_EQ(open.actions_size(), 2);
  EXPECT_EQ(open.actions(0).status(), v1::ACTION_STATUS_OPEN);
  EXPECT_EQ(open.actions(0).days_overdue(), 0);
  EXPECT_EQ(open.actions(1).status(), v1::ACTION_STATUS_OPEN);

  // A2 was moved to 31 May, so on 5 June it is 5 days overdue (not 36).
  v1::RecommendationRow late = RecommendationAsOf("R-1", 2026, 6, 5);
  EXPECT_EQ(late.status(), v1::RECOMMENDATION_STATUS_ACTIONS_OPEN);
  ASSERT_EQ(late.actions_size(), 2);
  const v1::ActionRow& a1 = late.actions(0);
  EXPECT_EQ(a1.action_id(), "A1");
  EXPECT_EQ(a1.status(), v1::ACTION_STATUS_COMPLETED);
  EXPECT_EQ(S(a1.completed_on()), "2026-03-20");
  EXPECT_EQ(a1.days_overdue(), 0);
  EXPECT_THAT(a1.sequences(), ElementsAre(answer, done1));
  const v1::ActionRow& a2 = late.actions(1);
  EXPECT_EQ(a2.action_id(), "A2");
  EXPECT_EQ(a2.owner(), "Head of Repairs");
  EXPECT_EQ(a2.status(), v1::ACTION_STATUS_OVERDUE);
  EXPECT_EQ(S(a2.due()), "2026-05-31");
  EXPECT_EQ(a2.days_overdue(), 5);
  EXPECT_FALSE(a2.has_completed_on());
  EXPECT_THAT(a2.sequences(), ElementsAre(answer, moved2));
  // Each entry behind the row once.
  EXPECT_THAT(late.sequences(), ElementsAre(made, answer, done1, moved2));
  EXPECT_EQ(late.times_told(), 0);

  v1::RecommendationRow closed = RecommendationAsOf("R-1", 2026, 6, 30);
  EXPECT_EQ(closed.status(), v1::RECOMMENDATION_STATUS_CLOSED);
  EXPECT_EQ(closed.actions(1).status(), v1::ACTION_STATUS_COMPLETED);
  EXPECT_EQ(closed.times_told(), 1);
  EXPECT_THAT(closed.sequences(), ElementsAre(made, answer, done1, moved2, done2, told));

  ViewQuery open_only = AsOf(2026, 6, 30);
  open_only.open_only = true;
  EXPECT_THAT(RecommendationsViewOf(Fold(), open_only, policy_).rows(), IsEmpty());
  open_only.as_of = *CivilDate::FromYmd(2026, 6, 5);
  EXPECT_EQ(RecommendationsViewOf(Fold(), open_only, policy_).rows_size(), 1);
}

TEST_F(ViewsTest, OverdueRecommendationsAreListedFirstThenByDateMade) {
  Recommend("R-A", D(2026, 1, 10), std::nullopt);         // answered on time
  Respond("R-A", v1::DECISION_ACCEPTED, D(2026, 1, 30));
  Recommend("R-B", D(2026, 2, 1), D(2026, 3, 1));          // overdue 9 days
  Recommend("R-C", D(2026, 1, 20), std::nullopt);          // due 21 March
  Recommend("R-D", D(2026, 1, 25), D(2026, 2, 15));        // overdue 23 days
  Recommend("R-E", D(2026, 3, 20), std::nullopt);          // after the view date

  v1::RecommendationsView v = Recommendations(2026, 3, 10);
  std::vector<std::string> order;
  for (const auto& r : v.rows()) order.push_back(r.recommendation_id());
  EXPECT_THAT(order, ElementsAre("R-D", "R-B", "R-A", "R-C"));
  EXPECT_EQ(v.rows(0).days_late(), 23);
  EXPECT_EQ(v.rows(1).days_late(), 9);
  EXPECT_EQ(S(v.info().as_of()), "2026-03-10");
  EXPECT_EQ(v.info().log_size(), 6u);

  ViewQuery one = AsOf(2026, 3, 10);
  one.id = "R-C";
  v1::RecommendationsView only = RecommendationsViewOf(Fold(), one, policy_);
  ASSERT_EQ(only.rows_size(), 1);
  EXPECT_EQ(only.rows(0).recommendation_id(), "R-C");
}

// --- You said, we did --------------------------------------------------------

TEST_F(ViewsTest, YouSaidWeDidFollowsFeedbackToTheBoardAndBack) {
  const uint64_t received = Feedback("F-1", D(2026, 1, 5));
  const uint64_t escalated = Escalate("F-1", v1::BODY_SUF, v1::BODY_SUAG, D(2026, 1, 20));
  const uint64_t answered = AnswerFeedback("F-1", D(2026, 1, 30), /*closes=*/false);
  const uint64_t recommended = Recommend("R-1", D(2026, 2, 2), std::nullopt, {"F-1"});
  Respond("R-1", v1::DECISION_ACCEPTED, D(2026, 3, 2));
  const uint64_t told = Tell("feedback/F-1", D(2026, 3, 20));

  v1::YouSaidWeDidRow early = FeedbackAsOf("F-1", 2026, 1, 25);
  EXPECT_THAT(early.escalations(), ElementsAre("SUF->SUAG 2026-01-20"));
  EXPECT_THAT(early.recommendation_ids(), IsEmpty());
  EXPECT_FALSE(early.has_first_response_on());
  EXPECT_THAT(early.sequences(), ElementsAre(received, escalated));

  v1::YouSaidWeDidView open_view = YouSaidWeDid(2026, 3, 1);
  EXPECT_EQ(open_view.open(), 1);
  EXPECT_EQ(open_view.closed(), 0);
  ASSERT_EQ(open_view.rows_size(), 1);
  const v1::YouSaidWeDidRow& open = open_view.rows(0);
  EXPECT_EQ(open.channel(), v1::FEEDBACK_CHANNEL_MEETING);
  EXPECT_EQ(S(open.received_on()), "2026-01-05");
  EXPECT_EQ(open.topic(), "repairs");
  EXPECT_TRUE(open.anonymous());
  EXPECT_THAT(open.recommendation_ids(), ElementsAre("R-1"));
  EXPECT_EQ(S(open.first_response_on()), "2026-01-30");
  EXPECT_EQ(open.response(), "Raised at SUAG");
  EXPECT_FALSE(open.has_told_on());
  EXPECT_FALSE(open.closed());
  EXPECT_EQ(open.days_to_close(), 0);
  EXPECT_FALSE(open.unanswered_past_window());
  EXPECT_THAT(open.sequences(), ElementsAre(received, escalated, answered, recommended));

  v1::YouSaidWeDidView closed_view = YouSaidWeDid(2026, 3, 31);
  EXPECT_EQ(closed_view.open(), 0);
  EXPECT_EQ(closed_view.closed(), 1);
  const v1::YouSaidWeDidRow& closed = closed_view.rows(0);
  EXPECT_TRUE(closed.closed());
  EXPECT_EQ(S(closed.told_on()), "2026-03-20");
  EXPECT_EQ(closed.told_by(), v1::COMMUNICATION_CHANNEL_NEWSLETTER);
  EXPECT_EQ(closed.days_to_close(), 74);  // 26 (Jan) + 28 (Feb) + 20 (Mar)
  EXPECT_THAT(closed.sequences(),
              ElementsAre(received, escalated, answered, recommended, told));

  ViewQuery open_only = AsOf(2026, 3, 31);
  open_only.open_only = true;
  EXPECT_THAT(YouSaidWeDidViewOf(Fold(), open_only, policy_).rows(), IsEmpty());
}

TEST_F(ViewsTest, FeedbackAnsweredOnTheLastDayOfTheWindowIsInTime) {
  // Received 5 January; the 28-day window ends on 2 February.
  Feedback("F-2", D(2026, 1, 5));
  const uint64_t f3 = Feedback("F-3", D(2026, 1, 5));
  const uint64_t f4 = Feedback("F-4", D(2026, 1, 5));
  AnswerFeedback("F-2", D(2026, 2, 2), /*closes=*/true);
  const uint64_t f3_answer = AnswerFeedback("F-3", D(2026, 2, 3), /*closes=*/true);

  v1::YouSaidWeDidView last_day = YouSaidWeDid(2026, 2, 2);
  EXPECT_EQ(last_day.unanswered_past_window(), 0);
  for (const auto& r : last_day.rows()) EXPECT_FALSE(r.unanswered_past_window()) << r.feedback_id();

  v1::YouSaidWeDidView day_after = YouSaidWeDid(2026, 2, 3);
  EXPECT_EQ(day_after.unanswered_past_window(), 2);
  const auto& r2 = Find(day_after.rows(), &v1::YouSaidWeDidRow::feedback_id, "F-2");
  EXPECT_FALSE(r2.unanswered_past_window());
  EXPECT_TRUE(r2.closed());
  EXPECT_EQ(r2.days_to_close(), 28);
  EXPECT_TRUE(Find(day_after.rows(), &v1::YouSaidWeDidRow::feedback_id, "F-3")
                  .unanswered_past_window());
  EXPECT_TRUE(Find(day_after.rows(), &v1::YouSaidWeDidRow::feedback_id, "F-4")
                  .unanswered_past_window());

  v1::ComplianceView c = Compliance(2026, 2, 3);
  ASSERT_EQ(c.findings_size(), 2);
  EXPECT_EQ(c.findings(0).rule(), "feedback_unanswered");
  EXPECT_EQ(c.findings(0).subject(), "feedback/F-3");
  EXPECT_EQ(S(c.findings(0).since()), "2026-02-03");
  EXPECT_THAT(c.findings(0).sequences(), ElementsAre(f3, f3_answer));
  EXPECT_EQ(c.findings(1).subject(), "feedback/F-4");
  EXPECT_EQ(S(c.findings(1).since()), "2026-02-03");
  EXPECT_THAT(c.findings(1).sequences(), ElementsAre(f4));
}

TEST_F(ViewsTest, FeedbackClosesWhenUsersAreToldEvenBeforeAClosingResponse) {
  Feedback("F-5", D(2026, 1, 5));
  Tell("feedback/F-5", D(2026, 1, 26), v1::COMMUNICATION_CHANNEL_MEETING);  // day 21
  AnswerFeedback("F-5", D(2026, 2, 2), /*closes=*/true, "Written reply");   // day 28

  v1::YouSaidWeDidRow r = FeedbackAsOf("F-5", 2026, 2, 28);
  EXPECT_TRUE(r.closed());
  EXPECT_EQ(S(r.told_on()), "2026-01-26");
  EXPECT_EQ(r.told_by(), v1::COMMUNICATION_CHANNEL_MEETING);
  EXPECT_EQ(r.days_to_close(), 21);
  EXPECT_FALSE(r.unanswered_past_window());
  // Closed already before the written reply.
  EXPECT_TRUE(FeedbackAsOf("F-5", 2026, 1, 27).closed());
}

// --- Bodies ------------------------------------------------------------------

TEST_F(ViewsTest, BodyShowsRosterCompositionChairTermsEndingAndVacancies) {
  policy_.suag_seats = 8;
  const v1::Body suag = v1::BODY_SUAG;
  const uint64_t su1 = Elect(suag, "SU-1", kServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  const uint64_t su2 = Elect(suag, "SU-2", kServiceUser, D(2026, 1, 10), D(2026, 6, 30));
  const uint64_t ex1 = Elect(suag, "EX-1", kExServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  const uint64_t bm1 = Elect(suag, "BM-1", kBoardMember, D(2026, 1, 10), D(2027, 1, 9));
  const uint64_t st1 = Elect(suag, "ST-1", kStaff, D(2026, 2, 1), D(2027, 1, 31));
  const uint64_t chair = Chair(suag, "SU-1", D(2026, 2, 1));
  Elect(v1::BODY_SUF, "SU-9", kServiceUser, D(2026, 1, 1), std::nullopt);

  // Before ST-1's term and before the chair's election.
  v1::BodyRow january = BodyAsOf(suag, 2026, 1, 31);
  EXPECT_EQ(january.members_size(), 4);
  EXPECT_EQ(january.chair(), "");
  EXPECT_EQ(january.vacancies(), 4);

  // 91 days before SU-2's term ends: not yet ending.
  v1::BodyRow march = BodyAsOf(suag, 2026, 3, 31);
  EXPECT_EQ(march.members_size(), 5);
  EXPECT_THAT(march.composition(),
              UnorderedElementsAre(Pair("SERVICE_USER", 2), Pair("EX_SERVICE_USER", 1),
                                   Pair("BOARD_MEMBER", 1), Pair("STAFF", 1)));
  EXPECT_EQ(march.chair(), "SU-1");
  EXPECT_TRUE(march.chair_is_service_user());
  EXPECT_EQ(march.vacancies(), 3);
  EXPECT_THAT(march.sequences(), ElementsAre(su1, su2, ex1, bm1, st1, chair));
  const auto& su1_row = Find(march.members(), &v1::MemberRow::person_ref, "SU-1");
  EXPECT_TRUE(su1_row.chair());
  EXPECT_EQ(S(su1_row.term_end()), "2027-01-09");
  EXPECT_THAT(su1_row.sequences(), ElementsAre(su1));
  EXPECT_FALSE(Find(march.members(), &v1::MemberRow::person_ref, "SU-2").term_ending());
  EXPECT_FALSE(Find(march.members(), &v1::MemberRow::person_ref, "EX-1").chair());

  // 90 days before (1 April to 30 June): ending.
  v1::BodyRow april = BodyAsOf(suag, 2026, 4, 1);
  EXPECT_TRUE(Find(april.members(), &v1::MemberRow::person_ref, "SU-2").term_ending());
  EXPECT_FALSE(Find(april.members(), &v1::MemberRow::person_ref, "SU-1").term_ending());

  // The last day of the term counts; the day after, SU-2 is gone.
  EXPECT_EQ(BodyAsOf(suag, 2026, 6, 30).members_size(), 5);
  v1::BodyRow july = BodyAsOf(suag, 2026, 7, 1);
  EXPECT_EQ(july.members_size(), 4);
  EXPECT_EQ(july.composition().at("SERVICE_USER"), 1);
  EXPECT_EQ(july.vacancies(), 4);

  policy_.suag_seats = 0;  // not configured
  EXPECT_EQ(BodyAsOf(suag, 2026, 7, 1).vacancies(), 0);

  v1::BodiesView all = BodiesViewOf(Fold(), AsOf(2026, 7, 1), policy_);
  EXPECT_EQ(all.rows_size(), 2);
}

TEST_F(ViewsTest, ChairWhoLeavesLeavesTheChairEmptyUntilANewOneIsElected) {
  const v1::Body suag = v1::BODY_SUAG;
  const uint64_t su1 = Elect(suag, "SU-1", kServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  Elect(suag, "SU-2", kServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  const uint64_t chair = Chair(suag, "SU-1", D(2026, 2, 1));
  const uint64_t left = Leave(suag, "SU-1", D(2026, 5, 15));
  Chair(suag, "SU-2", D(2026, 6, 1));

  v1::BodyRow last_day = BodyAsOf(suag, 2026, 5, 15);
  EXPECT_EQ(last_day.chair(), "SU-1");
  EXPECT_EQ(last_day.members_size(), 2);
  EXPECT_THAT(Compliance(2026, 5, 15).findings(), IsEmpty());

  v1::BodyRow after = BodyAsOf(suag, 2026, 5, 16);
  EXPECT_EQ(after.chair(), "");
  EXPECT_FALSE(after.chair_is_service_user());
  EXPECT_EQ(after.members_size(), 1);
  v1::ComplianceView c = Compliance(2026, 5, 16);
  ASSERT_EQ(c.findings_size(), 1);
  EXPECT_EQ(c.findings(0).rule(), "chair_not_service_user");
  EXPECT_EQ(c.findings(0).subject(), "body/SUAG");
  EXPECT_EQ(S(c.findings(0).since()), "2026-05-16");
  EXPECT_THAT(c.findings(0).sequences(), ElementsAre(su1, chair, left));

  v1::BodyRow new_chair = BodyAsOf(suag, 2026, 6, 1);
  EXPECT_EQ(new_chair.chair(), "SU-2");
  EXPECT_TRUE(new_chair.chair_is_service_user());
  EXPECT_THAT(Compliance(2026, 6, 1).findings(), IsEmpty());
}

TEST_F(ViewsTest, MeetingsExactlyThreeMonthsApartLeaveNoGap) {
  const v1::Body suag = v1::BODY_SUAG;
  Meet(suag, D(2026, 1, 15));
  const uint64_t april = Meet(suag, D(2026, 4, 15));  // exactly 3 months: no gap
  const uint64_t july = Meet(suag, D(2026, 7, 16));   // 3 months and a day: a gap

  v1::BodyRow r = BodyAsOf(suag, 2026, 10, 16);  // 3 months after the last: no gap yet
  EXPECT_EQ(r.meetings(), 3);
  EXPECT_EQ(S(r.last_meeting()), "2026-07-16");
  ASSERT_EQ(r.gaps_size(), 1);
  EXPECT_EQ(S(r.gaps(0).from()), "2026-04-15");
  EXPECT_EQ(S(r.gaps(0).to()), "2026-07-16");
  EXPECT_EQ(r.gaps(0).days(), 92);  // 15 + 31 + 30 + 16
  EXPECT_THAT(r.gaps(0).sequences(), ElementsAre(april, july));

  // One day more and the time since the last meeting is a gap too.
  v1::BodyRow later = BodyAsOf(suag, 2026, 10, 17);
  ASSERT_EQ(later.gaps_size(), 2);
  EXPECT_EQ(S(later.gaps(1).from()), "2026-07-16");
  EXPECT_EQ(S(later.gaps(1).to()), "2026-10-17");
  EXPECT_EQ(later.gaps(1).days(), 93);  // 15 + 31 + 30 + 17
  EXPECT_THAT(later.gaps(1).sequences(), ElementsAre(july));

  v1::ComplianceView c = Compliance(2026, 10, 17);
  ASSERT_EQ(c.findings_size(), 2);
  EXPECT_EQ(c.findings(0).rule(), "suag_meeting_gap");
  EXPECT_EQ(c.findings(0).subject(), "body/SUAG");
  EXPECT_EQ(S(c.findings(0).since()), "2026-07-16");
  EXPECT_THAT(c.findings(0).sequences(), ElementsAre(april, july));
  EXPECT_EQ(S(c.findings(1).since()), "2026-10-17");
  EXPECT_THAT(c.findings(1).sequences(), ElementsAre(july));
}

TEST_F(ViewsTest, ThreeMonthsFromTheEndOfAMonthEndsAtTheEndOfTheShorterMonth) {
  Meet(v1::BODY_REPAIRS_WG, D(2026, 11, 30));
  Meet(v1::BODY_REPAIRS_WG, D(2027, 2, 28));  // 30 Nov + 3 months = 28 Feb
  Meet(v1::BODY_SUF, D(2026, 11, 30));
  Meet(v1::BODY_SUF, D(2027, 3, 1));
  EXPECT_THAT(BodyAsOf(v1::BODY_REPAIRS_WG, 2027, 3, 1).gaps(), IsEmpty());
  v1::BodyRow suf = BodyAsOf(v1::BODY_SUF, 2027, 3, 1);
  ASSERT_EQ(suf.gaps_size(), 1);
  EXPECT_EQ(suf.gaps(0).days(), 91);  // 31 + 31 + 28 + 1
}

TEST_F(ViewsTest, BoardMeetingsWithSuagRepresentativesAreCounted) {
  // Logged out of date order: the list of meetings held is by date.
  const uint64_t march = Meet(v1::BODY_BOARD, D(2026, 3, 17));
  const uint64_t january = Meet(v1::BODY_BOARD, D(2026, 1, 20), {"SU-1"});
  Meet(v1::BODY_BOARD, D(2026, 5, 19), {"SU-1", "SU-2"});

  v1::BodyRow april = BodyAsOf(v1::BODY_BOARD, 2026, 4, 30);
  EXPECT_EQ(april.meetings(), 2);
  EXPECT_EQ(april.meetings_with_representatives(), 1);
  ASSERT_EQ(april.meetings_held_size(), 2);  // May's is after the view date
  EXPECT_EQ(S(april.meetings_held(0).date()), "2026-01-20");
  EXPECT_EQ(april.meetings_held(0).sequence(), january);
  EXPECT_EQ(april.meetings_held(0).representatives_present(), 1);
  EXPECT_EQ(S(april.meetings_held(1).date()), "2026-03-17");
  EXPECT_EQ(april.meetings_held(1).sequence(), march);
  EXPECT_EQ(april.meetings_held(1).representatives_present(), 0);

  v1::BodyRow june = BodyAsOf(v1::BODY_BOARD, 2026, 6, 30);
  EXPECT_EQ(june.meetings(), 3);
  EXPECT_EQ(june.meetings_with_representatives(), 2);
  EXPECT_EQ(S(june.last_meeting()), "2026-05-19");
  EXPECT_THAT(june.gaps(), IsEmpty());
}

// --- Complaints --------------------------------------------------------------

TEST_F(ViewsTest, ComplaintDeadlinesSkipEasterAndTheExtensionMovesTheResponse) {
  const uint64_t received = Complain("C-E", D(2026, 3, 30));  // Monday before Easter
  const uint64_t ack = Acknowledge("C-E", v1::COMPLAINT_STAGE_ONE, D(2026, 4, 9));
  const uint64_t ext = Extend("C-E", v1::COMPLAINT_STAGE_ONE, 10, D(2026, 4, 20));
  const uint64_t outcome =
      Conclude("C-E", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_UPHELD, D(2026, 5, 8));

  // Acknowledgement: 31 Mar, 1 Apr, 2 Apr, (Good Friday, weekend, Easter
  // Monday) 7 Apr, 8 Apr. With none yet, the response counts from 8 April:
  // 9, 10, 13 ... 22 April.
  v1::ComplaintRow before = ComplaintAsOf("C-E", 2026, 4, 8);
  EXPECT_EQ(Judged(before.stage1_acknowledgement()), "2026-04-08 NOT_DUE_YET");
  EXPECT_EQ(Judged(before.stage1_response()), "2026-04-22 NOT_DUE_YET");
  EXPECT_EQ(Judged(before.stage2_acknowledgement()), "unset NOT_APPLICABLE");
  EXPECT_EQ(before.stage(), 1);
  EXPECT_FALSE(before.closed());

  // Acknowledged a day late; the response is due 10 working days after
  // 9 April: 23 April.
  v1::ComplaintRow acknowledged = ComplaintAsOf("C-E", 2026, 4, 15);
  EXPECT_EQ(Judged(acknowledged.stage1_acknowledgement()), "2026-04-08 MISSED 2026-04-09");
  EXPECT_EQ(Judged(acknowledged.stage1_response()), "2026-04-23 NOT_DUE_YET");
  EXPECT_EQ(acknowledged.stage1_extension_days(), 0);

  // Extended by 10: 20 working days after 9 April, past the early May
  // bank holiday: 8 May. Answered that day.
  v1::ComplaintRow done = ComplaintAsOf("C-E", 2026, 5, 31);
  EXPECT_EQ(Judged(done.stage1_response()), "2026-05-08 MET 2026-05-08");
  EXPECT_EQ(done.stage1_extension_days(), 10);
  EXPECT_FALSE(done.extension_over_limit());
  EXPECT_TRUE(done.closed());
  EXPECT_EQ(done.stage(), 0);
  EXPECT_EQ(done.result(), v1::COMPLAINT_RESULT_UPHELD);
  EXPECT_THAT(done.sequences(), ElementsAre(received, ack, ext, outcome));

  v1::ComplianceView c = Compliance(2026, 5, 31);
  ASSERT_EQ(c.findings_size(), 1);
  EXPECT_EQ(c.findings(0).rule(), "complaint_timescale_missed");
  EXPECT_EQ(c.findings(0).subject(), "complaint/C-E");
  EXPECT_EQ(S(c.findings(0).since()), "2026-04-09");
  EXPECT_THAT(c.findings(0).detail(), HasSubstr("stage 1 acknowledgement"));
}

TEST_F(ViewsTest, ComplaintDeadlinesSkipChristmasAndNewYear) {
  Complain("C-X", D(2026, 12, 21));
  Acknowledge("C-X", v1::COMPLAINT_STAGE_ONE, D(2026, 12, 30));
  Conclude("C-X", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_NOT_UPHELD, D(2027, 1, 15));

  // 22, 23, 24 Dec, (25 Dec, weekend, 28 Dec) 29, 30 Dec.
  EXPECT_EQ(Judged(ComplaintAsOf("C-X", 2026, 12, 29).stage1_acknowledgement()),
            "2026-12-30 NOT_DUE_YET");
  // 31 Dec, (1 Jan, weekend) 4, 5, 6, 7, 8, 11, 12, 13, 14 Jan.
  v1::ComplaintRow due_day = ComplaintAsOf("C-X", 2027, 1, 14);
  EXPECT_EQ(Judged(due_day.stage1_acknowledgement()), "2026-12-30 MET 2026-12-30");
  EXPECT_EQ(Judged(due_day.stage1_response()), "2027-01-14 NOT_DUE_YET");
  EXPECT_FALSE(due_day.closed());
  EXPECT_EQ(Judged(ComplaintAsOf("C-X", 2027, 1, 15).stage1_response()),
            "2027-01-14 MISSED 2027-01-15");
}

TEST_F(ViewsTest, ComplaintEscalatedToStageTwoHasItsOwnDeadlines) {
  Complain("C-W", D(2026, 6, 5));  // a Friday
  Acknowledge("C-W", v1::COMPLAINT_STAGE_ONE, D(2026, 6, 8));
  Conclude("C-W", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_NOT_UPHELD, D(2026, 6, 19));
  EscalateComplaint("C-W", D(2026, 6, 29));
  Acknowledge("C-W", v1::COMPLAINT_STAGE_TWO, D(2026, 7, 3));
  Extend("C-W", v1::COMPLAINT_STAGE_TWO, 5, D(2026, 7, 20));
  Conclude("C-W", v1::COMPLAINT_STAGE_TWO, v1::COMPLAINT_RESULT_PARTLY_UPHELD, D(2026, 8, 5));

  // Stage 1 done: acknowledgement due 12 June (5 working days after Friday
  // 5 June), response due 22 June (10 after 8 June).
  v1::ComplaintRow stage1 = ComplaintAsOf("C-W", 2026, 6, 25);
  EXPECT_EQ(Judged(stage1.stage1_acknowledgement()), "2026-06-12 MET 2026-06-08");
  EXPECT_EQ(Judged(stage1.stage1_response()), "2026-06-22 MET 2026-06-19");
  EXPECT_EQ(Judged(stage1.stage2_response()), "unset NOT_APPLICABLE");
  EXPECT_TRUE(stage1.closed());
  EXPECT_EQ(stage1.stage(), 0);
  EXPECT_EQ(stage1.result(), v1::COMPLAINT_RESULT_NOT_UPHELD);

  // Escalated: acknowledgement due 6 July; with none yet the response counts
  // 20 working days from then: 3 August.
  v1::ComplaintRow stage2 = ComplaintAsOf("C-W", 2026, 6, 30);
  EXPECT_EQ(stage2.stage(), 2);
  EXPECT_FALSE(stage2.closed());
  EXPECT_EQ(Judged(stage2.stage2_acknowledgement()), "2026-07-06 NOT_DUE_YET");
  EXPECT_EQ(Judged(stage2.stage2_response()), "2026-08-03 NOT_DUE_YET");

  // Acknowledged 3 July: 20 working days is 31 July, 5 more is 7 August.
  v1::ComplaintRow extended = ComplaintAsOf("C-W", 2026, 7, 31);
  EXPECT_EQ(Judged(extended.stage2_acknowledgement()), "2026-07-06 MET 2026-07-03");
  EXPECT_EQ(Judged(extended.stage2_response()), "2026-08-07 NOT_DUE_YET");
  EXPECT_EQ(extended.stage2_extension_days(), 5);
  EXPECT_EQ(extended.stage1_extension_days(), 0);

  v1::ComplaintRow closed = ComplaintAsOf("C-W", 2026, 8, 31);
  EXPECT_EQ(Judged(closed.stage2_response()), "2026-08-07 MET 2026-08-05");
  EXPECT_TRUE(closed.closed());
  EXPECT_EQ(closed.stage(), 0);
  EXPECT_EQ(closed.result(), v1::COMPLAINT_RESULT_PARTLY_UPHELD);
  EXPECT_EQ(closed.sequences_size(), 7);
}

TEST_F(ViewsTest, TenantSatisfactionMeasuresCountFormalComplaintsOnly) {
  policy_.homes = 2000;
  // Formal, 2026: stage 1 answered in time.
  Complain("C-E", D(2026, 3, 30));
  Acknowledge("C-E", v1::COMPLAINT_STAGE_ONE, D(2026, 4, 9));
  Extend("C-E", v1::COMPLAINT_STAGE_ONE, 10, D(2026, 4, 20));
  Conclude("C-E", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_UPHELD, D(2026, 5, 8));
  // Formal, 2026: both stages in time (stage 2 with an extension).
  Complain("C-W", D(2026, 6, 5));
  Acknowledge("C-W", v1::COMPLAINT_STAGE_ONE, D(2026, 6, 8));
  Conclude("C-W", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_NOT_UPHELD, D(2026, 6, 19));
  EscalateComplaint("C-W", D(2026, 6, 29));
  Acknowledge("C-W", v1::COMPLAINT_STAGE_TWO, D(2026, 7, 3));
  Extend("C-W", v1::COMPLAINT_STAGE_TWO, 5, D(2026, 7, 20));
  Conclude("C-W", v1::COMPLAINT_STAGE_TWO, v1::COMPLAINT_RESULT_PARTLY_UPHELD, D(2026, 8, 5));
  // Formal, 2026: answered a day after 16 September.
  Complain("C-L", D(2026, 9, 1));
  Acknowledge("C-L", v1::COMPLAINT_STAGE_ONE, D(2026, 9, 2));
  Conclude("C-L", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_UPHELD, D(2026, 9, 17));
  // Formal, received in 2026, answered in 2027.
  Complain("C-X", D(2026, 12, 21));
  Acknowledge("C-X", v1::COMPLAINT_STAGE_ONE, D(2026, 12, 30));
  Conclude("C-X", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_NOT_UPHELD, D(2027, 1, 15));
  // Formal, received in 2025 (due 16 December 2025), answered late in 2026.
  Complain("C-O", D(2025, 12, 1));
  Acknowledge("C-O", v1::COMPLAINT_STAGE_ONE, D(2025, 12, 2));
  Conclude("C-O", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_UPHELD, D(2026, 1, 6));
  // Informal, 2026, answered long after the Code's timescales: not counted.
  Complain("C-I", D(2026, 5, 11), /*formal=*/false);
  Conclude("C-I", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_RESOLVED_INFORMALLY,
           D(2026, 6, 30));

  v1::ComplaintsView v = Complaints(2026, 12, 31);
  EXPECT_EQ(v.year(), 2026);
  EXPECT_EQ(v.homes(), 2000);
  EXPECT_EQ(v.rows_size(), 6);
  EXPECT_FALSE(Find(v.rows(), &v1::ComplaintRow::complaint_id, "C-I").formal());
  // CH01: C-E, C-W, C-L, C-X received at stage 1 in 2026: 4 per 2,000 homes.
  EXPECT_DOUBLE_EQ(v.ch01_stage1_per_1000_homes(), 2.0);
  // C-W escalated in 2026: 1 per 2,000 homes.
  EXPECT_DOUBLE_EQ(v.ch01_stage2_per_1000_homes(), 0.5);
  // CH02: stage 1 responses in 2026: C-E, C-W in time; C-L, C-O late.
  EXPECT_DOUBLE_EQ(v.ch02_stage1_within_timescales_percent(), 50.0);
  EXPECT_DOUBLE_EQ(v.ch02_stage2_within_timescales_percent(), 100.0);

  // 2027 so far: nothing received; C-X answered late.
  v1::ComplaintsView next = Complaints(2027, 1, 31);
  EXPECT_EQ(next.year(), 2027);
  EXPECT_DOUBLE_EQ(next.ch01_stage1_per_1000_homes(), 0.0);
  EXPECT_DOUBLE_EQ(next.ch02_stage1_within_timescales_percent(), 0.0);
}

// --- Compliance --------------------------------------------------------------

TEST_F(ViewsTest, ComplianceFindsEachRuleWithTheEntriesThatProveIt) {
  // board_response_overdue: due 1 July, unanswered.
  const uint64_t r1 = Recommend("R-1", D(2026, 6, 1), D(2026, 7, 1));
  // suag_meeting_gap: 10 February to 10 June.
  const uint64_t m1 = Meet(v1::BODY_SUAG, D(2026, 2, 10));
  const uint64_t m2 = Meet(v1::BODY_SUAG, D(2026, 6, 10));
  Meet(v1::BODY_SUAG, D(2026, 8, 10));
  // chair_not_service_user: the chair left on 31 August.
  const uint64_t su1 = Elect(v1::BODY_SUAG, "SU-1", kServiceUser,
                             D(2026, 1, 10), D(2027, 1, 9));
  Elect(v1::BODY_SUAG, "SU-2", kServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  const uint64_t chair = Chair(v1::BODY_SUAG, "SU-1", D(2026, 1, 20));
  const uint64_t left = Leave(v1::BODY_SUAG, "SU-1", D(2026, 8, 31));
  // no_service_user_board_member: July, between SU-B's and SU-C's terms.
  const uint64_t bm1 = Elect(v1::BODY_BOARD, "BM-1", kBoardMember,
                             D(2026, 1, 1), D(2027, 12, 31));
  const uint64_t sub = Elect(v1::BODY_BOARD, "SU-B", kServiceUser,
                             D(2026, 1, 1), D(2026, 6, 30));
  const uint64_t suc = Elect(v1::BODY_BOARD, "SU-C", kServiceUser,
                             D(2026, 8, 1), D(2027, 7, 31));
  // feedback_unanswered: received 1 August, window ended 29 August.
  const uint64_t f1 = Feedback("F-1", D(2026, 8, 1));
  // complaint_timescale_missed: response due 16 September, outstanding.
  const uint64_t c1 = Complain("C-1", D(2026, 9, 1));
  const uint64_t c1_ack = Acknowledge("C-1", v1::COMPLAINT_STAGE_ONE, D(2026, 9, 2));
  // review_action_plan_overdue: no plan by 30 June; a plan overdue.
  const uint64_t rv1 = Review("RV-1", D(2026, 5, 1), D(2026, 6, 30));
  const uint64_t rv2 = Review("RV-2", D(2026, 5, 1), D(2026, 6, 30), {Act("A1", D(2026, 8, 31))});
  const uint64_t rv2_update = UpdateAction("review/RV-2", "A1", D(2026, 7, 15), std::nullopt);

  v1::ComplianceView c = Compliance(2026, 9, 30);
  std::vector<std::string> found;
  for (const v1::Finding& f : c.findings()) found.push_back(f.rule() + " " + f.subject());
  EXPECT_THAT(found, ElementsAre("board_response_overdue recommendation/R-1",
                                 "chair_not_service_user body/SUAG",
                                 "complaint_timescale_missed complaint/C-1",
                                 "feedback_unanswered feedback/F-1",
                                 "no_service_user_board_member body/BOARD",
                                 "review_action_plan_overdue review/RV-1",
                                 "review_action_plan_overdue review/RV-2",
                                 "suag_meeting_gap body/SUAG"));
  ASSERT_EQ(c.findings_size(), 8);

  const v1::Finding& overdue = c.findings(0);
  EXPECT_EQ(S(overdue.since()), "2026-07-02");
  EXPECT_THAT(overdue.detail(), HasSubstr("91 days overdue"));  // 30 + 31 + 30
  EXPECT_THAT(overdue.sequences(), ElementsAre(r1));

  const v1::Finding& chair_gone = c.findings(1);
  EXPECT_EQ(S(chair_gone.since()), "2026-09-01");
  EXPECT_THAT(chair_gone.sequences(), ElementsAre(su1, chair, left));

  const v1::Finding& complaint = c.findings(2);
  EXPECT_EQ(S(complaint.since()), "2026-09-17");
  EXPECT_THAT(complaint.detail(), HasSubstr("stage 1 response due 2026-09-16"));
  EXPECT_THAT(complaint.sequences(), ElementsAre(c1, c1_ack));

  const v1::Finding& feedback = c.findings(3);
  EXPECT_EQ(S(feedback.since()), "2026-08-30");
  EXPECT_THAT(feedback.sequences(), ElementsAre(f1));

  const v1::Finding& board = c.findings(4);
  EXPECT_EQ(S(board.since()), "2026-07-01");
  EXPECT_THAT(board.detail(), HasSubstr("from 2026-07-01 to 2026-07-31"));
  EXPECT_THAT(board.sequences(), ElementsAre(bm1, sub, suc));

  const v1::Finding& no_plan = c.findings(5);
  EXPECT_EQ(S(no_plan.since()), "2026-07-01");
  EXPECT_THAT(no_plan.sequences(), ElementsAre(rv1));
  const v1::Finding& plan_late = c.findings(6);
  EXPECT_EQ(S(plan_late.since()), "2026-07-01");
  EXPECT_THAT(plan_late.sequences(), ElementsAre(rv2, rv2_update));

  const v1::Finding& gap = c.findings(7);
  EXPECT_EQ(S(gap.since()), "2026-05-11");  // 10 May is 3 months after 10 February
  EXPECT_THAT(gap.detail(), HasSubstr("120 days"));  // 18 + 31 + 30 + 31 + 10
  EXPECT_THAT(gap.sequences(), ElementsAre(m1, m2));
}

TEST_F(ViewsTest, ComplianceIsEmptyWhenEverythingIsOnTime) {
  Elect(v1::BODY_SUAG, "SU-1", kServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  Chair(v1::BODY_SUAG, "SU-1", D(2026, 1, 20));
  Meet(v1::BODY_SUAG, D(2026, 1, 20));
  Meet(v1::BODY_SUAG, D(2026, 4, 20));  // exactly 3 months
  Meet(v1::BODY_SUAG, D(2026, 6, 15));
  Elect(v1::BODY_BOARD, "BM-1", kBoardMember, D(2026, 1, 1), D(2027, 12, 31));
  Elect(v1::BODY_BOARD, "SU-B", kServiceUser, D(2026, 1, 1), D(2027, 12, 31));
  Recommend("R-1", D(2026, 3, 2), std::nullopt);  // due 1 May
  Respond("R-1", v1::DECISION_ACCEPTED, D(2026, 4, 15), {Act("A1", D(2026, 9, 30))});
  Feedback("F-1", D(2026, 5, 1));
  AnswerFeedback("F-1", D(2026, 5, 20), /*closes=*/false);
  Complain("C-1", D(2026, 6, 1));                              // ack due 8 June
  Acknowledge("C-1", v1::COMPLAINT_STAGE_ONE, D(2026, 6, 2));  // response due 16 June
  Conclude("C-1", v1::COMPLAINT_STAGE_ONE, v1::COMPLAINT_RESULT_UPHELD, D(2026, 6, 10));
  Review("RV-1", D(2026, 5, 1), D(2026, 6, 30), {Act("A1", D(2026, 7, 31))});

  EXPECT_THAT(Compliance(2026, 6, 30).findings(), IsEmpty());
}

// --- Corrections -------------------------------------------------------------

TEST_F(ViewsTest, CorrectedMadeOnMovesTheDueDate) {
  Recommend("R-1", D(2026, 3, 2), std::nullopt);  // due 1 May
  const std::string made_id = last_event_id_;
  const uint64_t before_correction = writer_->CommittedSize();
  const v1::RecommendationMade fixed = Recommendation("R-1", D(2026, 3, 16), std::nullopt);
  Correct("recommendation/R-1", made_id, &fixed);

  v1::RecommendationsView before =
      RecommendationsViewOf(Fold(before_correction), AsOf(2026, 5, 10), policy_);
  ASSERT_EQ(before.rows_size(), 1);
  EXPECT_EQ(S(before.rows(0).response_due()), "2026-05-01");
  EXPECT_TRUE(before.rows(0).overdue());
  EXPECT_EQ(before.rows(0).days_late(), 9);

  // 16 March + 60 days: 15 to 31 March, 30 to 30 April, 15 to 15 May.
  v1::RecommendationRow after = RecommendationAsOf("R-1", 2026, 5, 10);
  EXPECT_EQ(S(after.made_on()), "2026-03-16");
  EXPECT_EQ(S(after.response_due()), "2026-05-15");
  EXPECT_FALSE(after.overdue());
  EXPECT_EQ(after.days_late(), 0);
  EXPECT_THAT(Compliance(2026, 5, 10).findings(), IsEmpty());
  // And as of 10 March the corrected recommendation was not made yet.
  EXPECT_THAT(Recommendations(2026, 3, 10).rows(), IsEmpty());
}

TEST_F(ViewsTest, WithdrawnResponseLeavesTheRecommendationAwaiting) {
  const uint64_t made = Recommend("R-1", D(2026, 3, 2), D(2026, 4, 1));
  Respond("R-1", v1::DECISION_ACCEPTED, D(2026, 3, 20), {Act("A1", D(2026, 6, 30))});
  const std::string response_id = last_event_id_;
  EXPECT_EQ(RecommendationAsOf("R-1", 2026, 4, 10).status(),
            v1::RECOMMENDATION_STATUS_ACTIONS_OPEN);

  const uint64_t withdrawal = Correct("recommendation/R-1", response_id, nullptr);
  v1::RecommendationRow r = RecommendationAsOf("R-1", 2026, 4, 10);
  EXPECT_EQ(r.status(), v1::RECOMMENDATION_STATUS_AWAITING_RESPONSE);
  EXPECT_EQ(r.decision(), v1::DECISION_UNSPECIFIED);
  EXPECT_THAT(r.actions(), IsEmpty());
  EXPECT_TRUE(r.overdue());
  EXPECT_EQ(r.days_late(), 9);
  // The row names the withdrawal too, so what it shows can be proven.
  EXPECT_THAT(r.sequences(), ElementsAre(made, withdrawal));
}

TEST_F(ViewsTest, ActionMovedLaterIsNotMovedInAnEarlierView) {
  const uint64_t made = Recommend("R-1", D(2026, 3, 2), D(2026, 4, 1));
  const uint64_t answer =
      Respond("R-1", v1::DECISION_ACCEPTED, D(2026, 3, 20), {Act("A1", D(2026, 5, 31))});
  const uint64_t moved =
      UpdateAction("recommendation/R-1", "A1", D(2026, 6, 10), D(2026, 7, 31));
  // As of 5 June the move (dated 10 June) has not happened: the action is
  // 5 days overdue against its original date, and the update is not named.
  v1::RecommendationRow before = RecommendationAsOf("R-1", 2026, 6, 5);
  ASSERT_EQ(before.actions_size(), 1);
  EXPECT_EQ(before.actions(0).status(), v1::ACTION_STATUS_OVERDUE);
  EXPECT_EQ(before.actions(0).days_overdue(), 5);
  EXPECT_THAT(before.sequences(), ElementsAre(made, answer));
  // As of 15 June it was moved to 31 July: open, and the update named.
  v1::RecommendationRow after = RecommendationAsOf("R-1", 2026, 6, 15);
  EXPECT_EQ(after.actions(0).status(), v1::ACTION_STATUS_OPEN);
  EXPECT_EQ(after.actions(0).due().month(), 7);
  EXPECT_THAT(after.sequences(), ElementsAre(made, answer, moved));
}

TEST_F(ViewsTest, WithdrawnDepartureKeepsTheChair) {
  Elect(v1::BODY_SUAG, "SU-1", kServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  Chair(v1::BODY_SUAG, "SU-1", D(2026, 2, 1));
  Leave(v1::BODY_SUAG, "SU-1", D(2026, 5, 15));
  const std::string left_id = last_event_id_;
  EXPECT_EQ(BodyAsOf(v1::BODY_SUAG, 2026, 6, 1).chair(), "");

  Correct("body/SUAG", left_id, nullptr);
  v1::BodyRow r = BodyAsOf(v1::BODY_SUAG, 2026, 6, 1);
  EXPECT_EQ(r.chair(), "SU-1");
  EXPECT_EQ(r.members_size(), 1);
  EXPECT_THAT(Compliance(2026, 6, 1).findings(), IsEmpty());
}

TEST_F(ViewsTest, CorrectedTrainingRecordReplacesTheOriginal) {
  const uint64_t t1 = Append("training/T-1", Training("T-1", D(2026, 3, 1), {"SU-1", "SU-X"}));
  const std::string t1_id = last_event_id_;
  Append("training/T-2", Training("T-2", D(2026, 4, 1), {"SU-9"}));
  const std::string t2_id = last_event_id_;
  const v1::TrainingDelivered fixed = Training("T-1", D(2026, 3, 1), {"SU-1", "SU-2"});
  Correct("training/T-1", t1_id, &fixed);
  Correct("training/T-2", t2_id, nullptr);

  v1::DomainState state = Fold();
  ASSERT_EQ(state.other_size(), 1);
  EXPECT_EQ(state.other(0).sequence(), t1);
  v1::TrainingDelivered t;
  ASSERT_TRUE(state.other(0).event().UnpackTo(&t));
  EXPECT_THAT(t.attendees(), ElementsAre("SU-1", "SU-2"));
  // SU-1 and SU-2 only: not SU-X (corrected away) nor SU-9 (withdrawn).
  EXPECT_EQ(IndicatorsViewOf(state, AsOf(2026, 12, 31), 2026).people_in_informal_involvement(), 2);
}

// --- Rebuild -----------------------------------------------------------------

TEST_F(ViewsTest, FoldingInPiecesGivesTheSameStateAsFoldingAtOnce) {
  Elect(v1::BODY_SUAG, "SU-1", kServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  Elect(v1::BODY_SUAG, "SU-2", kServiceUser, D(2026, 1, 10), D(2027, 1, 9));
  Chair(v1::BODY_SUAG, "SU-1", D(2026, 1, 20));
  Meet(v1::BODY_SUAG, D(2026, 1, 20));
  Feedback("F-1", D(2026, 1, 5));
  Feedback("F-2", D(2026, 1, 6));
  Recommend("R-1", D(2026, 2, 2), std::nullopt, {"F-1"});
  const std::string r1_id = last_event_id_;
  Recommend("R-2", D(2026, 2, 3), std::nullopt, {"F-1", "F-2"});
  Leave(v1::BODY_SUAG, "SU-1", D(2026, 3, 1));
  const std::string left_id = last_event_id_;
  Respond("R-1", v1::DECISION_ACCEPTED, D(2026, 3, 2), {Act("A1", D(2026, 6, 30))});
  // R-1 cited the wrong feedback; SU-1 did not leave after all.
  const v1::RecommendationMade fixed = Recommendation("R-1", D(2026, 2, 2), std::nullopt, {"F-2"});
  Correct("recommendation/R-1", r1_id, &fixed);
  Correct("body/SUAG", left_id, nullptr);
  UpdateAction("recommendation/R-1", "A1", D(2026, 4, 1), D(2026, 7, 31));
  Append("training/T-1", Training("T-1", D(2026, 3, 1), {"SU-1"}));
  const std::string t1_id = last_event_id_;
  const v1::TrainingDelivered t1 = Training("T-1", D(2026, 3, 1), {"SU-2"});
  Correct("training/T-1", t1_id, &t1);
  Complain("C-1", D(2026, 4, 1));
  Meet(v1::BODY_SUAG, D(2026, 4, 20));

  const uint64_t size = writer_->CommittedSize();
  ASSERT_EQ(size, 17u);
  const v1::DomainState at_once = Fold(size);
  EXPECT_EQ(at_once.position(), size);
  const std::string expected = Deterministic(at_once);
  for (uint64_t k = 0; k <= size; ++k) {
    v1::DomainState pieces;
    ASSERT_OK(FoldStore(*store_, k, pieces));
    EXPECT_EQ(pieces.position(), k);
    ASSERT_OK(FoldStore(*store_, size, pieces));
    EXPECT_EQ(Deterministic(pieces), expected) << "split at " << k;
  }

  // The corrections took effect: F-1 is cited by R-2 only, F-2 by both.
  EXPECT_THAT(at_once.feedback().at("F-1").recommendation_ids(), ElementsAre("R-2"));
  EXPECT_THAT(at_once.feedback().at("F-2").recommendation_ids(),
              UnorderedElementsAre("R-1", "R-2"));
  EXPECT_EQ(BodyAsOf(v1::BODY_SUAG, 2026, 4, 30).chair(), "SU-1");
}

}  // namespace
}  // namespace involvement
