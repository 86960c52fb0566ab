#include "tests/integration/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace ledger::testing {

namespace {

absl::Status ErrnoError(const std::string& what, int error) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(error)));
}

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

ExitStatus FromWaitStatus(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

// Milliseconds from now until `deadline`, rounded up, for poll().
int PollTimeout(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, INT_MAX));
}

}  // namespace

std::string DescribeExit(const ExitStatus& status) {
  if (status.exited()) return absl::StrCat("exited with code ", status.code);
  return absl::StrCat("killed by signal ", status.signal, " (",
                      strsignal(status.signal), ")");
}

void PrintTo(const ExitStatus& status, std::ostream* os) {
  *os << DescribeExit(status);
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("no program given");
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return ErrnoError("pipe2", errno);
  if (pipe2(err, O_CLOEXEC) != 0) {
    const int e = errno;
    CloseFd(&out[0]);
    CloseFd(&out[1]);
    return ErrnoError("pipe2", e);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // dup2 clears close-on-exec on 1 and 2; every other descriptor of ours
  // is close-on-exec, so the child holds no pipe end but its own.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  // The child gets default handling of the signals the tests send, and
  // nothing blocked, whatever gRPC's threads here did.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  CloseFd(&out[1]);
  CloseFd(&err[1]);
  if (rc != 0) {
    CloseFd(&out[0]);
    CloseFd(&err[0]);
    return ErrnoError(absl::StrCat("cannot start ", argv[0]), rc);
  }
  // Debian 12's <sys/pidfd.h> lacks extern "C", so call it directly.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const int e = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    CloseFd(&out[0]);
    CloseFd(&err[0]);
    return ErrnoError("pidfd_open", e);
  }
  return std::unique_ptr<Subprocess>(
      new Subprocess(argv[0], pid, pidfd, out[0], err[0]));
}

Subprocess::Subprocess(std::string name, pid_t pid, int pidfd, int out_fd,
                       int err_fd)
    : name_(std::move(name)),
      pid_(pid),
      pidfd_(pidfd),
      out_fd_(out_fd),
      err_fd_(err_fd) {}

Subprocess::~Subprocess() {
  if (!exit_.has_value()) {
    kill(pid_, SIGKILL);
    Reap(/*block=*/true);
  }
  CloseFd(&out_fd_);
  CloseFd(&err_fd_);
  CloseFd(&pidfd_);
}

void Subprocess::Reap(bool block) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_ = FromWaitStatus(status);
    CloseFd(&pidfd_);
  }
}

bool Subprocess::Pump(absl::Time deadline) {
  pollfd fds[3];
  int n = 0;
  for (int fd : {out_fd_, err_fd_, exit_.has_value() ? -1 : pidfd_}) {
    if (fd >= 0) fds[n++] = pollfd{fd, POLLIN, 0};
  }
  if (n == 0) return false;
  const int ready = poll(fds, n, PollTimeout(deadline));
  if (ready < 0) return errno == EINTR;
  if (ready == 0) return false;
  for (int i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    if (fds[i].fd == pidfd_) {
      // Readable pidfd: the process has ended, so this does not block.
      Reap(/*block=*/true);
      continue;
    }
    const bool is_out = fds[i].fd == out_fd_;
    char buf[64 * 1024];
    const ssize_t got = read(fds[i].fd, buf, sizeof(buf));
    if (got > 0) {
      (is_out ? out_ : err_).append(buf, static_cast<size_t>(got));
    } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
      CloseFd(is_out ? &out_fd_ : &err_fd_);
    }
  }
  return true;
}

absl::StatusOr<std::string> Subprocess::WaitForLine(std::string_view wanted,
                                                    absl::Duration timeout) {
  const std::string prefix(wanted);
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    for (size_t nl; (nl = out_.find('\n', out_scanned_)) != std::string::npos;) {
      std::string line = out_.substr(out_scanned_, nl - out_scanned_);
      out_scanned_ = nl + 1;
      if (absl::StartsWith(line, prefix)) return line;
    }
    if (out_fd_ < 0) {
      absl::StatusOr<ExitStatus> status = Wait(deadline - absl::Now());
      return absl::FailedPreconditionError(absl::StrCat(
          name_, " closed stdout without printing '", prefix, "' (",
          status.ok() ? DescribeExit(*status) : "still running",
          "); stderr: ", err_));
    }
    if (!Pump(deadline) && absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(name_, " printed no line starting with '", prefix,
                       "' within ", absl::FormatDuration(timeout),
                       "; stdout: ", out_, "; stderr: ", err_));
    }
  }
}

absl::Status Subprocess::Signal(int signal) {
  if (exit_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat(name_, " has already ", DescribeExit(*exit_)));
  }
  if (kill(pid_, signal) != 0) return ErrnoError("kill", errno);
  return absl::OkStatus();
}

absl::StatusOr<ExitStatus> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!exit_.has_value() || out_fd_ >= 0 || err_fd_ >= 0) {
    if (!Pump(deadline) && absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          name_, exit_.has_value() ? " kept its output open" : " still runs",
          " after ", absl::FormatDuration(timeout), "; stderr: ", err_));
    }
  }
  return *exit_;
}

absl::StatusOr<ProcessOutput> RunProcess(const std::vector<std::string>& argv,
                                         absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(argv);
  if (!process.ok()) return process.status();
  absl::StatusOr<ExitStatus> status = (*process)->Wait(timeout);
  if (!status.ok()) return status.status();  // the destructor kills it
  return ProcessOutput{*status, (*process)->out(), (*process)->err()};
}

}  // namespace ledger::testing
