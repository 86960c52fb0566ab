// Subprocess: a program under test run as a real child process, its stdout
// and stderr read through pipes, for the end-to-end tests. Every wait is
// bounded by a timeout and ends as soon as what it waits for happens (a
// line, the process's exit); nothing sleeps.
//
// Thread safety: one Subprocess is used from one thread at a time.
#ifndef LEDGER_TESTS_INTEGRATION_PROCESS_H_
#define LEDGER_TESTS_INTEGRATION_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ledger::testing {

// How a finished process ended: an exit code, or the signal that killed it.
struct ExitStatus {
  int code = -1;   // the exit code, when it exited
  int signal = 0;  // the signal that ended it, else 0

  bool exited() const { return signal == 0; }
};

// "exited with code 2" or "killed by signal 9 (Killed)".
std::string DescribeExit(const ExitStatus& status);
void PrintTo(const ExitStatus& status, std::ostream* os);

// What a program run to completion printed, and how it ended.
struct ProcessOutput {
  ExitStatus status;
  std::string out;  // everything it wrote to stdout
  std::string err;  // everything it wrote to stderr
};

class Subprocess {
 public:
  // Starts the program at path `argv[0]` with arguments `argv[1..]`, stdin
  // from /dev/null, stdout and stderr into pipes, default signal handling
  // and nothing blocked. Fails when the program cannot be started.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv);

  // Kills the process with SIGKILL if it has not been reaped, and reaps it.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Reads stdout until a complete line starting with `prefix` arrives and
  // returns it without its newline. Lines before it are skipped; a later
  // call continues after it. DEADLINE_EXCEEDED after `timeout`;
  // FAILED_PRECONDITION when stdout closes first (the message gives the
  // exit status and stderr).
  [[nodiscard]] absl::StatusOr<std::string> WaitForLine(std::string_view prefix,
                                                        absl::Duration timeout);

  // Sends `signal`; FAILED_PRECONDITION once the process has been reaped.
  [[nodiscard]] absl::Status Signal(int signal);

  // Waits up to `timeout` for the process to exit and both pipes to close,
  // reading its output meanwhile, and reaps it. DEADLINE_EXCEEDED (the
  // process left running) after `timeout`.
  [[nodiscard]] absl::StatusOr<ExitStatus> Wait(absl::Duration timeout);

  // Everything read from stdout and stderr so far.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  Subprocess(std::string name, pid_t pid, int pidfd, int out_fd, int err_fd);

  // Waits until `deadline` for output, end of output or the exit, and takes
  // what came. Returns false if nothing came (or there is nothing left to
  // wait for).
  bool Pump(absl::Time deadline);
  void Reap(bool block);

  const std::string name_;
  const pid_t pid_;
  int pidfd_;
  int out_fd_;
  int err_fd_;
  std::string out_;
  std::string err_;
  size_t out_scanned_ = 0;  // WaitForLine has looked at out_[0, out_scanned_)
  std::optional<ExitStatus> exit_;
};

// Runs a program to completion and returns what it printed.
// DEADLINE_EXCEEDED (after killing it) if it runs longer than `timeout`.
[[nodiscard]] absl::StatusOr<ProcessOutput> RunProcess(
    const std::vector<std::string>& argv, absl::Duration timeout);

}  // namespace ledger::testing

#endif  // LEDGER_TESTS_INTEGRATION_PROCESS_H_
