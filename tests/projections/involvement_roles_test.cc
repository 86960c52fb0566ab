// The involvement role table: every event type in events.proto has an
// owner (exactly one appending role, or the administrator alone), so a new
// event type cannot ship without a decision about who may record it.
#include "projections/involvement_roles.h"

#include <google/protobuf/descriptor.h>

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "involvement/v1/events.pb.h"

namespace involvement {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(InvolvementRolesTest, EveryEventTypeHasExactlyOneAppendingRoleOrIsAdminOnly) {
  const ledger::RoleTable roles = InvolvementRoles();
  const google::protobuf::FileDescriptor* file = v1::MeetingHeld::descriptor()->file();
  // Messages of events.proto that are parts of events, not events.
  const std::set<std::string> parts = {"involvement.v1.Date", "involvement.v1.Action"};
  const std::set<std::string> admin_only = {"involvement.v1.EntryCorrected"};
  for (int i = 0; i < file->message_type_count(); ++i) {
    const std::string name = file->message_type(i)->full_name();
    if (parts.count(name) > 0) continue;
    std::vector<std::string> owners;
    for (const auto& [role, permissions] : roles) {
      if (permissions.append_types.count(name) > 0) owners.push_back(role);
    }
    if (admin_only.count(name) > 0) {
      EXPECT_THAT(owners, IsEmpty()) << name;
    } else {
      EXPECT_EQ(owners.size(), 1u) << name << " needs exactly one role (docs/security.md)";
    }
  }
}

TEST(InvolvementRolesTest, TheDocumentedRolesExistAndAllRead) {
  const ledger::RoleTable roles = InvolvementRoles();
  std::vector<std::string> names;
  for (const auto& [role, permissions] : roles) {
    names.push_back(role);
    EXPECT_TRUE(permissions.read) << role;
    EXPECT_EQ(permissions.append_any, role == "admin") << role;
  }
  EXPECT_THAT(names, ElementsAre("admin", "auditor", "complaints", "recorder", "secretary"));
  EXPECT_THAT(roles.at("auditor").append_types, IsEmpty());
}

}  // namespace
}  // namespace involvement
