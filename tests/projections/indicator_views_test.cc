// The recruitment and indicators views on a small hand-made state, with
// hand-counted answers. The state is built with the real fold
// (FoldEntry) from entries made here, so the test covers the fold too.
#include "projections/indicator_views.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/domain_fold.h"
#include "tests/ledger/test_util.h"
#include "tests/projections/test_dates.h"

namespace involvement {
namespace {

using ::testing::ElementsAre;

using ::involvement::testing::D;

class IndicatorViewsTest : public ::testing::Test {
 protected:
  void Fold(const std::string& stream, const google::protobuf::Message& event) {
    ledger::v1::Entry e;
    e.set_sequence(state_.position());
    e.set_stream(stream);
    e.set_event_id(absl::StrCat("ev-", state_.position()));
    e.mutable_payload()->PackFrom(event);
    ASSERT_OK(FoldEntry(e, state_, [](const std::string&, const auto&) {
      return absl::OkStatus();
    }));
  }
  void Elect(v1::Body body, const std::string& who, v1::MemberCategory c, v1::Date start) {
    v1::MemberElected m;
    m.set_body(body);
    m.set_person_ref(who);
    m.set_category(c);
    *m.mutable_term_start() = start;
    Fold(absl::StrCat("body/", v1::Body_Name(body).substr(5)), m);
  }
  void Panel(const std::string& id, bool front_line, bool users, v1::Date agreed) {
    v1::RecruitmentPanelFormed p;
    p.set_vacancy_id(id);
    p.set_role_title("Role " + id);
    p.set_front_line(front_line);
    if (users) {
      p.add_user_stages(v1::RECRUITMENT_STAGE_SHORTLISTING);
      p.add_user_stages(v1::RECRUITMENT_STAGE_INTERVIEW_PANEL);
      p.add_user_members("SU-P" + id);
    }
    *p.mutable_role_agreed_on() = agreed;
    Fold("recruitment/" + id, p);
  }
  void Recommend(const std::string& id, v1::Date made) {
    v1::RecommendationMade r;
    r.set_recommendation_id(id);
    r.set_from_body(v1::BODY_SUAG);
    r.set_to(v1::ADDRESSEE_BOARD);
    r.set_text("x");
    *r.mutable_made_on() = made;
    Fold("recommendation/" + id, r);
  }
  void Respond(const std::string& id, v1::Decision d, v1::Date on, bool with_action) {
    v1::BoardResponseRecorded r;
    r.set_recommendation_id(id);
    r.set_decision(d);
    *r.mutable_decided_on() = on;
    if (with_action) {
      v1::Action* a = r.add_actions();
      a->set_action_id("A1");
      a->set_description("do it");
    }
    Fold("recommendation/" + id, r);
  }
  void Complete(const std::string& id, v1::Date on) {
    v1::ActionCompleted c;
    c.set_action_id("A1");
    *c.mutable_completed_on() = on;
    Fold("recommendation/" + id, c);
  }
  ViewQuery AsOf(int y, int m, int d) {
    ViewQuery q;
    q.as_of = *CivilDate::FromYmd(y, m, d);
    return q;
  }

  v1::DomainState state_;
};

TEST_F(IndicatorViewsTest, RecruitmentCountsFrontLinePostsWithAndWithoutUsers) {
  Panel("V-1", true, true, D(2026, 1, 5));    // seq 0
  Panel("V-2", true, false, D(2026, 2, 5));   // seq 1
  Panel("V-3", false, true, D(2026, 3, 5));   // seq 2
  Panel("V-4", true, true, D(2026, 9, 5));    // after the view date
  v1::RecruitmentView v = RecruitmentViewOf(state_, AsOf(2026, 6, 30));
  EXPECT_EQ(v.rows_size(), 3);
  EXPECT_EQ(v.front_line_with_users(), 1);
  EXPECT_EQ(v.front_line_without_users(), 1);
  EXPECT_EQ(v.other_with_users(), 1);
  EXPECT_EQ(v.other_without_users(), 0);
  EXPECT_EQ(v.by_stage().at("SHORTLISTING"), 2);
  EXPECT_EQ(v.by_stage().at("INTERVIEW_PANEL"), 2);
  EXPECT_THAT(v.rows(0).sequences(), ElementsAre(0u));
}

TEST_F(IndicatorViewsTest, IndicatorsCountTheYear) {
  Elect(v1::BODY_SUAG, "SU-1", v1::MEMBER_CATEGORY_SERVICE_USER, D(2025, 3, 1));   // 0
  Elect(v1::BODY_SUAG, "ST-1", v1::MEMBER_CATEGORY_STAFF, D(2026, 1, 1));          // 1
  Elect(v1::BODY_BOARD, "SU-2", v1::MEMBER_CATEGORY_EX_SERVICE_USER, D(2026, 2, 1));  // 2
  Elect(v1::BODY_SUF, "SU-3", v1::MEMBER_CATEGORY_SERVICE_USER, D(2026, 2, 1));    // 3
  Elect(v1::BODY_SUF, "SU-9", v1::MEMBER_CATEGORY_SERVICE_USER, D(2027, 2, 1));    // 4: next year
  Panel("V-1", true, true, D(2026, 4, 1));   // 5: SU-PV-1 joins decision making
  Recommend("R-1", D(2026, 1, 10));          // 6
  Respond("R-1", v1::DECISION_ACCEPTED, D(2026, 2, 9), true);   // 7: 30 days
  Complete("R-1", D(2026, 5, 1));            // 8
  Recommend("R-2", D(2026, 3, 1));           // 9
  Respond("R-2", v1::DECISION_REJECTED, D(2026, 3, 11), false);  // 10: 10 days
  Recommend("R-3", D(2026, 4, 1));           // 11: unanswered
  Recommend("R-4", D(2025, 12, 1));          // 12: last year
  v1::IndicatorsView v = IndicatorsViewOf(state_, AsOf(2026, 12, 31), 0);
  EXPECT_EQ(v.year(), 2026);
  EXPECT_EQ(v.people_in_formal_structures(), 3);     // SU-1, ST-1, SU-2
  EXPECT_EQ(v.people_in_informal_involvement(), 2);  // SU-3 (SUF), SU-PV-1 (panel)
  EXPECT_EQ(v.people_in_decision_making(), 3);       // SU-1, SU-2, SU-PV-1
  EXPECT_EQ(v.recommendations_made(), 3);
  EXPECT_EQ(v.recommendations_answered(), 2);
  EXPECT_EQ(v.recommendations_accepted(), 1);
  EXPECT_EQ(v.recommendations_implemented(), 1);
  EXPECT_DOUBLE_EQ(v.median_days_to_respond(), 20.0);  // (10 + 30) / 2
  EXPECT_EQ(v.recruitment_panels_with_users(), 1);
  // As of before the action was completed, R-1 is not implemented.
  EXPECT_EQ(IndicatorsViewOf(state_, AsOf(2026, 4, 30), 0).recommendations_implemented(), 0);
  // The year before: SU-1 and R-4 only.
  v1::IndicatorsView last = IndicatorsViewOf(state_, AsOf(2026, 12, 31), 2025);
  EXPECT_EQ(last.people_in_formal_structures(), 1);
  EXPECT_EQ(last.recommendations_made(), 1);
  EXPECT_EQ(last.recommendations_answered(), 0);
}

}  // namespace
}  // namespace involvement
