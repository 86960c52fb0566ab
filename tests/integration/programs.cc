#include "tests/integration/programs.h"

#include "absl/strings/str_split.h"

namespace ledger::testing {

absl::StatusOr<ProcessOutput> RunLedgerctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kLedgerctlPath};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, kProgramTimeout);
}

absl::StatusOr<ProcessOutput> RunLedgerVerify(const std::string& db) {
  return RunProcess({kLedgerVerifyPath, "--db", db}, kProgramTimeout);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace ledger::testing
