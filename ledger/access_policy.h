// AccessPolicy: who may do what on the ledger, decided from data. The
// domain defines the roles (which payload types each may append, whether
// it may read); a roles file maps certificate subjects to those roles. The
// ledger itself knows no event type: a role's permission to append is a
// list of full protobuf message names, compared with the name at the end
// of each payload's type URL. docs/security.md documents the file and the
// involvement domain's table.
//
// Thread safety: an AccessPolicy is immutable once made; any number of
// threads may query it.
#ifndef LEDGER_ACCESS_POLICY_H_
#define LEDGER_ACCESS_POLICY_H_

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/v1/ledger.pb.h"

namespace ledger {

// What one role may do.
struct RolePermissions {
  // Read, Subscribe, checkpoints, proofs, and a domain's query views.
  bool read = false;
  // Append any payload type at all (the administrator).
  bool append_any = false;
  // Full message names (e.g. "involvement.v1.MeetingHeld") this role may
  // append, when append_any is false.
  std::set<std::string> append_types;
  // Operations on the whole database, such as Backup.
  bool administer = false;
};

// Role name -> permissions, as a domain defines them.
using RoleTable = std::map<std::string, RolePermissions>;

class AccessPolicy {
 public:
  // Parses a roles file's text against `roles`. One assignment a line:
  //   ROLE  SUBJECT
  // ROLE is a name in `roles`; SUBJECT is the rest of the line with outer
  // spaces trimmed: the certificate's subject as ledgerd sees it (RFC 2253,
  // most specific first, e.g. "CN=case-app,O=Riverside"). Blank lines and
  // lines starting with '#' are ignored. INVALID_ARGUMENT, naming `source`
  // and the line, for an unknown role, a missing subject, or a subject
  // given twice (one subject has one role).
  //
  // Example:
  //   # role     subject
  //   recorder   CN=case-app,O=Riverside
  //   auditor    CN=scrutiny-panel,O=Riverside
  [[nodiscard]] static absl::StatusOr<AccessPolicy> Parse(
      std::string_view text, const RoleTable& roles, std::string_view source);

  // Reads and parses the roles file at `path`; NOT_FOUND or
  // INVALID_ARGUMENT naming it.
  [[nodiscard]] static absl::StatusOr<AccessPolicy> Load(const std::string& path,
                                                         const RoleTable& roles);

  // The role of `subject`, or null when the subject is not listed.
  const std::string* RoleOf(std::string_view subject) const;

  // OK when `subject` may read; PERMISSION_DENIED naming the subject, its
  // role (or that it has none) and `what` (e.g. "Read") otherwise.
  [[nodiscard]] absl::Status CheckRead(std::string_view subject,
                                       std::string_view what) const;

  // OK when `subject` may administer (e.g. take a backup);
  // PERMISSION_DENIED naming the subject, its role and `what` otherwise.
  [[nodiscard]] absl::Status CheckAdminister(std::string_view subject,
                                             std::string_view what) const;

  // OK when `subject` may append every event of `request`;
  // PERMISSION_DENIED naming the subject, its role and the first event
  // type it may not append otherwise.
  [[nodiscard]] absl::Status CheckAppend(std::string_view subject,
                                         const ledger::v1::AppendRequest& request) const;

  size_t subject_count() const { return subjects_.size(); }

 private:
  AccessPolicy(RoleTable roles, std::map<std::string, std::string, std::less<>> subjects)
      : roles_(std::move(roles)), subjects_(std::move(subjects)) {}

  // The permissions of `subject`, or PERMISSION_DENIED for an unlisted one.
  absl::StatusOr<const RolePermissions*> PermissionsOf(std::string_view subject,
                                                       std::string_view what) const;

  RoleTable roles_;
  std::map<std::string, std::string, std::less<>> subjects_;  // subject -> role
};

// The full message name in a google.protobuf.Any type URL: what follows
// the last '/' ("type.googleapis.com/involvement.v1.MeetingHeld" ->
// "involvement.v1.MeetingHeld").
std::string_view MessageNameOfTypeUrl(std::string_view type_url);

}  // namespace ledger

#endif  // LEDGER_ACCESS_POLICY_H_
