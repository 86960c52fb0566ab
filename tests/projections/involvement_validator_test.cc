// The involvement domain's rules on append, through the real
// GroupCommitWriter over RocksDB in a temporary directory: for each rule an
// accepted and a rejected case, with the exact code and the rule's name;
// and the field checks naming the field.
#include "projections/involvement_validator.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "involvement/v1/events.pb.h"
#include "ledger/group_commit_writer.h"
#include "ledger/store.h"
#include "tests/ledger/test_util.h"
#include "tests/projections/test_dates.h"

namespace involvement {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using ::involvement::testing::D;

class InvolvementValidatorTest : public ::ledger::testing::TempDirTest {
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

  // Appends one event to `stream`.
  absl::Status Append(const std::string& stream, const google::protobuf::Message& event) {
    ledger::v1::AppendRequest req;
    req.set_stream(stream);
    ledger::v1::EventData* e = req.add_events();
    e->set_event_id(absl::StrCat("ev-", next_++));
    e->mutable_payload()->PackFrom(event);
    return writer_->Append(req, "test").status();
  }

  static v1::MemberElected Elected(const std::string& who, v1::MemberCategory category,
                                   v1::Body body = v1::BODY_SUAG) {
    v1::MemberElected e;
    e.set_body(body);
    e.set_person_ref(who);
    e.set_category(category);
    *e.mutable_term_start() = D(2026, 1, 10);
    *e.mutable_term_end() = D(2027, 1, 9);
    return e;
  }
  static v1::MemberLeft Left(const std::string& who, v1::Body body = v1::BODY_SUAG) {
    v1::MemberLeft e;
    e.set_body(body);
    e.set_person_ref(who);
    *e.mutable_left_on() = D(2026, 6, 1);
    return e;
  }
  static v1::ChairElected Chair(const std::string& who, v1::Body body = v1::BODY_SUAG) {
    v1::ChairElected e;
    e.set_body(body);
    e.set_person_ref(who);
    *e.mutable_from() = D(2026, 2, 1);
    return e;
  }
  static v1::RecommendationMade Recommendation(const std::string& id) {
    v1::RecommendationMade e;
    e.set_recommendation_id(id);
    e.set_from_body(v1::BODY_SUAG);
    e.set_to(v1::ADDRESSEE_BOARD);
    e.set_text("Publish repair response times every quarter");
    *e.mutable_made_on() = D(2026, 3, 2);
    return e;
  }
  static v1::BoardResponseRecorded Response(const std::string& id) {
    v1::BoardResponseRecorded e;
    e.set_recommendation_id(id);
    e.set_decision(v1::DECISION_ACCEPTED);
    *e.mutable_decided_on() = D(2026, 4, 1);
    v1::Action* a = e.add_actions();
    a->set_action_id("A1");
    a->set_description("Publish the first quarterly figures");
    a->set_owner("Head of Repairs");
    *a->mutable_due() = D(2026, 7, 1);
    return e;
  }
  static v1::ActionUpdated Update(const std::string& action) {
    v1::ActionUpdated e;
    e.set_action_id(action);
    *e.mutable_updated_on() = D(2026, 5, 1);
    return e;
  }
  static v1::ActionCompleted Completed(const std::string& action) {
    v1::ActionCompleted e;
    e.set_action_id(action);
    *e.mutable_completed_on() = D(2026, 6, 30);
    return e;
  }
  static v1::ComplaintReceived Complaint(const std::string& id) {
    v1::ComplaintReceived e;
    e.set_complaint_id(id);
    *e.mutable_received_on() = D(2026, 3, 2);
    e.set_formal(true);
    return e;
  }
  static v1::ComplaintOutcome Outcome() {
    v1::ComplaintOutcome e;
    e.set_stage(v1::COMPLAINT_STAGE_ONE);
    e.set_result(v1::COMPLAINT_RESULT_UPHELD);
    *e.mutable_responded_on() = D(2026, 3, 16);
    return e;
  }
  static v1::FeedbackReceived Feedback(const std::string& id) {
    v1::FeedbackReceived e;
    e.set_feedback_id(id);
    e.set_channel(v1::FEEDBACK_CHANNEL_SUGGESTION_BOX);
    *e.mutable_received_on() = D(2026, 1, 5);
    e.set_anonymous(true);
    e.set_summary("Repairs take too long");
    return e;
  }
  static v1::FeedbackResponded Responded(const std::string& id) {
    v1::FeedbackResponded e;
    e.set_feedback_id(id);
    *e.mutable_responded_on() = D(2026, 1, 20);
    e.set_response("Raised at SUAG");
    return e;
  }

  static auto Rule(const std::string& name) {
    return StatusIs(absl::StatusCode::kFailedPrecondition, StartsWith(name + ":"));
  }
  static auto Field(const std::string& path) {
    return StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(path));
  }

  InvolvementValidator validator_;
  std::unique_ptr<ledger::LedgerStore> store_;
  std::unique_ptr<ledger::GroupCommitWriter> writer_;
  int next_ = 0;
};

TEST_F(InvolvementValidatorTest, ResponseNeedsRecommendation) {
  EXPECT_THAT(Append("recommendation/R-1", Response("R-1")),
              Rule("response_needs_recommendation"));
  ASSERT_OK(Append("recommendation/R-1", Recommendation("R-1")));
  EXPECT_OK(Append("recommendation/R-1", Response("R-1")));
}

TEST_F(InvolvementValidatorTest, RecommendationIsMadeOnce) {
  ASSERT_OK(Append("recommendation/R-1", Recommendation("R-1")));
  EXPECT_THAT(Append("recommendation/R-1", Recommendation("R-1")),
              Rule("recommendation_already_made"));
}

TEST_F(InvolvementValidatorTest, ActionMustExistAndCompletesOnce) {
  ASSERT_OK(Append("recommendation/R-1", Recommendation("R-1")));
  EXPECT_THAT(Append("recommendation/R-1", Update("A1")), Rule("action_must_exist"));
  ASSERT_OK(Append("recommendation/R-1", Response("R-1")));
  EXPECT_OK(Append("recommendation/R-1", Update("A1")));
  EXPECT_THAT(Append("recommendation/R-1", Update("A2")), Rule("action_must_exist"));
  EXPECT_OK(Append("recommendation/R-1", Completed("A1")));
  EXPECT_THAT(Append("recommendation/R-1", Completed("A1")), Rule("action_already_completed"));
}

TEST_F(InvolvementValidatorTest, OutcomeNeedsComplaint) {
  EXPECT_THAT(Append("complaint/C-1", Outcome()), Rule("outcome_needs_complaint"));
  v1::ComplaintAcknowledged ack;
  ack.set_stage(v1::COMPLAINT_STAGE_ONE);
  *ack.mutable_acknowledged_on() = D(2026, 3, 3);
  EXPECT_THAT(Append("complaint/C-1", ack), Rule("complaint_must_exist"));
  ASSERT_OK(Append("complaint/C-1", Complaint("C-1")));
  EXPECT_OK(Append("complaint/C-1", ack));
  EXPECT_OK(Append("complaint/C-1", Outcome()));
  EXPECT_THAT(Append("complaint/C-1", Complaint("C-1")), Rule("complaint_already_received"));
}

TEST_F(InvolvementValidatorTest, ChairMustBeACurrentServiceUserMemberOfSuag) {
  ASSERT_OK(Append("body/SUAG", Elected("P-1", v1::MEMBER_CATEGORY_SERVICE_USER)));
  ASSERT_OK(Append("body/SUAG", Elected("P-2", v1::MEMBER_CATEGORY_BOARD_MEMBER)));
  EXPECT_THAT(Append("body/SUAG", Chair("P-2")), Rule("chair_must_be_service_user_member"));
  EXPECT_THAT(Append("body/SUAG", Chair("P-9")), Rule("chair_must_be_service_user_member"));
  EXPECT_OK(Append("body/SUAG", Chair("P-1")));
  // A chair who has left can no longer be elected chair.
  ASSERT_OK(Append("body/SUAG", Left("P-1")));
  EXPECT_THAT(Append("body/SUAG", Chair("P-1")), Rule("chair_must_be_service_user_member"));
}

TEST_F(InvolvementValidatorTest, ChairOfAnotherBodyMustBeAMember) {
  ASSERT_OK(Append("body/BOARD", Elected("B-1", v1::MEMBER_CATEGORY_BOARD_MEMBER, v1::BODY_BOARD)));
  EXPECT_THAT(Append("body/BOARD", Chair("B-2", v1::BODY_BOARD)), Rule("chair_must_be_member"));
  EXPECT_OK(Append("body/BOARD", Chair("B-1", v1::BODY_BOARD)));
}

TEST_F(InvolvementValidatorTest, MemberCannotLeaveABodyTheyAreNotIn) {
  EXPECT_THAT(Append("body/SUAG", Left("P-1")), Rule("member_must_be_in_body"));
  ASSERT_OK(Append("body/SUAG", Elected("P-1", v1::MEMBER_CATEGORY_SERVICE_USER)));
  EXPECT_THAT(Append("body/SUAG", Elected("P-1", v1::MEMBER_CATEGORY_SERVICE_USER)),
              Rule("member_already_in_body"));
  EXPECT_OK(Append("body/SUAG", Left("P-1")));
  EXPECT_THAT(Append("body/SUAG", Left("P-1")), Rule("member_must_be_in_body"));
  // Re-elected after leaving.
  EXPECT_OK(Append("body/SUAG", Elected("P-1", v1::MEMBER_CATEGORY_SERVICE_USER)));
}

TEST_F(InvolvementValidatorTest, FeedbackMustExistBeforeItsResponse) {
  EXPECT_THAT(Append("feedback/F-1", Responded("F-1")), Rule("feedback_must_exist"));
  ASSERT_OK(Append("feedback/F-1", Feedback("F-1")));
  EXPECT_OK(Append("feedback/F-1", Responded("F-1")));
  EXPECT_THAT(Append("feedback/F-1", Feedback("F-1")), Rule("feedback_already_received"));
}

TEST_F(InvolvementValidatorTest, RecruitmentDecisionNeedsItsPanel) {
  v1::RecruitmentDecided decided;
  decided.set_vacancy_id("V-1");
  *decided.mutable_decided_on() = D(2026, 5, 1);
  EXPECT_THAT(Append("recruitment/V-1", decided), Rule("panel_must_exist"));
  v1::RecruitmentPanelFormed panel;
  panel.set_vacancy_id("V-1");
  panel.set_role_title("Support Worker");
  panel.set_front_line(true);
  panel.add_user_stages(v1::RECRUITMENT_STAGE_INTERVIEW_PANEL);
  *panel.mutable_role_agreed_on() = D(2026, 4, 1);
  ASSERT_OK(Append("recruitment/V-1", panel));
  EXPECT_OK(Append("recruitment/V-1", decided));
}

TEST_F(InvolvementValidatorTest, CorrectionNamesAnEventOfTheStreamOfTheSameType) {
  ASSERT_OK(Append("feedback/F-1", Feedback("F-1")));  // ev-0
  v1::EntryCorrected c;
  c.set_corrected_event_id("ev-404");
  c.set_reason("typo");
  EXPECT_THAT(Append("feedback/F-1", c), Rule("corrected_event_must_exist"));
  c.set_corrected_event_id("ev-0");
  c.mutable_replacement()->PackFrom(Responded("F-1"));
  EXPECT_THAT(Append("feedback/F-1", c), Field("events[0].payload.replacement"));
  v1::FeedbackReceived fixed = Feedback("F-1");
  fixed.set_summary("Repairs take too long on the Elm estate");
  c.mutable_replacement()->PackFrom(fixed);
  EXPECT_OK(Append("feedback/F-1", c));
}

TEST_F(InvolvementValidatorTest, FieldChecksNameTheField) {
  v1::RecommendationMade r = Recommendation("R-1");
  r.clear_made_on();
  EXPECT_THAT(Append("recommendation/R-1", r), Field("events[0].payload.made_on: required"));
  r = Recommendation("R-2");
  EXPECT_THAT(Append("recommendation/R-1", r), Field("events[0].payload.recommendation_id"));
  r = Recommendation("R-1");
  r.set_to(v1::ADDRESSEE_UNSPECIFIED);
  EXPECT_THAT(Append("recommendation/R-1", r), Field("events[0].payload.to"));
  r = Recommendation("R-1");
  *r.mutable_made_on() = D(2026, 2, 30);
  EXPECT_THAT(Append("recommendation/R-1", r), Field("made_on: not a valid date"));
  v1::MemberElected m = Elected("", v1::MEMBER_CATEGORY_SERVICE_USER);
  EXPECT_THAT(Append("body/SUAG", m), Field("events[0].payload.person_ref: required"));
  m = Elected("P-1", v1::MEMBER_CATEGORY_SERVICE_USER, v1::BODY_SUF);
  EXPECT_THAT(Append("body/SUAG", m), Field("events[0].payload.body"));
  v1::FeedbackReceived f = Feedback("F-1");
  f.set_person_ref("P-1");  // anonymous yet named
  EXPECT_THAT(Append("feedback/F-1", f), Field("events[0].payload.person_ref"));
  v1::ReviewCompleted review;
  review.set_review_id("RV-1");
  review.set_kind(v1::REVIEW_KIND_AUDIT);
  *review.mutable_completed_on() = D(2026, 5, 1);
  review.add_standards_failed("Complaints handled on time");
  EXPECT_THAT(Append("review/RV-1", review), Field("action_plan_due"));
  *review.mutable_action_plan_due() = D(2026, 6, 1);
  EXPECT_OK(Append("review/RV-1", review));
}

TEST_F(InvolvementValidatorTest, EventTypesBelongInTheirStreamKind) {
  EXPECT_THAT(Append("complaint/C-1", Recommendation("C-1")),
              Field("events[0].payload.type_url"));
  EXPECT_THAT(Append("body/NOT_A_BODY", Elected("P-1", v1::MEMBER_CATEGORY_SERVICE_USER)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream")));
  EXPECT_THAT(Append("misc/x", Feedback("x")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("domain stream")));
  // Other payloads in non-domain streams pass unchecked.
  google::protobuf::Any unrelated;
  unrelated.set_type_url("type.googleapis.com/example.Other");
  unrelated.set_value("x");
  ledger::v1::AppendRequest req;
  req.set_stream("misc/x");
  req.add_events()->set_event_id("other-1");
  *req.mutable_events(0)->mutable_payload() = unrelated;
  EXPECT_OK(writer_->Append(req, "test").status());
}

TEST_F(InvolvementValidatorTest, EarlierEventsOfTheSameRequestCount) {
  ledger::v1::AppendRequest req;
  req.set_stream("recommendation/R-7");
  req.add_events()->set_event_id("r7-made");
  req.mutable_events(0)->mutable_payload()->PackFrom(Recommendation("R-7"));
  req.add_events()->set_event_id("r7-response");
  req.mutable_events(1)->mutable_payload()->PackFrom(Response("R-7"));
  EXPECT_OK(writer_->Append(req, "test").status());
  // And a request whose second event breaks a rule is refused whole.
  ledger::v1::AppendRequest bad;
  bad.set_stream("recommendation/R-8");
  bad.add_events()->set_event_id("r8-response");
  bad.mutable_events(0)->mutable_payload()->PackFrom(Response("R-8"));
  EXPECT_THAT(writer_->Append(bad, "test"), Rule("response_needs_recommendation"));
  EXPECT_EQ(writer_->CommittedSize(), 2u);
}

}  // namespace
}  // namespace involvement
