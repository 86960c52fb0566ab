// AccessPolicy: the roles file's format and errors, and the decisions a
// role table gives for reads and appends, without gRPC.
#include "ledger/access_policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/ledger/test_util.h"

namespace ledger {
namespace {

using ::ledger::testing::IsOk;
using ::ledger::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

RoleTable TestRoles() {
  RoleTable roles;
  roles["writer"] = {/*read=*/true, /*append_any=*/false, {"test.v1.Note"}};
  roles["reader"] = {/*read=*/true, /*append_any=*/false, {}};
  roles["blind"] = {/*read=*/false, /*append_any=*/false, {"test.v1.Note"}};
  roles["admin"] = {/*read=*/true, /*append_any=*/true, {}};
  return roles;
}

v1::AppendRequest RequestOf(std::initializer_list<const char*> types) {
  v1::AppendRequest request;
  request.set_stream("s/1");
  int n = 0;
  for (const char* type : types) {
    v1::EventData* e = request.add_events();
    e->set_event_id(absl::StrCat("e", n++));
    e->mutable_payload()->set_type_url(absl::StrCat("type.googleapis.com/", type));
  }
  return request;
}

constexpr char kRoles[] =
    "# role   subject\n"
    "\n"
    "writer   CN=writer app,O=Example\n"
    "  reader\tCN=reader,O=Example   \n"
    "blind    CN=blind\n"
    "admin    CN=root\n";

TEST(AccessPolicyTest, ParsesRolesAndSubjectsWithSpaces) {
  ASSERT_OK_AND_ASSIGN(AccessPolicy p, AccessPolicy::Parse(kRoles, TestRoles(), "roles"));
  EXPECT_EQ(p.subject_count(), 4u);
  ASSERT_NE(p.RoleOf("CN=writer app,O=Example"), nullptr);
  EXPECT_EQ(*p.RoleOf("CN=writer app,O=Example"), "writer");
  ASSERT_NE(p.RoleOf("CN=reader,O=Example"), nullptr);
  EXPECT_EQ(*p.RoleOf("CN=reader,O=Example"), "reader");
  EXPECT_EQ(p.RoleOf("CN=writer app"), nullptr);
}

TEST(AccessPolicyTest, RefusesAnUnknownRoleNamingTheLine) {
  EXPECT_THAT(AccessPolicy::Parse("writer CN=a\nsuperuser CN=b\n", TestRoles(), "r.conf"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("r.conf:2"), HasSubstr("superuser"))));
}

TEST(AccessPolicyTest, RefusesARoleWithoutSubject) {
  EXPECT_THAT(AccessPolicy::Parse("reader   \n", TestRoles(), "r.conf"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("r.conf:1")));
}

TEST(AccessPolicyTest, RefusesOneSubjectWithTwoRoles) {
  EXPECT_THAT(AccessPolicy::Parse("reader CN=a\nadmin CN=a\n", TestRoles(), "r.conf"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("r.conf:2"), HasSubstr("one role"))));
}

TEST(AccessPolicyTest, LoadNamesAMissingFile) {
  EXPECT_THAT(AccessPolicy::Load("/nonexistent/roles.conf", TestRoles()),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/roles.conf")));
}

TEST(AccessPolicyTest, AppendAllowedOnlyForTheRolesTypes) {
  ASSERT_OK_AND_ASSIGN(AccessPolicy p, AccessPolicy::Parse(kRoles, TestRoles(), "roles"));
  EXPECT_THAT(p.CheckAppend("CN=writer app,O=Example", RequestOf({"test.v1.Note"})), IsOk());
  EXPECT_THAT(
      p.CheckAppend("CN=writer app,O=Example", RequestOf({"test.v1.Note", "test.v1.Other"})),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr("CN=writer app,O=Example"), HasSubstr("role writer"),
                     HasSubstr("test.v1.Other"))));
  EXPECT_THAT(p.CheckAppend("CN=reader,O=Example", RequestOf({"test.v1.Note"})),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("role reader")));
  EXPECT_THAT(p.CheckAppend("CN=root", RequestOf({"test.v1.Note", "anything.Else"})), IsOk());
}

TEST(AccessPolicyTest, AnEventWithoutATypeIsDeniedToTypedRoles) {
  ASSERT_OK_AND_ASSIGN(AccessPolicy p, AccessPolicy::Parse(kRoles, TestRoles(), "roles"));
  v1::AppendRequest request = RequestOf({"test.v1.Note"});
  request.mutable_events(0)->clear_payload();
  EXPECT_THAT(p.CheckAppend("CN=writer app,O=Example", request),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("(none)")));
}

TEST(AccessPolicyTest, ReadNeedsARoleThatReads) {
  ASSERT_OK_AND_ASSIGN(AccessPolicy p, AccessPolicy::Parse(kRoles, TestRoles(), "roles"));
  EXPECT_THAT(p.CheckRead("CN=reader,O=Example", "Read"), IsOk());
  EXPECT_THAT(p.CheckRead("CN=blind", "Read"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("CN=blind"), HasSubstr("role blind"), HasSubstr("Read"))));
}

TEST(AccessPolicyTest, AnUnlistedSubjectMayDoNothing) {
  ASSERT_OK_AND_ASSIGN(AccessPolicy p, AccessPolicy::Parse(kRoles, TestRoles(), "roles"));
  EXPECT_THAT(p.CheckRead("CN=stranger", "Read"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       AllOf(HasSubstr("CN=stranger"), HasSubstr("no role"))));
  EXPECT_THAT(p.CheckAppend("CN=stranger", RequestOf({"test.v1.Note"})),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no role")));
}

TEST(AccessPolicyTest, MessagesKeepHostileSubjectsPrintable) {
  ASSERT_OK_AND_ASSIGN(AccessPolicy p, AccessPolicy::Parse(kRoles, TestRoles(), "roles"));
  absl::Status s = p.CheckRead(std::string("CN=x\n\x01y", 7), "Read");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("CN=x??y")));
}

TEST(AccessPolicyTest, MessageNameOfTypeUrl) {
  EXPECT_EQ(MessageNameOfTypeUrl("type.googleapis.com/a.b.C"), "a.b.C");
  EXPECT_EQ(MessageNameOfTypeUrl("example.com/x/y/a.B"), "a.B");
  EXPECT_EQ(MessageNameOfTypeUrl("a.B"), "a.B");
  EXPECT_EQ(MessageNameOfTypeUrl(""), "");
}

}  // namespace
}  // namespace ledger
