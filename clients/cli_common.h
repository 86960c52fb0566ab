// Output conventions shared by ledgerctl's commands: one clear line on
// stderr for every failure, exit 2 for usage errors and 1 for refusals.
#ifndef CLIENTS_CLI_COMMON_H_
#define CLIENTS_CLI_COMMON_H_

#include <iostream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ledger {

// Prints "ledgerctl: PROBLEM", a blank line and `usage`; returns 2.
inline int UsageError(const std::string& problem, const char* usage) {
  std::cerr << "ledgerctl: " << problem << "\n\n" << usage;
  return 2;
}

// Prints "ledgerctl: WHAT: CODE: MESSAGE" with a hint when the server
// cannot be reached; returns 1.
inline int ServerError(const std::string& what, const absl::Status& s,
                       const std::string& server) {
  std::string hint;
  if (s.code() == absl::StatusCode::kUnavailable ||
      s.code() == absl::StatusCode::kDeadlineExceeded) {
    hint = absl::StrCat(" (is ledgerd running at ", server, "?)");
  }
  std::cerr << "ledgerctl: " << what << ": "
            << absl::StatusCodeToString(s.code()) << ": " << s.message()
            << hint << "\n";
  return 1;
}

// Prints "ledgerctl: INVALID: REASON"; returns 1.
inline int Invalid(const std::string& reason) {
  std::cerr << "ledgerctl: INVALID: " << reason << "\n";
  return 1;
}

}  // namespace ledger

#endif  // CLIENTS_CLI_COMMON_H_
