// The programs under test (paths set by CMake) and how the end-to-end
// tests run the short-lived ones: ledgerctl and ledger-verify, each to
// completion with its output captured.
#ifndef LEDGER_TESTS_INTEGRATION_PROGRAMS_H_
#define LEDGER_TESTS_INTEGRATION_PROGRAMS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "tests/integration/process.h"

namespace ledger::testing {

inline constexpr char kLedgerdPath[] = LEDGERD_PATH;
inline constexpr char kLedgerctlPath[] = LEDGERCTL_PATH;
inline constexpr char kLedgerVerifyPath[] = LEDGER_VERIFY_PATH;

// Bounds on waits for a program; generous, as a busy two-core machine may
// be building at the same time. Tests never assert how long anything took.
inline constexpr absl::Duration kProgramTimeout = absl::Seconds(60);

// Runs `ledgerctl ARGS...` to completion.
[[nodiscard]] absl::StatusOr<ProcessOutput> RunLedgerctl(
    const std::vector<std::string>& args);

// Runs `ledger-verify --db DB` to completion.
[[nodiscard]] absl::StatusOr<ProcessOutput> RunLedgerVerify(const std::string& db);

// Matches a ProcessOutput whose process exited with `code`; explains a
// mismatch with the exit status and stderr.
MATCHER_P(ExitedWith, code, "") {
  *result_listener << "which " << ::ledger::testing::DescribeExit(arg.status)
                   << "; stdout: " << arg.out << "; stderr: " << arg.err;
  return arg.status.exited() && arg.status.code == code;
}

// Splits `text` into its lines, without the newlines; a last line without
// one is kept.
std::vector<std::string> Lines(const std::string& text);

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_INTEGRATION_PROGRAMS_H_
