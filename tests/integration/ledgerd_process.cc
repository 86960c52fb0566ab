#include "tests/integration/ledgerd_process.h"

#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/status_macros.h"
#include "tests/integration/programs.h"

namespace ledger::testing {

namespace {

constexpr char kListeningPrefix[] = "listening on ";

}  // namespace

absl::StatusOr<std::unique_ptr<LedgerdProcess>> LedgerdProcess::Start(
    const std::string& db_path, const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {kLedgerdPath, "--db", db_path, "--listen",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  ASSIGN_OR_RETURN(std::unique_ptr<Subprocess> process, Subprocess::Start(argv));
  ASSIGN_OR_RETURN(std::string line,
                   process->WaitForLine(kListeningPrefix, kProgramTimeout));
  std::string address = line.substr(sizeof(kListeningPrefix) - 1);
  if (!absl::StartsWith(address, "127.0.0.1:") || absl::EndsWith(address, ":0")) {
    return absl::InternalError(
        absl::StrCat("ledgerd printed an unexpected address: '", line, "'"));
  }
  return std::unique_ptr<LedgerdProcess>(
      new LedgerdProcess(std::move(process), std::move(address)));
}

absl::Status LedgerdProcess::Stop() {
  RETURN_IF_ERROR(process_->Signal(SIGTERM));
  ASSIGN_OR_RETURN(ExitStatus status, process_->Wait(kProgramTimeout));
  if (!status.exited() || status.code != 0) {
    return absl::InternalError(absl::StrCat("ledgerd ", DescribeExit(status),
                                            " after SIGTERM; stderr: ",
                                            process_->err()));
  }
  return absl::OkStatus();
}

absl::Status LedgerdProcess::Kill() {
  RETURN_IF_ERROR(process_->Signal(SIGKILL));
  ASSIGN_OR_RETURN(ExitStatus status, process_->Wait(kProgramTimeout));
  if (status.signal != SIGKILL) {
    return absl::InternalError(
        absl::StrCat("ledgerd ", DescribeExit(status), ", not killed"));
  }
  return absl::OkStatus();
}

}  // namespace ledger::testing
