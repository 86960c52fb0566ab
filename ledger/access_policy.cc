#include "ledger/access_policy.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ledger {

namespace {

// Subjects come from certificates and request data; keep what is echoed
// into messages and logs printable and short.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) {
    out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (text.size() > 200) out += "...";
  return out;
}

}  // namespace

std::string_view MessageNameOfTypeUrl(std::string_view type_url) {
  size_t slash = type_url.rfind('/');
  return slash == std::string_view::npos ? type_url : type_url.substr(slash + 1);
}

absl::StatusOr<AccessPolicy> AccessPolicy::Parse(std::string_view text,
                                                 const RoleTable& roles,
                                                 std::string_view source) {
  std::map<std::string, std::string, std::less<>> subjects;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.find_first_of(" \t");
    const std::string role(line.substr(0, space));
    const std::string subject(space == absl::string_view::npos
                                  ? absl::string_view()
                                  : absl::StripAsciiWhitespace(line.substr(space)));
    auto where = [&] { return absl::StrCat(std::string(source), ":", number, ": "); };
    if (roles.count(std::string(role)) == 0) {
      std::string known;
      for (const auto& [name, unused] : roles) absl::StrAppend(&known, known.empty() ? "" : ", ", name);
      return absl::InvalidArgumentError(absl::StrCat(
          where(), "unknown role '", Printable(role), "' (roles: ", known, ")"));
    }
    if (subject.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "role '", role, "' needs a certificate subject after it"));
    }
    auto [it, inserted] = subjects.emplace(subject, role);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          where(), "subject '", Printable(subject), "' is already given role '",
          it->second, "'; a subject has one role"));
    }
  }
  return AccessPolicy(roles, std::move(subjects));
}

absl::StatusOr<AccessPolicy> AccessPolicy::Load(const std::string& path,
                                                const RoleTable& roles) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read roles file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read roles file ", path));
  return Parse(text.str(), roles, path);
}

const std::string* AccessPolicy::RoleOf(std::string_view subject) const {
  auto it = subjects_.find(subject);
  return it == subjects_.end() ? nullptr : &it->second;
}

absl::StatusOr<const RolePermissions*> AccessPolicy::PermissionsOf(
    std::string_view subject, std::string_view what) const {
  const std::string* role = RoleOf(subject);
  if (role == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "subject '", Printable(subject), "' has no role (not in the roles file): ",
        std::string(what), " refused"));
  }
  // Parse only admits roles of the table.
  return &roles_.at(*role);
}

absl::Status AccessPolicy::CheckRead(std::string_view subject, std::string_view what) const {
  absl::StatusOr<const RolePermissions*> p = PermissionsOf(subject, what);
  if (!p.ok()) return p.status();
  if ((*p)->read) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("subject '", Printable(subject),
                                                  "' (role ", *RoleOf(subject),
                                                  ") may not read: ", std::string(what),
                                                  " refused"));
}

absl::Status AccessPolicy::CheckAdminister(std::string_view subject,
                                           std::string_view what) const {
  absl::StatusOr<const RolePermissions*> p = PermissionsOf(subject, what);
  if (!p.ok()) return p.status();
  if ((*p)->administer) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("subject '", Printable(subject),
                                                  "' (role ", *RoleOf(subject),
                                                  ") may not administer: ", std::string(what),
                                                  " refused"));
}

absl::Status AccessPolicy::CheckAppend(std::string_view subject,
                                       const ledger::v1::AppendRequest& request) const {
  absl::StatusOr<const RolePermissions*> p = PermissionsOf(subject, "Append");
  if (!p.ok()) return p.status();
  if ((*p)->append_any) return absl::OkStatus();
  for (const ledger::v1::EventData& event : request.events()) {
    const std::string_view type = MessageNameOfTypeUrl(event.payload().type_url());
    if ((*p)->append_types.count(std::string(type)) == 0) {
      return absl::PermissionDeniedError(absl::StrCat(
          "subject '", Printable(subject), "' (role ", *RoleOf(subject),
          ") may not append event type '", type.empty() ? "(none)" : Printable(type),
          "' (event '", Printable(event.event_id()), "')"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ledger
